"""Appendix D scenarios, row by row.

Each test is one FIX 4.2/4.4 order state change matrix (D-number in the name) written as
the broker's messages, checking OrdStatus, OrderQty, CumQty, LeavesQty and AvgPx after
each row exactly as the matrix states them.
"""

from dataclasses import replace
from decimal import Decimal

import pytest

from tests.factories import Broker, D, make_routed, snapshot
from toms.domain.errors import (
    InconsistentReport,
    InvalidOrder,
    InvalidTransition,
    Overfill,
    UnknownOrder,
)
from toms.domain.events import (
    FillBooked,
    FillBusted,
    FillCorrected,
    RequestRejected,
    RoutedOrderReplaced,
    StatusConfirmed,
    StatusMismatch,
)
from toms.domain.execution import ExecKind as K
from toms.domain.execution import RoutedStatus as S
from toms.domain.ids import ClOrdId
from toms.domain.routed_order import RoutedOrder
from toms.domain.values import OrderType


def assert_order(o: RoutedOrder, status: S, qty: int, cum: int, leaves: int) -> None:
    assert (o.status, o.order_qty, o.cum_qty, o.leaves_qty) == (status, D(qty), D(cum), D(leaves))


@pytest.fixture
def b() -> Broker:
    return Broker(make_routed())


def ack(b: Broker) -> None:
    b.send(K.NEW, S.NEW, 0, 10000)


def test_d1_filled_order(b: Broker) -> None:
    ack(b)
    assert_order(b.order, S.NEW, 10000, 0, 10000)
    b.send(K.TRADE, S.PARTIALLY_FILLED, 2000, 8000, last_qty=2000, last_px="50", avg_px="50")
    b.send(K.TRADE, S.PARTIALLY_FILLED, 3000, 7000, last_qty=1000, last_px="51", avg_px="50.3333")
    events = b.send(K.TRADE, S.FILLED, 10000, 0, last_qty=7000, last_px="52")
    assert_order(b.order, S.FILLED, 10000, 10000, 0)
    # (2000*50 + 1000*51 + 7000*52) / 10000 = 515000 / 10000
    assert b.order.avg_px == Decimal("51.5")
    assert isinstance(events[0], FillBooked) and events[0].cum_qty == D(10000)
    assert b.order.is_terminal


def test_d1_rejected_new_order(b: Broker) -> None:
    b.send(K.REJECTED, S.REJECTED, 0, 0, text="unknown symbol")
    assert_order(b.order, S.REJECTED, 10000, 0, 0)
    with pytest.raises(InvalidTransition):
        b.send(K.NEW, S.NEW, 0, 10000)


def test_d2_part_filled_day_order_done_for_day(b: Broker) -> None:
    ack(b)
    b.send(K.TRADE, S.PARTIALLY_FILLED, 2000, 8000, last_qty=2000, last_px="50")
    b.send(K.DONE_FOR_DAY, S.DONE_FOR_DAY, 2000, 0)
    assert_order(b.order, S.DONE_FOR_DAY, 10000, 2000, 0)


def test_d3_cancel_zero_filled_order(b: Broker) -> None:
    ack(b)
    b.order.request_cancel(ClOrdId("Y"), b.clock)
    assert b.order.status is S.PENDING_CANCEL
    b.send(K.PENDING_CANCEL, S.PENDING_CANCEL, 0, 10000, cl_ord_id="Y", orig_cl_ord_id="X")
    b.send(K.CANCELED, S.CANCELED, 0, 0, cl_ord_id="Y", orig_cl_ord_id="X")
    assert_order(b.order, S.CANCELED, 10000, 0, 0)
    assert b.order.cl_ord_ids == ["X", "Y"] and b.order.pending is None


