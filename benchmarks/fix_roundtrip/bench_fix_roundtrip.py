"""FIX round trip: a raw QuickFIX pair against the toms path, in one run. Prints figures.

    .venv/bin/python benchmarks/fix_roundtrip/bench_fix_roundtrip.py [--orders N] [--warmup W]
        [--profile DIR] [--broker-process]

Everything runs in this process over real TCP on 127.0.0.1, with the same QuickFIX
configuration on both paths: FIX 4.4, FileStore + FileLog on both sides, data dictionary
validation, TCP_NODELAY (the settings toms writes for its initiator and the simulated broker
uses for its acceptor).

(a) raw QuickFIX: a SocketInitiator sends NewOrderSingle (D); a ThreadedSocketAcceptor
    answers each with one ExecutionReport (Fill); the initiator's ``fromApp`` takes the
    time. A second raw variant answers New + Fill (two reports), as the simulated broker
    does, to show what the second report costs without toms. A third puts toms's
    simulated broker behind the same raw initiator, with no OMS: the ceiling any OMS in
    front of that broker could reach, which splits the gap between the simulated broker's
    share and the OMS's.
(b) toms: ``Oms`` on SQLite in a temporary directory, compliance disabled, routing one
    block per order (market, 100 IBM) through the FIX adapter to ``SimulatedBroker``
    (one fill per order: it sends New, then Fill). Measured from the ``route_block`` call to
    the fill's commit, observed by an event sink (called by the writer right after the
    commit). Orders and blocks are created beforehand and not timed.

Load patterns, for each path:
    sequential   N round trips one after the other (the next order leaves when the last
                 fill is in): latency p50 / p99, and the orders/s that gives;
    burst        N orders sent back to back without waiting for fills (toms: one
                 ``route_block`` call after the other, each returning once the order is
                 stored and sent); orders/s = N / (first send -> last fill), and the latency
                 each order saw under that load.

Targets: toms burst throughput >= 50% of raw; toms sequential p50 <= 2x raw.
``--profile DIR`` adds diagnostics to the toms runs: time and SQL statements per engine
command and a timeline of the round trip (when each step happens on either side of the
session) during the sequential run, and a cProfile per thread (engine commands on the
thread that called them, QuickFIX callbacks of both sides) during the burst, written to DIR
with the top functions of all threads printed.
The toms figures of a profiled run are slower than those of a plain run.
``--broker-process`` runs the toms path once more against ``toms sim-broker`` in a process
of its own (same settings), as a real broker would be; its figures are printed beside the
targeted ones, which keep both sides of both pairs in this process.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import logging
import os
import platform
import pstats
import queue
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from decimal import Decimal
from importlib import metadata
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import quickfix as fix

from toms.app import Oms
from toms.config import BrokerSettings, load_settings
from toms.domain.ids import BrokerId
from toms.domain.values import OrderType, Side
from toms.fix.session import initiator_settings
from toms.net import free_port
from toms.simulator.acceptor import SimulatedBroker
from toms.simulator.config import BrokerConfig
from toms.simulator.matching import FillPolicy, MatchingConfig
from toms.simulator.settings import acceptor_settings

WAIT = 60.0
SYMBOL = "IBM"
QTY = Decimal(100)
PRICE = "180"


# ── figures ─────────────────────────────────────────────────────────────────────────────
@dataclass(frozen=True)
class Run:
    label: str
    orders: int
    seconds: float  # first send -> last fill
    latencies_ms: list[float]

    @property
    def rate(self) -> float:
        return self.orders / self.seconds

    def pct(self, p: float) -> float:
        xs = sorted(self.latencies_ms)
        return xs[min(len(xs) - 1, round(p / 100 * (len(xs) - 1)))]

    def line(self) -> str:
        return (
            f"  {self.label:<38} {self.rate:9,.0f} orders/s   p50 {self.pct(50):7.2f} ms   "
            f"p99 {self.pct(99):7.2f} ms   max {max(self.latencies_ms):7.2f} ms"
        )


class Stamps:
    """Arrival times by key, with a wait: filled from QuickFIX or the writer. The
    waiter is woken once, when the last key it waits for arrives (re-checking every key
    on every arrival would cost the burst quadratic time on the GIL)."""

    def __init__(self) -> None:
        self._at: dict[str, float] = {}
        self._awaited: set[str] = set()
        self._cond = threading.Condition()

    def stamp(self, key: str) -> None:
        now = time.perf_counter()
        with self._cond:
            if key not in self._at:
                self._at[key] = now
                if key in self._awaited:
                    self._awaited.discard(key)
                    if not self._awaited:
                        self._cond.notify_all()

    def wait(self, keys: list[str], timeout: float = WAIT) -> list[float]:
        with self._cond:
            self._awaited = {k for k in keys if k not in self._at}
            if not self._cond.wait_for(lambda: not self._awaited, timeout):
                missing = len(self._awaited)
                raise TimeoutError(f"{missing} of {len(keys)} round trips did not complete")
            return [self._at[k] for k in keys]


def measure(
    label: str,
    keys: list[str],
    send: Callable[[str], None],
    arrivals: Callable[[list[str]], list[float]],
    sequential: bool,
) -> Run:
    """Send one order per key; ``arrivals(keys)`` waits for their fills and gives the times."""
    sent: list[float] = []
    start = time.perf_counter()
    for key in keys:
        sent.append(time.perf_counter())
        send(key)
        if sequential:
            arrivals([key])
    done = arrivals(keys)
    return Run(
        label,
        len(keys),
        max(done) - start,
        [(d - s) * 1000 for s, d in zip(sent, done, strict=True)],
    )


# ── (a) raw QuickFIX ────────────────────────────────────────────────────────────────────
class RawBroker(fix.Application):  # type: ignore[misc]
    """Answers every NewOrderSingle with a Fill (and, if asked, a New before it)."""

    def __init__(self, with_new_ack: bool) -> None:
        super().__init__()
        self.with_new_ack = with_new_ack
        self._exec_seq = 0
        self._lock = threading.Lock()

    def onCreate(self, session_id: Any) -> None:
        pass

    def onLogon(self, session_id: Any) -> None:
        pass

    def onLogout(self, session_id: Any) -> None:
        pass

    def toAdmin(self, message: Any, session_id: Any) -> None:
        pass

    def fromAdmin(self, message: Any, session_id: Any) -> None:
        pass

    def toApp(self, message: Any, session_id: Any) -> None:
        pass

    def fromApp(self, message: Any, session_id: Any) -> None:
        try:
            if message.getHeader().getField(35) != "D":
                return
            cl_ord_id, qty = message.getField(11), message.getField(38)
            side, symbol = message.getField(54), message.getField(55)
            if self.with_new_ack:
                fix.Session.sendToTarget(
                    self._report(cl_ord_id, symbol, side, qty, "0", "0", "0"), session_id
                )
            fix.Session.sendToTarget(
                self._report(cl_ord_id, symbol, side, qty, "F", "2", qty), session_id
            )
        except Exception:  # never into the SWIG director
            logging.exception("raw broker failed")

    def _report(
        self, cl: str, symbol: str, side: str, qty: str, exec_type: str, status: str, cum: str
    ) -> Any:
        with self._lock:
            self._exec_seq += 1
            exec_id = f"X{self._exec_seq}"
        filled = exec_type == "F"
        m = fix.Message()
        m.getHeader().setField(35, "8")
        for tag, value in (
            (37, f"O-{cl}"),
            (11, cl),
            (17, exec_id),
            (150, exec_type),
            (39, status),
            (55, symbol),
            (54, side),
            (38, qty),
            (40, "1"),
            *(((32, qty), (31, PRICE)) if filled else ()),
            (151, "0" if filled else qty),
            (14, cum),
            (6, PRICE if filled else "0"),
            (60, time.strftime("%Y%m%d-%H:%M:%S.000", time.gmtime())),
        ):
            m.setField(tag, value)
        return m


class RawClient(fix.Application):  # type: ignore[misc]
    """Sends NewOrderSingle; stamps the Fill's arrival by ClOrdID."""

    def __init__(self, stamps: Stamps) -> None:
        super().__init__()
        self.stamps = stamps
        self.logged_on = threading.Event()
        self.session_id: Any = None

    def onCreate(self, session_id: Any) -> None:
        self.session_id = session_id

    def onLogon(self, session_id: Any) -> None:
        self.logged_on.set()

    def onLogout(self, session_id: Any) -> None:
        self.logged_on.clear()

    def toAdmin(self, message: Any, session_id: Any) -> None:
        pass

    def fromAdmin(self, message: Any, session_id: Any) -> None:
        pass

    def toApp(self, message: Any, session_id: Any) -> None:
        pass

    def fromApp(self, message: Any, session_id: Any) -> None:
        try:
            if message.getField(150) == "F":
                self.stamps.stamp(message.getField(11))
        except Exception:
            logging.exception("raw client failed")

    def send(self, cl_ord_id: str) -> None:
        m = fix.Message()
        m.getHeader().setField(35, "D")
        now = time.strftime("%Y%m%d-%H:%M:%S.000", time.gmtime())
        for tag, value in (
            (11, cl_ord_id),
            (1, "BLOCK"),
            (21, "1"),
            (55, SYMBOL),
            (54, "1"),
            (60, now),
            (38, str(QTY)),
            (40, "1"),
        ):
            m.setField(tag, value)
        if not fix.Session.sendToTarget(m, self.session_id):
            raise RuntimeError("QuickFIX refused to send")


