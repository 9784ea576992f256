"""Execution reports and cancel rejects as the domain sees them: broker facts, FIX-free.

``toms.fix.codec`` builds these from ExecutionReport (35=8) and OrderCancelReject (35=9);
the simulator and tests build them directly.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from toms.domain.ids import ClOrdId, ExecId
from toms.domain.values import Side


class RoutedStatus(StrEnum):
    """OrdStatus (39) of an order at a broker, in toms' words."""

    PENDING_NEW = "pending_new"
    NEW = "new"
    PARTIALLY_FILLED = "partially_filled"
    FILLED = "filled"
    DONE_FOR_DAY = "done_for_day"
    PENDING_CANCEL = "pending_cancel"
    PENDING_REPLACE = "pending_replace"
    CANCELED = "canceled"
    REPLACED = "replaced"  # FIX 4.2 brokers report it; resolved to the working status on apply
    REJECTED = "rejected"
    EXPIRED = "expired"
    STOPPED = "stopped"
    SUSPENDED = "suspended"
    CALCULATED = "calculated"


class ExecKind(StrEnum):
    """ExecType (150): why the broker sent the report."""

    PENDING_NEW = "pending_new"
    NEW = "new"
    TRADE = "trade"  # FIX 4.4 'F'; FIX 4.2 partial fill '1' and fill '2'
    TRADE_CORRECT = "trade_correct"
    TRADE_CANCEL = "trade_cancel"  # a bust
    DONE_FOR_DAY = "done_for_day"
    CANCELED = "canceled"
    REPLACED = "replaced"
    PENDING_CANCEL = "pending_cancel"
    PENDING_REPLACE = "pending_replace"
    REJECTED = "rejected"
    STOPPED = "stopped"
    SUSPENDED = "suspended"
    RESTATED = "restated"
    EXPIRED = "expired"
    CALCULATED = "calculated"
    ORDER_STATUS = "order_status"  # answer to an OrderStatusRequest; changes nothing by itself


@dataclass(frozen=True, slots=True)
class ExecutionReport:
    """One ExecutionReport, already parsed into Decimal and UTC.

    ``cl_ord_id`` is the ClOrdID the report carries: the replacing ClOrdID on a replace or
    cancel acknowledgement, with ``orig_cl_ord_id`` the one before it.
    """

    exec_id: ExecId
    cl_ord_id: ClOrdId
    kind: ExecKind
    status: RoutedStatus
    order_qty: Decimal | None
    cum_qty: Decimal
    leaves_qty: Decimal
    avg_px: Decimal | None
    transact_time: datetime
    last_qty: Decimal = Decimal(0)
    last_px: Decimal | None = None
    orig_cl_ord_id: ClOrdId | None = None
    exec_ref_id: ExecId | None = None  # the fill a bust or correction refers to
    broker_order_id: str | None = None
    limit_price: Decimal | None = None
    stop_price: Decimal | None = None
    text: str = ""
    poss_dup: bool = False
    # A reject because the broker already holds an order under this ClOrdID (OrdRejReason 6)
    duplicate_order: bool = False
    symbol: str | None = None  # what the broker says it traded: must be the order's
    side: Side | None = None


class CancelRejectTarget(StrEnum):
    CANCEL = "cancel"
    REPLACE = "replace"


@dataclass(frozen=True, slots=True)
class CancelReject:
    """OrderCancelReject (35=9): the broker refused our cancel or cancel/replace request."""

    cl_ord_id: ClOrdId
    orig_cl_ord_id: ClOrdId | None
    response_to: CancelRejectTarget
    status: RoutedStatus | None
    reason: str
    transact_time: datetime
    broker_order_id: str | None = None