def test_d4_executions_while_cancel_pending_then_canceled(b: Broker) -> None:
    ack(b)
    b.send(K.TRADE, S.PARTIALLY_FILLED, 2000, 8000, last_qty=2000, last_px="50")
    b.order.request_cancel(ClOrdId("Y"), b.clock)
    # row 4: an execution passes the cancel request on the connection
    b.send(K.TRADE, S.PARTIALLY_FILLED, 5000, 5000, last_qty=3000, last_px="50")
    assert b.order.status is S.PENDING_CANCEL and b.order.previous_status is S.PARTIALLY_FILLED
    b.send(K.PENDING_CANCEL, S.PENDING_CANCEL, 5000, 5000, cl_ord_id="Y", orig_cl_ord_id="X")
    # row 6: "pending cancel" takes precedence over "partially filled"
    b.send(K.TRADE, S.PENDING_CANCEL, 6000, 4000, last_qty=1000, last_px="50")
    b.send(K.CANCELED, S.CANCELED, 6000, 0, cl_ord_id="Y", orig_cl_ord_id="X")
    assert_order(b.order, S.CANCELED, 10000, 6000, 0)


def test_d4_cancel_rejected_restores_partially_filled(b: Broker) -> None:
    ack(b)
    b.send(K.TRADE, S.PARTIALLY_FILLED, 2000, 8000, last_qty=2000, last_px="50")
    b.order.request_cancel(ClOrdId("Y"), b.clock)
    events = b.cancel_reject("Y", S.PARTIALLY_FILLED, reason="broker option")
    assert isinstance(events[0], RequestRejected) and events[0].reason == "broker option"
    assert_order(b.order, S.PARTIALLY_FILLED, 10000, 2000, 8000)
    assert b.order.pending is None and b.order.cl_ord_id == "X"


def test_d5_filled_before_cancel_accepted(b: Broker) -> None:
    ack(b)
    b.send(K.TRADE, S.PARTIALLY_FILLED, 5000, 5000, last_qty=5000, last_px="50")
    b.order.request_cancel(ClOrdId("Y"), b.clock)
    b.send(K.PENDING_CANCEL, S.PENDING_CANCEL, 5000, 5000, cl_ord_id="Y", orig_cl_ord_id="X")
    # "pending cancel" takes precedence over "filled" (FIX 4.4 D5 row 6)
    b.send(K.TRADE, S.PENDING_CANCEL, 10000, 0, last_qty=5000, last_px="52")
    assert b.order.status is S.PENDING_CANCEL and b.order.previous_status is S.FILLED
    b.cancel_reject("Y", S.FILLED, reason="too late to cancel")
    assert_order(b.order, S.FILLED, 10000, 10000, 0)
    assert b.order.avg_px == D(51)


def test_d5_fix42_style_fill_reported_as_filled_during_pending_cancel(b: Broker) -> None:
    ack(b)
    b.order.request_cancel(ClOrdId("Y"), b.clock)
    b.send(K.TRADE, S.FILLED, 10000, 0, last_qty=10000, last_px="50")
    assert b.order.status is S.FILLED
    b.cancel_reject("Y", None)
    assert_order(b.order, S.FILLED, 10000, 10000, 0)


def test_d6_replace_to_increase_zero_filled(b: Broker) -> None:
    ack(b)
    b.order.request_replace(ClOrdId("Y"), b.clock, D(11000), limit_price=D(50))
    b.send(K.PENDING_REPLACE, S.PENDING_REPLACE, 0, 10000, cl_ord_id="Y", orig_cl_ord_id="X")
    events = b.send(K.REPLACED, S.NEW, 0, 11000, order_qty=11000, cl_ord_id="Y", orig_cl_ord_id="X")
    assert any(isinstance(e, RoutedOrderReplaced) for e in events)
    assert_order(b.order, S.NEW, 11000, 0, 11000)
    assert b.order.cl_ord_id == "Y"