# The acceptors a raw initiator can face: the bare QuickFIX broker answering Fill only or
# New + Fill, and toms's own simulated broker with no OMS in front of it.
FILL_ONLY, NEW_AND_FILL, TOMS_SIMULATOR = "raw, Fill only", "raw, New+Fill", "raw -> toms simulator"


def simulated_broker(data_dir: Path) -> SimulatedBroker:
    """The toms path's counterparty: one full fill per order, answered at once."""
    return SimulatedBroker(
        BrokerConfig(
            port=0,
            data_dir=data_dir,
            begin_strings=("FIX.4.4",),
            reset_on_logon=True,
            prices={SYMBOL: Decimal(PRICE)},
            matching=MatchingConfig(fill_policy=FillPolicy(partial_fills=1)),
        )
    )


@contextmanager
def raw_counterparty(kind: str, workdir: Path) -> Iterator[tuple[int, str, str]]:
    """A running acceptor of ``kind``: yields its port, its CompID and the client's."""
    if kind == TOMS_SIMULATOR:
        broker = simulated_broker(workdir / "sim")
        broker.start()
        try:
            yield broker.port, "SIMBROKER", "TOMS"
        finally:
            broker.stop()
        return
    port = free_port()
    acceptor_cfg = acceptor_settings(
        port=port,
        data_dir=workdir / "acceptor",
        sender_comp_id="RAWBROKER",
        target_comp_id="RAWCLIENT",
        begin_strings=("FIX.4.4",),
        reset_on_logon=True,
    ).build()
    acceptor = fix.ThreadedSocketAcceptor(
        RawBroker(with_new_ack=kind == NEW_AND_FILL),
        fix.FileStoreFactory(acceptor_cfg),
        acceptor_cfg,
        fix.FileLogFactory(acceptor_cfg),
    )
    acceptor.start()
    try:
        yield port, "RAWBROKER", "RAWCLIENT"
    finally:
        acceptor.stop()
        del acceptor  # unregister the sessions now (QuickFIX's global registry)


