"""Benchmark: the writer's work per order and per block as the book's history piles up.

An OMS that has traded for a year holds thousands of tax lots per account, tens of
thousands of finished orders and a loss sale most days. Two things the single writer does
all day read that history: the pre-trade check of every new order (the account's
positions, open orders and recent losses) and the booking of every allocation (the
account's lots in the security). Neither should grow slower as the history grows.

    .venv/bin/python benchmarks/history/bench_history.py [--lots 0 1000 4000] [--blocks N]

For each ``--lots`` figure a fresh SQLite database gets, in each of the five configured
accounts, that many one-share lots spread over the nine securities, five finished orders
per lot and one loss sale per four lots, spread over the past year (inserted directly,
not timed). Then ``--blocks`` blocks are traded through the OMS with compliance on: five
PM orders (one per account, 100 IBM, alternately bought and sold) submitted, blocked,
routed, filled by one execution report and allocated. Printed: the median ms to submit
one order (its pre-trade check included) and to allocate one block.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import tempfile
import time
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from toms.app import Oms
from toms.config import load_settings
from toms.domain.execution import ExecKind, ExecutionReport, RoutedStatus
from toms.domain.ids import AccountId, ClOrdId, ExecId, LotId, OrderId, Symbol, UserId
from toms.domain.orders import Order, OrderStatus
from toms.domain.reference import TaxLot
from toms.domain.values import OrderType, Side
from toms.services.context import transaction
from toms.services.ports import GatewayUnavailable

SYMBOL = "IBM"
SESSION = "FIX.4.4:TOMS->SIMBROKER"
SHARES = Decimal(100)


class OfflineGateway:
    """The broker session is down: requests stay in the outbox, as they would."""

    def __getattr__(self, name: str) -> Any:
        def unavailable(*args: object, **kwargs: object) -> None:
            raise GatewayUnavailable("benchmark: no FIX session")

        return unavailable


def seed_history(oms: Oms, lots_per_account: int) -> None:
    now = datetime.now(UTC)
    symbols = [s.symbol for s in oms.settings.securities]
    with transaction(oms.ctx) as tx:
        uow = tx.uow
        for account in uow.accounts.all():
            acc = AccountId(account.account_id)
            for n in range(lots_per_account):
                day = date(2025, 1, 2) + timedelta(days=n % 300)
                lot_id = LotId(f"SEED-{acc}-{n}")
                symbol = Symbol(symbols[n % len(symbols)])
                uow.lots.add(TaxLot(lot_id, acc, symbol, day, Decimal(1), Decimal(100), day))
            for n in range(5 * lots_per_account):
                uow.orders.add(
                    Order(
                        OrderId(f"PAST-{acc}-{n}"),
                        acc,
                        Symbol(symbols[n % len(symbols)]),
                        Side.BUY,
                        Decimal(1),
                        OrderType.MARKET,
                        now - timedelta(days=1 + n % 365),
                        UserId("pm1"),
                        status=OrderStatus.FILLED,
                    )
                )
            losses = lots_per_account // 4
            for n in range(losses):
                sold = now - timedelta(days=n * 365 // losses)
                uow.audit.record(
                    "LossRealized",
                    {"symbol": symbols[n % len(symbols)], "sold_on": sold.date().isoformat()},
                    entity_type="account",
                    entity_id=acc,
                    actor="system",
                    occurred_at=sold,
                    recorded_at=sold,
                )
        tx.commit()


def trade_block(oms: Oms, side: Side, n: int, submits: list[float]) -> str:
    accounts = oms.read(lambda uow: [a.account_id for a in uow.accounts.all()])
    ids = []
    for account in accounts:
        t0 = time.perf_counter()
        order = oms.submit_order(
            account_id=account,
            symbol=SYMBOL,
            side=side,
            quantity=SHARES,
            order_type=OrderType.MARKET,
            user="pm1",
        )
        submits.append(time.perf_counter() - t0)
        ids.append(order.order_id)
    block = oms.create_block(ids, "trader1")
    routed = oms.route_block(
        block.block_id,
        broker="SIM",
        order_type=OrderType.MARKET,
        user="trader1",
        acknowledge_warnings=True,  # the seeded loss sales make buys possible wash sales
    )
    qty = SHARES * len(ids)
    report = ExecutionReport(
        exec_id=ExecId(f"E{n}"),
        cl_ord_id=ClOrdId(routed.cl_ord_id),
        kind=ExecKind.TRADE,
        status=RoutedStatus.FILLED,
        order_qty=None,
        cum_qty=qty,
        leaves_qty=Decimal(0),
        avg_px=None,
        transact_time=datetime.now(UTC),
        last_qty=qty,
        last_px=Decimal("180.00"),
    )
    oms.apply_report(SESSION, report)
    return str(block.block_id)


def run(lots_per_account: int, blocks: int) -> tuple[list[float], list[float]]:
    with tempfile.TemporaryDirectory() as tmp:
        settings = replace(
            load_settings(),
            database_url=f"sqlite:///{Path(tmp) / 'toms.db'}",
            data_dir=Path(tmp),
        )
        oms = Oms(settings).start(connect_fix=False)
        try:
            logging.getLogger("toms").setLevel(logging.ERROR)  # "stays in the outbox"
            oms.ctx.gateways["SIM"] = OfflineGateway()  # type: ignore[assignment]
            seed_history(oms, lots_per_account)
            submits: list[float] = []
            allocations: list[float] = []
            for n in range(blocks):
                block_id = trade_block(oms, Side.BUY if n % 2 == 0 else Side.SELL, n, submits)
                t0 = time.perf_counter()
                oms.allocate(block_id, "ops1", ["operations"], send_instruction=False)
                allocations.append(time.perf_counter() - t0)
            return submits, allocations
        finally:
            oms.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lots", type=int, nargs="+", default=[0, 1000, 4000])
    parser.add_argument("--blocks", type=int, default=30)
    args = parser.parse_args()
    print(
        f"{'lots/account':>13} {'orders/account':>15} {'submit ms':>10} {'allocate ms':>12}"
        f" {'alloc/s':>8}"
    )
    for lots in args.lots:
        submits, allocations = run(lots, args.blocks)
        submit = statistics.median(submits) * 1000
        allocate = statistics.median(allocations) * 1000
        print(
            f"{lots:>13,} {5 * lots:>15,} {submit:>10.2f} {allocate:>12.2f} {1000 / allocate:>8.0f}"
        )


if __name__ == "__main__":
    main()
