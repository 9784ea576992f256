"""Each scripted broker behaviour, driven through the matching model."""

from __future__ import annotations

import pytest

from tests.unit.simulator.helpers import NOW, D, engine, ers, kinds, last, order
from toms.domain.values import OrderType, Side
from toms.simulator.matching import (
    CancelReject,
    CancelRequest,
    CxlRejReason,
    CxlRejResponseTo,
    ExecRestatementReason,
    ExecType,
    OrdRejReason,
    OrdStatus,
    ReplaceRequest,
)
from toms.simulator.scenarios import SCENARIOS, get_scenario, resolve_scenario, scenario_from_text

LIMIT = OrderType.LIMIT


def cancel(cl: str, orig: str) -> CancelRequest:
    return CancelRequest(cl_ord_id=cl, orig_cl_ord_id=orig)


def scripted(name: str, qty: int = 100, **kw: object):  # type: ignore[no-untyped-def]
    return order("C1", qty, scenario=name, **kw)


# ── selection ───────────────────────────────────────────────────────────────────────────
def test_scenario_from_text() -> None:
    assert scenario_from_text("SCENARIO=trade_bust") == "trade_bust"
    assert scenario_from_text("demo order; scenario = Cancel_Reject please") == "cancel_reject"
    assert scenario_from_text("nothing here") is None
    assert scenario_from_text(None) is None


def test_selection_precedence_explicit_then_text_then_symbol() -> None:
    assert resolve_scenario("reject_new", "SCENARIO=trade_bust", "restated").name == "reject_new"
    assert resolve_scenario(None, "SCENARIO=trade_bust", "restated").name == "trade_bust"  # type: ignore[union-attr]
    assert resolve_scenario(None, "SCENARIO=nonsense", "restated").name == "restated"  # type: ignore[union-attr]
    assert resolve_scenario(None, None, None) is None
    with pytest.raises(KeyError, match="unknown scenario"):
        get_scenario("nonsense")


def test_scenario_selected_by_text_on_the_order() -> None:
    out = engine().new_order(order("C1", 100, text="SCENARIO=reject_new"), NOW)
    assert kinds(out) == [("REJECTED", "REJECTED")]


def test_scenario_selected_per_symbol_in_config() -> None:
    e = engine(symbol_scenarios={"IBM": "reject_new"})
    assert kinds(e.new_order(order("C1", 100, symbol="IBM"), NOW)) == [("REJECTED", "REJECTED")]
    assert kinds(e.new_order(order("C2", 100), NOW))[-1] == ("TRADE", "FILLED")


def test_all_documented_scenarios_exist() -> None:
    assert set(SCENARIOS) == {
        "partial_then_cancel",
        "partial_then_hold",
        "fill_during_pending_cancel",
        "too_late_to_cancel",
        "cancel_reject",
        "unsolicited_cancel",
        "trade_bust",
        "trade_correct",
        "duplicate_report",
        "reject_new",
        "pending_new_first",
        "restated",
        "done_for_day",
        "late_fill_after_cancel",
    }


# ── behaviours ──────────────────────────────────────────────────────────────────────────
def test_partial_then_cancel() -> None:
    out = engine().new_order(scripted("partial_then_cancel"), NOW)
    assert kinds(out) == [
        ("NEW", "NEW"),
        ("TRADE", "PARTIALLY_FILLED"),
        ("CANCELED", "CANCELED"),
    ]
    assert (last(out).cum_qty, last(out).leaves_qty, last(out).orig_cl_ord_id) == (D(50), 0, None)


def test_partial_then_hold_waits_for_the_clients_cancel() -> None:
    e = engine()
    out = e.new_order(scripted("partial_then_hold"), NOW)
    assert kinds(out) == [("NEW", "NEW"), ("TRADE", "PARTIALLY_FILLED")]
    assert e.set_price("AAPL", D("150"), NOW) == []  # held: the market does not move it
    r = last(e.cancel(cancel("X1", "C1"), NOW))
    assert (r.exec_type, r.cum_qty, r.cl_ord_id, r.orig_cl_ord_id) == (
        ExecType.CANCELED,
        D(50),
        "X1",
        "C1",
    )


