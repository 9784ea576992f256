"""Route a block, feed broker reports through the services, check what is stored.

Bad input (unknown ClOrdID, overfill, out-of-order report, bad quantity) gets a clear
error and leaves stored data intact; every report is in the processed-ExecID table.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.factories import T0
from tests.integration.services.conftest import RecordingGateway
from toms.app import Oms
from toms.domain.errors import InvalidOrder
from toms.domain.execution import ExecKind as K
from toms.domain.execution import ExecutionReport
from toms.domain.execution import RoutedStatus as S
from toms.domain.ids import ClOrdId, ExecId
from toms.domain.orders import OrderStatus
from toms.domain.values import OrderType, Side
from toms.services.executions import Outcome

SESSION = "FIX.4.4:TOMS->SIMBROKER"


def report(
    cl: str,
    exec_id: str,
    kind: K,
    status: S,
    cum: int,
    leaves: int,
    last_qty: int = 0,
    last_px: str | None = None,
) -> ExecutionReport:
    return ExecutionReport(
        exec_id=ExecId(exec_id),
        cl_ord_id=ClOrdId(cl),
        kind=kind,
        status=status,
        order_qty=None,
        cum_qty=Decimal(cum),
        leaves_qty=Decimal(leaves),
        avg_px=None,
        transact_time=T0,
        last_qty=Decimal(last_qty),
        last_px=Decimal(last_px) if last_px else None,
    )


def routed_block(oms: Oms, qty_a: str = "300", qty_b: str = "100"):  # type: ignore[no-untyped-def]
    a = oms.submit_order(
        account_id="GROWTH",
        symbol="IBM",
        side=Side.BUY,
        quantity=Decimal(qty_a),
        order_type=OrderType.LIMIT,
        limit_price=Decimal("181"),
        user="pm1",
    )
    b = oms.submit_order(
        account_id="INCOME",
        symbol="IBM",
        side=Side.BUY,
        quantity=Decimal(qty_b),
        order_type=OrderType.LIMIT,
        limit_price=Decimal("181"),
        user="pm1",
    )
    block = oms.create_block([a.order_id, b.order_id], "trader1")
    routed = oms.route_block(
        block.block_id,
        broker="SIM",
        order_type=OrderType.LIMIT,
        limit_price=Decimal("181"),
        user="trader1",
    )
    return a, b, block, routed


def audit_types(oms: Oms, entity_type: str, entity_id: str) -> list[str]:
    return oms.read(
        lambda uow: [r.event_type for r in uow.audit.for_entity(entity_type, entity_id)]
    )


def test_route_fill_and_persist(oms: Oms, gateway: RecordingGateway) -> None:
    a, b, _block, routed = routed_block(oms)
    assert gateway.sent == [("new", routed.cl_ord_id)]
    cl = routed.cl_ord_id
    assert oms.apply_report(SESSION, report(cl, "E1", K.NEW, S.NEW, 0, 400)) is Outcome.APPLIED
    assert (
        oms.apply_report(
            SESSION, report(cl, "E2", K.TRADE, S.PARTIALLY_FILLED, 200, 200, 200, "180.50")
        )
        is Outcome.APPLIED
    )
    assert (
        oms.apply_report(SESSION, report(cl, "E3", K.TRADE, S.FILLED, 400, 0, 200, "180.70"))
        is Outcome.APPLIED
    )
    stored = oms.read(lambda uow: uow.routed.get(routed.routed_order_id))
    assert stored.status is S.FILLED and stored.cum_qty == Decimal(400)
    assert stored.avg_px == Decimal("180.60")
    orders = oms.read(lambda uow: [uow.orders.require(a.order_id), uow.orders.require(b.order_id)])
    assert [o.status for o in orders] == [OrderStatus.FILLED, OrderStatus.FILLED]
    assert [o.filled_quantity for o in orders] == [Decimal(300), Decimal(100)]
    assert all(o.avg_price == Decimal("180.60") for o in orders)
    assert audit_types(oms, "routed_order", routed.routed_order_id).count("FillBooked") == 2


def test_duplicate_exec_id_is_ignored(oms: Oms) -> None:
    *_, routed = routed_block(oms)
    fill = report(routed.cl_ord_id, "E1", K.TRADE, S.PARTIALLY_FILLED, 100, 300, 100, "180")
    assert oms.apply_report(SESSION, fill) is Outcome.APPLIED
    assert oms.apply_report(SESSION, fill) is Outcome.DUPLICATE
    stored = oms.read(lambda uow: uow.routed.get(routed.routed_order_id))
    assert stored.cum_qty == Decimal(100)


def test_unknown_cl_ord_id_is_recorded_for_operations(oms: Oms) -> None:
    routed_block(oms)
    stray = report("NOT-OURS", "E9", K.TRADE, S.FILLED, 100, 0, 100, "180")
    assert oms.apply_report(SESSION, stray, raw="8=FIX.4.4|35=8|...") is Outcome.UNMATCHED
    flagged = oms.read(
        lambda uow: [(r.exec_id, r.outcome, r.error, r.raw) for r in uow.executions.flagged()]
    )
    assert flagged == [("E9", "unmatched", "no order with ClOrdID NOT-OURS", "8=FIX.4.4|35=8|...")]
    # and a resend of the same stray report is recognised, not stored twice
    assert oms.apply_report(SESSION, stray) is Outcome.DUPLICATE


def test_overfill_is_refused_and_state_stays_intact(oms: Oms) -> None:
    *_, routed = routed_block(oms)
    cl = routed.cl_ord_id
    oms.apply_report(SESSION, report(cl, "E1", K.TRADE, S.PARTIALLY_FILLED, 300, 100, 300, "180"))
    before = oms.read(lambda uow: uow.routed.get(routed.routed_order_id))
    over = report(cl, "E2", K.TRADE, S.FILLED, 500, 0, 200, "180")
    assert oms.apply_report(SESSION, over) is Outcome.REJECTED
    after = oms.read(lambda uow: uow.routed.get(routed.routed_order_id))
    assert (after.cum_qty, after.status, after.fills) == (
        before.cum_qty,
        before.status,
        before.fills,
    )
    flagged = oms.read(lambda uow: [(r.exec_id, r.outcome) for r in uow.executions.flagged()])
    assert flagged == [("E2", "rejected")]
    assert "ExecutionRejected" in audit_types(oms, "routed_order", routed.routed_order_id)


def test_out_of_order_report_is_refused(oms: Oms) -> None:
    *_, routed = routed_block(oms)
    gap = report(routed.cl_ord_id, "E5", K.TRADE, S.PARTIALLY_FILLED, 250, 150, 50, "180")
    assert oms.apply_report(SESSION, gap) is Outcome.REJECTED
    assert oms.read(lambda uow: uow.routed.get(routed.routed_order_id)).cum_qty == 0


def test_negative_quantity_order_is_refused_and_nothing_stored(oms: Oms) -> None:
    with pytest.raises(InvalidOrder, match="quantity must be positive"):
        oms.submit_order(
            account_id="GROWTH",
            symbol="IBM",
            side=Side.BUY,
            quantity=Decimal("-100"),
            order_type=OrderType.MARKET,
            user="pm1",
        )
    assert oms.read(lambda uow: uow.orders.list()) == []


def test_cancel_then_broker_cancels(oms: Oms, gateway: RecordingGateway) -> None:
    a, b, block, routed = routed_block(oms)
    cl = routed.cl_ord_id
    oms.apply_report(SESSION, report(cl, "E1", K.TRADE, S.PARTIALLY_FILLED, 100, 300, 100, "180"))
    pending = oms.cancel(routed.routed_order_id, "trader1")
    assert pending.status is S.PENDING_CANCEL
    cancel_cl = gateway.sent[-1][1]
    assert gateway.sent[-1][0] == "cancel"
    oms.apply_report(SESSION, report(cancel_cl, "E2", K.CANCELED, S.CANCELED, 100, 0))
    orders = oms.read(lambda uow: [uow.orders.require(a.order_id), uow.orders.require(b.order_id)])
    assert sum(o.filled_quantity for o in orders) == Decimal(100)
    assert {o.status for o in orders} <= {OrderStatus.DONE, OrderStatus.CANCELED}
    assert oms.read(lambda uow: uow.blocks.require(block.block_id)).status.value == "done"


def test_over_long_identifiers_are_stored_flagged_never_lost(oms: Oms) -> None:
    """A broker's ExecID or ClOrdID longer than the columns: stored, flagged, explained."""
    _a, _b, _block, routed = routed_block(oms)
    cl = routed.cl_ord_id
    long_fill = report(cl, "X" * 80, K.TRADE, S.PARTIALLY_FILLED, 10, 390, 10, "180.50")
    assert oms.apply_report(SESSION, long_fill, "raw-1") is Outcome.REJECTED
    assert oms.apply_report(SESSION, long_fill, "raw-1") is Outcome.DUPLICATE  # still deduped
    unknown = report("C" * 90, "E-LONG-CL", K.NEW, S.NEW, 0, 400)
    assert oms.apply_report(SESSION, unknown, "raw-2") is Outcome.UNMATCHED
    flagged = oms.read(lambda uow: [(f.outcome, f.error, f.raw) for f in uow.executions.flagged()])
    assert [(o, r) for o, _e, r in flagged] == [("rejected", "raw-1"), ("unmatched", "raw-2")]
    assert "ExecID of 80 characters" in flagged[0][1]
    assert oms.read(lambda uow: uow.routed.get(routed.routed_order_id).cum_qty) == 0


def test_an_exec_id_reused_for_another_report_is_flagged_not_dropped(oms: Oms) -> None:
    _a, _b, _block, first = routed_block(oms)
    _c, _d, _block2, second = routed_block(oms, "200", "100")
    new = report(first.cl_ord_id, "E1", K.NEW, S.NEW, 0, 400)
    assert oms.apply_report(SESSION, new, "raw-1") is Outcome.APPLIED
    assert oms.apply_report(SESSION, new, "raw-1") is Outcome.DUPLICATE  # a PossDup resend
    reused = report(second.cl_ord_id, "E1", K.TRADE, S.PARTIALLY_FILLED, 50, 250, 50, "180")
    assert oms.apply_report(SESSION, reused, "raw-2") is Outcome.REJECTED
    events = oms.read(lambda uow: [(e.event_type, e.reason) for e in uow.audit.since(0)])
    flagged = [r for t, r in events if t == "ExecutionRejected"]
    assert len(flagged) == 1
    assert "ExecID E1 was already used" in flagged[0]
    assert oms.read(lambda uow: uow.routed.get(second.routed_order_id).cum_qty) == 0