def test_d7_execution_while_replace_pending_reported_on_original(b: Broker) -> None:
    ack(b)
    b.send(K.TRADE, S.PARTIALLY_FILLED, 1000, 9000, last_qty=1000, last_px="50")
    b.order.request_replace(ClOrdId("Y"), b.clock, D(12000), limit_price=D(50))
    b.send(K.PENDING_REPLACE, S.PENDING_REPLACE, 1000, 9000, cl_ord_id="Y", orig_cl_ord_id="X")
    # fills while pending carry the original ClOrdID and OrderQty
    b.send(K.TRADE, S.PENDING_REPLACE, 2500, 7500, last_qty=1500, last_px="50", cl_ord_id="X")
    b.send(
        K.REPLACED,
        S.PARTIALLY_FILLED,
        2500,
        9500,
        order_qty=12000,
        cl_ord_id="Y",
        orig_cl_ord_id="X",
    )
    assert_order(b.order, S.PARTIALLY_FILLED, 12000, 2500, 9500)
    b.send(K.TRADE, S.PARTIALLY_FILLED, 3000, 9000, last_qty=500, last_px="51", cl_ord_id="Y")
    assert b.order.cum_qty == D(3000)


def test_d8_replace_of_a_filled_order_is_refused_locally(b: Broker) -> None:
    ack(b)
    b.send(K.TRADE, S.FILLED, 10000, 0, last_qty=10000, last_px="50")
    with pytest.raises(InvalidTransition, match="filled"):
        b.order.request_replace(ClOrdId("Y"), b.clock, D(12000), limit_price=D(50))


def test_d9_replace_rejected_because_filled(b: Broker) -> None:
    ack(b)
    b.order.request_replace(ClOrdId("Y"), b.clock, D(10000), limit_price=D("50.5"))
    b.send(K.TRADE, S.FILLED, 10000, 0, last_qty=10000, last_px="50")
    b.cancel_reject("Y", S.FILLED, to="replace")
    assert_order(b.order, S.FILLED, 10000, 10000, 0)
    assert b.order.limit_price == D(50)  # the rejected price never took effect


def test_d10_replace_decrease_above_cum_then_filled(b: Broker) -> None:
    ack(b)
    b.order.request_replace(ClOrdId("Y"), b.clock, D(8000), limit_price=D(50))
    b.send(K.TRADE, S.PARTIALLY_FILLED, 1000, 9000, last_qty=1000, last_px="50")
    b.send(
        K.REPLACED,
        S.PARTIALLY_FILLED,
        1000,
        7000,
        order_qty=8000,
        cl_ord_id="Y",
        orig_cl_ord_id="X",
    )
    b.send(K.TRADE, S.FILLED, 8000, 0, last_qty=7000, last_px="50", cl_ord_id="Y")
    assert_order(b.order, S.FILLED, 8000, 8000, 0)


def test_d11_replace_to_cum_qty_ends_filled(b: Broker) -> None:
    ack(b)
    b.order.request_replace(ClOrdId("Y"), b.clock, D(7000), limit_price=D(50))
    b.send(K.TRADE, S.PARTIALLY_FILLED, 7000, 3000, last_qty=7000, last_px="50")
    b.send(K.REPLACED, S.FILLED, 7000, 0, order_qty=7000, cl_ord_id="Y", orig_cl_ord_id="X")
    assert_order(b.order, S.FILLED, 7000, 7000, 0)


def test_d12_replace_below_cum_qty_amends_to_cum(b: Broker) -> None:
    ack(b)
    b.order.request_replace(ClOrdId("Y"), b.clock, D(7000), limit_price=D(50))
    b.send(K.TRADE, S.PARTIALLY_FILLED, 8000, 2000, last_qty=8000, last_px="50")
    # requested 7000 is below CumQty 8000: the broker amends OrderQty to 8000, filled
    b.send(K.REPLACED, S.FILLED, 8000, 0, order_qty=8000, cl_ord_id="Y", orig_cl_ord_id="X")
    assert_order(b.order, S.FILLED, 8000, 8000, 0)


def test_d12_replace_below_cum_with_broker_echoing_requested_qty(b: Broker) -> None:
    ack(b)
    b.order.request_replace(ClOrdId("Y"), b.clock, D(7000), limit_price=D(50))
    b.send(K.TRADE, S.PARTIALLY_FILLED, 8000, 2000, last_qty=8000, last_px="50")
    b.send(K.REPLACED, S.FILLED, 8000, 0, order_qty=7000, cl_ord_id="Y", orig_cl_ord_id="X")
    assert_order(b.order, S.FILLED, 8000, 8000, 0)