def raw_runs(n: int, warmup: int, workdir: Path, kind: str) -> tuple[Run, Run]:
    """A raw QuickFIX initiator against the acceptor ``kind``: sequential and burst runs."""
    with raw_counterparty(kind, workdir) as (port, broker_comp_id, client_comp_id):
        client_broker = BrokerSettings(
            BrokerId("RAW"),
            "FIX.4.4",
            client_comp_id,
            broker_comp_id,
            "127.0.0.1",
            port,
            heartbeat_seconds=30,
            reconnect_seconds=1,
            reset_on_logon=True,
        )
        ini = workdir / "initiator.cfg"
        ini.write_text(initiator_settings([client_broker], workdir / "initiator"))
        initiator_cfg = fix.SessionSettings(str(ini))
        stamps = Stamps()
        client = RawClient(stamps)
        initiator = fix.SocketInitiator(
            client,
            fix.FileStoreFactory(initiator_cfg),
            initiator_cfg,
            fix.FileLogFactory(initiator_cfg),
        )
        initiator.start()
        try:
            return _timed_runs(n, warmup, kind, client, stamps)
        finally:
            initiator.stop()
            del initiator


def _timed_runs(
    n: int, warmup: int, tag: str, client: RawClient, stamps: Stamps
) -> tuple[Run, Run]:
    if not client.logged_on.wait(WAIT):
        raise RuntimeError("raw initiator did not log on")
    runs: list[Run] = []
    for label, prefix, count, sequential in (
        ("warm-up", "W", warmup, False),
        (f"{tag}, sequential", "S", n, True),
        (f"{tag}, burst", "B", n, False),
    ):
        keys = [f"{prefix}{i}" for i in range(count)]
        runs.append(measure(label, keys, client.send, stamps.wait, sequential))
    return runs[1], runs[2]


