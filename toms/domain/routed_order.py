"""The order a block sends to a broker, moved only by the broker's reports.

``RoutedOrder.apply_report`` is the only way quantities change. It validates everything
first (transition table, ClOrdID chain, CumQty / LeavesQty / AvgPx arithmetic) and only
then mutates, so a rejected report leaves the aggregate exactly as it was.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Final

from toms.domain.errors import (
    InconsistentReport,
    InvalidOrder,
    InvalidTransition,
    Overfill,
    UnknownOrder,
)
from toms.domain.events import (
    CancelRequested,
    DomainEvent,
    FillBooked,
    FillBusted,
    FillCorrected,
    ReplaceRequested,
    RequestRejected,
    RoutedOrderReplaced,
    RoutedOrderRestated,
    RoutedOrderStatusChanged,
    StatusConfirmed,
    StatusMismatch,
    StatusReconciled,
)
from toms.domain.execution import CancelReject, CancelRejectTarget, ExecKind, ExecutionReport
from toms.domain.execution import RoutedStatus as S
from toms.domain.ids import BlockId, BrokerId, ClOrdId, ExecId, RoutedOrderId, Symbol
from toms.domain.order_state import (
    PENDING_REQUEST,
    TERMINAL,
    WORKING,
    LocalTrigger,
    allowed_next,
)
from toms.domain.orders import validate_order_terms
from toms.domain.values import ZERO, OrderType, Side, TimeInForce

# Brokers round AvgPx (6) on the wire; a difference beyond this is a real disagreement.
AVG_PX_TOLERANCE: Final = Decimal("0.0001")
# Statuses in which nothing is left to execute, so LeavesQty must be zero.
_NOTHING_LEAVES: Final = TERMINAL | {S.DONE_FOR_DAY}


class RequestKind(StrEnum):
    CANCEL = "cancel"
    REPLACE = "replace"


@dataclass(frozen=True, slots=True)
class PendingRequest:
    """A cancel or cancel/replace toms sent and the broker has not answered yet."""

    kind: RequestKind
    cl_ord_id: ClOrdId
    orig_cl_ord_id: ClOrdId
    quantity: Decimal | None = None
    limit_price: Decimal | None = None
    stop_price: Decimal | None = None


@dataclass(frozen=True, slots=True)
class Fill:
    """One execution on a routed order. A busted fill stays, marked, for the audit trail."""

    exec_id: ExecId
    routed_order_id: RoutedOrderId
    quantity: Decimal
    price: Decimal
    executed_at: datetime
    busted: bool = False

    @property
    def notional(self) -> Decimal:
        return self.quantity * self.price


@dataclass(slots=True)
class RoutedOrder:
    """A block's order at one broker: the FIX order and its ClOrdID chain."""

    routed_order_id: RoutedOrderId
    block_id: BlockId
    broker: BrokerId
    symbol: Symbol
    side: Side
    order_type: OrderType
    order_qty: Decimal
    cl_ord_id: ClOrdId
    created_at: datetime
    limit_price: Decimal | None = None
    stop_price: Decimal | None = None
    time_in_force: TimeInForce = TimeInForce.DAY
    expire_date: date | None = None
    status: S = S.PENDING_NEW
    previous_status: S | None = None  # restored when a pending request is rejected
    cl_ord_ids: list[ClOrdId] = field(default_factory=list)
    pending: PendingRequest | None = None
    fills: list[Fill] = field(default_factory=list)
    applied_exec_ids: set[ExecId] = field(default_factory=set)
    broker_order_id: str | None = None
    version: int = 0

    def __post_init__(self) -> None:
        validate_order_terms(
            self.side,
            self.order_qty,
            self.order_type,
            self.limit_price,
            self.stop_price,
            self.time_in_force,
            self.expire_date,
        )
        if not self.cl_ord_ids:
            self.cl_ord_ids = [self.cl_ord_id]

    def copy(self) -> RoutedOrder:
        """An equal order that can be changed without changing this one."""
        twin: RoutedOrder = object.__new__(RoutedOrder)
        for name in _ROUTED_FIELDS:
            object.__setattr__(twin, name, getattr(self, name))
        twin.cl_ord_ids = list(self.cl_ord_ids)
        twin.fills = list(self.fills)
        twin.applied_exec_ids = set(self.applied_exec_ids)
        return twin

    # ── derived quantities ────────────────────────────────────────────────────────────
    @property
    def cum_qty(self) -> Decimal:
        return sum((f.quantity for f in self.fills if not f.busted), ZERO)

    @property
    def avg_px(self) -> Decimal | None:
        """Fill-weighted mean price of the live fills, exact to Decimal's 28 digits."""
        cum = self.cum_qty
        if cum == ZERO:
            return None
        return sum((f.notional for f in self.fills if not f.busted), ZERO) / cum

    @property
    def leaves_qty(self) -> Decimal:
        if self.status in _NOTHING_LEAVES:
            return ZERO
        return max(self.order_qty - self.cum_qty, ZERO)

    @property
    def is_terminal(self) -> bool:
        return self.status in TERMINAL

    def knows(self, cl_ord_id: str) -> bool:
        """True when ``cl_ord_id`` is in this order's chain, or is the pending request."""
        pending = self.pending.cl_ord_id if self.pending else None
        return cl_ord_id in self.cl_ord_ids or cl_ord_id == pending

    # ── requests toms sends ───────────────────────────────────────────────────────────
    def request_cancel(self, cl_ord_id: ClOrdId, at: datetime) -> list[DomainEvent]:
        self._check_request(LocalTrigger.CANCEL_REQUESTED, cl_ord_id)
        orig = self.cl_ord_id
        self.pending = PendingRequest(RequestKind.CANCEL, cl_ord_id, orig)
        return [
            CancelRequested(at, self.routed_order_id, cl_ord_id, orig),
            self._move(S.PENDING_CANCEL, at, None, None, "cancel requested"),
        ]

    def request_replace(
        self,
        cl_ord_id: ClOrdId,
        at: datetime,
        quantity: Decimal,
        limit_price: Decimal | None = None,
        stop_price: Decimal | None = None,
    ) -> list[DomainEvent]:
        self._check_request(LocalTrigger.REPLACE_REQUESTED, cl_ord_id)
        validate_order_terms(
            self.side,
            quantity,
            self.order_type,
            limit_price,
            stop_price,
            self.time_in_force,
            self.expire_date,
        )
        orig = self.cl_ord_id
        self.pending = PendingRequest(
            RequestKind.REPLACE, cl_ord_id, orig, quantity, limit_price, stop_price
        )
        return [
            ReplaceRequested(
                at, self.routed_order_id, cl_ord_id, orig, quantity, limit_price, stop_price
            ),
            self._move(S.PENDING_REPLACE, at, None, None, "replace requested"),
        ]

    def _check_request(self, trigger: LocalTrigger, cl_ord_id: ClOrdId) -> None:
        if self.pending is not None:
            raise InvalidTransition(
                f"order {self.routed_order_id}: a {self.pending.kind.value} request "
                f"({self.pending.cl_ord_id}) is still waiting for the broker's answer"
            )
        if allowed_next(self.status, trigger) is None:
            raise InvalidTransition(
                f"order {self.routed_order_id} is {self.status.value}: "
                f"cannot {trigger.value.split('_')[0]}"
            )
        if cl_ord_id in self.cl_ord_ids:
            raise InvalidOrder(f"ClOrdID {cl_ord_id} was already used by this order")

    # ── the broker's answers ──────────────────────────────────────────────────────────
    def apply_reject(self, reject: CancelReject) -> list[DomainEvent]:
        """OrderCancelReject: the request is over; the order keeps (or reports) its state."""
        trigger = (
            LocalTrigger.CANCEL_REJECTED
            if reject.response_to is CancelRejectTarget.CANCEL
            else LocalTrigger.REPLACE_REJECTED
        )
        if self.pending is None or self.pending.cl_ord_id != reject.cl_ord_id:
            raise InvalidTransition(
                f"order {self.routed_order_id}: cancel reject for {reject.cl_ord_id}, "
                "which is not the request toms is waiting on"
            )
        allowed = allowed_next(self.status, trigger)
        if allowed is None:
            raise InvalidTransition(
                f"order {self.routed_order_id} is {self.status.value}: unexpected {trigger.value}"
            )
        restored = self.status if self.status not in PENDING_REQUEST else self.previous_status
        new_status = reject.status if reject.status in allowed else restored
        if new_status is None or new_status not in allowed:
            raise InconsistentReport(
                f"order {self.routed_order_id}: cancel reject says {reject.status} "
                f"while toms holds {self.status.value}"
            )
        self.pending = None
        events: list[DomainEvent] = [
            RequestRejected(
                reject.transact_time,
                self.routed_order_id,
                reject.cl_ord_id,
                reject.response_to.value,
                reject.reason,
            )
        ]
        if new_status is not self.status:
            events.append(self._move(new_status, reject.transact_time, None, None, reject.reason))
        self.previous_status = None
        return events

    def apply_report(self, report: ExecutionReport) -> list[DomainEvent]:
        """Apply one ExecutionReport; return the events it caused ([] for a duplicate).

        Raises ``InvalidTransition``, ``InconsistentReport``, ``Overfill`` or
        ``UnknownOrder`` with the aggregate unchanged.
        """
        if report.exec_id in self.applied_exec_ids:
            return []
        if not self.knows(report.cl_ord_id) and not (
            report.orig_cl_ord_id and self.knows(report.orig_cl_ord_id)
        ):
            raise UnknownOrder(
                f"report {report.exec_id} names ClOrdID {report.cl_ord_id}, "
                f"not in the chain of order {self.routed_order_id}"
            )
        self._check_instrument(report)
        if report.duplicate_order:
            # toms never reuses a ClOrdID, so the broker holds this very order: rejecting
            # it here would leave a live order at the broker that toms thinks is dead.
            raise InconsistentReport(
                f"the broker refused ClOrdID {report.cl_ord_id} as a duplicate, so it holds "
                f"order {self.routed_order_id} already (a request sent again after a "
                "restart?); the order is not rejected: ask the broker for its status"
            )
        allowed = allowed_next(self.status, report.kind)
        if allowed is None:
            raise InvalidTransition(
                f"order {self.routed_order_id} is {self.status.value}: "
                f"a {report.kind.value} report ({report.exec_id}) cannot apply"
            )
        if report.status not in allowed:
            raise InconsistentReport(
                f"order {self.routed_order_id}: {report.kind.value} report {report.exec_id} "
                f"says OrdStatus {report.status.value}, expected one of "
                f"{sorted(s.value for s in allowed)} from {self.status.value}"
            )
        if report.kind is ExecKind.ORDER_STATUS:
            return self._compare_status(report)
        plan = self._plan(report)
        self._check_totals(report, plan)
        return self._commit(report, plan)

    def _check_instrument(self, report: ExecutionReport) -> None:
        """A report about another security or the other side is never this order's fill."""
        if report.symbol is not None and report.symbol != self.symbol:
            raise InconsistentReport(
                f"report {report.exec_id} is for {report.symbol}, but order "
                f"{self.routed_order_id} is {self.symbol}"
            )
        if report.side is not None and report.side.is_buy != self.side.is_buy:
            raise InconsistentReport(
                f"report {report.exec_id} is a {report.side.value}, but order "
                f"{self.routed_order_id} is a {self.side.value}"
            )

    # ── planning: compute the new quantities without touching self ───────────────────
    def _plan(self, report: ExecutionReport) -> _Plan:
        fills = list(self.fills)
        order_qty = self.order_qty
        kind = report.kind
        if kind is ExecKind.TRADE:
            if report.last_qty <= ZERO or report.last_px is None or report.last_px <= ZERO:
                raise InconsistentReport(
                    f"trade report {report.exec_id} needs a positive LastQty and LastPx, "
                    f"got {report.last_qty} @ {report.last_px}"
                )
            fills.append(
                Fill(
                    report.exec_id,
                    self.routed_order_id,
                    report.last_qty,
                    report.last_px,
                    report.transact_time,
                )
            )
        elif kind in (ExecKind.TRADE_CANCEL, ExecKind.TRADE_CORRECT):
            index = self._fill_index(report)
            old = fills[index]
            fills[index] = Fill(
                old.exec_id,
                old.routed_order_id,
                old.quantity,
                old.price,
                old.executed_at,
                busted=True,
            )
            if kind is ExecKind.TRADE_CORRECT:
                if report.last_qty <= ZERO or report.last_px is None or report.last_px <= ZERO:
                    raise InconsistentReport(
                        f"correction {report.exec_id} needs the corrected LastQty and LastPx"
                    )
                fills.append(
                    Fill(
                        report.exec_id,
                        self.routed_order_id,
                        report.last_qty,
                        report.last_px,
                        old.executed_at,
                    )
                )
        elif kind is ExecKind.REPLACED:
            pending = self.pending
            if (
                pending is None
                or pending.kind is not RequestKind.REPLACE
                or (report.cl_ord_id != pending.cl_ord_id)
            ):
                raise InconsistentReport(
                    f"replace report {report.exec_id} carries ClOrdID {report.cl_ord_id}, "
                    "not the replace request toms is waiting on"
                )
            order_qty = report.order_qty or pending.quantity or order_qty
        elif kind is ExecKind.RESTATED and report.order_qty is not None:
            order_qty = report.order_qty
        cum = sum((f.quantity for f in fills if not f.busted), ZERO)
        status = report.status
        if status is S.REPLACED:  # FIX 4.2 wording: derive the replacement's working status
            status = S.FILLED if cum >= order_qty else S.PARTIALLY_FILLED if cum else S.NEW
        if self.status is S.FILLED and status is S.DONE_FOR_DAY:
            # OrdStatus precedence lets a broker call a filled order "done for day"; it is
            # still filled, and a terminal order never reopens.
            status = S.FILLED
        if kind is ExecKind.REPLACED and cum > order_qty:
            order_qty = cum  # D12: a replace below CumQty amends OrderQty to CumQty: filled
        return _Plan(fills, order_qty, cum, status)

    def _fill_index(self, report: ExecutionReport) -> int:
        for i, fill in enumerate(self.fills):
            if fill.exec_id == report.exec_ref_id and not fill.busted:
                return i
        raise InconsistentReport(
            f"{report.kind.value} {report.exec_id} refers to ExecRefID {report.exec_ref_id}, "
            f"which is not a live fill of order {self.routed_order_id}"
        )

    def _check_totals(self, report: ExecutionReport, plan: _Plan) -> None:
        where = f"order {self.routed_order_id}, report {report.exec_id}"
        if plan.cum > plan.order_qty and report.kind is not ExecKind.REPLACED:
            raise Overfill(
                f"{where}: fill of {report.last_qty} would take CumQty to {plan.cum}, "
                f"above OrderQty {plan.order_qty}"
            )
        if report.cum_qty != plan.cum:
            raise InconsistentReport(
                f"{where}: CumQty {report.cum_qty} but toms' fills add up to {plan.cum} "
                "(a report is missing, duplicated under another ExecID, or out of order)"
            )
        expected_leaves = (
            ZERO if plan.status in _NOTHING_LEAVES else max(plan.order_qty - plan.cum, ZERO)
        )
        if report.leaves_qty != expected_leaves:
            raise InconsistentReport(
                f"{where}: LeavesQty {report.leaves_qty} but OrderQty {plan.order_qty} - "
                f"CumQty {plan.cum} in status {plan.status.value} leaves {expected_leaves}"
            )
        if report.avg_px is not None and plan.cum > ZERO:
            ours = sum((f.notional for f in plan.fills if not f.busted), ZERO) / plan.cum
            if abs(report.avg_px - ours) > AVG_PX_TOLERANCE:
                raise InconsistentReport(
                    f"{where}: AvgPx {report.avg_px} but the fills average {ours}"
                )

    # ── commit: the only place that mutates ──────────────────────────────────────────
    def _commit(self, report: ExecutionReport, plan: _Plan) -> list[DomainEvent]:
        at = report.transact_time
        events: list[DomainEvent] = []
        kind = report.kind
        old_fills = {f.exec_id: f for f in self.fills}
        late = self.status in (S.CANCELED, S.EXPIRED)
        self.fills = plan.fills
        self.applied_exec_ids.add(report.exec_id)
        if report.broker_order_id:
            self.broker_order_id = report.broker_order_id
        avg = self.avg_px or ZERO
        if kind is ExecKind.TRADE:
            events.append(
                FillBooked(
                    at,
                    self.routed_order_id,
                    report.exec_id,
                    report.last_qty,
                    report.last_px or ZERO,
                    plan.cum,
                    avg,
                    late,
                )
            )
        elif kind is ExecKind.TRADE_CANCEL and report.exec_ref_id:
            old = old_fills[report.exec_ref_id]
            events.append(
                FillBusted(
                    at, self.routed_order_id, report.exec_id, old.exec_id, old.quantity, old.price
                )
            )
        elif kind is ExecKind.TRADE_CORRECT and report.exec_ref_id:
            old = old_fills[report.exec_ref_id]
            events.append(
                FillCorrected(
                    at,
                    self.routed_order_id,
                    report.exec_id,
                    old.exec_id,
                    old.quantity,
                    old.price,
                    report.last_qty,
                    report.last_px or ZERO,
                )
            )
        elif kind is ExecKind.REPLACED:
            pending = self.pending
            assert pending is not None  # _plan refused a replace report without a request
            self.order_qty = plan.order_qty
            self.limit_price = report.limit_price or pending.limit_price
            self.stop_price = report.stop_price or pending.stop_price
            self._adopt(report.cl_ord_id)
            self.pending = None
            events.append(
                RoutedOrderReplaced(
                    at,
                    self.routed_order_id,
                    report.cl_ord_id,
                    report.orig_cl_ord_id or pending.orig_cl_ord_id,
                    self.order_qty,
                    self.limit_price,
                    self.stop_price,
                )
            )
        elif kind is ExecKind.RESTATED:
            self.order_qty = plan.order_qty
            if report.limit_price is not None and self.order_type.needs_limit_price:
                self.limit_price = report.limit_price
            events.append(
                RoutedOrderRestated(
                    at,
                    self.routed_order_id,
                    report.exec_id,
                    self.order_qty,
                    self.limit_price,
                    report.text,
                )
            )
        elif kind is ExecKind.CANCELED:
            if self.pending is not None and report.cl_ord_id == self.pending.cl_ord_id:
                self._adopt(report.cl_ord_id)
            self.pending = None
        if plan.status is not self.status:
            still_waiting = self.pending is not None and self.status in PENDING_REQUEST
            if still_waiting and plan.status in (
                S.NEW,
                S.PARTIALLY_FILLED,
            ):  # fill or ack that passed our request: still waiting on it
                self.previous_status = plan.status
            else:
                events.append(self._move(plan.status, at, report.exec_id, kind, report.text))
        elif self.status in PENDING_REQUEST and kind is ExecKind.TRADE:
            self.previous_status = S.FILLED if plan.cum >= self.order_qty else S.PARTIALLY_FILLED
        self.version += 1
        return events

    def _adopt(self, cl_ord_id: ClOrdId) -> None:
        if cl_ord_id not in self.cl_ord_ids:
            self.cl_ord_ids.append(cl_ord_id)
        self.cl_ord_id = cl_ord_id

    def _move(
        self, new: S, at: datetime, exec_id: ExecId | None, kind: ExecKind | None, text: str
    ) -> RoutedOrderStatusChanged:
        old = self.status
        if new in PENDING_REQUEST and old not in PENDING_REQUEST:
            self.previous_status = old
        elif new not in PENDING_REQUEST:
            self.previous_status = None
        self.status = new
        return RoutedOrderStatusChanged(at, self.routed_order_id, exec_id, kind, old, new, text)

    def _compare_status(self, report: ExecutionReport) -> list[DomainEvent]:
        """An order status answer (ExecType I): applied when safe, else flagged.

        A difference is applied only when it books nothing: the broker's CumQty equals
        toms', its LeavesQty agrees, and the move is one a lost report could explain (an
        acknowledgement, an end of the order, a replace or cancel that went through). Any
        other difference, above all a CumQty that disagrees, is a ``StatusMismatch`` for
        operations: a status answer carries no ExecID, so it can never become a fill.
        """
        self.applied_exec_ids.add(report.exec_id)
        ours = f"{self.status.value} cum={self.cum_qty} leaves={self.leaves_qty}"
        theirs = f"{report.status.value} cum={report.cum_qty} leaves={report.leaves_qty}"
        if report.status is self.status and report.cum_qty == self.cum_qty:
            return [
                StatusConfirmed(
                    report.transact_time,
                    self.routed_order_id,
                    report.exec_id,
                    self.status,
                    self.cum_qty,
                )
            ]
        order_qty = self._reconciled_qty(report)
        if order_qty is None:
            return [
                StatusMismatch(
                    report.transact_time, self.routed_order_id, report.exec_id, ours, theirs
                )
            ]
        at = report.transact_time
        events: list[DomainEvent] = [
            StatusReconciled(at, self.routed_order_id, report.exec_id, ours, theirs)
        ]
        pending = self.pending
        if pending is not None:
            if report.cl_ord_id == pending.cl_ord_id:
                self._adopt(pending.cl_ord_id)
                if pending.kind is RequestKind.REPLACE:
                    self.limit_price = report.limit_price or pending.limit_price
                    self.stop_price = report.stop_price or pending.stop_price
            self.pending = None
        self.order_qty = order_qty
        if report.broker_order_id:
            self.broker_order_id = report.broker_order_id
        events.append(
            self._move(report.status, at, report.exec_id, report.kind, "reconciled: " + theirs)
        )
        self.version += 1
        return events

    def _reconciled_qty(self, report: ExecutionReport) -> Decimal | None:
        """The OrderQty after applying a status answer, or None when it must not apply."""
        allowed = _RECONCILABLE.get(self.status, frozenset())
        if report.status not in allowed or report.cum_qty != self.cum_qty:
            return None
        order_qty = self.order_qty
        pending = self.pending
        replaced = (
            pending is not None
            and pending.kind is RequestKind.REPLACE
            and report.cl_ord_id == pending.cl_ord_id
        )
        if report.status in WORKING:
            if self.status in PENDING_REQUEST and not replaced:
                return None  # the request may still be on its way: its answer will come
            if replaced:
                assert pending is not None
                order_qty = report.order_qty or pending.quantity or order_qty
        if report.status is S.FILLED and self.cum_qty < order_qty:
            return None
        leaves = ZERO if report.status in _NOTHING_LEAVES else max(order_qty - self.cum_qty, ZERO)
        return order_qty if report.leaves_qty == leaves else None


_ROUTED_FIELDS: Final = tuple(f.name for f in fields(RoutedOrder))

# What a status answer may move an order to without any fill changing: the report that
# announced the move was lost. REJECTED is never applied: brokers answer "unknown order"
# with OrdStatus=Rejected, and an order toms routed and the broker forgot needs a human.
_ENDS: Final = frozenset({S.CANCELED, S.EXPIRED, S.DONE_FOR_DAY})
_RECONCILABLE: Final = {
    S.PENDING_NEW: _ENDS | WORKING,
    S.NEW: _ENDS,
    S.PARTIALLY_FILLED: _ENDS,
    S.PENDING_CANCEL: _ENDS | {S.FILLED},
    S.PENDING_REPLACE: _ENDS | WORKING | {S.FILLED},
}


@dataclass(slots=True)
class _Plan:
    fills: list[Fill]
    order_qty: Decimal
    cum: Decimal
    status: S
