"""The simulated broker on the wire: a QuickFIX acceptor in front of the matching model.

Any FIX 4.2 or 4.4 client can log on (SenderCompID ``SIMBROKER``, client CompID ``TOMS``
by default) and send NewOrderSingle (D), OrderCancelRequest (F),
OrderCancelReplaceRequest (G), OrderStatusRequest (H) and AllocationInstruction (J). It gets
ExecutionReports (8), OrderCancelRejects (9) and AllocationInstructionAcks (P) back, in the
dialect of its session: FIX 4.2 reports fills as ExecType 1/2 with ExecTransType (20), busts
and corrections as ExecTransType 1/2; FIX 4.4 uses ExecType F/G/H/I. Other application
messages get a BusinessMessageReject (j) from QuickFIX.

Threads: QuickFIX calls the application on its own threads (one per connection). Every
callback is guarded (an escaping Python exception other than QuickFIX's reject exceptions
would end the process), parses the message, and runs the ``MatchingEngine`` on its own
thread while holding the model's lock, sending the reports right there or, with a
configured latency, through a delay scheduler thread. Control calls (``set_price``,
``bust``...) take the same lock, so the model is never touched by two threads at once and
reports leave in the order the model made them. Handing each message to a worker thread
instead would add a thread wake-up to every round trip.
"""

from __future__ import annotations

import dataclasses
import heapq
import itertools
import logging
import socket
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Final, TypeVar

import quickfix as fix

from toms.domain.errors import TomsError
from toms.domain.values import OrderType, Side, TimeInForce
from toms.fix.fields import FixFields, QuickfixFields, RawFields
from toms.net import free_port
from toms.simulator.config import FIX42, BrokerConfig
from toms.simulator.matching import (
    NO_ORDER_ID,
    AllocationAck,
    AllocationLeg,
    AllocationRequest,
    AllocRejCode,
    AllocStatus,
    CancelReject,
    CancelRequest,
    CxlRejReason,
    CxlRejResponseTo,
    ExecReport,
    ExecType,
    MatchingEngine,
    NewOrder,
    OrdRejReason,
    ReplaceRequest,
    Report,
    SimOrder,
    StatusRequest,
)
from toms.simulator.prices import RandomWalk
from toms.simulator.settings import SessionSettingsBuilder, acceptor_settings

log = logging.getLogger(__name__)
T = TypeVar("T")

SOH: Final = "\x01"
QUICKFIX_REJECTS: Final = (
    fix.FieldNotFound,
    fix.IncorrectDataFormat,
    fix.IncorrectTagValue,
    fix.UnsupportedMessageType,
)


_SIDES: Final = {"1": Side.BUY, "2": Side.SELL, "5": Side.SELL_SHORT, "6": Side.SELL_SHORT}
_SIDE_CODES: Final = {Side.BUY: "1", Side.SELL: "2", Side.SELL_SHORT: "5", Side.BUY_TO_COVER: "1"}
_ORD_TYPES: Final = {
    "1": OrderType.MARKET,
    "2": OrderType.LIMIT,
    "3": OrderType.STOP,
    "4": OrderType.STOP_LIMIT,
}
_ORD_TYPE_CODES: Final = {v: k for k, v in _ORD_TYPES.items()}
_TIFS: Final = {
    "0": TimeInForce.DAY,
    "1": TimeInForce.GTC,
    "3": TimeInForce.IOC,
    "4": TimeInForce.FOK,
    "6": TimeInForce.GTD,
}
_TIF_CODES: Final = {v: k for k, v in _TIFS.items()}
# Codes FIX 4.2 does not have, and what a 4.2 session gets instead.
_ORD_REJ_42: Final = {11: 0, 13: 0, 99: 0}
_CXL_REJ_42: Final = {6: 2, 99: 2}
_ALLOC_REJ_42: Final = {8: 1, 11: 7, 12: 5}
_EXEC_TRANS_TYPE_42: Final = {
    ExecType.TRADE_CANCEL: "1",
    ExecType.TRADE_CORRECT: "2",
    ExecType.ORDER_STATUS: "3",
}


class BrokerStartError(TomsError):
    """The acceptor could not start: port in use, data dictionary missing..."""


def utc_now() -> datetime:
    return datetime.now(UTC)