# ── (b) toms ────────────────────────────────────────────────────────────────────────────
class TomsPath:
    """Blocks prepared in advance; ``send(key)`` routes the next one. Also the event sink
    that stamps each routed order's first committed fill (by the writer, right after the
    commit), and the stamps to wait on by bench key."""

    def __init__(self, oms: Oms) -> None:
        self.oms = oms
        self.blocks: list[str] = []
        self.routed: dict[str, str] = {}  # bench key -> routed order id
        self.stamps = Stamps()
        oms.subscribe(self)

    def publish(self, events: list[dict[str, object]]) -> None:
        for e in events:
            if e["type"] == "FillBooked":
                self.stamps.stamp(str(e["entity_id"]))

    def prepare(self, count: int) -> None:
        for _ in range(count):
            order = self.oms.submit_order(
                account_id="GROWTH",
                symbol=SYMBOL,
                side=Side.BUY,
                quantity=QTY,
                order_type=OrderType.MARKET,
                user="bench",
            )
            self.blocks.append(self.oms.create_block([order.order_id], "bench").block_id)

    def send(self, key: str) -> None:
        routed = self.oms.route_block(
            self.blocks.pop(), broker="SIM", order_type=OrderType.MARKET, user="bench"
        )
        self.routed[key] = routed.routed_order_id

    def arrivals(self, keys: list[str]) -> list[float]:
        return self.stamps.wait([self.routed[k] for k in keys])

    def run(self, label: str, keys: list[str], sequential: bool) -> Run:
        return measure(label, keys, self.send, self.arrivals, sequential)


class BrokerProcess:
    """``toms sim-broker`` in a process of its own, as a real broker would be, so its
    Python does not share the OMS's GIL. Same settings as the in-process broker."""

    SETTINGS = """\
[broker]
port = {port}
data_dir = "{data_dir}"
sender_comp_id = "SIMBROKER"
target_comp_id = "TOMS"
fix_versions = ["FIX.4.4"]
reset_on_logon = true
latency_ms = 0
seed = 0
id_prefix = ""
[market]
tick_interval_seconds = 0
[fills]
partial_fills = 1
[symbols]
{symbol} = {{ price = "{price}" }}
"""

    def __init__(self, workdir: Path) -> None:
        workdir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self._config = workdir / "sim_broker.toml"
        self._config.write_text(
            self.SETTINGS.format(
                port=self.port, data_dir=workdir / "data", symbol=SYMBOL, price=PRICE
            )
        )
        self._process: subprocess.Popen[str] | None = None

    def start(self) -> None:
        command = [sys.executable, "-m", "toms", "sim-broker", "--config", str(self._config)]
        self._process = process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
        lines: queue.Queue[str] = queue.Queue()

        def read() -> None:  # drains its output for as long as it runs
            assert process.stdout is not None
            for line in process.stdout:
                lines.put(line)
            lines.put("")

        threading.Thread(target=read, name="broker-process-output", daemon=True).start()
        while not (line := lines.get(timeout=WAIT)).startswith("simulated broker listening"):
            if not line:
                raise RuntimeError(f"toms sim-broker exited with {process.wait()}")

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait(WAIT)


