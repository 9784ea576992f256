"""Pre-trade compliance in the order flow: blocks stop orders before FIX, overrides are
audited with their reason, warnings need the trader's acknowledgement."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.integration.services.conftest import RecordingGateway
from tests.integration.services.test_execution_flow import SESSION, report
from toms.app import Oms
from toms.domain.errors import InvalidOrder
from toms.domain.execution import ExecKind as K
from toms.domain.execution import RoutedStatus as S
from toms.domain.orders import OrderStatus
from toms.domain.values import OrderType, Side
from toms.services.compliance_gate import AcknowledgementRequired, NotAuthorised


def fat_finger(oms: Oms):  # type: ignore[no-untyped-def]
    # 200,000 shares is above the 100,000-share fat-finger limit of config/compliance.toml
    return oms.submit_order(
        account_id="GROWTH",
        symbol="IBM",
        side=Side.BUY,
        quantity=Decimal("200000"),
        order_type=OrderType.MARKET,
        user="pm1",
    )


def audit(oms: Oms, order_id: str) -> list[tuple[str, str, str]]:
    return oms.read(
        lambda uow: [
            (r.event_type, r.actor, r.reason) for r in uow.audit.for_entity("order", order_id)
        ]
    )


def market_order(oms: Oms, side: Side, qty: str, account: str = "GROWTH", symbol: str = "MSFT"):  # type: ignore[no-untyped-def]
    return oms.submit_order(
        account_id=account,
        symbol=symbol,
        side=side,
        quantity=Decimal(qty),
        order_type=OrderType.MARKET,
        user="pm1",
    )


def route_fill_and_book(
    oms: Oms, order_id: str, exec_id: str, qty: int, px: str, acknowledge: bool = False
) -> None:
    """Route one order as a market block, fill it whole at ``px``, allocate it."""
    block = oms.create_block([order_id], "trader1")
    routed = oms.route_block(
        block.block_id,
        broker="SIM",
        order_type=OrderType.MARKET,
        user="trader1",
        acknowledge_warnings=acknowledge,
    )
    oms.apply_report(SESSION, report(routed.cl_ord_id, exec_id, K.TRADE, S.FILLED, qty, 0, qty, px))
    oms.allocate(block.block_id, "ops1", ["operations"])


def test_blocked_order_never_reaches_fix(oms: Oms, gateway: RecordingGateway) -> None:
    order = fat_finger(oms)
    assert order.status is OrderStatus.BLOCKED
    with pytest.raises(InvalidOrder, match="only accepted orders join blocks"):
        oms.create_block([order.order_id], "trader1")
    assert gateway.sent == []
    checked = oms.read(
        lambda uow: [
            r.payload
            for r in uow.audit.for_entity("order", order.order_id)
            if r.event_type == "ComplianceChecked"
        ]
    )
    assert checked[0]["verdict"] == "block"
    blocking = [r for r in checked[0]["results"] if r["status"] == "block"]
    # 200,000 x 180 = 36m also breaks notional, position, cash and concentration limits
    assert {"fat-finger.quantity", "fat-finger.notional", "cash"} <= {
        r["rule_id"] for r in blocking
    }


def test_override_needs_the_compliance_role(oms: Oms) -> None:
    order = fat_finger(oms)
    with pytest.raises(NotAuthorised, match="compliance role"):
        oms.override(order.order_id, "trader1", ["trader"], "client insists")
    assert oms.read(lambda uow: uow.orders.require(order.order_id)).status is OrderStatus.BLOCKED


def test_overridden_order_routes_and_carries_the_override(
    oms: Oms, gateway: RecordingGateway
) -> None:
    order = fat_finger(oms)
    released = oms.override(order.order_id, "cco", ["compliance"], "approved program trade #42")
    assert released.status is OrderStatus.ACCEPTED
    block = oms.create_block([order.order_id], "trader1")
    routed = oms.route_block(
        block.block_id, broker="SIM", order_type=OrderType.MARKET, user="trader1"
    )
    assert gateway.sent == [("new", routed.cl_ord_id)]
    trail = audit(oms, order.order_id)
    assert ("ComplianceOverridden", "cco", "approved program trade #42") in trail
    # the route-time check ran again and is in the trail too
    assert [t for t, *_ in trail].count("ComplianceChecked") == 2


def test_wash_sale_warning_needs_acknowledgement(oms: Oms, gateway: RecordingGateway) -> None:
    # GROWTH bought 600 MSFT at 420 (config); selling at 410 realises a loss
    route_fill_and_book(oms, market_order(oms, Side.SELL, "600").order_id, "W1", 600, "410")
    # buying it back within 30 days is a wash sale: compliance warns
    buy = market_order(oms, Side.BUY, "100")
    assert buy.status is OrderStatus.ACCEPTED
    block2 = oms.create_block([buy.order_id], "trader1")
    with pytest.raises(AcknowledgementRequired, match="wash"):
        oms.route_block(block2.block_id, broker="SIM", order_type=OrderType.MARKET, user="trader1")
    assert [kind for kind, _ in gateway.sent] == ["new", "allocation"]  # only the sell went out
    routed2 = oms.route_block(
        block2.block_id,
        broker="SIM",
        order_type=OrderType.MARKET,
        user="trader1",
        acknowledge_warnings=True,
    )
    assert gateway.sent[-1] == ("new", routed2.cl_ord_id)


def test_two_orders_of_one_account_do_not_share_a_block(oms: Oms) -> None:
    ids = [market_order(oms, Side.BUY, "100", symbol="IBM").order_id for _ in range(2)]
    with pytest.raises(InvalidOrder, match="already has an order in this block"):
        oms.create_block(ids, "trader1")


def test_purchase_after_a_loss_sale_amends_the_realized_loss(oms: Oms) -> None:
    # GROWTH sells its 600 MSFT (bought at 420) at 410: loss 600 x 10 = 6,000.00
    route_fill_and_book(oms, market_order(oms, Side.SELL, "600").order_id, "L1", 600, "410")
    # then buys 150 back the same day: 150/600 of the loss is disallowed = 1,500.00
    buy = market_order(oms, Side.BUY, "150")
    route_fill_and_book(oms, buy.order_id, "L2", 150, "410", acknowledge=True)
    realized = oms.read(
        lambda uow: [
            (r.cost_basis - r.proceeds, r.wash_sale_disallowed)
            for r in uow.ledger.realized("GROWTH")
        ]
    )
    assert realized == [(Decimal("6000.00"), Decimal("1500.00"))]
    lot = oms.read(lambda uow: uow.lots.holding("GROWTH", "MSFT"))
    # replacement basis 150 x 410 + 1,500 disallowed = 63,000; holding period carried over
    assert [(x.quantity, x.cost_basis) for x in lot] == [(Decimal(150), Decimal("63000.00"))]
    assert lot[0].holding_start is not None and lot[0].holding_start < lot[0].trade_date