def test_d13_two_replaces_accepted_in_sequence_chain_resolves(b: Broker) -> None:
    ack(b)
    b.order.request_replace(ClOrdId("Y"), b.clock, D(9000), limit_price=D(50))
    b.send(K.REPLACED, S.NEW, 0, 9000, order_qty=9000, cl_ord_id="Y", orig_cl_ord_id="X")
    b.order.request_replace(ClOrdId("Z"), b.clock, D(8000), limit_price=D(49))
    b.send(K.REPLACED, S.NEW, 0, 8000, order_qty=8000, cl_ord_id="Z", orig_cl_ord_id="Y")
    assert b.order.cl_ord_ids == ["X", "Y", "Z"] and b.order.limit_price == D(49)
    # a late report quoting the first ClOrdID still belongs to this order
    b.send(K.TRADE, S.PARTIALLY_FILLED, 100, 7900, last_qty=100, last_px="49", cl_ord_id="X")
    assert_order(b.order, S.PARTIALLY_FILLED, 8000, 100, 7900)


def test_d14_replace_rejected_then_another_accepted(b: Broker) -> None:
    ack(b)
    b.order.request_replace(ClOrdId("Y"), b.clock, D(12000), limit_price=D(50))
    b.cancel_reject("Y", S.NEW, to="replace", reason="qty too large")
    assert_order(b.order, S.NEW, 10000, 0, 10000)
    b.order.request_replace(ClOrdId("Z"), b.clock, D(11000), limit_price=D(50))
    b.send(K.REPLACED, S.NEW, 0, 11000, order_qty=11000, cl_ord_id="Z", orig_cl_ord_id="X")
    assert b.order.cl_ord_ids == ["X", "Z"]  # Y never became part of the order


def test_second_request_while_one_is_pending_is_refused(b: Broker) -> None:
    ack(b)
    b.order.request_cancel(ClOrdId("Y"), b.clock)
    with pytest.raises(InvalidTransition, match="still waiting"):
        b.order.request_replace(ClOrdId("Z"), b.clock, D(5000), limit_price=D(50))


def test_unsolicited_cancel_by_broker(b: Broker) -> None:
    ack(b)
    b.send(K.TRADE, S.PARTIALLY_FILLED, 3000, 7000, last_qty=3000, last_px="50")
    b.send(K.CANCELED, S.CANCELED, 3000, 0, text="halted")
    assert_order(b.order, S.CANCELED, 10000, 3000, 0)


def test_d35_canceled_order_then_bust_then_late_fill(b: Broker) -> None:
    ack(b)
    b.send(K.TRADE, S.PARTIALLY_FILLED, 5000, 5000, last_qty=5000, last_px="50", exec_id="B")
    b.order.request_cancel(ClOrdId("Y"), b.clock)
    b.send(K.PENDING_CANCEL, S.PENDING_CANCEL, 5000, 5000, cl_ord_id="Y", orig_cl_ord_id="X")
    b.send(K.CANCELED, S.CANCELED, 5000, 0, cl_ord_id="Y", orig_cl_ord_id="X")
    events = b.send(K.TRADE_CANCEL, S.CANCELED, 0, 0, exec_ref_id="B", cl_ord_id="Y")
    assert isinstance(events[0], FillBusted) and events[0].quantity == D(5000)
    assert b.order.cum_qty == 0 and b.order.avg_px is None
    events = b.send(K.TRADE, S.CANCELED, 4000, 0, last_qty=4000, last_px="51", cl_ord_id="Y")
    assert isinstance(events[0], FillBooked) and events[0].late
    assert_order(b.order, S.CANCELED, 10000, 4000, 0)
    assert b.order.avg_px == D(51)


