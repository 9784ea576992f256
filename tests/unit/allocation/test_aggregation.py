"""Which orders may share a block (toms.allocation.aggregation)."""

from __future__ import annotations

from datetime import date

import pytest

from tests.unit.allocation.helpers import D, order
from toms.allocation import BlockDraft, BlockTerms, RefusalCode, can_join, group_orders
from toms.domain.errors import InvalidOrder
from toms.domain.ids import BlockId, OrderId
from toms.domain.orders import OrderStatus
from toms.domain.values import OrderType, Side, TimeInForce

LIMIT_50 = {"order_type": OrderType.LIMIT, "limit": "50"}


def code(terms_order, other):
    refusal = can_join(BlockTerms.of(terms_order), other)
    return None if refusal is None else refusal.code


def test_same_terms_join():
    assert code(order("O1", **LIMIT_50), order("O2", account="A2", **LIMIT_50)) is None
    assert code(order("O1"), order("O2", account="A2")) is None  # market with market


def test_limit_prices_compare_by_value():
    assert (
        code(order("O1", **LIMIT_50), order("O2", order_type=OrderType.LIMIT, limit="50.00"))
        is None
    )


@pytest.mark.parametrize(
    ("other", "expected"),
    [
        (order("O2", symbol="MSFT"), RefusalCode.DIFFERENT_SECURITY),
        (order("O2", side=Side.SELL), RefusalCode.DIFFERENT_SIDE),
        (order("O2", order_type=OrderType.LIMIT, limit="50"), RefusalCode.DIFFERENT_ORDER_TYPE),
        (order("O2", tif=TimeInForce.GTC), RefusalCode.DIFFERENT_TIME_IN_FORCE),
        (order("O2", status=OrderStatus.PENDING_COMPLIANCE), RefusalCode.NOT_ACCEPTED),
        (order("O2", status=OrderStatus.BLOCKED), RefusalCode.NOT_ACCEPTED),
        (order("O2", status=OrderStatus.IN_BLOCK), RefusalCode.ALREADY_IN_BLOCK),
        (order("O2", tif=TimeInForce.FOK), RefusalCode.FILL_OR_KILL),
    ],
)
def test_refusals_against_a_market_day_buy(other, expected):
    assert code(order("O1"), other) is expected


def test_sell_and_sell_short_are_separate_blocks_and_so_are_buy_and_cover():
    assert code(order("O1", side=Side.SELL), order("O2", side=Side.SELL_SHORT)) is (
        RefusalCode.DIFFERENT_SIDE
    )
    assert code(order("O1", side=Side.BUY), order("O2", side=Side.BUY_TO_COVER)) is (
        RefusalCode.DIFFERENT_SIDE
    )


def test_different_limit_or_stop_or_expiry():
    assert code(order("O1", **LIMIT_50), order("O2", order_type=OrderType.LIMIT, limit="51")) is (
        RefusalCode.DIFFERENT_LIMIT_PRICE
    )
    stop = {"order_type": OrderType.STOP, "stop": "45"}
    assert code(order("O1", **stop), order("O2", order_type=OrderType.STOP, stop="44")) is (
        RefusalCode.DIFFERENT_STOP_PRICE
    )
    gtd = {"tif": TimeInForce.GTD}
    assert (
        code(
            order("O1", expire=date(2026, 12, 1), **gtd),
            order("O2", expire=date(2026, 12, 2), **gtd),
        )
        is RefusalCode.DIFFERENT_TIME_IN_FORCE
    )


def test_order_already_in_a_block_by_block_id():
    from dataclasses import replace

    placed = replace(order("O2"), block_id=BlockId("B9"))
    assert code(order("O1"), placed) is RefusalCode.ALREADY_IN_BLOCK


def test_draft_add_remove_and_quantity():
    draft = BlockDraft.start(order("O1", qty=300))
    draft = draft.add(order("O2", account="A2", qty=200))
    draft = draft.add(order("O3", account="A3", qty=500))
    assert draft.quantity == D(1000)
    draft = draft.remove(OrderId("O2"))
    assert draft.order_ids == ("O1", "O3")
    assert draft.quantity == D(800)
    assert draft.to_dict()["quantity"] == "800"
    with pytest.raises(InvalidOrder, match="already in this block"):
        draft.add(order("O1", qty=300))
    with pytest.raises(InvalidOrder, match="buy"):
        draft.add(order("O4", side=Side.SELL))
    with pytest.raises(InvalidOrder, match="not in this block"):
        draft.remove(OrderId("O2"))


def test_draft_cannot_start_from_an_ineligible_order():
    with pytest.raises(InvalidOrder, match="pending_compliance"):
        BlockDraft.start(order("O1", status=OrderStatus.PENDING_COMPLIANCE))


def test_group_orders_partitions_by_terms_oldest_first():
    orders = [
        order("O5", side=Side.SELL, minute=5),
        order("O1", minute=1, **LIMIT_50),
        order("O3", minute=3),
        order("O2", minute=2, **LIMIT_50),
        order("O4", minute=4, status=OrderStatus.BLOCKED),
        order("O6", minute=6, side=Side.SELL_SHORT),
    ]
    grouping = group_orders(orders)
    assert [[o.order_id for o in g.orders] for g in grouping.groups] == [
        ["O1", "O2"],
        ["O3"],
        ["O5"],
        ["O6"],
    ]
    assert grouping.groups[0].terms.limit_price == D(50)
    assert grouping.groups[0].quantity == D(200)
    assert grouping.groups[0].draft().quantity == D(200)
    assert [(o.order_id, r.code) for o, r in grouping.excluded] == [
        ("O4", RefusalCode.NOT_ACCEPTED)
    ]


def test_group_orders_refuses_a_duplicate():
    grouping = group_orders([order("O1"), order("O1")])
    assert len(grouping.groups[0].orders) == 1
    assert grouping.excluded[0][1].code is RefusalCode.DUPLICATE_ORDER
