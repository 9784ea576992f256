"""Soak: many orders through a real OMS and the simulated broker; then the books must balance.

    .venv/bin/python benchmarks/soak/soak.py --orders 100000 [--minutes 240] [--clients 4]
        [--seed 1] [--database URL] [--workdir DIR]
    .venv/bin/python benchmarks/soak/soak.py --check DATABASE_URL    # only the final checks

Everything runs on 127.0.0.1: ``OmsServer`` (HTTP API, engine, QuickFIX initiator) on
SQLite (or ``--database``) and ``SimulatedBroker``, started by the end-to-end tests'
``start_live`` with compliance off (the soak is about the order path; buying power would
stop it after a few hundred buys). ``--clients`` threads each act as the PMs, the trader
and, now and then, operations, through ``toms.client.ApiClient``: 1-3 PM orders (one per
account) become a block, routed as a market order or as a limit just under the market;
some working limits are cancelled, some replaced (new price or quantity); prices move in
small random steps on both sides, so resting limits fill. ``--orders`` counts routed
orders; ``--minutes`` caps the trading time (the checks still run). Progress, rate and ETA
are printed every few seconds.

At the end every working order is cancelled and waited for (on the event stream), every
done block with fills is allocated pro rata by the operations user, and the database is
read directly (no OMS code) to check that:

  - every routed order's CumQty equals the sum of its live fills, and no ExecID is stored
    twice (``tests/reliability/conftest.py::read_ledger``);
  - every block's PM orders' filled quantities add up to what its routed orders filled,
    and none is filled beyond its quantity;
  - every allocated block's allocation legs add up to its filled quantity, order by order;
  - no execution is flagged and no flag event (inconsistent report, status mismatch,
    session or business reject) is in the audit trail;
  - no routed order is left working, and ``PRAGMA integrity_check`` is ``ok``.

The figures are printed, with how long after the broker's TransactTime its reports
were applied (``report_lag_*_ms``); the exit status is 1 if any check failed.
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from sqlalchemy import create_engine, text

from tests.e2e.conftest import Live, start_live, stop_live
from tests.reliability.conftest import read_ledger
from toms.client import ApiError

PMS = {"pm-growth": ("GROWTH", "INCOME"), "pm-alpha": ("ALPHA", "FAMILY", "EUROPA")}
SYMBOLS = ("AAPL", "MSFT", "NVDA", "IBM", "JPM", "XOM")
WORKING = "pending_new,new,partially_filled,pending_cancel,pending_replace,done_for_day"
TICK = Decimal("0.01")
END_WAIT_SECONDS = 120.0
PASS_WAIT_SECONDS = 5.0


@dataclass
class Plan:
    """What is left to do, shared by the client threads."""

    orders: int
    deadline: float
    started: float = field(default_factory=time.monotonic)
    routed: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def take(self) -> bool:
        """Claim one routed order, unless the count or the time is used up."""
        with self._lock:
            if self.routed >= self.orders or time.monotonic() >= self.deadline:
                return False
            self.routed += 1
            return True


@dataclass
class Tally:
    counts: Counter[str] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, name: str, n: int = 1) -> None:
        with self._lock:
            self.counts[name] += n

    def error(self, message: str) -> None:
        with self._lock:
            self.errors.append(message)


class Market:
    """The reference prices both sides see; random steps within 5% of where they began."""

    def __init__(self, live: Live) -> None:
        self._live = live
        self._start = {s: Decimal(live.settings.prices[s]) for s in SYMBOLS}
        self._now = dict(self._start)
        self._lock = threading.Lock()

    def price(self, symbol: str) -> Decimal:
        with self._lock:
            return self._now[symbol]

    def move(self, symbol: str, rng: random.Random) -> None:
        with self._lock:
            step = Decimal(str(round(rng.uniform(-0.003, 0.003), 5)))
            start = self._start[symbol]
            new = (self._now[symbol] * (1 + step)).quantize(TICK)
            new = min(max(new, start * Decimal("0.95")), start * Decimal("1.05")).quantize(TICK)
            self._now[symbol] = new
            self._live.move(symbol, str(new))  # under the lock: both sides move in order


def trade(live: Live, plan: Plan, market: Market, tally: Tally, seed: int) -> None:
    """One client: blocks of PM orders, routed; cancels and replaces of its working limits."""
    rng = random.Random(seed)
    trader = live.client("trader1")
    working: list[str] = []
    try:
        while plan.take():
            symbol = rng.choice(SYMBOLS)
            pm = rng.choice(sorted(PMS))
            accounts = rng.sample(PMS[pm], rng.randint(1, min(3, len(PMS[pm]))))
            order_ids = [
                live.client(pm).submit_order(
                    account_id=a, symbol=symbol, side="buy", quantity=str(100 * rng.randint(1, 5))
                )["order_id"]
                for a in accounts
            ]
            tally.add("pm_orders", len(order_ids))
            block = trader.create_block(order_ids)
            terms: dict[str, Any] = {"broker": rng.choice(("SIM", "SIM42"))}
            if rng.random() < 0.5:
                terms["order_type"] = "market"
            else:
                below = Decimal(str(round(rng.uniform(0, 0.004), 5)))
                terms["order_type"] = "limit"
                terms["limit_price"] = str((market.price(symbol) * (1 - below)).quantize(TICK))
            routed = trader.route(block["block_id"], **terms)
            tally.add("routed_" + terms["order_type"])
            if terms["order_type"] == "limit":
                working.append(routed["routed_order_id"])
            if working and rng.random() < 0.08:
                _change(tally, "cancel", lambda: trader.cancel(working.pop(0)))
            if working and rng.random() < 0.10:
                target = rng.choice(working)
                symbol_now = market.price(symbol)
                if rng.random() < 0.7:
                    up = Decimal(str(round(rng.uniform(-0.001, 0.003), 5)))
                    change = {"limit_price": str((symbol_now * (1 + up)).quantize(TICK))}
                else:
                    change = {"quantity": str(100 * rng.randint(1, 6))}
                _change(tally, "replace", lambda t=target, c=change: trader.replace(t, **c))
            del working[:-20]  # older ones have probably filled; the end cancels the rest
            if rng.random() < 0.15:
                market.move(rng.choice(SYMBOLS), rng)
    except Exception as exc:  # reported as a violation, never swallowed
        tally.error(f"client {seed}: {type(exc).__name__}: {exc}")


def _change(tally: Tally, kind: str, call: Callable[[], object]) -> None:
    """A cancel or replace may come too late (filled) or while another is pending: the
    OMS refuses it with 409/422 and a reason; anything else is a failure."""
    try:
        call()
        tally.add(kind + "s_sent")
    except ApiError as exc:
        if exc.status not in (409, 422):
            raise
        tally.add(kind + "s_refused")


def report_progress(plan: Plan, stop: threading.Event, every: float = 5.0) -> None:
    while not stop.wait(every):  # a display interval, not synchronisation
        elapsed = time.monotonic() - plan.started
        done = plan.routed
        rate = done / elapsed if elapsed else 0.0
        eta = (plan.orders - done) / rate if rate else float("inf")
        cap = plan.deadline - time.monotonic()
        print(
            f"  {done}/{plan.orders} routed, {rate:.1f} orders/s, "
            f"ETA {min(eta, cap):.0f} s (time cap in {cap:.0f} s)",
            flush=True,
        )


def wind_down(live: Live, tally: Tally) -> None:
    """Cancel whatever still works and wait, on the event stream, until nothing does."""
    trader = live.client("trader1")

    def still_working() -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = trader.get("/routed", status=WORKING)
        return rows

    deadline = time.monotonic() + END_WAIT_SECONDS
    while time.monotonic() < deadline:
        for r in still_working():
            if r["status"] in ("new", "partially_filled", "done_for_day"):
                _change(tally, "final_cancel", lambda r=r: trader.cancel(r["routed_order_id"]))
        try:
            live.stream.wait_until(lambda: not still_working(), PASS_WAIT_SECONDS, "all done")
            return
        except TimeoutError:
            continue  # e.g. a replace was pending: its order is cancellable now; go round
    tally.error(f"{len(still_working())} routed orders still working after the wind-down")


def allocate_done_blocks(live: Live, tally: Tally, every: float = 30.0) -> float:
    """Allocate every done block through the API; returns the blocks allocated per second."""
    ops = live.client("ops1")
    blocks = ops.blocks(status="done")
    started = shown = time.monotonic()
    for n, block in enumerate(blocks, 1):
        try:
            ops.allocate(block["block_id"], method="pro_rata")
            tally.add("blocks_allocated")
        except ApiError as exc:
            if exc.status != 409:
                raise
            tally.add("blocks_not_allocated")  # nothing filled: checked below
        if time.monotonic() - shown >= every:
            shown = time.monotonic()
            rate = n / (shown - started)
            print(f"  {n}/{len(blocks)} blocks allocated, {rate:.1f} blocks/s", flush=True)
    return len(blocks) / (time.monotonic() - started) if blocks else 0.0


# ── the checks ──────────────────────────────────────────────────────────────────────────
def check(database_url: str) -> tuple[dict[str, int], list[str]]:
    """Read the database directly; return figures and every violation found."""
    ledger = read_ledger(database_url)
    violations: list[str] = []
    for exec_id, n in ledger.fills_by_exec_id.items():
        if n != 1:
            violations.append(f"fill {exec_id} stored {n} times")
    for routed_id, cum in ledger.cum_by_order.items():
        fills = ledger.fills_by_order.get(routed_id, Decimal(0))
        if cum != fills:
            violations.append(f"routed order {routed_id}: CumQty {cum} but fills add to {fills}")
    violations += [f"flagged: {event} {entity}" for event, entity in ledger.flags]
    violations += [f"execution {e} {how}: {err}" for e, how, err in ledger.flagged_executions]
    if ledger.integrity != "ok":
        violations.append(f"integrity_check: {ledger.integrity}")

    engine = create_engine(database_url)
    try:
        with engine.connect() as c:
            orders = c.execute(
                text("SELECT order_id, block_id, quantity, filled_quantity FROM orders")
            ).all()
            routed = c.execute(text("SELECT routed_order_id, block_id, status FROM routed_orders"))
            routed_rows = routed.all()
            legs = c.execute(
                text(
                    "SELECT a.block_id, l.order_id, l.quantity FROM allocation_legs l "
                    "JOIN allocations a ON a.alloc_id = l.alloc_id"
                )
            ).all()
            allocated = {
                r[0]
                for r in c.execute(text("SELECT block_id FROM blocks WHERE status = 'allocated'"))
            }
            lags = report_lags(c)
    finally:
        engine.dispose()

    block_routed: dict[str, Decimal] = {}
    for routed_id, block_id, status in routed_rows:
        block_routed[block_id] = block_routed.get(block_id, Decimal(0)) + ledger.cum_by_order.get(
            routed_id, Decimal(0)
        )
        if status in WORKING.split(","):
            violations.append(f"routed order {routed_id} left {status}")
    block_pm: dict[str, Decimal] = {}
    filled_by_order: dict[str, Decimal] = {}
    for order_id, block_id, quantity, filled in orders:
        filled = Decimal(str(filled))
        filled_by_order[order_id] = filled
        if filled > Decimal(str(quantity)):
            violations.append(f"PM order {order_id} filled {filled} of {quantity}")
        if block_id is not None:
            block_pm[block_id] = block_pm.get(block_id, Decimal(0)) + filled
    for block_id, routed_qty in block_routed.items():
        if block_pm.get(block_id, Decimal(0)) != routed_qty:
            violations.append(
                f"block {block_id}: PM orders filled {block_pm.get(block_id)}, routed {routed_qty}"
            )
    leg_by_order: dict[str, Decimal] = {}
    leg_by_block: dict[str, Decimal] = {}
    for block_id, order_id, qty in legs:
        leg_by_order[order_id] = leg_by_order.get(order_id, Decimal(0)) + Decimal(str(qty))
        leg_by_block[block_id] = leg_by_block.get(block_id, Decimal(0)) + Decimal(str(qty))
    for block_id in allocated:
        if leg_by_block.get(block_id, Decimal(0)) != block_routed.get(block_id, Decimal(0)):
            violations.append(
                f"block {block_id}: allocated {leg_by_block.get(block_id)}, "
                f"filled {block_routed.get(block_id)}"
            )
    for block_id, order_id, _qty in legs:
        if leg_by_order[order_id] != filled_by_order.get(order_id):
            violations.append(
                f"order {order_id} of block {block_id}: allocated {leg_by_order[order_id]}, "
                f"filled {filled_by_order.get(order_id)}"
            )
    unallocated = {b for b, q in block_routed.items() if q > 0} - allocated
    violations += [f"block {b} filled but not allocated" for b in sorted(unallocated)]
    figures = {
        "routed_orders": len(routed_rows),
        "pm_orders": len(orders),
        "fills": sum(ledger.fills_by_exec_id.values()),
        "filled_shares": int(sum(ledger.fills_by_order.values(), Decimal(0))),
        "blocks_allocated": len(allocated),
        "allocation_legs": len(legs),
        **{f"report_lag_{name}_ms": value for name, value in lags.items()},
    }
    return figures, violations


def report_lags(c: Any) -> dict[str, int]:
    """How long after the broker's TransactTime each report was applied (both sides run on
    this machine's clock): a report waits while QuickFIX holds it behind the one before,
    so a writer that cannot keep up shows here first, long before anything is wrong."""
    rows = c.execute(
        text(
            "SELECT recorded_at, payload FROM audit_events WHERE actor LIKE 'broker:%' "
            "AND event_type IN ('RoutedOrderStatusChanged', 'FillBooked')"
        )
    ).all()
    lags = sorted(
        (_utc(recorded) - _utc(_json(payload)["at"])).total_seconds() * 1000
        for recorded, payload in rows
    )
    if not lags:
        return {}

    def pct(q: float) -> int:
        return int(lags[round(q * (len(lags) - 1))])

    return {"p50": pct(0.5), "p99": pct(0.99), "max": pct(1.0)}


def _utc(value: str | datetime) -> datetime:
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _json(value: str | dict[str, Any]) -> dict[str, Any]:
    return json.loads(value) if isinstance(value, str) else value


def run(args: argparse.Namespace) -> int:
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="toms-soak-"))
    print(f"soak: {args.orders} orders, {args.clients} clients, cap {args.minutes} min, {workdir}")
    live = start_live(workdir, args.database, compliance={})
    tally = Tally()
    started = time.monotonic()
    try:
        plan = Plan(args.orders, started + args.minutes * 60)
        market = Market(live)
        stop = threading.Event()
        progress = threading.Thread(target=report_progress, args=(plan, stop), daemon=True)
        progress.start()
        clients = [
            threading.Thread(target=trade, args=(live, plan, market, tally, args.seed * 100 + i))
            for i in range(args.clients)
        ]
        for t in clients:
            t.start()
        for t in clients:
            t.join()
        stop.set()
        trading_seconds = time.monotonic() - started
        print(f"trading done: {plan.routed} routed in {trading_seconds:.1f} s; winding down")
        wind_down(live, tally)
        print(f"wound down at {time.monotonic() - started:.1f} s; allocating", flush=True)
        allocation_rate = allocate_done_blocks(live, tally)
        database_url = live.settings.database_url
    finally:
        stop_live(live)
    figures, violations = check(database_url)
    violations = tally.errors + violations
    elapsed = time.monotonic() - started
    print("figures:")
    for name, value in {**figures, **dict(sorted(tally.counts.items()))}.items():
        print(f"  {name:24} {value}")
    print(f"  {'trading_rate':24} {plan.routed / trading_seconds:.1f} routed orders/s")
    print(f"  {'allocation_rate':24} {allocation_rate:.1f} blocks/s")
    print(f"  {'elapsed':24} {elapsed:.1f} s")
    return report(violations)


def report(violations: list[str]) -> int:
    print(f"violations: {len(violations)}")
    for v in violations[:50]:
        print(f"  {v}")
    return 1 if violations else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=100_000, help="routed orders to send")
    parser.add_argument("--minutes", type=float, default=240.0, help="cap on trading time")
    parser.add_argument("--clients", type=int, default=4, help="client threads")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database", help="database URL (default: SQLite in the workdir)")
    parser.add_argument("--workdir", help="where the OMS and broker keep their files")
    parser.add_argument("--check", metavar="DATABASE_URL", help="only run the final checks")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    if args.check:
        figures, violations = check(args.check)
        print("figures:", figures)
        return report(violations)
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