def toms_runs(
    n: int, warmup: int, workdir: Path, profile_dir: Path | None, broker_process: bool = False
) -> tuple[Run, Run]:
    broker: SimulatedBroker | BrokerProcess = (
        BrokerProcess(workdir / "sim") if broker_process else simulated_broker(workdir / "sim")
    )
    broker.start()
    name = "toms, broker process" if broker_process else "toms"
    sim = BrokerSettings(
        BrokerId("SIM"),
        "FIX.4.4",
        "TOMS",
        "SIMBROKER",
        "127.0.0.1",
        broker.port,
        heartbeat_seconds=30,
        reconnect_seconds=1,
        reset_on_logon=True,
    )
    settings = replace(
        load_settings(),
        database_url=f"sqlite:///{workdir / 'toms.db'}",
        data_dir=workdir / "oms",
        brokers=(sim,),
        compliance={},
    )
    oms = Oms(settings).start()
    try:
        if not oms.fix.wait_logged_on("SIM", WAIT):
            raise RuntimeError("toms did not log on to the simulated broker")
        path = TomsPath(oms)
        path.prepare(warmup + 2 * n)
        path.run("warm-up", [f"W{i}" for i in range(warmup)], False)
        if profile_dir is None:
            seq = path.run(f"{name}, sequential", [f"S{i}" for i in range(n)], True)
            burst = path.run(f"{name}, burst", [f"B{i}" for i in range(n)], False)
            return seq, burst
        # Profiled: engine breakdown and timeline on the sequential run, cProfile on the burst.
        breakdown = EngineBreakdown(oms)
        with Timeline(path) as timeline:
            seq = path.run("toms, sequential (timed)", [f"S{i}" for i in range(n)], True)
        breakdown.close()
        breakdown.report(n)
        timeline.report()
        with ThreadProfiler(oms, profile_dir):
            burst = path.run("toms, burst (under cProfile)", [f"B{i}" for i in range(n)], False)
        return seq, burst
    finally:
        oms.stop()
        broker.stop()


# ── diagnostics (--profile) ─────────────────────────────────────────────────────────────
class Patches:
    """Methods replaced by a diagnostic, put back when it ends."""

    def __init__(self) -> None:
        self._originals: list[tuple[type, str, Any]] = []

    def wrap(self, cls: type, name: str, wrapper: Callable[[Any], Any]) -> None:
        original = cls.__dict__[name]
        self._originals.append((cls, name, original))
        setattr(cls, name, wrapper(original))

    def restore(self) -> None:
        while self._originals:
            cls, name, original = self._originals.pop()
            setattr(cls, name, original)


class Timeline:
    """When each step of a sequential round trip happens, on both sides of the session:
    the median time of each mark after ``route_block`` was called. Shows where the
    round trip's time goes between the OMS, QuickFIX and the simulated broker; the writer
    commands themselves are broken down by ``EngineBreakdown``."""

    def __init__(self, path: TomsPath) -> None:
        from toms.fix.application import OmsApplication
        from toms.fix.gateway import QuickFixGateway
        from toms.simulator.acceptor import SimulatedBroker, _BrokerApplication

        self._marks: list[tuple[str, float]] = []  # of the order in flight
        self._in_flight = 0  # calls entered and not yet returned
        self._cond = threading.Condition()
        self._orders: list[dict[str, float]] = []
        self._patches = Patches()
        self._steps = (
            (TomsPath, "send", "route_block"),
            (QuickFixGateway, "_send", "toms: D to QuickFIX"),
            (_BrokerApplication, "fromApp", "broker: fromApp"),
            (SimulatedBroker, "_send", "broker: report to QuickFIX"),
            (OmsApplication, "fromApp", "toms: fromApp (report committed on return)"),
        )

    def _mark(self, label: str, entering: bool) -> None:
        at = time.perf_counter()
        with self._cond:
            self._marks.append((f"{label} {'>' if entering else '<'}", at))
            self._in_flight += 1 if entering else -1
            if not self._in_flight:
                self._cond.notify_all()

    def _timed(self, label: str) -> Callable[[Any], Any]:
        def wrapper(fn: Callable[..., Any]) -> Callable[..., Any]:
            def timed(*args: Any, **kwargs: Any) -> Any:
                self._mark(label, True)
                try:
                    return fn(*args, **kwargs)
                finally:
                    self._mark(label, False)

            return timed

        return wrapper

    def __enter__(self) -> Timeline:
        for cls, name, label in self._steps:
            self._patches.wrap(cls, name, self._timed(label))

        def new_order(fn: Callable[..., Any]) -> Callable[..., Any]:
            def send(path: TomsPath, key: str) -> None:
                self._close_order()
                fn(path, key)

            return send

        self._patches.wrap(TomsPath, "send", new_order)
        return self

    def _close_order(self) -> None:
        """Once every call of the order just finished has returned (the fill is stamped
        before the OMS's ``fromApp`` returns), turn its marks into offsets from its start;
        a step's second call is labelled #2 (the broker sends New, then Fill)."""
        with self._cond:
            if not self._cond.wait_for(lambda: not self._in_flight, WAIT):
                raise TimeoutError(f"{self._in_flight} calls of the round trip did not return")
            marks, self._marks = self._marks, []
        if not marks:
            return
        start = marks[0][1]
        seen: dict[str, int] = defaultdict(int)
        offsets: dict[str, float] = {}
        for label, at in marks:
            seen[label] += 1
            offsets[f"{label} #{seen[label]}" if seen[label] > 1 else label] = (at - start) * 1e6
        self._orders.append(offsets)

    def __exit__(self, *exc: object) -> None:
        self._close_order()
        self._patches.restore()

    def report(self) -> None:
        orders = self._orders
        labels = {label for order in orders for label in order}
        rows = sorted(
            (statistics.median(o[label] for o in orders if label in o), label) for label in labels
        )
        print(
            f"\ntimeline of a sequential round trip ({len(orders)} orders): median µs after "
            "route_block is called; > a call starts, < it returns"
        )
        for offset, label in rows:
            print(f"  {offset:8.0f}  {label}")


