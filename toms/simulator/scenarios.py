"""Scripted broker behaviours, selected per order.

How a scenario is chosen, first match wins:

1. ``NewOrder.scenario`` (tests driving the model directly);
2. ``SCENARIO=<name>`` anywhere in the order's Text (58), e.g. ``58=SCENARIO=cancel_reject``
   (case-insensitive; other text around it is allowed);
3. the symbol's ``scenario`` in the broker configuration (``[symbols.XYZ] scenario = ...``
   in ``config/sim_broker.toml``), so a demo can make one symbol misbehave.

An unknown name in Text is ignored (the order trades normally); an unknown name in the
configuration is a configuration error. Replacements keep the original order's scenario.

Scenarios marked *held* never execute against the market: the order moves only as the
script says, which keeps tests deterministic whatever the price does. "Half" below means
half of the open quantity, rounded down to the lot size (at least one lot). Scripted fills
execute at the reference price when the order could trade there, else at its limit price.

=========================== ====== ==========================================================
name                        held   behaviour
=========================== ====== ==========================================================
partial_then_cancel         yes    New, a fill for half, then the broker cancels the rest
                                   (ExecType=4, unsolicited).
partial_then_hold           yes    New, a fill for half, then nothing until the client
                                   cancels or replaces.
fill_during_pending_cancel  yes    On the client's cancel: PendingCancel, a fill for half of
                                   the open quantity (OrdStatus=PendingCancel), then Canceled.
too_late_to_cancel          yes    On the client's cancel: PendingCancel, a fill for all the
                                   open quantity, then OrderCancelReject (CxlRejReason=0,
                                   OrdStatus=Filled).
cancel_reject               no     Every cancel and cancel/replace is refused
                                   (OrderCancelReject, CxlRejReason=2 broker option); the
                                   order otherwise trades normally.
unsolicited_cancel          yes    New, then the broker cancels the order on its own.
trade_bust                  yes    New, filled in full, then the last fill is busted
                                   (ExecType=H, ExecRefID=its ExecID): the order is open again.
trade_correct               yes    New, filled in full, then the last fill is corrected
                                   (ExecType=G, ExecRefID, LastPx one cent better).
duplicate_report            no     Trades normally; every fill report is sent twice, the
                                   second time with PossDupFlag=Y / PossResend=Y and the same
                                   ExecID.
reject_new                  —      ExecType=8 OrdStatus=8 (OrdRejReason broker option).
pending_new_first           no     ExecType=A (PendingNew) before ExecType=0, then trades
                                   normally.
restated                    yes    New, then ExecType=D (ExecRestatementReason=5 partial
                                   decline) with OrderQty restated down to half.
done_for_day                yes    New, a fill for half, then ExecType=3 OrdStatus=3
                                   (done for day, LeavesQty=0).
late_fill_after_cancel      yes    On the client's cancel: Canceled, then a late fill for
                                   half the quantity that was open (OrdStatus stays Canceled).
=========================== ====== ==========================================================
"""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, ClassVar, Final

from toms.simulator.matching import (
    CancelRequest,
    CxlRejReason,
    CxlRejResponseTo,
    ExecReport,
    ExecRestatementReason,
    ExecType,
    OrdRejReason,
    ReplaceRequest,
    Report,
    SimOrder,
    duplicate,
)

if TYPE_CHECKING:
    from toms.simulator.matching import MatchingEngine

SCENARIO_PATTERN: Final = re.compile(r"SCENARIO\s*=\s*([A-Za-z_]+)", re.IGNORECASE)
CENT: Final = Decimal("0.01")


class Scenario:
    """Hooks the engine calls for orders running this scenario. Defaults change nothing."""

    name: ClassVar[str] = ""
    holds: ClassVar[bool] = False
    pending_new: ClassVar[bool] = False

    def on_new(
        self, engine: MatchingEngine, order: SimOrder, now: datetime, out: list[Report]
    ) -> bool:
        """Before the acknowledgement. True when the scenario answered the order itself."""
        return False

    def after_accept(
        self, engine: MatchingEngine, order: SimOrder, now: datetime, out: list[Report]
    ) -> None:
        """After New (and any matching on arrival)."""

    def on_cancel(
        self,
        engine: MatchingEngine,
        order: SimOrder,
        request: CancelRequest,
        now: datetime,
        out: list[Report],
    ) -> bool:
        """A valid cancel for a working order. True when the scenario answered it."""
        return False

    def on_replace(
        self,
        engine: MatchingEngine,
        order: SimOrder,
        request: ReplaceRequest,
        now: datetime,
        out: list[Report],
    ) -> bool:
        """A valid cancel/replace for a working order. True when the scenario answered it."""
        return False

    def echo(self, report: ExecReport) -> list[ExecReport]:
        """Extra copies to send right after ``report``."""
        return []