def test_fill_during_pending_cancel() -> None:
    e = engine()
    assert kinds(e.new_order(scripted("fill_during_pending_cancel"), NOW)) == [("NEW", "NEW")]
    out = e.cancel(cancel("X1", "C1"), NOW)
    assert kinds(out) == [
        ("PENDING_CANCEL", "PENDING_CANCEL"),
        ("TRADE", "PENDING_CANCEL"),  # pending cancel takes precedence over partially filled
        ("CANCELED", "CANCELED"),
    ]
    pending, fill, done = ers(out)
    assert (pending.cl_ord_id, pending.orig_cl_ord_id) == ("X1", "C1")
    assert (fill.last_qty, fill.cum_qty, fill.leaves_qty) == (D(50), D(50), D(50))
    assert (done.cum_qty, done.leaves_qty, done.cl_ord_id) == (D(50), D(0), "X1")


def test_fill_during_pending_cancel_of_the_last_lot_ends_in_cancel_reject() -> None:
    e = engine()
    e.new_order(scripted("fill_during_pending_cancel", qty=1), NOW)
    out = e.cancel(cancel("X1", "C1"), NOW)
    assert kinds(out) == [
        ("PENDING_CANCEL", "PENDING_CANCEL"),
        ("TRADE", "PENDING_CANCEL"),
        ("CANCEL_REJECT", "TOO_LATE_TO_CANCEL"),
    ]
    rej = out[-1]
    assert isinstance(rej, CancelReject)
    assert rej.ord_status is OrdStatus.FILLED


def test_too_late_to_cancel() -> None:
    e = engine()
    e.new_order(scripted("too_late_to_cancel"), NOW)
    out = e.cancel(cancel("X1", "C1"), NOW)
    assert kinds(out) == [
        ("PENDING_CANCEL", "PENDING_CANCEL"),
        ("TRADE", "PENDING_CANCEL"),
        ("CANCEL_REJECT", "TOO_LATE_TO_CANCEL"),
    ]
    rej = out[-1]
    assert isinstance(rej, CancelReject)
    assert (rej.ord_status, rej.cl_ord_id, rej.orig_cl_ord_id) == (OrdStatus.FILLED, "X1", "C1")
    assert e.find("C1").status is OrdStatus.FILLED


def test_cancel_reject_refuses_cancel_and_replace_but_trades() -> None:
    e = engine()
    e.new_order(scripted("cancel_reject", order_type=LIMIT, limit="180"), NOW)
    rej = e.cancel(cancel("X1", "C1"), NOW)[0]
    assert isinstance(rej, CancelReject)
    assert (rej.reason, rej.response_to, rej.ord_status) == (
        CxlRejReason.BROKER_OPTION,
        CxlRejResponseTo.CANCEL,
        OrdStatus.NEW,
    )
    rep = ReplaceRequest("R1", "C1", D(200), LIMIT, D("181"))
    rej = e.replace(rep, NOW)[0]
    assert isinstance(rej, CancelReject)
    assert rej.response_to is CxlRejResponseTo.REPLACE
    assert kinds(e.set_price("AAPL", D("179"), NOW)) == [("TRADE", "FILLED")]


def test_unsolicited_cancel() -> None:
    out = engine().new_order(scripted("unsolicited_cancel"), NOW)
    assert kinds(out) == [("NEW", "NEW"), ("CANCELED", "CANCELED")]
    assert "unsolicited" in last(out).text


