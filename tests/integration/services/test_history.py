"""The pre-trade check reads only what it needs of an account's history: the loss sales
inside the wash-sale window, and open orders the writer keeps current as orders change."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from tests.integration.services.test_compliance_flow import market_order, route_fill_and_book
from toms.app import Oms
from toms.domain.ids import AccountId
from toms.domain.values import Side
from toms.services.context import transaction


def record_loss(oms: Oms, symbol: str, at: datetime) -> None:
    def record() -> None:
        with transaction(oms.ctx) as tx:
            tx.uow.audit.record(
                "LossRealized",
                {"symbol": symbol, "sold_on": at.date().isoformat(), "loss": "1", "lot_id": "L"},
                entity_type="account",
                entity_id="GROWTH",
                actor="system",
                occurred_at=at,
                recorded_at=at,
            )
            tx.commit()

    oms.call(record)


def test_the_check_loads_the_losses_of_the_wash_sale_window_only(oms: Oms) -> None:
    now = datetime.now(UTC)
    first_day = datetime.combine(now.date() - timedelta(days=30), time.min, UTC)  # window 30
    record_loss(oms, "IBM", first_day - timedelta(microseconds=1))
    record_loss(oms, "AAPL", first_day)
    record_loss(oms, "MSFT", now - timedelta(days=3))
    gate = oms.ctx.compliance
    assert gate is not None
    snapshot = oms.read(lambda uow: gate.snapshot(uow, "GROWTH", now))
    assert [(x.symbol, x.realized_on) for x in snapshot.realized_losses] == [
        ("AAPL", first_day.date()),
        ("MSFT", (now - timedelta(days=3)).date()),
    ]


def test_open_orders_the_writer_remembers_follow_the_orders(oms: Oms) -> None:
    def open_orders() -> set[str]:
        def read() -> set[str]:
            with transaction(oms.ctx) as tx:
                return {o.order_id for o in tx.uow.orders.open_for_account(AccountId("GROWTH"))}

        remembered = oms.call(read)
        stored = oms.read(lambda uow: uow.orders.open_for_account(AccountId("GROWTH")))
        assert remembered == {o.order_id for o in stored}
        return remembered

    kept = market_order(oms, Side.BUY, "100", symbol="IBM")  # its check remembered GROWTH's
    traded = market_order(oms, Side.BUY, "200", symbol="IBM")
    assert open_orders() == {kept.order_id, traded.order_id}
    route_fill_and_book(oms, traded.order_id, "E1", 200, "180")
    assert open_orders() == {kept.order_id}