class PartialThenCancel(Scenario):
    name = "partial_then_cancel"
    holds = True

    def after_accept(
        self, engine: MatchingEngine, order: SimOrder, now: datetime, out: list[Report]
    ) -> None:
        engine.fill(order, engine.part(order), engine.scenario_price(order), now, out)
        if order.is_working:
            engine.cancel_order(order, now, out, text="remaining quantity cancelled by broker")


class PartialThenHold(Scenario):
    name = "partial_then_hold"
    holds = True

    def after_accept(
        self, engine: MatchingEngine, order: SimOrder, now: datetime, out: list[Report]
    ) -> None:
        engine.fill(order, engine.part(order), engine.scenario_price(order), now, out)


class FillDuringPendingCancel(Scenario):
    name = "fill_during_pending_cancel"
    holds = True

    def fill_quantity(self, engine: MatchingEngine, order: SimOrder) -> Decimal:
        return engine.part(order)

    def on_cancel(
        self,
        engine: MatchingEngine,
        order: SimOrder,
        request: CancelRequest,
        now: datetime,
        out: list[Report],
    ) -> bool:
        engine.pending_cancel(order, request, now, out)
        engine.fill(
            order,
            self.fill_quantity(engine, order),
            engine.scenario_price(order),
            now,
            out,
            text="filled while the cancel was pending",
        )
        if order.is_working:
            engine.cancel_order(order, now, out, cl_ord_id=request.cl_ord_id)
        else:
            engine.cancel_reject(
                order,
                request.cl_ord_id,
                CxlRejResponseTo.CANCEL,
                CxlRejReason.TOO_LATE_TO_CANCEL,
                "too late to cancel: filled",
                now,
                out,
                orig_cl_ord_id=request.orig_cl_ord_id,
            )
        return True


class TooLateToCancel(FillDuringPendingCancel):
    """The rest fills while the cancel is pending, so the cancel is rejected (D5)."""

    name = "too_late_to_cancel"

    def fill_quantity(self, engine: MatchingEngine, order: SimOrder) -> Decimal:
        return order.leaves_qty


class CancelRejectScenario(Scenario):
    name = "cancel_reject"

    def on_cancel(
        self,
        engine: MatchingEngine,
        order: SimOrder,
        request: CancelRequest,
        now: datetime,
        out: list[Report],
    ) -> bool:
        engine.cancel_reject(
            order,
            request.cl_ord_id,
            CxlRejResponseTo.CANCEL,
            CxlRejReason.BROKER_OPTION,
            "cancel refused by broker",
            now,
            out,
            orig_cl_ord_id=request.orig_cl_ord_id,
        )
        return True

    def on_replace(
        self,
        engine: MatchingEngine,
        order: SimOrder,
        request: ReplaceRequest,
        now: datetime,
        out: list[Report],
    ) -> bool:
        engine.cancel_reject(
            order,
            request.cl_ord_id,
            CxlRejResponseTo.REPLACE,
            CxlRejReason.BROKER_OPTION,
            "replace refused by broker",
            now,
            out,
            orig_cl_ord_id=request.orig_cl_ord_id,
        )
        return True


class UnsolicitedCancel(Scenario):
    name = "unsolicited_cancel"
    holds = True

    def after_accept(
        self, engine: MatchingEngine, order: SimOrder, now: datetime, out: list[Report]
    ) -> None:
        engine.cancel_order(order, now, out, text="cancelled by broker (unsolicited)")


class TradeBust(Scenario):
    name = "trade_bust"
    holds = True

    def after_accept(
        self, engine: MatchingEngine, order: SimOrder, now: datetime, out: list[Report]
    ) -> None:
        price = engine.scenario_price(order)
        fills = [engine.fill(order, q, price, now, out) for q in engine.clips(order, limit=False)]
        last = fills[-1]
        engine.bust_fill(order, last, last.exec_id, now, out, text="trade busted by broker")


