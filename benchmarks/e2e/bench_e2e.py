"""End to end: orders/s from an API submit to the persisted fill, beside raw QuickFIX.

    .venv/bin/python benchmarks/e2e/bench_e2e.py [--orders N] [--warmup W] [--clients C]

toms path: ``toms serve`` in this process (``OmsServer``: uvicorn on 127.0.0.1, SQLite in
a temporary directory, compliance on, FIX 4.4 to ``SimulatedBroker`` filling each order in
one execution). Each order is three HTTP calls, as a PM and a trader would make them:
POST /orders (compliance-checked), POST /blocks, POST /blocks/{id}/route (market, 100
IBM). Timed from the submit call to the commit of the fill, seen by an event sink called
by the writer after the commit. ``sequential`` waits for each fill before the next submit;
``burst`` runs C client threads submitting back to back.

raw path: the same QuickFIX pair as ``benchmarks/fix_roundtrip`` (SocketInitiator and
ThreadedSocketAcceptor, FileStore + FileLog, one Fill per order), run in the same process
just before, so both figures come from the same machine state.
"""

from __future__ import annotations

import argparse
import importlib.util
import logging
import os
import platform
import sys
import tempfile
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from toms.client import ApiClient
from toms.config import BrokerSettings, load_settings
from toms.domain.ids import BrokerId
from toms.server.server import OmsServer
from toms.simulator.acceptor import BrokerConfig, SimulatedBroker
from toms.simulator.matching import FillPolicy, MatchingConfig

HERE = Path(__file__).resolve().parent
_spec = importlib.util.spec_from_file_location(
    "bench_fix_roundtrip", HERE.parent / "fix_roundtrip" / "bench_fix_roundtrip.py"
)
assert _spec is not None
assert _spec.loader is not None
roundtrip: Any = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = roundtrip  # its dataclasses look their module up by name
_spec.loader.exec_module(roundtrip)


class FillClock:
    """An event sink: the time each routed order's fill committed, by block id."""

    def __init__(self) -> None:
        self.stamps = roundtrip.Stamps()
        self._block_of: dict[str, str] = {}
        self._lock = threading.Lock()

    def publish(self, events: list[dict[str, Any]]) -> None:
        for e in events:
            if e["type"] == "RoutedOrderSent":
                with self._lock:
                    self._block_of[str(e["entity_id"])] = str(e["payload"]["block_id"])
            elif e["type"] == "FillBooked":
                with self._lock:
                    block = self._block_of.get(str(e["entity_id"]))
                if block is not None:
                    self.stamps.stamp(block)


def toms_runs(n: int, warmup: int, clients: int, workdir: Path) -> tuple[Any, Any]:
    base = load_settings()
    broker = SimulatedBroker(
        BrokerConfig(
            port=0,
            data_dir=workdir / "sim",
            prices=dict(base.prices),
            matching=MatchingConfig(fill_policy=FillPolicy(partial_fills=1)),
        )
    )
    broker.start()
    settings = replace(
        base,
        data_dir=workdir / "oms",
        database_url=f"sqlite:///{workdir / 'oms.db'}",
        brokers=(
            BrokerSettings(
                BrokerId("SIM"), "FIX.4.4", "TOMS", "SIMBROKER", "127.0.0.1", broker.port,
                heartbeat_seconds=30, reconnect_seconds=1,
            ),
        ),
    )  # fmt: skip
    server = OmsServer(settings).start()
    clock = FillClock()
    server.oms.subscribe(clock)
    try:
        if not server.oms.fix.wait_logged_on("SIM", 30):
            raise RuntimeError("SIM did not log on")
        pm = ApiClient(server.url, "demo-pm-growth-token")
        trader = ApiClient(server.url, "demo-trader1-token")
        # GROWTH buys IBM 100 at a time: well inside every compliance limit for N orders
        order = {"account_id": "GROWTH", "symbol": "IBM", "side": "buy", "quantity": "1"}
        pending: dict[str, str] = {}
        lock = threading.Lock()

        def send(key: str, pm: ApiClient = pm, trader: ApiClient = trader) -> None:
            o = pm.submit_order(**order)
            block = trader.create_block([o["order_id"]])
            with lock:
                pending[key] = block["block_id"]
            trader.route(block["block_id"], broker="SIM", order_type="market")

        def arrivals(keys: list[str]) -> list[float]:
            with lock:
                blocks = [pending[k] for k in keys]
            return list(clock.stamps.wait(blocks))

        roundtrip.measure("warm-up", [f"W{i}" for i in range(warmup)], send, arrivals, False)
        seq = roundtrip.measure(
            "toms API -> fill, sequential", [f"S{i}" for i in range(n)], send, arrivals, True
        )
        burst = _burst(n, clients, server.url, order, clock, f"toms API -> fill, {clients} clients")
        return seq, burst
    finally:
        server.stop()
        broker.stop()


def _burst(
    n: int, clients: int, url: str, order: dict[str, str], clock: FillClock, label: str
) -> Any:
    sent: dict[str, float] = {}
    done_blocks: dict[str, str] = {}
    lock = threading.Lock()

    def worker(index: int) -> None:
        pm = ApiClient(url, "demo-pm-growth-token")
        trader = ApiClient(url, "demo-trader1-token")
        for i in range(index, n, clients):
            start = time.perf_counter()
            o = pm.submit_order(**order)
            block = trader.create_block([o["order_id"]])
            trader.route(block["block_id"], broker="SIM", order_type="market")
            with lock:
                sent[f"B{i}"], done_blocks[f"B{i}"] = start, block["block_id"]

    start = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(c,)) for c in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    keys = sorted(sent)
    finished = clock.stamps.wait([done_blocks[k] for k in keys])
    return roundtrip.Run(
        label,
        len(keys),
        max(finished) - start,
        [(d - sent[k]) * 1000 for k, d in zip(keys, finished, strict=True)],
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--clients", type=int, default=4)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    print(
        f"End to end (API submit -> persisted fill), {args.orders} orders per pattern; "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}"
    )
    with tempfile.TemporaryDirectory(prefix="bench-e2e-") as tmp:
        work = Path(tmp)
        raw_seq, raw_burst = roundtrip.raw_runs(args.orders, args.warmup, work / "raw", False)
        toms_seq, toms_burst = toms_runs(args.orders, args.warmup, args.clients, work / "toms")
    for run in (raw_seq, raw_burst, toms_seq, toms_burst):
        print(run.line())
    print(
        f"\ntoms end to end / raw QuickFIX: {toms_burst.rate / raw_burst.rate:.3f} of the burst "
        f"rate; {toms_seq.pct(50) / raw_seq.pct(50):.1f}x the sequential p50 "
        f"(each toms order is 3 idempotent HTTP writes, compliance and a FIX round trip)"
    )


if __name__ == "__main__":
    main()