def test_bust_reopens_a_filled_order(b: Broker) -> None:
    ack(b)
    b.send(K.TRADE, S.PARTIALLY_FILLED, 4000, 6000, last_qty=4000, last_px="50", exec_id="F1")
    b.send(K.TRADE, S.FILLED, 10000, 0, last_qty=6000, last_px="51", exec_id="F2")
    b.send(K.TRADE_CANCEL, S.PARTIALLY_FILLED, 4000, 6000, exec_ref_id="F2")
    assert_order(b.order, S.PARTIALLY_FILLED, 10000, 4000, 6000)
    assert b.order.avg_px == D(50)


def test_trade_correction_changes_quantity_and_price(b: Broker) -> None:
    ack(b)
    b.send(K.TRADE, S.PARTIALLY_FILLED, 4000, 6000, last_qty=4000, last_px="50", exec_id="F1")
    b.send(K.TRADE, S.PARTIALLY_FILLED, 5000, 5000, last_qty=1000, last_px="52", exec_id="F2")
    # F2 corrected from 1000@52 to 2000@51: CumQty 4000 + 2000 = 6000, leaves 4000
    events = b.send(
        K.TRADE_CORRECT,
        S.PARTIALLY_FILLED,
        6000,
        4000,
        last_qty=2000,
        last_px="51",
        exec_ref_id="F2",
    )
    assert isinstance(events[0], FillCorrected)
    assert (events[0].old_quantity, events[0].new_quantity) == (D(1000), D(2000))
    assert b.order.cum_qty == D(6000)
    # (4000*50 + 2000*51) / 6000 = 302000 / 6000
    assert b.order.avg_px == D(302000) / D(6000)


def test_duplicate_exec_id_is_ignored(b: Broker) -> None:
    ack(b)
    report = b.report(K.TRADE, S.PARTIALLY_FILLED, 2000, 8000, last_qty=2000, last_px="50")
    assert b.order.apply_report(report)
    before = snapshot(b.order)
    assert b.order.apply_report(report) == []
    assert snapshot(b.order) == before


def test_out_of_order_report_is_an_error_and_changes_nothing(b: Broker) -> None:
    ack(b)
    before = snapshot(b.order)
    # CumQty 5000 after a 2000 fill: an earlier 3000 fill is missing
    with pytest.raises(InconsistentReport, match="CumQty 5000"):
        b.send(K.TRADE, S.PARTIALLY_FILLED, 5000, 5000, last_qty=2000, last_px="50")
    assert snapshot(b.order) == before


@pytest.mark.parametrize("acknowledged", [False, True])
def test_a_duplicate_clordid_reject_does_not_reject_the_order(
    b: Broker, acknowledged: bool
) -> None:
    """The broker already holds the order (a request resent after a restart): the reject
    is refused, and the order stays as it was, pending new or new."""
    if acknowledged:
        ack(b)
    before = snapshot(b.order)
    duplicate = replace(b.report(K.REJECTED, S.REJECTED, 0, 0), duplicate_order=True)
    with pytest.raises(InconsistentReport, match=r"refused ClOrdID .* as a duplicate"):
        b.order.apply_report(duplicate)
    assert snapshot(b.order) == before
    assert b.order.status is (S.NEW if acknowledged else S.PENDING_NEW)


def test_overfill_is_an_error_and_changes_nothing(b: Broker) -> None:
    ack(b)
    b.send(K.TRADE, S.PARTIALLY_FILLED, 9000, 1000, last_qty=9000, last_px="50")
    before = snapshot(b.order)
    with pytest.raises(Overfill, match="above OrderQty 10000"):
        b.send(K.TRADE, S.FILLED, 11000, 0, last_qty=2000, last_px="50")
    assert snapshot(b.order) == before


def test_wrong_leaves_qty_is_an_error(b: Broker) -> None:
    ack(b)
    with pytest.raises(InconsistentReport, match="LeavesQty 9000"):
        b.send(K.TRADE, S.PARTIALLY_FILLED, 2000, 9000, last_qty=2000, last_px="50")