class TradeCorrect(Scenario):
    name = "trade_correct"
    holds = True

    def after_accept(
        self, engine: MatchingEngine, order: SimOrder, now: datetime, out: list[Report]
    ) -> None:
        price = engine.scenario_price(order)
        fills = [engine.fill(order, q, price, now, out) for q in engine.clips(order, limit=False)]
        last = fills[-1]
        better = last.price - CENT if order.is_buy else last.price + CENT
        if better <= 0:
            better = last.price
        engine.correct_fill(
            order,
            last,
            last.exec_id,
            None,
            better,
            now,
            out,
            text="trade corrected by broker: price",
        )


class DuplicateReport(Scenario):
    name = "duplicate_report"

    def echo(self, report: ExecReport) -> list[ExecReport]:
        if report.exec_type is ExecType.TRADE and not report.poss_dup:
            return [duplicate(report)]
        return []


class RejectNew(Scenario):
    name = "reject_new"

    def on_new(
        self, engine: MatchingEngine, order: SimOrder, now: datetime, out: list[Report]
    ) -> bool:
        engine.reject(order, OrdRejReason.BROKER_OPTION, "rejected by broker (scenario)", now, out)
        return True


class PendingNewFirst(Scenario):
    name = "pending_new_first"
    pending_new = True


class Restated(Scenario):
    name = "restated"
    holds = True

    def after_accept(
        self, engine: MatchingEngine, order: SimOrder, now: datetime, out: list[Report]
    ) -> None:
        engine.restate_order(
            order,
            engine.part(order),
            ExecRestatementReason.PARTIAL_DECLINE,
            now,
            out,
            text="order quantity restated down by broker",
        )


class DoneForDay(Scenario):
    name = "done_for_day"
    holds = True

    def after_accept(
        self, engine: MatchingEngine, order: SimOrder, now: datetime, out: list[Report]
    ) -> None:
        engine.fill(order, engine.part(order), engine.scenario_price(order), now, out)
        if order.is_working:
            engine.done_for_day_order(order, now, out)


class LateFillAfterCancel(Scenario):
    name = "late_fill_after_cancel"
    holds = True

    def on_cancel(
        self,
        engine: MatchingEngine,
        order: SimOrder,
        request: CancelRequest,
        now: datetime,
        out: list[Report],
    ) -> bool:
        late = engine.part(order)
        price = engine.scenario_price(order)
        engine.cancel_order(order, now, out, cl_ord_id=request.cl_ord_id)
        engine.fill(order, late, price, now, out, text="late fill after cancel")
        return True


SCENARIOS: Final[dict[str, Scenario]] = {
    s.name: s
    for s in (
        PartialThenCancel(),
        PartialThenHold(),
        FillDuringPendingCancel(),
        TooLateToCancel(),
        CancelRejectScenario(),
        UnsolicitedCancel(),
        TradeBust(),
        TradeCorrect(),
        DuplicateReport(),
        RejectNew(),
        PendingNewFirst(),
        Restated(),
        DoneForDay(),
        LateFillAfterCancel(),
    )
}


def scenario_from_text(text: str | None) -> str | None:
    """The scenario name in an order's Text (``SCENARIO=name``), lower-cased, or None."""
    if not text:
        return None
    match = SCENARIO_PATTERN.search(text)
    return match.group(1).lower() if match else None


def get_scenario(name: str) -> Scenario:
    try:
        return SCENARIOS[name.lower()]
    except KeyError:
        known = ", ".join(sorted(SCENARIOS))
        raise KeyError(f"unknown scenario {name!r} (known: {known})") from None


def resolve_scenario(
    explicit: str | None, text: str | None, configured: str | None
) -> Scenario | None:
    """Explicit name, then ``SCENARIO=`` in Text (unknown names ignored), then config."""
    if explicit:
        return get_scenario(explicit)
    from_text = scenario_from_text(text)
    if from_text is not None and from_text in SCENARIOS:
        return SCENARIOS[from_text]
    if configured:
        return get_scenario(configured)
    return None
