"""The matching model, one behaviour per test (in the spirit of QuickFIX's OrderMatcherTestCase)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from tests.unit.simulator.helpers import NOW, D, engine, ers, kinds, last, order
from toms.domain.values import OrderType, Side, TimeInForce
from toms.simulator.matching import (
    NO_ORDER_ID,
    AllocationLeg,
    AllocationRequest,
    AllocRejCode,
    AllocStatus,
    CancelReject,
    CancelRequest,
    CxlRejReason,
    CxlRejResponseTo,
    ExecType,
    FillPolicy,
    MatchingConfig,
    MatchingEngine,
    OrdRejReason,
    OrdStatus,
    ReplaceRequest,
    SimulatorError,
    StatusRequest,
)

LIMIT, STOP, STOP_LIMIT = OrderType.LIMIT, OrderType.STOP, OrderType.STOP_LIMIT


def cancel(cl: str, orig: str, owner: str = "") -> CancelRequest:
    return CancelRequest(cl_ord_id=cl, orig_cl_ord_id=orig, owner=owner)


def replace_req(
    cl: str,
    orig: str,
    qty: str | int,
    order_type: OrderType = LIMIT,
    limit: str | None = "180",
    **kw: object,
) -> ReplaceRequest:
    return ReplaceRequest(
        cl_ord_id=cl,
        orig_cl_ord_id=orig,
        quantity=D(qty),
        order_type=order_type,
        limit_price=D(limit) if limit else None,
        **kw,
    )  # type: ignore[arg-type]


# ── market orders ───────────────────────────────────────────────────────────────────────
def test_market_order_fills_immediately_at_the_reference_price() -> None:
    e = engine()
    out = e.new_order(order("C1", 100), NOW)
    assert kinds(out) == [("NEW", "NEW"), ("TRADE", "FILLED")]
    fill = last(out)
    assert (fill.last_qty, fill.last_px) == (D(100), D("190.00"))
    assert (fill.cum_qty, fill.leaves_qty, fill.avg_px) == (D(100), D(0), D("190.00"))
    assert fill.order_id == out[0].order_id
    assert fill.cl_ord_id == "C1"
    assert fill.transact_time == NOW


def test_market_order_fills_in_configured_number_of_partials() -> None:
    out = engine(partial_fills=3).new_order(order("C1", 100), NOW)
    trades = [r for r in ers(out) if r.exec_type is ExecType.TRADE]
    assert [t.last_qty for t in trades] == [D(34), D(34), D(32)]
    assert [t.ord_status for t in trades] == [
        OrdStatus.PARTIALLY_FILLED,
        OrdStatus.PARTIALLY_FILLED,
        OrdStatus.FILLED,
    ]
    assert [t.cum_qty for t in trades] == [D(34), D(68), D(100)]
    assert [t.leaves_qty for t in trades] == [D(66), D(32), D(0)]


def test_fixed_clip_size_with_lot_rounding() -> None:
    out = engine(clip_size="30").new_order(order("C1", 100), NOW)
    assert [r.last_qty for r in ers(out)[1:]] == [D(30), D(30), D(30), D(10)]


def test_partial_clip_is_rounded_up_to_the_lot_size() -> None:
    out = engine(partial_fills=3, lot_size=D(100)).new_order(order("C1", 1000), NOW)
    assert [r.last_qty for r in ers(out)[1:]] == [D(400), D(400), D(200)]


def test_one_clip_per_price_update_and_exact_avg_px() -> None:
    e = engine(partial_fills=3, clips_per_match=1)
    out = e.new_order(order("C1", 300), NOW)
    assert kinds(out) == [("NEW", "NEW"), ("TRADE", "PARTIALLY_FILLED")]
    out = e.set_price("AAPL", D("191.00"), NOW)
    assert kinds(out) == [("TRADE", "PARTIALLY_FILLED")]
    out = e.set_price("AAPL", D("190.50"), NOW)
    final = last(out)
    assert final.ord_status is OrdStatus.FILLED
    assert final.avg_px == D("190.50")  # (100*190 + 100*191 + 100*190.5) / 300


def test_avg_px_is_the_exact_fill_weighted_mean() -> None:
    e = engine(clip_size="100", clips_per_match=1)
    e.new_order(order("C1", 300), NOW)  # 100 @ 190.00
    e.set_price("AAPL", D("190.01"), NOW)  # 100 @ 190.01
    final = last(e.set_price("AAPL", D("190.01"), NOW))  # 100 @ 190.01
    expected = (D(100) * D("190.00") + D(200) * D("190.01")) / D(300)
    assert final.avg_px == expected
    assert final.avg_px == D("190.0066666666666666666666667")
    assert isinstance(final.avg_px, Decimal)


def test_market_sell_fills_too() -> None:
    out = engine().new_order(order("S1", 50, side=Side.SELL), NOW)
    assert kinds(out) == [("NEW", "NEW"), ("TRADE", "FILLED")]
    assert last(out).side is Side.SELL


# ── limit orders ────────────────────────────────────────────────────────────────────────
def test_buy_limit_rests_until_price_falls_to_it_and_fills_at_or_better() -> None:
    e = engine()
    out = e.new_order(order("L1", 100, order_type=LIMIT, limit="189.50"), NOW)
    assert kinds(out) == [("NEW", "NEW")]
    assert last(out).leaves_qty == D(100)
    assert e.set_price("AAPL", D("189.51"), NOW) == []
    out = e.set_price("AAPL", D("189.40"), NOW)
    assert kinds(out) == [("TRADE", "FILLED")]
    assert last(out).last_px == D("189.40")  # better than the limit


def test_buy_limit_fills_when_price_equals_limit() -> None:
    e = engine()
    e.new_order(order("L1", 100, order_type=LIMIT, limit="189.50"), NOW)
    assert last(e.set_price("AAPL", D("189.50"), NOW)).last_px == D("189.50")


def test_sell_limit_rests_until_price_rises_to_it() -> None:
    e = engine()
    assert kinds(e.new_order(order("L1", 100, Side.SELL, LIMIT, "191"), NOW)) == [("NEW", "NEW")]
    assert e.set_price("AAPL", D("190.99"), NOW) == []
    out = e.set_price("AAPL", D("191.25"), NOW)
    assert kinds(out) == [("TRADE", "FILLED")]
    assert last(out).last_px == D("191.25")


def test_marketable_limit_fills_on_arrival_at_the_reference_price() -> None:
    out = engine().new_order(order("L1", 100, order_type=LIMIT, limit="195"), NOW)
    assert kinds(out) == [("NEW", "NEW"), ("TRADE", "FILLED")]
    assert last(out).last_px == D("190.00")


def test_price_update_in_another_symbol_does_not_fill() -> None:
    e = engine()
    e.new_order(order("L1", 100, order_type=LIMIT, limit="189"), NOW)
    assert e.set_price("MSFT", D("1"), NOW) == []


def test_resting_orders_fill_in_arrival_order() -> None:
    e = engine()
    e.new_order(order("A", 100, order_type=LIMIT, limit="189"), NOW)
    e.new_order(order("B", 100, order_type=LIMIT, limit="189"), NOW)
    out = e.set_price("AAPL", D("188"), NOW)
    assert [r.cl_ord_id for r in ers(out)] == ["A", "B"]


# ── stop and stop-limit ─────────────────────────────────────────────────────────────────
def test_buy_stop_triggers_when_price_rises_to_stop_then_fills_as_market() -> None:
    e = engine()
    assert kinds(e.new_order(order("S1", 100, order_type=STOP, stop="192"), NOW)) == [
        ("NEW", "NEW")
    ]
    assert e.set_price("AAPL", D("191.99"), NOW) == []
    assert e.set_price("AAPL", D("185"), NOW) == []  # a buy stop never triggers downwards
    out = e.set_price("AAPL", D("192.10"), NOW)
    assert kinds(out) == [("TRADE", "FILLED")]
    assert last(out).last_px == D("192.10")


def test_sell_stop_triggers_when_price_falls_to_stop() -> None:
    e = engine()
    e.new_order(order("S1", 100, Side.SELL, STOP, stop="188"), NOW)
    assert e.set_price("AAPL", D("195"), NOW) == []
    out = e.set_price("AAPL", D("188"), NOW)
    assert kinds(out) == [("TRADE", "FILLED")]
    assert last(out).last_px == D("188")


def test_stop_already_through_on_arrival_fills_immediately() -> None:
    out = engine().new_order(order("S1", 100, order_type=STOP, stop="150"), NOW)
    assert kinds(out) == [("NEW", "NEW"), ("TRADE", "FILLED")]


def test_stop_limit_triggers_then_rests_as_limit() -> None:
    e = engine()
    e.new_order(order("SL", 100, order_type=STOP_LIMIT, stop="192", limit="192.50"), NOW)
    assert e.set_price("AAPL", D("193"), NOW) == []  # triggered, but above the limit
    out = e.set_price("AAPL", D("191"), NOW)  # below the stop again: stays triggered
    assert kinds(out) == [("TRADE", "FILLED")]
    assert last(out).last_px == D("191")


def test_sell_stop_limit() -> None:
    e = engine()
    e.new_order(order("SL", 100, Side.SELL, STOP_LIMIT, limit="187.50", stop="188"), NOW)
    assert e.set_price("AAPL", D("188.01"), NOW) == []
    out = e.set_price("AAPL", D("187.90"), NOW)
    assert last(out).last_px == D("187.90")


# ── IOC / FOK ───────────────────────────────────────────────────────────────────────────
def test_ioc_fills_what_is_available_and_cancels_the_rest() -> None:
    out = engine(partial_fills=4, clips_per_match=1).new_order(
        order("I1", 100, tif=TimeInForce.IOC), NOW
    )
    assert kinds(out) == [("NEW", "NEW"), ("TRADE", "PARTIALLY_FILLED"), ("CANCELED", "CANCELED")]
    assert (last(out).cum_qty, last(out).leaves_qty) == (D(25), D(0))


def test_ioc_not_marketable_is_cancelled_whole() -> None:
    out = engine().new_order(
        order("I1", 100, order_type=LIMIT, limit="180", tif=TimeInForce.IOC), NOW
    )
    assert kinds(out) == [("NEW", "NEW"), ("CANCELED", "CANCELED")]
    assert last(out).cum_qty == 0


def test_ioc_fully_available_fills_and_is_not_cancelled() -> None:
    out = engine(partial_fills=2).new_order(order("I1", 100, tif=TimeInForce.IOC), NOW)
    assert kinds(out)[-1] == ("TRADE", "FILLED")


def test_fok_fills_in_full_or_not_at_all() -> None:
    out = engine(partial_fills=2).new_order(order("F1", 100, tif=TimeInForce.FOK), NOW)
    assert kinds(out) == [("NEW", "NEW"), ("TRADE", "PARTIALLY_FILLED"), ("TRADE", "FILLED")]
    out = engine(partial_fills=2, clips_per_match=1).new_order(
        order("F2", 100, tif=TimeInForce.FOK), NOW
    )
    assert kinds(out) == [("NEW", "NEW"), ("CANCELED", "CANCELED")]
    assert last(out).cum_qty == 0
    assert "FOK" in last(out).text


def test_fok_limit_not_marketable_is_cancelled() -> None:
    out = engine().new_order(
        order("F1", 100, order_type=LIMIT, limit="100", tif=TimeInForce.FOK), NOW
    )
    assert kinds(out) == [("NEW", "NEW"), ("CANCELED", "CANCELED")]


# ── cancel ──────────────────────────────────────────────────────────────────────────────
def test_cancel_resting_order() -> None:
    e = engine()
    e.new_order(order("L1", 100, order_type=LIMIT, limit="180"), NOW)
    out = e.cancel(cancel("X1", "L1"), NOW)
    assert kinds(out) == [("CANCELED", "CANCELED")]
    r = last(out)
    assert (r.cl_ord_id, r.orig_cl_ord_id, r.leaves_qty, r.cum_qty) == ("X1", "L1", D(0), D(0))
    assert e.set_price("AAPL", D("100"), NOW) == []  # no longer in the book


def test_cancel_partially_filled_order_keeps_cum_qty() -> None:
    e = engine(partial_fills=2, clips_per_match=1)
    e.new_order(order("M1", 100), NOW)
    r = last(e.cancel(cancel("X1", "M1"), NOW))
    assert (r.ord_status, r.cum_qty, r.leaves_qty, r.avg_px) == (
        OrdStatus.CANCELED,
        D(50),
        D(0),
        D("190.00"),
    )


def test_cancel_with_pending_acks_configured() -> None:
    e = engine(send_pending_acks=True)
    e.new_order(order("L1", 100, order_type=LIMIT, limit="180"), NOW)
    out = e.cancel(cancel("X1", "L1"), NOW)
    assert kinds(out) == [("PENDING_CANCEL", "PENDING_CANCEL"), ("CANCELED", "CANCELED")]
    assert [(r.cl_ord_id, r.orig_cl_ord_id) for r in ers(out)] == [("X1", "L1"), ("X1", "L1")]


def test_cancel_unknown_order_is_rejected_with_unknown_order() -> None:
    out = engine().cancel(cancel("X1", "NOPE"), NOW)
    rej = out[0]
    assert isinstance(rej, CancelReject)
    assert rej.reason is CxlRejReason.UNKNOWN_ORDER
    assert rej.ord_status is OrdStatus.REJECTED
    assert (rej.order_id, rej.cl_ord_id, rej.orig_cl_ord_id) == (NO_ORDER_ID, "X1", "NOPE")
    assert rej.response_to is CxlRejResponseTo.CANCEL


def test_cancel_filled_order_is_too_late() -> None:
    e = engine()
    e.new_order(order("M1", 100), NOW)
    rej = e.cancel(cancel("X1", "M1"), NOW)[0]
    assert isinstance(rej, CancelReject)
    assert (rej.reason, rej.ord_status) == (CxlRejReason.TOO_LATE_TO_CANCEL, OrdStatus.FILLED)


def test_cancel_twice_is_too_late_the_second_time() -> None:
    e = engine()
    e.new_order(order("L1", 100, order_type=LIMIT, limit="180"), NOW)
    e.cancel(cancel("X1", "L1"), NOW)
    rej = e.cancel(cancel("X2", "X1"), NOW)[0]
    assert isinstance(rej, CancelReject)
    assert (rej.reason, rej.ord_status) == (CxlRejReason.TOO_LATE_TO_CANCEL, OrdStatus.CANCELED)


def test_cancel_with_duplicate_cl_ord_id_is_rejected() -> None:
    e = engine()
    e.new_order(order("L1", 100, order_type=LIMIT, limit="180"), NOW)
    rej = e.cancel(cancel("L1", "L1"), NOW)[0]
    assert isinstance(rej, CancelReject)
    assert rej.reason is CxlRejReason.DUPLICATE_CL_ORD_ID
    assert rej.ord_status is OrdStatus.NEW


def test_cancel_by_another_session_is_unknown() -> None:
    e = engine()
    e.new_order(order("L1", 100, order_type=LIMIT, limit="180", owner="A"), NOW)
    rej = e.cancel(cancel("X1", "L1", owner="B"), NOW)[0]
    assert isinstance(rej, CancelReject)
    assert rej.reason is CxlRejReason.UNKNOWN_ORDER


# ── cancel / replace ────────────────────────────────────────────────────────────────────
def test_replace_up_increases_leaves() -> None:
    e = engine()
    e.new_order(order("L1", 100, order_type=LIMIT, limit="180"), NOW)
    out = e.replace(replace_req("R1", "L1", 200, limit="181"), NOW)
    assert kinds(out) == [("REPLACED", "NEW")]
    r = last(out)
    assert (r.cl_ord_id, r.orig_cl_ord_id) == ("R1", "L1")
    assert (r.order_qty, r.leaves_qty, r.limit_price) == (D(200), D(200), D("181"))


def test_replace_to_marketable_price_fills_after_the_replace_ack() -> None:
    e = engine()
    e.new_order(order("L1", 100, order_type=LIMIT, limit="180"), NOW)
    out = e.replace(replace_req("R1", "L1", 100, limit="191"), NOW)
    assert kinds(out) == [("REPLACED", "NEW"), ("TRADE", "FILLED")]
    assert last(out).cl_ord_id == "R1"


def test_replace_down_on_partially_filled_order() -> None:
    e = engine(partial_fills=4, clips_per_match=1)
    e.new_order(order("M1", 100, order_type=LIMIT, limit="195"), NOW)  # 25 filled
    r = last(e.replace(replace_req("R1", "M1", 60, limit="180"), NOW))
    assert (r.exec_type, r.ord_status) == (ExecType.REPLACED, OrdStatus.PARTIALLY_FILLED)
    assert (r.order_qty, r.cum_qty, r.leaves_qty) == (D(60), D(25), D(35))


def test_replace_below_cum_qty_leaves_the_order_filled() -> None:
    """FIX 4.4 Appendix D12: OrderQty becomes CumQty, ExecType=Replace, OrdStatus=Filled."""
    e = engine(partial_fills=2, clips_per_match=1)
    e.new_order(order("M1", 100, order_type=LIMIT, limit="195"), NOW)  # 50 filled
    out = e.replace(replace_req("R1", "M1", 30, limit="195"), NOW)
    assert kinds(out) == [("REPLACED", "FILLED")]
    r = last(out)
    assert (r.order_qty, r.cum_qty, r.leaves_qty) == (D(50), D(50), D(0))
    assert e.set_price("AAPL", D("100"), NOW) == []


def test_replace_to_exactly_cum_qty_is_filled() -> None:
    e = engine(partial_fills=2, clips_per_match=1)
    e.new_order(order("M1", 100, order_type=LIMIT, limit="195"), NOW)
    assert kinds(e.replace(replace_req("R1", "M1", 50, limit="195"), NOW)) == [
        ("REPLACED", "FILLED")
    ]


def test_replace_chain_then_cancel_with_latest_cl_ord_id() -> None:
    e = engine()
    e.new_order(order("L1", 100, order_type=LIMIT, limit="180"), NOW)
    e.replace(replace_req("R1", "L1", 150), NOW)
    e.replace(replace_req("R2", "R1", 120), NOW)
    r = last(e.cancel(cancel("X1", "R2"), NOW))
    assert (r.cl_ord_id, r.orig_cl_ord_id, r.order_qty) == ("X1", "R2", D(120))
    assert e.find("L1").cl_ord_ids == ["L1", "R1", "R2", "X1"]


def test_replace_with_pending_acks() -> None:
    e = engine(send_pending_acks=True)
    e.new_order(order("L1", 100, order_type=LIMIT, limit="180"), NOW)
    out = e.replace(replace_req("R1", "L1", 200), NOW)
    assert kinds(out) == [("PENDING_REPLACE", "PENDING_REPLACE"), ("REPLACED", "NEW")]


def test_replace_changing_side_or_bad_quantity_is_rejected() -> None:
    e = engine()
    e.new_order(order("L1", 100, order_type=LIMIT, limit="180"), NOW)
    rej = e.replace(replace_req("R1", "L1", 100, side=Side.SELL), NOW)[0]
    assert isinstance(rej, CancelReject)
    assert rej.response_to is CxlRejResponseTo.REPLACE
    assert "side" in rej.text
    rej = e.replace(replace_req("R2", "L1", 0), NOW)[0]
    assert isinstance(rej, CancelReject)
    assert "quantity" in rej.text
    rej = e.replace(replace_req("R3", "L1", 100, limit=None), NOW)[0]
    assert isinstance(rej, CancelReject)
    assert "Price" in rej.text
    assert e.find("L1").cl_ord_id == "L1"  # nothing changed


def test_replace_unknown_or_filled_order_is_rejected() -> None:
    e = engine()
    rej = e.replace(replace_req("R1", "NOPE", 100), NOW)[0]
    assert isinstance(rej, CancelReject)
    assert rej.reason is CxlRejReason.UNKNOWN_ORDER
    e.new_order(order("M1", 100), NOW)
    rej = e.replace(replace_req("R2", "M1", 200), NOW)[0]
    assert isinstance(rej, CancelReject)
    assert (rej.reason, rej.ord_status) == (CxlRejReason.TOO_LATE_TO_CANCEL, OrdStatus.FILLED)


def test_replace_stop_price_rearms_the_stop() -> None:
    e = engine()
    e.new_order(order("S1", 100, order_type=STOP_LIMIT, stop="192", limit="180"), NOW)
    e.set_price("AAPL", D("193"), NOW)  # triggered, rests as a limit at 180
    e.replace(
        replace_req("R1", "S1", 100, order_type=STOP_LIMIT, limit="197", stop_price=D("196")), NOW
    )
    assert e.set_price("AAPL", D("194"), NOW) == []  # new stop not reached yet
    assert kinds(e.set_price("AAPL", D("196"), NOW)) == [("TRADE", "FILLED")]


# ── rejects of new orders ───────────────────────────────────────────────────────────────
@pytest.mark.parametrize(
    ("new", "reason", "words"),
    [
        (order("R", 100, symbol="ZZZZ"), OrdRejReason.UNKNOWN_SYMBOL, "unknown symbol"),
        (order("R", 0), OrdRejReason.INCORRECT_QUANTITY, "positive"),
        (order("R", -5), OrdRejReason.INCORRECT_QUANTITY, "positive"),
        (order("R", "10.5"), OrdRejReason.INCORRECT_QUANTITY, "lot size"),
        (order("R", 2_000_000), OrdRejReason.ORDER_EXCEEDS_LIMIT, "maximum"),
        (
            order("R", 100, tif=TimeInForce.GTD),
            OrdRejReason.UNSUPPORTED_ORDER_CHARACTERISTIC,
            "TimeInForce",
        ),
        (order("R", 100, order_type=LIMIT), OrdRejReason.OTHER, "Price"),
        (order("R", 100, order_type=STOP), OrdRejReason.OTHER, "StopPx"),
    ],
)
def test_invalid_orders_are_rejected(new, reason, words) -> None:  # type: ignore[no-untyped-def]
    out = engine().new_order(new, NOW)
    assert kinds(out) == [("REJECTED", "REJECTED")]
    r = last(out)
    assert r.ord_rej_reason is reason
    assert words in r.text
    assert (r.cum_qty, r.leaves_qty) == (D(0), D(0))


def test_lot_size_is_configurable() -> None:
    e = engine(lot_size=D(100))
    assert kinds(e.new_order(order("A", 150), NOW)) == [("REJECTED", "REJECTED")]
    assert kinds(e.new_order(order("B", 200), NOW))[0] == ("NEW", "NEW")


def test_gtd_supported_when_configured_and_needs_expire_date() -> None:
    e = engine(supported_tifs=frozenset(TimeInForce))
    out = e.new_order(order("G1", 100, order_type=LIMIT, limit="180", tif=TimeInForce.GTD), NOW)
    assert "ExpireDate" in last(out).text
    out = e.new_order(
        order(
            "G2",
            100,
            order_type=LIMIT,
            limit="180",
            tif=TimeInForce.GTD,
            expire_date=NOW.date() + timedelta(days=1),
        ),
        NOW,
    )
    assert kinds(out) == [("NEW", "NEW")]


def test_duplicate_cl_ord_id_is_rejected_without_an_order_id() -> None:
    e = engine()
    e.new_order(order("C1", 100, order_type=LIMIT, limit="180"), NOW)
    r = last(e.new_order(order("C1", 100), NOW))
    assert (r.exec_type, r.ord_rej_reason, r.order_id) == (
        ExecType.REJECTED,
        OrdRejReason.DUPLICATE_ORDER,
        NO_ORDER_ID,
    )
    assert e.find("C1").status is OrdStatus.NEW  # the first order is untouched


def test_same_cl_ord_id_from_two_sessions_are_two_orders() -> None:
    e = engine()
    a = last(e.new_order(order("C1", 100, owner="A"), NOW))
    b = last(e.new_order(order("C1", 100, owner="B"), NOW))
    assert a.order_id != b.order_id
    assert (a.owner, b.owner) == ("A", "B")


def test_reject_rate_is_seeded_and_deterministic() -> None:
    def run(seed: int) -> list[str]:
        e = engine(reject_rate=0.5, seed=seed)
        return [ers(e.new_order(order(f"C{i}", 100), NOW))[0].exec_type.name for i in range(40)]

    first = run(7)
    assert first == run(7)
    assert "REJECTED" in first
    assert "NEW" in first
    assert engine(reject_rate=1.0).new_order(order("C", 100), NOW)[0].text == (
        "random reject (reject_rate)"
    )


def test_reject_new_for_unparseable_wire_values() -> None:
    e = engine()
    out = e.reject_new(
        order("W1", 100),
        OrdRejReason.UNSUPPORTED_ORDER_CHARACTERISTIC,
        "unsupported TimeInForce '2'",
        NOW,
    )
    assert kinds(out) == [("REJECTED", "REJECTED")]
    assert e.find("W1").status is OrdStatus.REJECTED


# ── end of day ──────────────────────────────────────────────────────────────────────────
def test_day_orders_expire_at_end_of_day_gtc_orders_survive() -> None:
    e = engine(supported_tifs=frozenset(TimeInForce), partial_fills=2, clips_per_match=1)
    e.new_order(order("DAY", 100, order_type=LIMIT, limit="180"), NOW)
    e.new_order(order("GTC", 100, order_type=LIMIT, limit="180", tif=TimeInForce.GTC), NOW)
    e.new_order(order("PART", 100), NOW)  # 50 filled, 50 open
    e.new_order(
        order(
            "GTD1", 100, order_type=LIMIT, limit="180", tif=TimeInForce.GTD, expire_date=NOW.date()
        ),
        NOW,
    )
    e.new_order(
        order(
            "GTD2",
            100,
            order_type=LIMIT,
            limit="180",
            tif=TimeInForce.GTD,
            expire_date=date(2027, 1, 1),
        ),
        NOW,
    )
    out = e.end_of_day(NOW)
    assert [(r.cl_ord_id, r.exec_type.name, r.ord_status.name) for r in ers(out)] == [
        ("DAY", "EXPIRED", "EXPIRED"),
        ("PART", "EXPIRED", "EXPIRED"),
        ("GTD1", "EXPIRED", "EXPIRED"),
    ]
    part = next(r for r in ers(out) if r.cl_ord_id == "PART")
    assert (part.cum_qty, part.leaves_qty) == (D(50), D(0))
    assert e.find("GTC").is_working
    assert e.end_of_day(NOW) == []


# ── status ──────────────────────────────────────────────────────────────────────────────
def test_status_of_known_order() -> None:
    e = engine(partial_fills=2, clips_per_match=1)
    e.new_order(order("M1", 100), NOW)
    r = last(e.status(StatusRequest("M1"), NOW))
    assert (r.exec_type, r.ord_status, r.cum_qty, r.leaves_qty) == (
        ExecType.ORDER_STATUS,
        OrdStatus.PARTIALLY_FILLED,
        D(50),
        D(50),
    )


def test_status_of_unknown_order_says_rejected() -> None:
    r = last(engine().status(StatusRequest("NOPE", symbol="AAPL", side=Side.SELL), NOW))
    assert (r.exec_type, r.ord_status, r.order_id) == (
        ExecType.ORDER_STATUS,
        OrdStatus.REJECTED,
        NO_ORDER_ID,
    )
    assert (r.symbol, r.side, r.text) == ("AAPL", Side.SELL, "unknown order")


# ── broker controls ─────────────────────────────────────────────────────────────────────
def test_bust_reopens_the_order_and_references_the_fill() -> None:
    e = engine(partial_fills=2)
    out = e.new_order(order("M1", 100, order_type=LIMIT, limit="195", tif=TimeInForce.GTC), NOW)
    second = ers(out)[-1]
    bust = last(e.bust(second.exec_id, NOW))
    assert (bust.exec_type, bust.ord_status, bust.exec_ref_id) == (
        ExecType.TRADE_CANCEL,
        OrdStatus.PARTIALLY_FILLED,
        second.exec_id,
    )
    assert (bust.cum_qty, bust.leaves_qty, bust.last_qty) == (D(50), D(50), D(0))
    assert bust.exec_id != second.exec_id
    with pytest.raises(SimulatorError, match="already busted"):
        e.bust(second.exec_id, NOW)
    with pytest.raises(SimulatorError, match="no fill"):
        e.bust("E-NOPE", NOW)


def test_bust_on_a_cancelled_order_keeps_it_cancelled() -> None:
    e = engine(partial_fills=2, clips_per_match=1)
    fill = ers(e.new_order(order("M1", 100), NOW))[-1]
    e.cancel(cancel("X1", "M1"), NOW)
    r = last(e.bust(fill.exec_id, NOW))
    assert (r.ord_status, r.cum_qty, r.leaves_qty, r.avg_px) == (
        OrdStatus.CANCELED,
        D(0),
        D(0),
        D(0),
    )


def test_correct_changes_quantity_and_price_and_avg_px() -> None:
    e = engine(partial_fills=2, clips_per_match=1)
    fill = ers(e.new_order(order("M1", 100), NOW))[-1]
    r = last(e.correct(fill.exec_id, NOW, quantity=D(40), price=D("189.00")))
    assert (r.exec_type, r.exec_ref_id, r.last_qty, r.last_px) == (
        ExecType.TRADE_CORRECT,
        fill.exec_id,
        D(40),
        D("189.00"),
    )
    assert (r.cum_qty, r.leaves_qty, r.avg_px) == (D(40), D(60), D("189.00"))
    with pytest.raises(SimulatorError, match="overfill"):
        e.correct(fill.exec_id, NOW, quantity=D(101))


def test_unsolicited_cancel_control() -> None:
    e = engine()
    e.new_order(order("L1", 100, order_type=LIMIT, limit="180"), NOW)
    r = last(e.unsolicited_cancel("L1", NOW))
    assert (r.exec_type, r.ord_status, r.cl_ord_id, r.orig_cl_ord_id) == (
        ExecType.CANCELED,
        OrdStatus.CANCELED,
        "L1",
        None,
    )
    with pytest.raises(SimulatorError, match="not working"):
        e.unsolicited_cancel("L1", NOW)
    with pytest.raises(SimulatorError, match="no order"):
        e.unsolicited_cancel("NOPE", NOW)


def test_restate_and_done_for_day_controls() -> None:
    e = engine()
    e.new_order(order("L1", 100, order_type=LIMIT, limit="180"), NOW)
    r = last(e.restate("L1", D(60), NOW))
    assert (r.exec_type, r.ord_status, r.order_qty, r.leaves_qty) == (
        ExecType.RESTATED,
        OrdStatus.NEW,
        D(60),
        D(60),
    )
    r = last(e.done_for_day("L1", NOW))
    assert (r.exec_type, r.ord_status, r.leaves_qty) == (
        ExecType.DONE_FOR_DAY,
        OrdStatus.DONE_FOR_DAY,
        D(0),
    )


def test_set_price_rejects_unknown_symbol_and_bad_price() -> None:
    e = engine()
    with pytest.raises(SimulatorError, match="unknown symbol"):
        e.set_price("ZZZZ", D(1), NOW)
    with pytest.raises(SimulatorError, match="positive"):
        e.set_price("AAPL", D(0), NOW)


def test_naive_time_is_refused() -> None:
    from toms.domain.errors import InvalidValue

    with pytest.raises(InvalidValue, match="timezone-aware"):
        engine().new_order(order("C1"), NOW.replace(tzinfo=None))


# ── identifiers ─────────────────────────────────────────────────────────────────────────
def test_exec_ids_are_unique_and_deterministic() -> None:
    def run() -> list[str]:
        e = engine(partial_fills=3, id_prefix="T-")
        ids = [r.exec_id for r in ers(e.new_order(order("A", 100), NOW))]
        ids += [r.exec_id for r in ers(e.new_order(order("B", 100, Side.SELL), NOW))]
        return ids

    ids = run()
    assert len(ids) == len(set(ids)) == 8
    assert ids == run()
    assert ids[0] == "T-E000001"


# ── allocation ──────────────────────────────────────────────────────────────────────────
def alloc(
    qty: str,
    legs: list[tuple[str, str]],
    avg_px: str | None = "190.00",
    cl_ord_ids: tuple[str, ...] = ("M1",),
    alloc_id: str = "AL1",
) -> AllocationRequest:
    return AllocationRequest(
        alloc_id=alloc_id,
        side=Side.BUY,
        symbol="AAPL",
        quantity=D(qty),
        avg_px=D(avg_px) if avg_px else None,
        legs=tuple(AllocationLeg(a, D(q)) for a, q in legs),
        cl_ord_ids=cl_ord_ids,
    )


@pytest.fixture
def filled() -> MatchingEngine:
    e = engine()
    e.new_order(order("M1", 100), NOW)
    return e


def test_allocation_accepted(filled: MatchingEngine) -> None:
    ack = filled.allocate(alloc("100", [("ACC1", "60"), ("ACC2", "40")]), NOW)
    assert (ack.status, ack.reject_code) == (AllocStatus.ACCEPTED, None)


@pytest.mark.parametrize(
    ("request_", "code"),
    [
        (alloc("100", [("ACC1", "60"), ("ACC2", "30")]), AllocRejCode.INCORRECT_ALLOCATED_QUANTITY),
        (alloc("90", [("ACC1", "90")]), AllocRejCode.INCORRECT_QUANTITY),
        (alloc("100", [("ACC1", "100")], avg_px="191"), AllocRejCode.INCORRECT_AVERAGE_PRICE),
        (alloc("100", [("ACC1", "100")], cl_ord_ids=("NOPE",)), AllocRejCode.UNKNOWN_CL_ORD_ID),
        (alloc("100", [("ACC1", "100")], cl_ord_ids=()), AllocRejCode.OTHER),
        (alloc("100", [("", "100")]), AllocRejCode.UNKNOWN_ACCOUNT),
        (alloc("100", []), AllocRejCode.INCORRECT_ALLOCATED_QUANTITY),
    ],
)
def test_allocation_rejected(
    filled: MatchingEngine, request_: AllocationRequest, code: AllocRejCode
) -> None:
    ack = filled.allocate(request_, NOW)
    assert (ack.status, ack.reject_code) == (AllocStatus.BLOCK_LEVEL_REJECT, code)
    assert ack.text


def test_allocation_avg_px_within_tolerance_and_duplicate_alloc_id(filled: MatchingEngine) -> None:
    assert filled.allocate(alloc("100", [("A", "100")], avg_px="190.00004"), NOW).status is (
        AllocStatus.ACCEPTED
    )
    again = filled.allocate(alloc("100", [("A", "100")]), NOW)
    assert (again.status, again.reject_code) == (AllocStatus.BLOCK_LEVEL_REJECT, AllocRejCode.OTHER)


def test_allocation_across_two_orders_uses_combined_avg_px() -> None:
    e = engine()
    e.new_order(order("M1", 100), NOW)
    e.set_price("AAPL", D("191.00"), NOW)
    e.new_order(order("M2", 300), NOW)
    req = alloc("400", [("A", "250"), ("B", "150")], avg_px="190.75", cl_ord_ids=("M1", "M2"))
    assert e.allocate(req, NOW).status is AllocStatus.ACCEPTED


def test_config_validation() -> None:
    with pytest.raises(ValueError, match="partial_fills"):
        FillPolicy(partial_fills=0)
    with pytest.raises(ValueError, match="reject_rate"):
        MatchingConfig(reject_rate=1.5)
    with pytest.raises(ValueError, match="lot_size"):
        MatchingConfig(lot_size=D(0))