def _port_problem(port: int) -> str | None:
    """Why QuickFIX could not listen on ``port`` (all interfaces), or None."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as QuickFIX does
        try:
            s.bind(("", port))
        except OSError as exc:
            return f"port {port} is in use ({exc.strerror or exc})"
    return None


def fix_timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%d-%H:%M:%S.%f")[:-3]


def fmt(value: Decimal) -> str:
    """Plain notation, no exponent, no trailing zeros."""
    return format(value.normalize(), "f") if value else "0"


# ── configuration and records ───────────────────────────────────────────────────────────
@dataclass(frozen=True, slots=True)
class FixRecord:
    """One message the broker received ("in") or sent ("out"), as QuickFIX rendered it."""

    direction: str
    session: str
    msg_type: str
    raw: str
    at: datetime

    @property
    def fields(self) -> list[tuple[int, str]]:
        out = []
        for part in self.raw.split(SOH):
            tag, sep, value = part.partition("=")
            if sep and tag.isdigit():
                out.append((int(tag), value))
        return out

    def get(self, tag: int) -> str | None:
        for t, v in self.fields:
            if t == tag:
                return v
        return None

    def __str__(self) -> str:
        return f"{self.direction} {self.session} {self.raw.replace(SOH, '|')}"


# ── the QuickFIX application ────────────────────────────────────────────────────────────
class _BrokerApplication(fix.Application):  # type: ignore[misc]
    """Guarded callbacks: log, never let an exception reach the SWIG director."""

    def __init__(self, broker: SimulatedBroker) -> None:
        super().__init__()
        self._broker = broker

    def onCreate(self, session_id: Any) -> None:
        try:
            self._broker._on_create(session_id)
        except Exception:
            log.exception("onCreate failed")

    def onLogon(self, session_id: Any) -> None:
        try:
            self._broker._on_logon(session_id, True)
        except Exception:
            log.exception("onLogon failed")

    def onLogout(self, session_id: Any) -> None:
        try:
            self._broker._on_logon(session_id, False)
        except Exception:
            log.exception("onLogout failed")

    def toAdmin(self, message: Any, session_id: Any) -> None:
        try:
            self._broker._record("out", message, session_id)
        except Exception:
            log.exception("toAdmin failed")

    def fromAdmin(self, message: Any, session_id: Any) -> None:
        try:
            self._broker._record("in", message, session_id)
        except Exception:
            log.exception("fromAdmin failed")

    def toApp(self, message: Any, session_id: Any) -> None:
        try:
            _mark_possible_duplicate(message)
            self._broker._record("out", message, session_id)
        except Exception:
            log.exception("toApp failed")

    def fromApp(self, message: Any, session_id: Any) -> None:
        try:
            raw = self._broker._record("in", message, session_id)
            self._broker._on_app_message(message, session_id, raw)
        except QUICKFIX_REJECTS:
            raise  # QuickFIX answers these with a Reject (3) or BusinessMessageReject (j)
        except Exception as exc:
            log.exception("fromApp failed on %s", _printable(message))
            try:
                self._broker._business_reject(message, session_id, f"broker error: {exc}")
            except Exception:
                log.exception("could not send BusinessMessageReject")


def _mark_possible_duplicate(message: Any) -> None:
    """Deliberate resends (PossResend=Y) also get PossDupFlag=Y and OrigSendingTime.

    QuickFIX drops PossDupFlag from messages given to ``sendToTarget``, so it is set here,
    after QuickFIX filled the header and before it serialises the message."""
    header = message.getHeader()
    if header.isSetField(97) and header.getField(97) == "Y":
        header.setField(43, "Y")
        if message.isSetField(60):
            header.setField(122, message.getField(60))


# ── delayed sending ─────────────────────────────────────────────────────────────────────
class _DelayScheduler:
    """Runs callables after a delay, in due-time then submission order, on one thread."""

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, Callable[[], None]]] = []
        self._seq = itertools.count()
        self._cond = threading.Condition()
        self._stopped = False
        self._thread = threading.Thread(target=self._run, name="sim-broker-delay", daemon=True)
        self._thread.start()

    def schedule(self, delay: float, task: Callable[[], None]) -> None:
        with self._cond:
            if self._stopped:
                return
            heapq.heappush(self._heap, (time.monotonic() + delay, next(self._seq), task))
            self._cond.notify()

    def stop(self, timeout: float = 5.0) -> None:
        with self._cond:
            self._stopped = True
            dropped = len(self._heap)
            self._heap.clear()
            self._cond.notify()
        if dropped:
            log.info("dropped %d delayed sends at shutdown", dropped)
        self._thread.join(timeout)

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._stopped:
                    if not self._heap:
                        self._cond.wait()
                        continue
                    wait = self._heap[0][0] - time.monotonic()
                    if wait <= 0:
                        break
                    self._cond.wait(wait)
                if self._stopped:
                    return
                _, _, task = heapq.heappop(self._heap)
            try:
                task()
            except Exception:
                log.exception("delayed send failed")


# ── the broker ──────────────────────────────────────────────────────────────────────────
class SimulatedBroker:
    """A FIX sell side: QuickFIX acceptor + matching model + control API for tests/demos.

    >>> broker = SimulatedBroker(BrokerConfig(port=0, data_dir=tmp))
    >>> broker.start(); broker.port
    >>> broker.set_price("AAPL", Decimal("189.50"))   # resting orders may fill
    >>> broker.stop()
    """

    def __init__(
        self, config: BrokerConfig | None = None, clock: Callable[[], datetime] = utc_now
    ) -> None:
        self.config = config or BrokerConfig()
        self._clock = clock
        matching = self.config.matching
        if not matching.id_prefix:
            # ExecIDs must be unique for the day: a restarted broker must not reuse its
            # last run's (the OMS would take them for resends and ignore them).
            matching = dataclasses.replace(matching, id_prefix=f"{clock():%H%M%S%f}-")
        self.engine = MatchingEngine(dict(self.config.prices), matching)
        self._walk = RandomWalk(
            self.config.walk_seed, self.config.walk_max_step_bps, self.config.tick_size
        )
        self._port = self.config.port
        self._sessions: dict[str, Any] = {}
        self._begin_strings: dict[str, str] = {}
        self._logged_on: set[str] = set()
        self._records: deque[FixRecord] = deque(maxlen=self.config.record_limit)
        self._cond = threading.Condition()
        self._gateway_echo: dict[tuple[str, str], dict[int, str]] = {}
        self._requests_seen: set[tuple[str, str]] = set()  # (session, ClOrdID) of D, F, G
        self._model_lock = threading.RLock()
        self._delay: _DelayScheduler | None = None
        self._ticker: threading.Thread | None = None
        self._ticker_stop = threading.Event()
        self._acceptor: Any = None
        self._application: _BrokerApplication | None = None
        self._settings: SessionSettingsBuilder | None = None

    # ── lifecycle ───────────────────────────────────────────────────────────────────
    @property
    def port(self) -> int:
        return self._port

    @property
    def running(self) -> bool:
        return self._acceptor is not None

    @property
    def log_dir(self) -> Path:
        """Where QuickFIX's FileLog writes: ``FIX.4.4-SIMBROKER-TOMS.messages.current.log``..."""
        return self.config.data_dir / "log"

    @property
    def settings(self) -> SessionSettingsBuilder | None:
        return self._settings

    def session_ids(self) -> list[str]:
        return sorted(self._sessions)

    def start(self, attempts: int = 5) -> None:
        """Listen. ``port=0`` in the config picks a free port (see ``port`` afterwards)."""
        if self._acceptor is not None:
            raise RuntimeError("the simulated broker is already running")
        self._check_sessions_free()
        self.config.data_dir.mkdir(parents=True, exist_ok=True)
        self._delay = _DelayScheduler() if self.config.latency_seconds > 0 else None
        self._application = _BrokerApplication(self)
        port, problem = self.config.port, None
        for _ in range(attempts if self.config.port == 0 else 1):
            port = self.config.port or free_port()
            problem = _port_problem(port)  # before QuickFIX objects exist: nothing to undo
            if problem is not None:
                continue
            try:
                self._start_acceptor(port)
                break
            except (fix.ConfigError, fix.RuntimeError, OSError) as exc:
                problem = str(exc)  # not the exception: its traceback would keep QuickFIX
                self._acceptor = None  # objects alive until a GC pass on some other thread
        if self._acceptor is None:
            self._application = None
            self._shutdown_workers()
            raise BrokerStartError(f"could not start the FIX acceptor on port {port}: {problem}")
        if self.config.tick_interval_seconds > 0:
            self._ticker_stop.clear()
            self._ticker = threading.Thread(
                target=self._tick_loop, name="sim-broker-ticker", daemon=True
            )
            self._ticker.start()
        log.info(
            "simulated broker listening on port %d for %s",
            self._port,
            ", ".join(self.config.begin_strings),
        )

    def _start_acceptor(self, port: int) -> None:
        c = self.config
        self._settings = acceptor_settings(
            port=port,
            data_dir=c.data_dir,
            sender_comp_id=c.sender_comp_id,
            target_comp_id=c.target_comp_id,
            begin_strings=c.begin_strings,
            reset_on_logon=c.reset_on_logon,
            file_log=c.file_log,
            extra=c.settings_overrides,
        )
        settings = self._settings.build()
        store = fix.FileStoreFactory(settings)
        # ThreadedSocketAcceptor, not SocketAcceptor: the latter's stop() closes its server
        # sockets from the calling thread while its reactor thread still uses them, which
        # segfaults now and then (seen with quickfix 1.16.0).
        if c.file_log:
            self._acceptor = fix.ThreadedSocketAcceptor(
                self._application, store, settings, fix.FileLogFactory(settings)
            )
        else:
            self._acceptor = fix.ThreadedSocketAcceptor(self._application, store, settings)
        self._acceptor.start()
        self._port = port

    def stop(self) -> None:
        """Log every session out, stop the threads. Safe to call twice."""
        self._ticker_stop.set()
        if self._ticker is not None:
            self._ticker.join(5)
            self._ticker = None
        acceptor, self._acceptor = self._acceptor, None
        if acceptor is not None:
            self._logout_all(timeout=5.0)
            try:
                acceptor.stop()
            except Exception:
                log.exception("acceptor.stop() failed")
            # Free the QuickFIX objects here, on this thread, not in a later GC pass.
            del acceptor
            self._application = None
        self._shutdown_workers()

    def _check_sessions_free(self) -> None:
        """QuickFIX keeps one process-wide registry of sessions: two acceptors with the same
        SessionID in one process would corrupt it."""
        c = self.config
        for begin in c.begin_strings:
            session_id = fix.SessionID(begin, c.sender_comp_id, c.target_comp_id)
            if fix.Session.lookupSession(session_id) is not None:
                raise BrokerStartError(
                    f"session {session_id.toString()} already exists in this process "
                    "(another simulated broker with the same CompIDs is running)"
                )

    def _logout_all(self, timeout: float) -> None:
        """Log every session out and wait for the Logout exchange, so that
        ``acceptor.stop()`` has nothing left to wait for (it polls once a second)."""
        with self._cond:
            live = [self._sessions[key] for key in self._logged_on if key in self._sessions]
        for session_id in live:
            session = fix.Session.lookupSession(session_id)
            if session is not None:
                session.logout("simulated broker shutting down")
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._logged_on:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    log.warning("sessions still logged on at shutdown: %s", sorted(self._logged_on))
                    return
                self._cond.wait(remaining)

    def _shutdown_workers(self) -> None:
        if self._delay is not None:
            self._delay.stop()
            self._delay = None

    def __enter__(self) -> SimulatedBroker:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ── control API (runs on the worker, waits for it) ──────────────────────────────
    def set_price(self, symbol: str, price: Decimal) -> list[Report]:
        """Move a reference price; triggered stops and crossed limits fill and report."""
        return self._control(lambda now: self.engine.set_price(symbol, price, now))

    def end_of_day(self) -> list[Report]:
        """Expire DAY orders (ExecType=Expired)."""
        return self._control(self.engine.end_of_day)

    def bust(self, exec_id: str) -> list[Report]:
        return self._control(lambda now: self.engine.bust(exec_id, now))

    def correct(
        self, exec_id: str, quantity: Decimal | None = None, price: Decimal | None = None
    ) -> list[Report]:
        return self._control(lambda now: self.engine.correct(exec_id, now, quantity, price))

    def unsolicited_cancel(self, cl_ord_id: str, session: str | None = None) -> list[Report]:
        return self._control(lambda now: self.engine.unsolicited_cancel(cl_ord_id, now, session))

    def restate(
        self, cl_ord_id: str, quantity: Decimal, session: str | None = None
    ) -> list[Report]:
        return self._control(lambda now: self.engine.restate(cl_ord_id, quantity, now, session))

    def done_for_day(self, cl_ord_id: str, session: str | None = None) -> list[Report]:
        return self._control(lambda now: self.engine.done_for_day(cl_ord_id, now, session))

    def order(self, cl_ord_id: str, session: str | None = None) -> SimOrder:
        """A copy of the broker's view of an order (any of its ClOrdIDs)."""

        def snapshot() -> SimOrder:
            o = self.engine.find(cl_ord_id, session)
            return dataclasses.replace(
                o, cl_ord_ids=list(o.cl_ord_ids), fills=[dataclasses.replace(f) for f in o.fills]
            )

        return self._on_model(snapshot)

    def prices(self) -> dict[str, Decimal]:
        return self._on_model(lambda: self.engine.prices)

    # ── observation ─────────────────────────────────────────────────────────────────
    @property
    def records(self) -> list[FixRecord]:
        with self._cond:
            return list(self._records)

    @property
    def received(self) -> list[FixRecord]:
        return [r for r in self.records if r.direction == "in"]

    @property
    def sent(self) -> list[FixRecord]:
        return [r for r in self.records if r.direction == "out"]

    def wait_for(
        self,
        predicate: Callable[[FixRecord], bool],
        timeout: float = 10.0,
        count: int = 1,
    ) -> list[FixRecord]:
        """Block until ``count`` records match ``predicate``; TimeoutError otherwise."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                hits = [r for r in self._records if predicate(r)]
                if len(hits) >= count:
                    return hits
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"only {len(hits)} of {count} expected FIX messages seen")
                self._cond.wait(remaining)

    def wait_received(
        self, msg_type: str, count: int = 1, timeout: float = 10.0
    ) -> list[FixRecord]:
        return self.wait_for(
            lambda r: r.direction == "in" and r.msg_type == msg_type, timeout, count
        )

    def wait_for_logon(self, session: str | None = None, timeout: float = 10.0) -> str:
        """The first logged-on session (or ``session``), waiting for it if need be."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                live = (
                    sorted(self._logged_on)
                    if session is None
                    else ([session] if session in self._logged_on else [])
                )
                if live:
                    return live[0]
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"no logon ({session or 'any session'}) within {timeout}s")
                self._cond.wait(remaining)

    def logged_on(self) -> list[str]:
        with self._cond:
            return sorted(self._logged_on)

    # ── callbacks (QuickFIX thread) ─────────────────────────────────────────────────
    def _on_create(self, session_id: Any) -> None:
        # Keep a copy: the argument refers to the Session's own SessionID, which dies with it.
        begin = session_id.getBeginString().getValue()
        copy = fix.SessionID(
            begin, session_id.getSenderCompID().getValue(), session_id.getTargetCompID().getValue()
        )
        key = copy.toString()
        self._sessions[key] = copy
        self._begin_strings[key] = begin

    def _on_logon(self, session_id: Any, on: bool) -> None:
        key = session_id.toString()
        with self._cond:
            if on:
                self._logged_on.add(key)
            else:
                self._logged_on.discard(key)
            self._cond.notify_all()
        log.info("%s %s", key, "logged on" if on else "logged out")

    def _record(self, direction: str, message: Any, session_id: Any) -> str:
        """Keep the message for tests and tools; return its wire text."""
        raw = str(message.toString())
        start = raw.find(SOH + "35=") + 4
        msg_type = raw[start : raw.find(SOH, start)] if start > 3 else "?"
        record = FixRecord(direction, session_id.toString(), msg_type, raw, self._clock())
        with self._cond:
            self._records.append(record)
            self._cond.notify_all()
        return raw

    def _on_app_message(self, message: Any, session_id: Any, raw: str) -> None:
        owner = session_id.toString()
        fields: FixFields | None = RawFields.of(raw)
        if fields is None:
            fields = QuickfixFields(message)
        msg_type = fields.get(35)
        engine = self.engine
        if msg_type in ("D", "F", "G"):
            key = (owner, fields.get(11) or "")
            if key in self._requests_seen and fields.get(97) == "Y":
                # PossResend of a request already received: the client could not tell
                # whether it went out (FIX 4.4 Vol. 1, "Possible Resends"); nothing to do.
                log.info("ignored PossResend %s for ClOrdID %s: already received", msg_type, key[1])
                return
            self._requests_seen.add(key)
        if msg_type == "D":
            request = _parse_new_order(fields, owner)
            if isinstance(request, NewOrder):
                self._submit(lambda now: engine.new_order(request, now))
            else:
                order, reason, text, echo = request
                self._gateway_echo[(owner, order.cl_ord_id)] = echo
                self._submit(lambda now: engine.reject_new(order, reason, text, now))
        elif msg_type == "F":
            cancel = _parse_cancel(fields, owner)
            self._submit(lambda now: engine.cancel(cancel, now))
        elif msg_type == "G":
            replace = _parse_replace(fields, owner)
            if isinstance(replace, ReplaceRequest):
                self._submit(lambda now: engine.replace(replace, now))
            else:
                refused, text = replace
                self._submit(
                    lambda now: engine.reject_change(
                        refused, CxlRejResponseTo.REPLACE, CxlRejReason.BROKER_OPTION, text, now
                    )
                )
        elif msg_type == "H":
            status = _parse_status(fields, owner)
            self._submit(lambda now: engine.status(status, now))
        elif msg_type == "J":
            self._on_allocation(message, owner)
        else:
            raise fix.UnsupportedMessageType()

    def _on_allocation(self, message: Any, owner: str) -> None:
        f = QuickfixFields(message)
        trans_type = _get(f, 71) or "0"
        alloc_id = _required(f, 70)
        if trans_type not in ("0", "1"):
            ack = AllocationAck(
                owner,
                alloc_id,
                AllocStatus.BLOCK_LEVEL_REJECT,
                self._clock(),
                _date(f, 75),
                AllocRejCode.OTHER,
                f"AllocTransType {trans_type} is not supported",
            )
            self._submit_ack(lambda now: ack)
            return
        request = _parse_allocation(message, owner)
        if trans_type == "1":  # replace: the earlier instruction with this AllocID goes away
            self._submit_ack(lambda now: self._reallocate(request, now))
        else:
            self._submit_ack(lambda now: self.engine.allocate(request, now))

    def _reallocate(self, request: AllocationRequest, now: datetime) -> AllocationAck:
        self.engine.forget_allocation(request.owner, request.alloc_id)
        return self.engine.allocate(request, now)

    def _business_reject(self, message: Any, session_id: Any, text: str) -> None:
        header = message.getHeader()
        reject = fix.Message()
        reject.getHeader().setField(35, "j")
        if header.isSetField(34):
            reject.setField(45, header.getField(34))
        reject.setField(372, header.getField(35) if header.isSetField(35) else "?")
        reject.setField(380, "0")
        reject.setField(58, text[:200])
        fix.Session.sendToTarget(reject, session_id)

    # ── the model, one caller at a time ───────────────────────────────────────────
    def _submit(self, operation: Callable[[datetime], list[Report]]) -> None:
        """From a QuickFIX callback: run the model and send what it returns, now."""
        try:
            self._on_model(lambda: self._dispatch(operation(self._clock())))
        except Exception:
            log.exception("simulated broker failed to handle a message")

    def _submit_ack(self, operation: Callable[[datetime], AllocationAck]) -> None:
        def task() -> None:
            ack = operation(self._clock())
            self._deliver(lambda: self._send(ack))

        try:
            self._on_model(task)
        except Exception:
            log.exception("simulated broker failed to handle an allocation")

    def _control(self, operation: Callable[[datetime], list[Report]]) -> list[Report]:
        def task() -> list[Report]:
            reports = operation(self._clock())
            self._dispatch(reports)
            return reports

        return self._on_model(task)

    def _on_model(self, task: Callable[[], T]) -> T:
        """Run ``task`` as the model's only user, on the calling thread. Reports are sent
        inside, so they leave in the order the model made them."""
        with self._model_lock:
            return task()

    def _dispatch(self, reports: list[Report]) -> None:
        if not reports:
            return

        def send_all() -> None:
            for report in reports:
                self._send(report)

        self._deliver(send_all)

    def _deliver(self, send: Callable[[], None]) -> None:
        if self._delay is not None:
            self._delay.schedule(self.config.latency_seconds, send)
        else:
            send()

    def _send(self, item: Report | AllocationAck) -> None:
        session_id = self._sessions.get(item.owner)
        if session_id is None:
            if self._acceptor is not None:
                log.warning("no FIX session %r for %s", item.owner, type(item).__name__)
            return
        begin = self._begin_strings[item.owner]
        try:
            if isinstance(item, ExecReport):
                message = _execution_report(item, begin, self._gateway_echo)
            elif isinstance(item, CancelReject):
                message = _cancel_reject(item, begin)
            else:
                message = _allocation_ack(item, begin)
            fix.Session.sendToTarget(message, session_id)
        except Exception:
            log.exception("could not send %s to %s", type(item).__name__, item.owner)

    def _tick_loop(self) -> None:
        while not self._ticker_stop.wait(self.config.tick_interval_seconds):
            try:
                self._control(self._tick)
            except Exception:
                if self._ticker_stop.is_set():
                    return
                log.exception("price tick failed")

    def _tick(self, now: datetime) -> list[Report]:
        reports: list[Report] = []
        for symbol, price in self._walk.step_all(self.engine.prices).items():
            reports += self.engine.set_price(symbol, price, now)
        return reports