def test_trade_bust_references_the_last_fill() -> None:
    e = engine(partial_fills=2)
    out = e.new_order(scripted("trade_bust"), NOW)
    assert kinds(out) == [
        ("NEW", "NEW"),
        ("TRADE", "PARTIALLY_FILLED"),
        ("TRADE", "FILLED"),
        ("TRADE_CANCEL", "PARTIALLY_FILLED"),
    ]
    busted, bust = ers(out)[2], ers(out)[3]
    assert bust.exec_ref_id == busted.exec_id
    assert (bust.cum_qty, bust.leaves_qty, bust.avg_px) == (D(50), D(50), D("190.00"))


def test_trade_correct_improves_the_price_by_a_cent() -> None:
    e = engine()
    out = e.new_order(scripted("trade_correct"), NOW)
    assert kinds(out) == [("NEW", "NEW"), ("TRADE", "FILLED"), ("TRADE_CORRECT", "FILLED")]
    fill, corr = ers(out)[1], ers(out)[2]
    assert corr.exec_ref_id == fill.exec_id
    assert (corr.last_qty, corr.last_px, corr.avg_px) == (D(100), D("189.99"), D("189.99"))
    sell = engine().new_order(order("S1", 100, Side.SELL, scenario="trade_correct"), NOW)
    assert last(sell).last_px == D("190.01")


def test_duplicate_report_resends_each_fill_with_the_same_exec_id() -> None:
    out = engine(partial_fills=2).new_order(scripted("duplicate_report"), NOW)
    assert kinds(out) == [
        ("NEW", "NEW"),
        ("TRADE", "PARTIALLY_FILLED"),
        ("TRADE", "PARTIALLY_FILLED"),
        ("TRADE", "FILLED"),
        ("TRADE", "FILLED"),
    ]
    rs = ers(out)
    assert rs[1].exec_id == rs[2].exec_id
    assert (rs[1].poss_dup, rs[2].poss_dup) == (False, True)
    assert rs[2].last_qty == rs[1].last_qty


def test_reject_new() -> None:
    r = last(engine().new_order(scripted("reject_new"), NOW))
    assert (r.exec_type, r.ord_status, r.ord_rej_reason) == (
        ExecType.REJECTED,
        OrdStatus.REJECTED,
        OrdRejReason.BROKER_OPTION,
    )


def test_pending_new_first() -> None:
    out = engine().new_order(scripted("pending_new_first"), NOW)
    assert kinds(out) == [("PENDING_NEW", "PENDING_NEW"), ("NEW", "NEW"), ("TRADE", "FILLED")]


def test_pending_new_for_every_order_when_configured() -> None:
    assert kinds(engine(send_pending_new=True).new_order(order("C1"), NOW))[:2] == [
        ("PENDING_NEW", "PENDING_NEW"),
        ("NEW", "NEW"),
    ]


def test_restated_quantity_down() -> None:
    out = engine().new_order(scripted("restated"), NOW)
    assert kinds(out) == [("NEW", "NEW"), ("RESTATED", "NEW")]
    r = last(out)
    assert (r.order_qty, r.leaves_qty, r.restatement_reason) == (
        D(50),
        D(50),
        ExecRestatementReason.PARTIAL_DECLINE,
    )


def test_done_for_day() -> None:
    out = engine().new_order(scripted("done_for_day"), NOW)
    assert kinds(out) == [
        ("NEW", "NEW"),
        ("TRADE", "PARTIALLY_FILLED"),
        ("DONE_FOR_DAY", "DONE_FOR_DAY"),
    ]
    assert (last(out).cum_qty, last(out).leaves_qty) == (D(50), D(0))


def test_late_fill_after_cancel() -> None:
    e = engine()
    e.new_order(scripted("late_fill_after_cancel", order_type=LIMIT, limit="185"), NOW)
    out = e.cancel(cancel("X1", "C1"), NOW)
    assert kinds(out) == [("CANCELED", "CANCELED"), ("TRADE", "CANCELED")]
    late = last(out)
    assert (late.last_qty, late.last_px, late.cum_qty, late.leaves_qty) == (
        D(50),
        D("185"),
        D(50),
        D(0),
    )
    assert late.text == "late fill after cancel"