def test_wrong_avg_px_is_an_error(b: Broker) -> None:
    ack(b)
    with pytest.raises(InconsistentReport, match="AvgPx 49"):
        b.send(K.TRADE, S.PARTIALLY_FILLED, 2000, 8000, last_qty=2000, last_px="50", avg_px="49")


def test_status_not_allowed_for_exec_type_is_an_error(b: Broker) -> None:
    ack(b)
    with pytest.raises(InconsistentReport, match="OrdStatus canceled"):
        b.send(K.TRADE, S.CANCELED, 2000, 0, last_qty=2000, last_px="50")


def test_terminal_states_stay_terminal(b: Broker) -> None:
    ack(b)
    b.send(K.CANCELED, S.CANCELED, 0, 0)
    for kind, status in [(K.NEW, S.NEW), (K.REPLACED, S.NEW), (K.PENDING_CANCEL, S.PENDING_CANCEL)]:
        with pytest.raises(InvalidTransition):
            b.send(kind, status, 0, 10000)
    assert b.order.status is S.CANCELED


def test_fill_before_ack_is_booked(b: Broker) -> None:
    b.send(K.TRADE, S.PARTIALLY_FILLED, 100, 9900, last_qty=100, last_px="50")
    assert_order(b.order, S.PARTIALLY_FILLED, 10000, 100, 9900)


def test_pending_new_then_new(b: Broker) -> None:
    b.send(K.PENDING_NEW, S.PENDING_NEW, 0, 10000)
    b.send(K.NEW, S.NEW, 0, 10000)
    assert b.order.status is S.NEW


def test_ioc_remainder_canceled(b: Broker) -> None:
    ack(b)
    b.send(K.TRADE, S.PARTIALLY_FILLED, 400, 9600, last_qty=400, last_px="50")
    b.send(K.CANCELED, S.CANCELED, 400, 0, text="IOC remainder")
    assert_order(b.order, S.CANCELED, 10000, 400, 0)


def test_restatement_reduces_quantity(b: Broker) -> None:
    ack(b)
    b.send(K.TRADE, S.PARTIALLY_FILLED, 1000, 9000, last_qty=1000, last_px="50")
    b.send(K.RESTATED, S.PARTIALLY_FILLED, 1000, 5000, order_qty=6000, text="restated by broker")
    assert_order(b.order, S.PARTIALLY_FILLED, 6000, 1000, 5000)


def test_day_order_expires(b: Broker) -> None:
    ack(b)
    b.send(K.EXPIRED, S.EXPIRED, 0, 0)
    assert_order(b.order, S.EXPIRED, 10000, 0, 0)


def test_order_status_answer_that_disagrees_is_reported(b: Broker) -> None:
    ack(b)
    events = b.send(K.ORDER_STATUS, S.PARTIALLY_FILLED, 500, 9500)
    assert isinstance(events[0], StatusMismatch)
    assert b.order.cum_qty == 0  # a status answer never books anything itself
    confirmed = b.send(K.ORDER_STATUS, S.NEW, 0, 10000)
    assert [type(e) for e in confirmed] == [StatusConfirmed]  # the answer is audited too


def test_fix42_replaced_status_resolves_to_working_status(b: Broker) -> None:
    ack(b)
    b.order.request_replace(ClOrdId("Y"), b.clock, D(9000), limit_price=D(50))
    b.send(K.REPLACED, S.REPLACED, 0, 9000, order_qty=9000, cl_ord_id="Y", orig_cl_ord_id="X")
    assert_order(b.order, S.NEW, 9000, 0, 9000)


def test_report_for_a_foreign_cl_ord_id_is_unknown(b: Broker) -> None:
    with pytest.raises(UnknownOrder):
        b.send(K.NEW, S.NEW, 0, 10000, cl_ord_id="NOT-OURS")


def test_stop_orders_need_a_stop_price() -> None:
    with pytest.raises(InvalidOrder, match="needs a stop price"):
        make_routed(order_type=OrderType.STOP_LIMIT, limit="50", stop=None)
    order = make_routed(order_type=OrderType.STOP, limit=None, stop="48")
    assert order.stop_price == D(48)