# ── FIX -> requests ─────────────────────────────────────────────────────────────────────
class _GroupFields:
    """One entry of a repeating group, read like the message's fields."""

    def __init__(self, group: Any) -> None:
        self._group = group

    def get(self, tag: int) -> str | None:
        return str(self._group.getField(tag)) if self._group.isSetField(tag) else None


def _get(f: FixFields, tag: int) -> str | None:
    return f.get(tag)


def _required(f: FixFields, tag: int) -> str:
    value = _get(f, tag)
    if not value:
        raise fix.FieldNotFound(tag)
    return value


def _decimal(f: FixFields, tag: int, required: bool = False) -> Decimal | None:
    raw = _required(f, tag) if required else _get(f, tag)
    if raw is None or raw == "":
        return None
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise fix.IncorrectDataFormat(tag) from None
    if not value.is_finite():
        raise fix.IncorrectDataFormat(tag)
    return value


def _date(f: FixFields, tag: int) -> date | None:
    raw = _get(f, tag)
    if not raw:
        return None
    try:
        return datetime.strptime(raw, "%Y%m%d").replace(tzinfo=UTC).date()
    except ValueError:
        raise fix.IncorrectDataFormat(tag) from None


def _side(f: FixFields) -> Side:
    raw = _required(f, 54)
    try:
        return _SIDES[raw]
    except KeyError:
        raise fix.IncorrectTagValue(54) from None


