"""TCA: slippage against the arrival price, signed so that positive is a cost."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from toms.domain.blocks import Block, BlockMember, BlockStatus
from toms.domain.ids import (
    BlockId,
    BrokerId,
    ClOrdId,
    ExecId,
    OrderId,
    RoutedOrderId,
    Symbol,
    UserId,
)
from toms.domain.routed_order import Fill, RoutedOrder
from toms.domain.values import OrderType, Side
from toms.reports.tca import slippage, tca_frame

D = Decimal
T0 = datetime(2026, 11, 20, 14, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("side", "avg_px", "arrival", "per_share", "bps"),
    [
        # buy at 180.60 against 180: paid 0.60 more, 0.60 × 10,000 / 180 = 33.33 bps: a cost
        (Side.BUY, "180.60", "180", "0.60", D("6000") / D("180")),
        # buy below arrival: a saving, negative
        (Side.BUY, "179.10", "180", "-0.90", D("-50")),
        # sell at 409 against 410: received 1.00 less, 1 × 10,000 / 410 = 24.39 bps: a cost
        (Side.SELL, "409", "410", "1", D("10000") / D("410")),
        # sell above arrival: 121 against 120 is a gain, −83.33 bps
        (Side.SELL, "121", "120", "-1", D("-10000") / D("120")),
        # a short sale is a sell, a cover a buy
        (Side.SELL_SHORT, "49.50", "50", "0.50", D("100")),
        (Side.BUY_TO_COVER, "50.25", "50", "0.25", D("50")),
    ],
)
def test_slippage_sign(side: Side, avg_px: str, arrival: str, per_share: str, bps: D) -> None:
    assert slippage(side, D(avg_px), D(arrival)) == (D(per_share), bps)


def test_no_slippage_is_a_plain_zero() -> None:
    per_share, bps = slippage(Side.SELL, D("180.00"), D("180"))
    assert per_share == 0 and not per_share.is_signed()
    assert bps is not None and not bps.is_signed()


def test_slippage_needs_both_prices() -> None:
    assert slippage(Side.BUY, None, D(180)) == (None, None)
    assert slippage(Side.BUY, D(180), None) == (None, None)


def routed(block_id: str, side: Side, fills: list[tuple[str, str, bool]]) -> RoutedOrder:
    rid = RoutedOrderId(f"R-{block_id}")
    return RoutedOrder(
        routed_order_id=rid,
        block_id=BlockId(block_id),
        broker=BrokerId("SIM"),
        symbol=Symbol("IBM"),
        side=side,
        order_type=OrderType.MARKET,
        order_qty=D(400),
        cl_ord_id=ClOrdId(f"C-{block_id}"),
        created_at=T0,
        fills=[
            Fill(ExecId(f"E{i}"), rid, D(q), D(p), T0, busted)
            for i, (q, p, busted) in enumerate(fills)
        ],
    )


def block(block_id: str, side: Side, arrival: str | None, routed_ids: int = 1) -> Block:
    return Block(
        BlockId(block_id),
        Symbol("IBM"),
        side,
        T0,
        UserId("trader1"),
        members=[
            BlockMember(OrderId("O1"), "GROWTH", D(300)),
            BlockMember(OrderId("O2"), "INCOME", D(100)),
        ],
        status=BlockStatus.DONE,
        arrival_price=D(arrival) if arrival else None,
        routed_order_ids=[RoutedOrderId(f"R-{block_id}")] * routed_ids,
    )


def test_tca_frame_per_block() -> None:
    blocks = [
        block("B1", Side.BUY, "180"),
        block("B2", Side.SELL, "180"),
        block("B3", Side.BUY, "180"),  # routed, nothing filled
        block("B4", Side.BUY, None, routed_ids=0),  # never routed: left out
    ]
    orders = {
        # 200 @ 180.50 + 100 @ 180.80 (+ a busted 100 @ 190, ignored): 54180 / 300 = 180.60
        "B1": [
            routed(
                "B1",
                Side.BUY,
                [("200", "180.50", False), ("100", "190", True), ("100", "180.80", False)],
            )
        ],
        "B2": [routed("B2", Side.SELL, [("400", "180.60", False)])],
        "B3": [routed("B3", Side.BUY, [])],
    }
    df = tca_frame(blocks, orders).set_index("block_id")
    assert list(df.index) == ["B1", "B2", "B3"]
    b1 = df.loc["B1"]
    assert (b1["quantity"], b1["filled_qty"], b1["avg_px"]) == (D(400), D(300), D("180.60"))
    # buy: 180.60 − 180 = 0.60 a share, × 300 = 180.00 of cost
    assert b1["slippage"] == D("0.60")
    assert b1["notional_cost"] == D("180.00")
    assert round(b1["slippage_bps"], 4) == D("33.3333")
    # the same price on a sale is a gain: −0.60 × 400 = −240.00
    b2 = df.loc["B2"]
    assert (b2["slippage"], b2["notional_cost"]) == (D("-0.60"), D("-240.00"))
    assert round(b2["slippage_bps"], 4) == D("-33.3333")
    b3 = df.loc["B3"]
    assert b3["filled_qty"] == D(0)
    assert b3["avg_px"] is None and b3["slippage"] is None and b3["notional_cost"] is None
