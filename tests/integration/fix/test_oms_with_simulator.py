"""Orders of every type placed through toms reach the simulator over FIX and come back
filled, partially filled, cancelled, replaced or rejected, persisted and audited."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.integration.fix.conftest import Waiter
from toms.app import Oms
from toms.domain.execution import RoutedStatus as S
from toms.domain.orders import OrderStatus
from toms.domain.values import OrderType, Side, TimeInForce
from toms.simulator.acceptor import SimulatedBroker

pytestmark = pytest.mark.fix


def block_of(oms: Oms, symbol: str, qty: str, side: Side = Side.BUY, accounts=("GROWTH",)):  # type: ignore[no-untyped-def]
    ids = [
        oms.submit_order(
            account_id=a,
            symbol=symbol,
            side=side,
            quantity=Decimal(qty),
            order_type=OrderType.MARKET,
            user="pm1",
        ).order_id
        for a in accounts
    ]
    return oms.create_block(ids, "trader1")


def routed_status(oms: Oms, routed_id: str, *statuses: S):  # type: ignore[no-untyped-def]
    def probe(uow):  # type: ignore[no-untyped-def]
        r = uow.routed.get(routed_id)
        return r if r.status in statuses else None

    return probe


@pytest.mark.parametrize("broker_id", ["SIM", "SIM42"])
def test_market_order_fills_in_partials(oms: Oms, waiter: Waiter, broker_id: str) -> None:
    # 500 each: ALPHA already holds 2,000 IBM, so 1,000 more would breach its 10% limit
    block = block_of(oms, "IBM", "500", accounts=("GROWTH", "ALPHA"))
    routed = oms.route_block(
        block.block_id, broker=broker_id, order_type=OrderType.MARKET, user="trader1"
    )
    done = waiter.until(routed_status(oms, routed.routed_order_id, S.FILLED))
    assert done.cum_qty == Decimal(1000) and len(done.fills) == 2
    assert done.avg_px == Decimal("180.00")
    orders = waiter.until(
        lambda uow: [
            o for o in uow.orders.list(block_id=block.block_id) if o.status is OrderStatus.FILLED
        ]
    )
    assert len(orders) == 2
    assert sum(o.filled_quantity for o in orders) == Decimal(1000)


@pytest.mark.parametrize("broker_id", ["SIM", "SIM42"])
def test_limit_rests_then_fills_when_price_crosses(
    oms: Oms, waiter: Waiter, broker: SimulatedBroker, broker_id: str
) -> None:
    block = block_of(oms, "AAPL", "500")
    routed = oms.route_block(
        block.block_id,
        broker=broker_id,
        order_type=OrderType.LIMIT,
        limit_price=Decimal("185.00"),
        user="trader1",
    )
    waiter.until(routed_status(oms, routed.routed_order_id, S.NEW))
    broker.set_price("AAPL", Decimal("184.90"))
    done = waiter.until(routed_status(oms, routed.routed_order_id, S.FILLED))
    assert done.cum_qty == Decimal(500) and done.avg_px <= Decimal("185.00")


@pytest.mark.parametrize(
    ("order_type", "limit", "stop"),
    [(OrderType.STOP, None, "205.00"), (OrderType.STOP_LIMIT, "206.00", "205.00")],
)
def test_stop_orders_trigger(
    oms: Oms,
    waiter: Waiter,
    broker: SimulatedBroker,
    order_type: OrderType,
    limit: str | None,
    stop: str,
) -> None:
    block = block_of(oms, "JPM", "300")
    routed = oms.route_block(
        block.block_id,
        broker="SIM",
        order_type=order_type,
        user="trader1",
        limit_price=Decimal(limit) if limit else None,
        stop_price=Decimal(stop),
    )
    waiter.until(routed_status(oms, routed.routed_order_id, S.NEW))
    broker.set_price("JPM", Decimal("205.50"))
    done = waiter.until(routed_status(oms, routed.routed_order_id, S.FILLED))
    assert done.cum_qty == Decimal(300)


def test_cancel_a_resting_order(oms: Oms, waiter: Waiter) -> None:
    block = block_of(oms, "MSFT", "400")
    routed = oms.route_block(
        block.block_id,
        broker="SIM",
        order_type=OrderType.LIMIT,
        limit_price=Decimal("380.00"),
        user="trader1",
    )
    waiter.until(routed_status(oms, routed.routed_order_id, S.NEW))
    oms.cancel(routed.routed_order_id, "trader1")
    done = waiter.until(routed_status(oms, routed.routed_order_id, S.CANCELED))
    assert done.cum_qty == 0 and len(done.cl_ord_ids) == 2
    orders = oms.read(lambda uow: uow.orders.list(block_id=block.block_id))
    assert [o.status for o in orders] == [OrderStatus.CANCELED]


@pytest.mark.parametrize("new_qty", ["300", "800"])
def test_replace_down_and_up(oms: Oms, waiter: Waiter, new_qty: str) -> None:
    block = block_of(oms, "NVDA", "800", accounts=("GROWTH",))
    routed = oms.route_block(
        block.block_id,
        broker="SIM",
        order_type=OrderType.LIMIT,
        limit_price=Decimal("110.00"),
        user="trader1",
        quantity=Decimal("500"),
    )
    waiter.until(routed_status(oms, routed.routed_order_id, S.NEW))
    oms.replace(
        routed.routed_order_id, "trader1", quantity=Decimal(new_qty), limit_price=Decimal("111.00")
    )

    def replaced(uow):  # type: ignore[no-untyped-def]
        r = uow.routed.get(routed.routed_order_id)
        return r if r.status is S.NEW and r.order_qty == Decimal(new_qty) else None

    done = waiter.until(replaced)
    assert done.limit_price == Decimal("111.00") and len(done.cl_ord_ids) == 2


def test_broker_reject_is_recorded(oms: Oms, waiter: Waiter) -> None:
    block = block_of(oms, "IBM", "100")
    routed = oms.route_block(
        block.block_id,
        broker="SIM",
        order_type=OrderType.LIMIT,
        limit_price=Decimal("170"),
        time_in_force=TimeInForce.GTD,
        expire_date=__import__("datetime").date(2030, 1, 1),
        user="trader1",
    )
    done = waiter.until(routed_status(oms, routed.routed_order_id, S.REJECTED))
    assert done.cum_qty == 0
    types = oms.read(
        lambda uow: [
            r.event_type for r in uow.audit.for_entity("routed_order", routed.routed_order_id)
        ]
    )
    assert "RoutedOrderStatusChanged" in types


def test_ioc_fills_what_it_can_and_cancels_the_rest(oms: Oms, waiter: Waiter) -> None:
    block = block_of(oms, "IBM", "1000")
    routed = oms.route_block(
        block.block_id,
        broker="SIM",
        order_type=OrderType.LIMIT,
        limit_price=Decimal("170.00"),
        time_in_force=TimeInForce.IOC,
        user="trader1",
    )
    done = waiter.until(routed_status(oms, routed.routed_order_id, S.CANCELED, S.FILLED))
    assert done.status is S.CANCELED and done.cum_qty == 0


def test_fok_that_cannot_fill_whole_is_killed(oms: Oms, waiter: Waiter) -> None:
    # FOK orders are worked alone (never aggregated); the limit is below the market
    order = oms.submit_order(
        account_id="GROWTH",
        symbol="IBM",
        side=Side.BUY,
        quantity=Decimal("300"),
        order_type=OrderType.LIMIT,
        limit_price=Decimal("175.00"),
        time_in_force=TimeInForce.FOK,
        user="pm1",
    )
    with pytest.raises(Exception, match="fill-or-kill"):
        oms.create_block([order.order_id], "trader1")
    block = block_of(oms, "IBM", "300")
    routed = oms.route_block(
        block.block_id,
        broker="SIM",
        order_type=OrderType.LIMIT,
        limit_price=Decimal("175.00"),
        time_in_force=TimeInForce.FOK,
        user="trader1",
    )
    done = waiter.until(routed_status(oms, routed.routed_order_id, S.CANCELED, S.FILLED))
    assert done.status is S.CANCELED and done.cum_qty == 0


def test_day_order_expires_at_the_session_end(
    oms: Oms, waiter: Waiter, broker: SimulatedBroker
) -> None:
    block = block_of(oms, "IBM", "200")
    routed = oms.route_block(
        block.block_id,
        broker="SIM42",
        order_type=OrderType.LIMIT,
        limit_price=Decimal("170.00"),
        user="trader1",
    )
    waiter.until(routed_status(oms, routed.routed_order_id, S.NEW))
    broker.end_of_day()
    done = waiter.until(routed_status(oms, routed.routed_order_id, S.EXPIRED))
    assert done.leaves_qty == 0
    orders = waiter.until(
        lambda uow: [
            o for o in uow.orders.list(block_id=block.block_id) if o.status is OrderStatus.CANCELED
        ]
    )
    assert len(orders) == 1


@pytest.mark.parametrize("broker_id", ["SIM", "SIM42"])
def test_duplicate_clordid_reject_leaves_the_live_order_alone(
    oms: Oms, waiter: Waiter, broker_id: str
) -> None:
    """A request sent again without PossResend (or to a broker that ignores it) is
    rejected as a duplicate ClOrdID (OrdRejReason 6). The broker holds the order, so toms
    stores the reject flagged and keeps the order working."""
    block = block_of(oms, "IBM", "100")
    routed = oms.route_block(
        block.block_id,
        broker=broker_id,
        order_type=OrderType.LIMIT,
        limit_price=Decimal("170"),
        user="trader1",
    )
    rid = routed.routed_order_id
    waiter.until(routed_status(oms, rid, S.NEW))
    oms.ctx.gateway(broker_id).send_new(routed)

    def flagged(uow):  # type: ignore[no-untyped-def]
        types = [r.event_type for r in uow.audit.for_entity("routed_order", rid)]
        return types if "ExecutionRejected" in types else None

    waiter.until(flagged)
    after = oms.read(lambda uow: uow.routed.get(rid))
    assert (after.status, after.cum_qty) == (S.NEW, 0)