def _parse_new_order(
    f: FixFields, owner: str
) -> NewOrder | tuple[NewOrder, OrdRejReason, str, dict[int, str]]:
    """The order, or (placeholder order, reason, text, fields to echo) for a reject."""
    cl_ord_id = _required(f, 11)
    symbol = _required(f, 55)
    raw_side, raw_type, raw_tif = _required(f, 54), _required(f, 40), _get(f, 59)
    quantity = _decimal(f, 38, required=True)
    assert quantity is not None
    order = NewOrder(
        cl_ord_id=cl_ord_id,
        symbol=symbol,
        side=_SIDES.get(raw_side, Side.BUY),
        order_type=_ORD_TYPES.get(raw_type, OrderType.MARKET),
        quantity=quantity,
        limit_price=_decimal(f, 44),
        stop_price=_decimal(f, 99),
        time_in_force=_TIFS.get(raw_tif or "0", TimeInForce.DAY),
        expire_date=_date(f, 432),
        account=_get(f, 1),
        text=_get(f, 58),
        owner=owner,
    )
    echo = {54: raw_side, 40: raw_type, **({59: raw_tif} if raw_tif else {})}
    unsupported = OrdRejReason.UNSUPPORTED_ORDER_CHARACTERISTIC
    if raw_side not in _SIDES:
        return order, unsupported, f"unsupported Side {raw_side!r}", echo
    if raw_type not in _ORD_TYPES:
        return order, unsupported, f"unsupported OrdType {raw_type!r}", echo
    if raw_tif is not None and raw_tif not in _TIFS:
        return order, unsupported, f"unsupported TimeInForce {raw_tif!r}", echo
    return order


