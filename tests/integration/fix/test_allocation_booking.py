"""Finished blocks are allocated at one average price, booked to tax lots, and instructed
to the broker with AllocationInstruction (J), whose ack (P) is stored."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.integration.fix.conftest import Waiter
from toms.app import Oms
from toms.domain.execution import RoutedStatus as S
from toms.domain.values import OrderType, Side
from toms.services.compliance_gate import NotAuthorised

pytestmark = pytest.mark.fix
OPS = ["operations"]


def filled_block(oms: Oms, waiter: Waiter, symbol: str, side: Side, sizes: dict[str, str]):  # type: ignore[no-untyped-def]
    ids = [
        oms.submit_order(
            account_id=a,
            symbol=symbol,
            side=side,
            quantity=Decimal(q),
            order_type=OrderType.MARKET,
            user="pm1",
        ).order_id
        for a, q in sizes.items()
    ]
    block = oms.create_block(ids, "trader1")
    routed = oms.route_block(
        block.block_id, broker="SIM", order_type=OrderType.MARKET, user="trader1"
    )
    waiter.until(lambda uow: uow.blocks.require(block.block_id).status.value == "done")
    assert oms.read(lambda uow: uow.routed.get(routed.routed_order_id)).status is S.FILLED
    return block


def test_buy_block_opens_lots_moves_cash_and_is_acknowledged(oms: Oms, waiter: Waiter) -> None:
    cash_before = oms.read(lambda uow: {a.account_id: a.cash for a in uow.accounts.all()})
    block = filled_block(oms, waiter, "IBM", Side.BUY, {"GROWTH": "300", "FAMILY": "100"})
    record = oms.allocate(block.block_id, "ops1", OPS, commission=Decimal("10.00"))
    shares = {a.account_id: (a.quantity, a.price, a.total_charges) for a in record.outputs}
    # 400 filled at 180: pro-rata 300/100; $10 commission splits 7.50 / 2.50
    assert shares == {
        "GROWTH": (Decimal(300), Decimal(180), Decimal("7.50")),
        "FAMILY": (Decimal(100), Decimal(180), Decimal("2.50")),
    }
    lots = oms.read(lambda uow: uow.lots.holding("GROWTH", "IBM"))
    assert [(lot.quantity, lot.cost_basis) for lot in lots] == [(Decimal(300), Decimal("54007.50"))]
    cash = oms.read(lambda uow: {a.account_id: a.cash for a in uow.accounts.all()})
    assert cash_before["GROWTH"] - cash["GROWTH"] == Decimal("54007.50")
    status = waiter.until(
        lambda uow: (
            uow.allocations.for_block(block.block_id)[0].status
            if uow.allocations.for_block(block.block_id)[0].status == "accepted"
            else None
        )
    )
    assert status == "accepted"


def test_sell_block_relieves_lots_with_long_term_gain(oms: Oms, waiter: Waiter) -> None:
    # GROWTH holds 1,400 AAPL bought 2024-06-03 at 150 (config/toms.toml): long-term by now
    block = filled_block(oms, waiter, "AAPL", Side.SELL, {"GROWTH": "400"})
    oms.allocate(block.block_id, "ops1", OPS)
    realized = oms.read(
        lambda uow: [
            (r.quantity, r.proceeds, r.cost_basis, r.term) for r in uow.ledger.realized("GROWTH")
        ]
    )
    # 400 sold at 190 = 76,000 proceeds against 400 x 150 = 60,000 basis
    assert realized == [(Decimal(400), Decimal(76000), Decimal(60000), "long_term")]
    left = oms.read(lambda uow: uow.lots.holding("GROWTH", "AAPL"))
    assert sum(lot.quantity for lot in left) == Decimal(1000)


def test_only_operations_allocates_and_only_finished_blocks(oms: Oms, waiter: Waiter) -> None:
    block = filled_block(oms, waiter, "IBM", Side.BUY, {"GROWTH": "100"})
    with pytest.raises(NotAuthorised, match="operations role"):
        oms.allocate(block.block_id, "trader1", ["trader"])
    oms.allocate(block.block_id, "ops1", OPS)
    with pytest.raises(Exception, match="allocated"):
        oms.allocate(block.block_id, "ops1", OPS)


def test_stored_allocation_record_replays_to_the_same_result(oms: Oms, waiter: Waiter) -> None:
    from toms.allocation import AllocationRecord, verify

    block = filled_block(
        oms, waiter, "IBM", Side.BUY, {"GROWTH": "300", "INCOME": "200", "FAMILY": "100"}
    )
    oms.allocate(block.block_id, "ops1", OPS, commission=Decimal("3.01"))
    stored = oms.read(lambda uow: uow.allocations.for_block(block.block_id)[0].record)
    record = AllocationRecord.from_dict(stored)
    assert verify(record)
    legs = oms.read(
        lambda uow: {(leg.account_id, leg.quantity, leg.charges) for leg in uow.allocations.legs()}
    )
    # $3.01 over 300/200/100: 1.505 / 1.003 / 0.501 -> cents down 1.50/1.00/0.50, the last
    # cent to the largest remainder (GROWTH's 0.005): 1.51 / 1.00 / 0.50
    assert legs == {
        ("GROWTH", Decimal(300), Decimal("1.51")),
        ("INCOME", Decimal(200), Decimal("1.00")),
        ("FAMILY", Decimal(100), Decimal("0.50")),
    }
