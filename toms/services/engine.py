"""The single writer: one thread runs every command that changes state.

QuickFIX callbacks, API requests and timers all hand their work to this thread and wait
on a Future. One writer means no lost updates between a fill and a trader's cancel, and
matches SQLite's one-writer model; PostgreSQL gets the same guarantee for free.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")
_STOP = object()


class EngineStopped(RuntimeError):
    """The engine is not running, so the command was not executed."""


class Engine:
    def __init__(self, name: str = "toms-engine") -> None:
        self._queue: queue.Queue[Any] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._running = False
        self._lock = threading.Lock()

    def start(self) -> None:
        with self._lock:
            if not self._running:
                self._running = True
                self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Finish the queued commands, then stop. Commands submitted afterwards fail fast."""
        with self._lock:
            if not self._running:
                return
            self._running = False
            self._queue.put(_STOP)
        self._thread.join(timeout)

    @property
    def on_engine_thread(self) -> bool:
        return threading.current_thread() is self._thread

    def submit(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> Future[T]:
        future: Future[T] = Future()
        with self._lock:
            if not self._running:
                future.set_exception(EngineStopped("the OMS engine is not running"))
                return future
            self._queue.put((future, fn, args, kwargs))
        return future

    def call(
        self, fn: Callable[..., T], *args: Any, timeout: float | None = None, **kwargs: Any
    ) -> T:
        """Run ``fn`` on the engine thread and return its result (or raise its error)."""
        if self.on_engine_thread:
            return fn(*args, **kwargs)
        return self.submit(fn, *args, **kwargs).result(timeout)

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is _STOP:
                return
            future, fn, args, kwargs = item
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(fn(*args, **kwargs))
            except BaseException as exc:  # the submitter decides; the engine keeps running
                future.set_exception(exc)