def _parse_cancel(f: FixFields, owner: str) -> CancelRequest:
    return CancelRequest(
        cl_ord_id=_required(f, 11),
        orig_cl_ord_id=_required(f, 41),
        owner=owner,
        order_id=_order_id(f),
    )


def _parse_replace(f: FixFields, owner: str) -> ReplaceRequest | tuple[CancelRequest, str]:
    """The replace, or (the request to refuse, why) for terms the broker does not support."""
    cl, orig = _required(f, 11), _required(f, 41)
    raw_type, raw_tif = _required(f, 40), _get(f, 59)
    refused = CancelRequest(cl, orig, owner, _order_id(f))
    if raw_type not in _ORD_TYPES:
        return refused, f"unsupported OrdType {raw_type!r}"
    if raw_tif is not None and raw_tif not in _TIFS:
        return refused, f"unsupported TimeInForce {raw_tif!r}"
    quantity = _decimal(f, 38, required=True)
    assert quantity is not None
    return ReplaceRequest(
        cl_ord_id=cl,
        orig_cl_ord_id=orig,
        quantity=quantity,
        order_type=_ORD_TYPES[raw_type],
        limit_price=_decimal(f, 44),
        stop_price=_decimal(f, 99),
        time_in_force=_TIFS[raw_tif] if raw_tif else None,
        expire_date=_date(f, 432),
        owner=owner,
        order_id=_order_id(f),
        side=_side(f),
        symbol=_get(f, 55),
    )