class EngineBreakdown:
    """Wall time and SQL statements of each engine command (run under the writer lock, on
    whichever thread asked). Light: a clock read per command and a counter per statement."""

    def __init__(self, oms: Oms) -> None:
        self._oms = oms
        self.stats: dict[str, list[float]] = defaultdict(lambda: [0, 0.0, 0])
        self._statements = 0
        breakdown, self._codec = self, oms.database.codec
        base_sql = self._codec.sql

        class CountingCodec(self._codec):  # type: ignore[name-defined, misc]
            @staticmethod
            def sql(text: str) -> str:
                breakdown._statements += 1
                return base_sql(text)

        oms.database.codec = CountingCodec
        engine = oms.engine
        original = type(engine).call

        def call(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
            name = getattr(fn, "__name__", repr(fn))
            if name == "apply_execution_report":
                name = f"apply_execution_report ({args[2].kind.value})"

            def timed(*a: Any, **kw: Any) -> Any:
                self._statements = 0
                start = time.perf_counter()
                try:
                    return fn(*a, **kw)
                finally:
                    row = self.stats[name]
                    row[0] += 1
                    row[1] += time.perf_counter() - start
                    row[2] += self._statements

            return original(engine, timed, *args, **kwargs)

        engine.call = call  # type: ignore[method-assign]

    def close(self) -> None:
        del self._oms.engine.call
        self._oms.database.codec = self._codec

    def report(self, orders: int) -> None:
        print(f"\nengine commands, sequential run ({orders} orders): time and SQL per command")
        total = 0.0
        for name, (calls, seconds, statements) in sorted(
            self.stats.items(), key=lambda kv: -kv[1][1]
        ):
            total += seconds
            print(
                f"  {name:<36} {int(calls):5} calls  {seconds / calls * 1000:6.2f} ms/call  "
                f"{statements / calls:5.1f} SQL/call"
            )
        print(f"  writer busy {total / orders * 1000:.2f} ms per order")


class ThreadProfiler:
    """cProfile per thread for everything toms runs: the engine commands (on the thread
    that called them) and each QuickFIX callback of the OMS and of the simulated broker.
    Writes one .prof per thread and prints where the time of all of them goes."""

    def __init__(self, oms: Oms, out: Path) -> None:
        from toms.fix.application import OmsApplication
        from toms.simulator.acceptor import _BrokerApplication

        self._out = out
        self._oms = oms
        self._profiles: dict[str, cProfile.Profile] = {}
        self._lock = threading.Lock()
        self._depth = threading.local()  # a command inside a callback is profiled once
        self._targets = [
            (cls, name)
            for cls in (OmsApplication, _BrokerApplication)
            for name in ("fromApp", "toApp")
        ]
        self._patches = Patches()

    def _profile(self) -> cProfile.Profile:
        key = threading.current_thread().name
        with self._lock:
            prof = self._profiles.get(key)
            if prof is None:
                prof = self._profiles[key] = cProfile.Profile()
        return prof

    def _wrap(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        def profiled(*args: Any, **kwargs: Any) -> Any:
            depth = getattr(self._depth, "n", 0)
            if depth:
                return fn(*args, **kwargs)
            prof = self._profile()
            self._depth.n = 1
            prof.enable()
            try:
                return fn(*args, **kwargs)
            finally:
                prof.disable()
                self._depth.n = 0

        return profiled

    def __enter__(self) -> ThreadProfiler:
        for cls, name in self._targets:
            self._patches.wrap(cls, name, self._wrap)
        engine = self._oms.engine
        engine.call = self._wrap(engine.call)  # type: ignore[method-assign]
        return self

    def __exit__(self, *exc: object) -> None:
        del self._oms.engine.call
        self._patches.restore()
        self._out.mkdir(parents=True, exist_ok=True)
        print(f"\ncProfile of the toms burst, one file per thread in {self._out}:")
        for key, prof in sorted(self._profiles.items()):
            path = self._out / f"{key}.prof"
            prof.dump_stats(str(path))
            stats = pstats.Stats(prof)
            print(f"  {path.name:<32} {stats.total_tt:7.2f} s profiled")  # type: ignore[attr-defined]
        if not self._profiles:
            return
        for restriction, order in ((r"toms/", "cumulative"), ("", "tottime")):
            text = io.StringIO()
            stats = pstats.Stats(*self._profiles.values(), stream=text).sort_stats(order)
            stats.print_stats(restriction, 15) if restriction else stats.print_stats(15)
            lines = text.getvalue().splitlines()
            head = next(i for i, line in enumerate(lines) if "ncalls" in line)
            print(f"\n  all threads, top by {order}{' (toms code)' if restriction else ''}:")
            print("\n".join("  " + line for line in lines[head:] if line.strip()))


# ── main ────────────────────────────────────────────────────────────────────────────────
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=500, help="orders per load pattern")
    parser.add_argument("--warmup", type=int, default=50)
    parser.add_argument("--profile", type=Path, default=None, help="write cProfile files here")
    parser.add_argument(
        "--broker-process",
        action="store_true",
        help="also run the toms path against `toms sim-broker` in its own process",
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    print(
        f"FIX round trip, {args.orders} orders per pattern (+{args.warmup} warm-up); "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"quickfix {metadata.version('quickfix')}, SQLite {sqlite3.sqlite_version}"
    )
    with tempfile.TemporaryDirectory(prefix="bench-fix-") as tmp:
        work = Path(tmp)
        raw_seq, raw_burst = raw_runs(args.orders, args.warmup, work / "raw1", FILL_ONLY)
        raw2_seq, raw2_burst = raw_runs(args.orders, args.warmup, work / "raw2", NEW_AND_FILL)
        sim_seq, sim_burst = raw_runs(args.orders, args.warmup, work / "raw3", TOMS_SIMULATOR)
        toms_seq, toms_burst = toms_runs(args.orders, args.warmup, work / "toms", args.profile)
        apart = (
            toms_runs(args.orders, args.warmup, work / "toms-apart", None, broker_process=True)
            if args.broker_process
            else ()
        )
    print("\nsequential: one order in flight; burst: all orders sent back to back")
    for run in (
        *(raw_seq, raw_burst, raw2_seq, raw2_burst, sim_seq, sim_burst),
        *(toms_seq, toms_burst, *apart),
    ):
        print(run.line())

    def against_raw(title: str, seq: Run, burst: Run, base: tuple[Run, Run], target: bool) -> None:
        tput, p50 = burst.rate / base[1].rate, seq.pct(50) / base[0].pct(50)
        print(title)
        tput_mark = f"   target >= 0.50   {'PASS' if tput >= 0.5 else 'MISS'}" if target else ""
        p50_mark = f"   target <= 2.00   {'PASS' if p50 <= 2.0 else 'MISS'}" if target else ""
        print(f"  throughput (burst)   /raw = {tput:5.2f}{tput_mark}")
        print(f"  latency p50 (seq)    /raw = {p50:5.2f}{p50_mark}")

    fill_only, new_and_fill = (raw_seq, raw_burst), (raw2_seq, raw2_burst)
    against_raw(
        "\ntoms against raw (Fill only), as targeted:", toms_seq, toms_burst, fill_only, True
    )
    against_raw(
        "toms against raw (New+Fill: the same two reports the simulated broker sends):",
        toms_seq,
        toms_burst,
        new_and_fill,
        False,
    )
    against_raw(
        "the simulated broker alone (raw client, no OMS) against raw (Fill only): the best\n"
        "any OMS could reach in front of it, on this machine",
        sim_seq,
        sim_burst,
        fill_only,
        False,
    )
    if apart:
        against_raw(
            "toms with the broker in its own process against raw (Fill only), not targeted:",
            *apart,
            fill_only,
            False,
        )


if __name__ == "__main__":
    main()
