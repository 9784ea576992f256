"""Domain events: facts in the past tense, recorded in the append-only audit trail.

Every event is a frozen value with the time it happened passed in by the caller. The
persistence layer stores ``event_type`` and ``payload()`` (Decimals as strings).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from toms.domain.execution import ExecKind, RoutedStatus
from toms.domain.ids import BlockId, ClOrdId, ExecId, OrderId, RoutedOrderId


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


@dataclass(frozen=True, slots=True)
class DomainEvent:
    """Base of all events. ``at`` is when it happened (UTC)."""

    at: datetime

    @property
    def event_type(self) -> str:
        return type(self).__name__

    def payload(self) -> dict[str, Any]:
        """JSON-ready fields, for the audit trail and the live event stream."""
        return {f.name: _plain(getattr(self, f.name)) for f in dataclasses.fields(self)}


@dataclass(frozen=True, slots=True)
class RoutedOrderEvent(DomainEvent):
    routed_order_id: RoutedOrderId


@dataclass(frozen=True, slots=True)
class RoutedOrderSent(RoutedOrderEvent):
    cl_ord_id: ClOrdId
    block_id: BlockId
    quantity: Decimal


@dataclass(frozen=True, slots=True)
class RoutedOrderStatusChanged(RoutedOrderEvent):
    exec_id: ExecId | None
    kind: ExecKind | None
    old_status: RoutedStatus
    new_status: RoutedStatus
    text: str = ""


@dataclass(frozen=True, slots=True)
class FillBooked(RoutedOrderEvent):
    exec_id: ExecId
    quantity: Decimal
    price: Decimal
    cum_qty: Decimal
    avg_px: Decimal
    late: bool = False  # arrived after the order was cancelled or expired


@dataclass(frozen=True, slots=True)
class FillBusted(RoutedOrderEvent):
    exec_id: ExecId
    busted_exec_id: ExecId
    quantity: Decimal
    price: Decimal


@dataclass(frozen=True, slots=True)
class FillCorrected(RoutedOrderEvent):
    exec_id: ExecId
    corrected_exec_id: ExecId
    old_quantity: Decimal
    old_price: Decimal
    new_quantity: Decimal
    new_price: Decimal


@dataclass(frozen=True, slots=True)
class CancelRequested(RoutedOrderEvent):
    cl_ord_id: ClOrdId
    orig_cl_ord_id: ClOrdId


@dataclass(frozen=True, slots=True)
class ReplaceRequested(RoutedOrderEvent):
    cl_ord_id: ClOrdId
    orig_cl_ord_id: ClOrdId
    quantity: Decimal
    limit_price: Decimal | None
    stop_price: Decimal | None


@dataclass(frozen=True, slots=True)
class RoutedOrderReplaced(RoutedOrderEvent):
    cl_ord_id: ClOrdId
    orig_cl_ord_id: ClOrdId
    quantity: Decimal
    limit_price: Decimal | None
    stop_price: Decimal | None


@dataclass(frozen=True, slots=True)
class RoutedOrderRestated(RoutedOrderEvent):
    exec_id: ExecId
    quantity: Decimal
    limit_price: Decimal | None
    text: str


@dataclass(frozen=True, slots=True)
class RequestRejected(RoutedOrderEvent):
    """The broker refused a cancel or replace (OrderCancelReject)."""

    cl_ord_id: ClOrdId
    request: str
    reason: str


@dataclass(frozen=True, slots=True)
class ExecutionRejected(DomainEvent):
    """A report toms could not apply: kept for operations, never silently dropped."""

    exec_id: ExecId
    cl_ord_id: ClOrdId
    routed_order_id: RoutedOrderId | None
    error: str
    reason: str


@dataclass(frozen=True, slots=True)
class StatusMismatch(RoutedOrderEvent):
    """An order status answer (ExecType I) disagrees with what toms holds."""

    exec_id: ExecId
    ours: str
    theirs: str


@dataclass(frozen=True, slots=True)
class StatusConfirmed(RoutedOrderEvent):
    """An order status answer agrees with what toms holds: the question asked at logon
    (``ReconciliationRequested``) has its answer in the audit trail too."""

    exec_id: ExecId
    status: RoutedStatus
    cum_qty: Decimal


@dataclass(frozen=True, slots=True)
class StatusReconciled(RoutedOrderEvent):
    """An order status answer showed a change toms had missed (the report announcing it
    was lost, e.g. across a sequence reset) that is safe to apply: same CumQty, so no fill
    is invented. The status change itself follows as ``RoutedOrderStatusChanged``."""

    exec_id: ExecId
    ours: str
    theirs: str


@dataclass(frozen=True, slots=True)
class ReconciliationRequested(RoutedOrderEvent):
    """toms asked the broker for the order's status (35=H) when the session logged on, so
    what happened while toms or the link was down is compared with what toms holds."""

    broker: str
    cl_ord_id: ClOrdId
    status: RoutedStatus
    cum_qty: Decimal


@dataclass(frozen=True, slots=True)
class OrderEvent(DomainEvent):
    order_id: OrderId


@dataclass(frozen=True, slots=True)
class OrderSubmitted(OrderEvent):
    account_id: str
    symbol: str
    side: str
    quantity: Decimal
    by: str


@dataclass(frozen=True, slots=True)
class OrderStatusChanged(OrderEvent):
    old_status: str
    new_status: str
    reason: str = ""