def _parse_status(f: FixFields, owner: str) -> StatusRequest:
    raw_side = _get(f, 54)
    return StatusRequest(
        cl_ord_id=_required(f, 11),
        owner=owner,
        order_id=_order_id(f),
        symbol=_get(f, 55),
        side=_SIDES.get(raw_side) if raw_side else None,
    )


def _order_id(f: FixFields) -> str | None:
    value = _get(f, 37)
    return value if value and value != NO_ORDER_ID else None


def _parse_allocation(message: Any, owner: str) -> AllocationRequest:
    f = QuickfixFields(message)  # repeating groups: read through QuickFIX
    quantity = _decimal(f, 53, required=True)
    assert quantity is not None
    cl_ord_ids: list[str] = []
    order_ids: list[str] = []
    for i in range(1, _group_count(f, 73) + 1):
        group = fix.Group(73, 11)
        message.getGroup(i, group)
        if group.isSetField(11):
            cl_ord_ids.append(group.getField(11))
        elif group.isSetField(37):
            order_ids.append(group.getField(37))
    legs: list[AllocationLeg] = []
    for i in range(1, _group_count(f, 78) + 1):
        group = fix.Group(78, 79)
        message.getGroup(i, group)
        account = group.getField(79) if group.isSetField(79) else ""
        qty = _decimal(_GroupFields(group), 80) if group.isSetField(80) else None
        if qty is None:
            raise fix.FieldNotFound(80)
        legs.append(AllocationLeg(account, qty))
    return AllocationRequest(
        alloc_id=_required(f, 70),
        side=_side(f),
        symbol=_required(f, 55),
        quantity=quantity,
        avg_px=_decimal(f, 6),
        legs=tuple(legs),
        cl_ord_ids=tuple(cl_ord_ids),
        order_ids=tuple(order_ids),
        trade_date=_date(f, 75),
        owner=owner,
    )


