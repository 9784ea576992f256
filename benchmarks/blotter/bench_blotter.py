"""Benchmark: the blotter's GUI side under a big book and heavy fill traffic.

Targets: 50,000 orders loaded to first paint in under 2 s; 1,000 updates a second for 30 s
with the event loop's p99 latency under 100 ms.

    .venv/bin/python benchmarks/blotter/bench_blotter.py [--rows N] [--rate N]
        [--seconds N] [--sort COLUMN] [--filter STATE]

No server: the records are fed to the real main window (models, filter proxies, progress
bar delegate, views on screen; offscreen unless QT_QPA_PLATFORM says otherwise) through
the same path the API's answers take. Load: 50,000 broker orders (and, separately, 50,000
PM orders) as the API's JSON dicts, timed from the model call to the end of the table's
first paint. Traffic: a feeder thread (standing in for the event stream and the API
workers) emits a batch of fill updates every 10 ms (partial fills, then filled, each with
a new version) as a queued Qt signal; the GUI thread applies them with
``BlotterSync.apply_routed``. Measured: a 10 ms probe timer's lateness (event-loop latency:
what a trader's click would wait) and each batch's delivery latency (emitted on the feeder
thread -> shown in the model).
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import sys
import threading
import time
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PyQt6.QtCore import PYQT_VERSION_STR, QT_VERSION_STR, QEvent, QObject, Qt, QTimer, pyqtSignal
from PyQt6.QtWidgets import QApplication

from toms.blotter.main_window import MainWindow

PROBE_MS = 10
BATCHES_PER_SECOND = 100
SYMBOLS = ("IBM", "AAPL", "MSFT", "JPM", "NVDA", "SAP", "XOM", "TLT", "SPY")


def routed_record(n: int) -> dict[str, Any]:
    qty = 100 * (1 + n % 50)
    return {
        "routed_order_id": f"RO-{n:012d}",
        "block_id": f"BLK-{n:012d}",
        "broker": "SIM" if n % 3 else "SIM42",
        "symbol": SYMBOLS[n % len(SYMBOLS)],
        "side": "buy" if n % 2 else "sell",
        "order_type": "limit",
        "quantity": str(qty),
        "limit_price": f"{100 + n % 97}.{n % 100:02d}",
        "stop_price": None,
        "time_in_force": "day",
        "status": "new",
        "cl_ord_id": f"C-{n:012d}",
        "broker_order_id": f"O{n:08d}",
        "filled_quantity": "0",
        "leaves_quantity": str(qty),
        "avg_price": None,
        "created_at": "2026-11-20T14:30:00+00:00",
        "last_fill_at": None,
        "pending": None,
        "version": 1,
    }


def order_record(n: int) -> dict[str, Any]:
    return {
        "order_id": f"ORD-{n:012d}",
        "account_id": f"ACC{n % 500:04d}",
        "symbol": SYMBOLS[n % len(SYMBOLS)],
        "side": "buy" if n % 2 else "sell",
        "quantity": str(100 * (1 + n % 50)),
        "order_type": "market",
        "limit_price": None,
        "stop_price": None,
        "time_in_force": "day",
        "status": "accepted",
        "filled_quantity": "0",
        "avg_price": None,
        "block_id": None,
        "created_at": "2026-11-20T14:30:00+00:00",
        "created_by": "pm",
        "note": "",
        "compliance": {"verdict": "pass", "blocking": [], "warnings": [], "messages": []},
    }


class PaintWatch(QObject):
    """Notes when a widget has handled a paint event."""

    def __init__(self) -> None:
        super().__init__()
        self.painted = False

    def eventFilter(self, obj: QObject | None, event: QEvent | None) -> bool:
        if event is not None and event.type() == QEvent.Type.Paint:
            self.painted = True
        return False


def first_paint(app: QApplication, table: Any, load: Any) -> float:
    watch = PaintWatch()
    viewport = table.viewport()
    viewport.installEventFilter(watch)
    app.processEvents()
    watch.painted = False
    start = time.perf_counter()
    load()
    while not watch.painted:
        app.processEvents()
    app.processEvents()  # the paint event itself finishes inside this pass
    seconds = time.perf_counter() - start
    viewport.removeEventFilter(watch)
    return seconds


class Feeder(QObject):
    """Stands in for the event stream and the API workers: fill updates from a thread."""

    batch = pyqtSignal(list, float)

    def __init__(self, rows: int, rate: int, seconds: float) -> None:
        super().__init__()
        self.rows, self.rate, self.seconds = rows, rate, seconds
        self.state: dict[int, dict[str, Any]] = {}
        self.sent = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name="bench-feeder", daemon=True)

    def _update(self, rng: random.Random) -> dict[str, Any]:
        n = rng.randrange(self.rows)
        record = self.state.get(n) or routed_record(n)
        qty = Decimal(record["quantity"])
        filled = min(qty, Decimal(record["filled_quantity"]) + 100)
        if filled >= qty:  # filled: the next fill goes to a fresh copy of the order
            filled = Decimal(100)
        record = {
            **record,
            "filled_quantity": str(filled),
            "leaves_quantity": str(qty - filled),
            "avg_price": f"{100 + n % 97}.{rng.randrange(10000):04d}",
            "status": "filled" if filled >= qty else "partially_filled",
            "last_fill_at": datetime.now(UTC).isoformat(),
            "version": record["version"] + 1,
        }
        self.state[n] = record
        return record

    def _run(self) -> None:
        rng = random.Random(7)
        per_batch = max(1, self.rate // BATCHES_PER_SECOND)
        interval = 1 / BATCHES_PER_SECOND
        start = time.perf_counter()
        tick = 0
        while not self.stop.is_set() and time.perf_counter() - start < self.seconds:
            records = [self._update(rng) for _ in range(per_batch)]
            self.batch.emit(records, time.perf_counter())
            self.sent += len(records)
            tick += 1
            delay = start + tick * interval - time.perf_counter()
            if delay > 0:
                self.stop.wait(delay)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--rate", type=int, default=1_000, help="updates per second")
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument(
        "--sort", default="", help="sort the working orders by this column title, e.g. '% done'"
    )
    parser.add_argument("--filter", default="", help="working-orders state filter, e.g. 'working'")
    args = parser.parse_args()

    app = QApplication(sys.argv[:1])
    app.setStyle("Fusion")
    window = MainWindow("http://127.0.0.1:9", "benchmark")  # never connected: no server
    window.show()
    app.processEvents()
    sync = window.sync
    print(
        f"machine: {platform.machine()} {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, Qt {QT_VERSION_STR}, PyQt {PYQT_VERSION_STR}, "
        f"platform {app.platformName()}"
    )

    routed = [routed_record(n) for n in range(args.rows)]
    orders = [order_record(n) for n in range(args.rows)]
    load_routed = first_paint(app, window.routed_table, lambda: sync.apply_routed(routed))
    load_orders = first_paint(app, window.orders_table, lambda: sync.orders.upsert(orders))
    print(f"load {args.rows:,} broker orders -> first paint   {load_routed * 1000:8.0f} ms")
    print(f"load {args.rows:,} PM orders     -> first paint   {load_orders * 1000:8.0f} ms")
    print("  target: under 2,000 ms")

    if args.sort:
        titles = [c.title for c in sync.routed.spec.columns]
        window.routed_table.sortByColumn(titles.index(args.sort), Qt.SortOrder.DescendingOrder)
    if args.filter:
        bar = window.routed_bar
        bar.state.setCurrentIndex(bar.state.findText(args.filter))
    app.processEvents()

    lateness: list[float] = []
    delivery: list[float] = []
    last = [time.perf_counter()]

    def probe() -> None:
        now = time.perf_counter()
        lateness.append(max(0.0, (now - last[0]) * 1000 - PROBE_MS))
        last[0] = now

    def apply(records: list[dict[str, Any]], emitted: float) -> None:
        sync.apply_routed(records)
        delivery.append((time.perf_counter() - emitted) * 1000)

    feeder = Feeder(args.rows, args.rate, args.seconds)
    feeder.batch.connect(apply, Qt.ConnectionType.QueuedConnection)
    timer = QTimer()
    timer.setTimerType(Qt.TimerType.PreciseTimer)
    timer.setInterval(PROBE_MS)
    timer.timeout.connect(probe)
    flushes = sync.routed.flushes
    started = time.perf_counter()
    timer.start()
    last[0] = time.perf_counter()
    per_batch = max(1, args.rate // BATCHES_PER_SECOND)

    def finished() -> None:
        if not feeder.thread.is_alive() and len(delivery) * per_batch >= feeder.sent:
            app.quit()

    done = QTimer()
    done.setInterval(100)
    done.timeout.connect(finished)
    done.start()
    feeder.thread.start()
    app.exec()  # the real event loop, as in the application
    done.stop()
    elapsed = time.perf_counter() - started
    timer.stop()
    flushes = sync.routed.flushes - flushes

    view = f" (sorted by {args.sort!r})" if args.sort else ""
    view += f" (filter {args.filter!r})" if args.filter else ""
    print(
        f"updates: {feeder.sent:,} in {elapsed:.1f} s = {feeder.sent / elapsed:,.0f}/s "
        f"into {args.rows:,} rows{view}; {flushes:,} repaint batches "
        f"({flushes / elapsed:.0f}/s)"
    )
    print(
        f"event-loop latency (10 ms probe lateness): p50 {statistics.median(lateness):6.1f} ms"
        f"  p99 {percentile(lateness, 99):6.1f} ms  max {max(lateness):6.1f} ms"
        f"  ({len(lateness):,} probes)"
    )
    print(
        f"update delivery (feeder thread -> model): p50 {statistics.median(delivery):6.1f} ms"
        f"  p99 {percentile(delivery, 99):6.1f} ms  max {max(delivery):6.1f} ms"
    )
    print("  target: event-loop p99 under 100 ms")
    ok = (
        load_routed < 2
        and load_orders < 2
        and percentile(lateness, 99) < 100
        and feeder.sent >= 0.95 * args.rate * args.seconds
    )
    feeder.stop.set()
    window.shutdown()
    print("result: " + ("within targets" if ok else "MISSED a target"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
