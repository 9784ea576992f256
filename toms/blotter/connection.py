"""The blotter's only line to the OMS: API calls on worker threads, the live event stream
on its own thread, and both delivered to the GUI thread by queued Qt signals.

Nothing here ever waits on the network on the GUI thread: a call is queued to a small
thread pool and its result (or error) comes back as a signal; the event stream's thread
emits each batch of events the same way. Connection state is read from the stream's
``connected`` flag by a timer, so a dropped or restarted server shows at once and a
reconnect is noticed (the blotter then takes a fresh snapshot).
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from enum import StrEnum
from typing import Any, TypeVar

from PyQt6.QtCore import QObject, QTimer, pyqtSignal, pyqtSlot

from toms.client import ApiClient, ApiError, EventStream, ServerUnreachable

log = logging.getLogger(__name__)
T = TypeVar("T")
WORKERS = 3
POLL_MS = 200


class LinkState(StrEnum):
    CONNECTING = "connecting"
    CONNECTED = "connected"
    RECONNECTING = "reconnecting"
    CLOSED = "closed"


def error_text(exc: BaseException) -> str:
    """The server's own words when it refused; otherwise what went wrong on the way."""
    if isinstance(exc, ApiError):
        message = str(exc.body.get("message") or exc)
        return f"{message} ({exc.status} {exc.kind})"
    if isinstance(exc, ServerUnreachable):
        return f"server unreachable: {exc}"
    return f"{type(exc).__name__}: {exc}"


class Connection(QObject):
    events = pyqtSignal(list)  # a batch of event dicts, in seq order
    state_changed = pyqtSignal(str, str)  # LinkState value, detail
    _delivered = pyqtSignal(object, object)  # callback, result: queued to the GUI thread

    def __init__(
        self,
        base_url: str,
        token: str,
        parent: QObject | None = None,
        *,
        reconnect_seconds: float = 1.0,
    ) -> None:
        super().__init__(parent)
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.state = LinkState.CONNECTING
        self._detail = ""
        self._local = threading.local()
        self._clients: list[ApiClient] = []
        self._clients_lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="blotter-api")
        self._closed = False
        self._started = False
        self._delivered.connect(self._deliver)
        self._stream = EventStream(
            self.base_url,
            token,
            on_events=self.events.emit,  # runs on the stream thread; Qt queues it
            reconnect_seconds=reconnect_seconds,
        )
        self._poll = QTimer(self)
        self._poll.setInterval(POLL_MS)
        self._poll.timeout.connect(self._check_link)
        self.in_flight = 0

    # ── life cycle ─────────────────────────────────────────────────────────────────
    def start(self) -> None:
        # start() starts the stream's thread, then waits for it to connect; never wait
        # here: the poll reports the connection when it comes.
        self._started = True
        with contextlib.suppress(ServerUnreachable):
            self._stream.start(timeout=0)
        self._poll.start()
        self._check_link()

    def close(self) -> None:
        """Stop the stream thread and the workers; late results are dropped."""
        if self._closed:
            return
        self._closed = True
        self._poll.stop()
        if self._started:
            self._stream.stop()
        self._pool.shutdown(wait=True, cancel_futures=True)
        with self._clients_lock:
            for client in self._clients:
                client.close()
            self._clients.clear()
        self._set_state(LinkState.CLOSED, "")

    @property
    def last_seq(self) -> int:
        return self._stream.last_seq

    # ── calls ──────────────────────────────────────────────────────────────────────
    def call(
        self,
        work: Callable[[ApiClient], T],
        on_ok: Callable[[T], None],
        on_error: Callable[[BaseException], None] | None = None,
    ) -> None:
        """Run ``work(client)`` on a worker; ``on_ok``/``on_error`` run on the GUI thread."""
        if self._closed:
            return
        self.in_flight += 1

        def run() -> None:
            try:
                result = work(self._client())
            except Exception as exc:
                self._delivered.emit(on_error or self._log_error, exc)
            else:
                self._delivered.emit(on_ok, result)

        self._pool.submit(run)

    @pyqtSlot(object, object)
    def _deliver(self, callback: Callable[[Any], None], result: Any) -> None:
        self.in_flight -= 1
        if self._closed:
            return
        try:
            callback(result)
        except Exception:
            log.exception("blotter callback failed")

    def _client(self) -> ApiClient:
        client: ApiClient | None = getattr(self._local, "client", None)
        if client is None:
            client = ApiClient(self.base_url, self.token, timeout=15.0)
            self._local.client = client
            with self._clients_lock:
                self._clients.append(client)
        return client

    @staticmethod
    def _log_error(exc: BaseException) -> None:
        log.warning("blotter call failed: %s", error_text(exc))

    # ── link state ─────────────────────────────────────────────────────────────────
    def _check_link(self) -> None:
        if self._closed:
            return
        if self._stream.connected.is_set():
            self._set_state(LinkState.CONNECTED, "")
        elif self.state is LinkState.CONNECTING:
            self._set_state(LinkState.CONNECTING, self._stream.error)
        else:
            self._set_state(LinkState.RECONNECTING, self._stream.error)

    def _set_state(self, state: LinkState, detail: str) -> None:
        if state is self.state and detail == self._detail:
            return
        self.state, self._detail = state, detail
        self.state_changed.emit(state.value, detail)