def _group_count(f: FixFields, tag: int) -> int:
    raw = _get(f, tag)
    if raw is None:
        return 0
    try:
        return int(raw)
    except ValueError:
        raise fix.IncorrectDataFormat(tag) from None


# ── reports -> FIX ──────────────────────────────────────────────────────────────────────
def _new_message(msg_type: str) -> Any:
    message = fix.Message()
    message.getHeader().setField(35, msg_type)
    return message


def _execution_report(
    r: ExecReport, begin: str, echo: Mapping[tuple[str, str], Mapping[int, str]]
) -> Any:
    m = _new_message("8")
    if r.poss_dup:  # the same report again: PossResend, plus PossDupFlag set in toApp
        m.getHeader().setField(97, "Y")
    m.setField(37, r.order_id)
    m.setField(11, r.cl_ord_id)
    if r.orig_cl_ord_id:
        m.setField(41, r.orig_cl_ord_id)
    m.setField(17, r.exec_id)
    if r.exec_ref_id:
        m.setField(19, r.exec_ref_id)
    if begin == FIX42:
        m.setField(20, _EXEC_TRANS_TYPE_42.get(r.exec_type, "0"))
        m.setField(150, _exec_type_42(r))
    else:
        m.setField(150, r.exec_type.value)
    m.setField(39, r.ord_status.value)
    if r.ord_rej_reason is not None:
        code = int(r.ord_rej_reason)
        m.setField(103, str(_ORD_REJ_42.get(code, code) if begin == FIX42 else code))
    if r.restatement_reason is not None:
        m.setField(378, str(int(r.restatement_reason)))
    if r.account:
        m.setField(1, r.account)
    m.setField(55, r.symbol or "[N/A]")  # a status answer for an order nobody named
    m.setField(54, _SIDE_CODES[r.side])
    if r.order_qty > 0:
        m.setField(38, fmt(r.order_qty))
    m.setField(40, _ORD_TYPE_CODES[r.order_type])
    if r.limit_price is not None:
        m.setField(44, fmt(r.limit_price))
    if r.stop_price is not None:
        m.setField(99, fmt(r.stop_price))
    if r.time_in_force is not None:
        m.setField(59, _TIF_CODES[r.time_in_force])
    if r.expire_date is not None:
        m.setField(432, r.expire_date.strftime("%Y%m%d"))
    if r.last_px is not None or r.last_qty:
        m.setField(32, fmt(r.last_qty))
        m.setField(31, fmt(r.last_px or Decimal(0)))
    m.setField(151, fmt(r.leaves_qty))
    m.setField(14, fmt(r.cum_qty))
    m.setField(6, fmt(r.avg_px))
    m.setField(60, fix_timestamp(r.transact_time))
    if r.text:
        m.setField(58, r.text[:500])
    overrides = echo.get((r.owner, r.cl_ord_id))
    if overrides and r.exec_type in (ExecType.REJECTED, ExecType.ORDER_STATUS):
        for tag, value in overrides.items():
            m.setField(tag, value)
    return m


def _exec_type_42(r: ExecReport) -> str:
    """FIX 4.2 ExecType: fills are partial (1) or fill (2); busts, corrections and status
    answers (told apart by ExecTransType) carry the order's status as ExecType."""
    if r.exec_type is ExecType.TRADE:
        return "2" if r.cum_qty >= r.order_qty else "1"
    if r.exec_type in _EXEC_TRANS_TYPE_42:
        return r.ord_status.value
    return r.exec_type.value


def _cancel_reject(r: CancelReject, begin: str) -> Any:
    m = _new_message("9")
    m.setField(37, r.order_id)
    m.setField(11, r.cl_ord_id)
    m.setField(41, r.orig_cl_ord_id)
    m.setField(39, r.ord_status.value)
    m.setField(434, r.response_to.value)
    code = int(r.reason)
    m.setField(102, str(_CXL_REJ_42.get(code, code) if begin == FIX42 else code))
    if r.account:
        m.setField(1, r.account)
    m.setField(60, fix_timestamp(r.transact_time))
    if r.text:
        m.setField(58, r.text[:500])
    return m


def _allocation_ack(a: AllocationAck, begin: str) -> Any:
    m = _new_message("P")
    m.setField(70, a.alloc_id)
    m.setField(75, (a.trade_date or a.transact_time.date()).strftime("%Y%m%d"))
    m.setField(60, fix_timestamp(a.transact_time))
    m.setField(87, str(int(a.status)))
    if a.reject_code is not None:
        code = int(a.reject_code)
        m.setField(88, str(_ALLOC_REJ_42.get(code, code) if begin == FIX42 else code))
    if a.text:
        m.setField(58, a.text[:500])
    return m


def _printable(message: Any) -> str:
    try:
        return str(message.toString()).replace(SOH, "|")
    except Exception:
        return "<unprintable message>"
