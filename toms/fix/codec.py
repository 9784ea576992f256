"""Pure translation between FIX 4.2 / 4.4 and the domain.

Inbound: ExecutionReport (8) -> ``ExecutionReport``, OrderCancelReject (9) ->
``CancelReject``. Outbound: domain requests -> ordered ``(tag, value)`` lists for
NewOrderSingle (D), OrderCancelRequest (F), OrderCancelReplaceRequest (G) and
OrderStatusRequest (H). Malformed content raises ``FixFieldError`` naming the tag; the
application turns that into the reject QuickFIX sends back.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Final, TypeVar

from toms.allocation.record import AllocationRecord
from toms.domain.blocks import Block
from toms.domain.execution import (
    CancelReject,
    CancelRejectTarget,
    ExecKind,
    ExecutionReport,
    RoutedStatus,
)
from toms.domain.ids import ClOrdId, ExecId
from toms.domain.routed_order import PendingRequest, RoutedOrder
from toms.domain.values import OrderType, Side, TimeInForce
from toms.fix.fields import FixFields

FIX42: Final = "FIX.4.2"
FIX44: Final = "FIX.4.4"

# Tags used here, by name.
ACCOUNT, AVG_PX, CL_ORD_ID, CUM_QTY, EXEC_ID, EXEC_REF_ID = 1, 6, 11, 14, 17, 19
EXEC_TRANS_TYPE, HANDL_INST, LAST_PX, LAST_QTY, MSG_TYPE, ORDER_ID = 20, 21, 31, 32, 35, 37
ORDER_QTY, ORD_STATUS, ORD_TYPE, ORIG_CL_ORD_ID, POSS_DUP, PRICE = 38, 39, 40, 41, 43, 44
SIDE, SYMBOL, TEXT, TIF, TRANSACT_TIME, STOP_PX, EXEC_TYPE = 54, 55, 58, 59, 60, 99, 150
LEAVES_QTY, CXL_REJ_REASON, EXPIRE_DATE, CXL_REJ_RESPONSE_TO = 151, 102, 432, 434
ORD_REJ_REASON = 103
DUPLICATE_ORDER = "6"  # OrdRejReason, FIX 4.2 and 4.4

SIDE_CODES: Final = {Side.BUY: "1", Side.SELL: "2", Side.SELL_SHORT: "5", Side.BUY_TO_COVER: "1"}
# Inbound: which way the broker says it traded (6 = sell short exempt).
SIDES_BY_CODE: Final = {"1": Side.BUY, "2": Side.SELL, "5": Side.SELL_SHORT, "6": Side.SELL_SHORT}
ORD_TYPE_CODES: Final = {
    OrderType.MARKET: "1",
    OrderType.LIMIT: "2",
    OrderType.STOP: "3",
    OrderType.STOP_LIMIT: "4",
}
TIF_CODES: Final = {
    TimeInForce.DAY: "0",
    TimeInForce.GTC: "1",
    TimeInForce.IOC: "3",
    TimeInForce.FOK: "4",
    TimeInForce.GTD: "6",
}
ORD_STATUS_CODES: Final = {
    "0": RoutedStatus.NEW,
    "1": RoutedStatus.PARTIALLY_FILLED,
    "2": RoutedStatus.FILLED,
    "3": RoutedStatus.DONE_FOR_DAY,
    "4": RoutedStatus.CANCELED,
    "5": RoutedStatus.REPLACED,
    "6": RoutedStatus.PENDING_CANCEL,
    "7": RoutedStatus.STOPPED,
    "8": RoutedStatus.REJECTED,
    "9": RoutedStatus.SUSPENDED,
    "A": RoutedStatus.PENDING_NEW,
    "B": RoutedStatus.CALCULATED,
    "C": RoutedStatus.EXPIRED,
    "E": RoutedStatus.PENDING_REPLACE,
}
EXEC_TYPE_CODES: Final = {
    "0": ExecKind.NEW,
    "1": ExecKind.TRADE,
    "2": ExecKind.TRADE,
    "3": ExecKind.DONE_FOR_DAY,
    "4": ExecKind.CANCELED,
    "5": ExecKind.REPLACED,
    "6": ExecKind.PENDING_CANCEL,
    "7": ExecKind.STOPPED,
    "8": ExecKind.REJECTED,
    "9": ExecKind.SUSPENDED,
    "A": ExecKind.PENDING_NEW,
    "B": ExecKind.CALCULATED,
    "C": ExecKind.EXPIRED,
    "D": ExecKind.RESTATED,
    "E": ExecKind.PENDING_REPLACE,
    "F": ExecKind.TRADE,
    "G": ExecKind.TRADE_CORRECT,
    "H": ExecKind.TRADE_CANCEL,
    "I": ExecKind.ORDER_STATUS,
}
# FIX 4.2 says "bust" and "correct" with ExecTransType (20), not ExecType.
EXEC_TRANS_TYPE_KIND: Final = {
    "1": ExecKind.TRADE_CANCEL,
    "2": ExecKind.TRADE_CORRECT,
    "3": ExecKind.ORDER_STATUS,
}
MAX_ID_LENGTH: Final = 64
_UTC_FORMATS: Final = ("%Y%m%d-%H:%M:%S.%f", "%Y%m%d-%H:%M:%S")

Fields = list[tuple[int, str]]
T = TypeVar("T")


class FixFieldError(ValueError):
    """A field is missing or malformed. ``tag`` names it for the reject."""

    def __init__(self, tag: int, problem: str, missing: bool = False) -> None:
        super().__init__(f"tag {tag}: {problem}")
        self.tag, self.problem, self.missing = tag, problem, missing


# ── inbound ─────────────────────────────────────────────────────────────────────────────
def execution_report(f: FixFields, received_at: datetime) -> ExecutionReport:
    kind: ExecKind = _code(EXEC_TYPE_CODES, _required(f, EXEC_TYPE), EXEC_TYPE)
    trans = f.get(EXEC_TRANS_TYPE)
    if trans in EXEC_TRANS_TYPE_KIND:  # FIX 4.2 bust / correct / status
        kind = EXEC_TRANS_TYPE_KIND[trans]
    orig = _identifier(f, ORIG_CL_ORD_ID)
    ref = _identifier(f, EXEC_REF_ID)
    return ExecutionReport(
        exec_id=ExecId(_identifier(f, EXEC_ID, required=True)),
        cl_ord_id=ClOrdId(_identifier(f, CL_ORD_ID, required=True)),
        kind=kind,
        status=_code(ORD_STATUS_CODES, _required(f, ORD_STATUS), ORD_STATUS),
        order_qty=_decimal(f, ORDER_QTY, required=False),
        cum_qty=_decimal(f, CUM_QTY),  # type: ignore[arg-type]
        leaves_qty=_decimal(f, LEAVES_QTY),  # type: ignore[arg-type]
        avg_px=_decimal(f, AVG_PX, required=False),
        last_qty=_decimal(f, LAST_QTY, required=False) or Decimal(0),
        last_px=_decimal(f, LAST_PX, required=False),
        orig_cl_ord_id=ClOrdId(orig) if orig else None,
        exec_ref_id=ExecId(ref) if ref else None,
        broker_order_id=_identifier(f, ORDER_ID),
        limit_price=_decimal(f, PRICE, required=False),
        stop_price=_decimal(f, STOP_PX, required=False),
        transact_time=_utc(f, TRANSACT_TIME) or received_at,
        text=f.get(TEXT) or "",
        poss_dup=f.get(POSS_DUP) == "Y",
        duplicate_order=kind is ExecKind.REJECTED and f.get(ORD_REJ_REASON) == DUPLICATE_ORDER,
        symbol=f.get(SYMBOL) or None,
        side=_code(SIDES_BY_CODE, side, SIDE) if (side := f.get(SIDE)) else None,
    )


def cancel_reject(f: FixFields, received_at: datetime) -> CancelReject:
    response_to = _required(f, CXL_REJ_RESPONSE_TO)
    if response_to not in ("1", "2"):
        raise FixFieldError(
            CXL_REJ_RESPONSE_TO, f"{response_to!r} is not 1 (cancel) or 2 (replace)"
        )
    status = f.get(ORD_STATUS)
    reason = f.get(TEXT) or _CXL_REJ_REASONS.get(f.get(CXL_REJ_REASON) or "", "no reason given")
    orig = _identifier(f, ORIG_CL_ORD_ID)
    return CancelReject(
        cl_ord_id=ClOrdId(_identifier(f, CL_ORD_ID, required=True)),
        orig_cl_ord_id=ClOrdId(orig) if orig else None,
        response_to=CancelRejectTarget.CANCEL if response_to == "1" else CancelRejectTarget.REPLACE,
        status=_code(ORD_STATUS_CODES, status, ORD_STATUS) if status else None,
        reason=reason,
        transact_time=_utc(f, TRANSACT_TIME) or received_at,
        broker_order_id=_identifier(f, ORDER_ID),
    )


_CXL_REJ_REASONS: Final = {
    "0": "too late to cancel",
    "1": "unknown order",
    "2": "broker option",
    "3": "order already pending cancel or replace",
    "6": "duplicate ClOrdID",
}


# ── outbound ────────────────────────────────────────────────────────────────────────────
def new_order_single(order: RoutedOrder, account: str, now: datetime) -> Fields:
    fields: Fields = [
        (CL_ORD_ID, order.cl_ord_id),
        (ACCOUNT, account),
        (HANDL_INST, "1"),  # automated execution, private: the broker may not intervene
        (SYMBOL, order.symbol),
        (SIDE, SIDE_CODES[order.side]),
        (TRANSACT_TIME, utc_timestamp(now)),
        (ORDER_QTY, fmt(order.order_qty)),
        (ORD_TYPE, ORD_TYPE_CODES[order.order_type]),
    ]
    return fields + _prices(order.limit_price, order.stop_price) + _tif(order)


def cancel_request(order: RoutedOrder, request: PendingRequest, now: datetime) -> Fields:
    fields: Fields = [
        (ORIG_CL_ORD_ID, request.orig_cl_ord_id),
        (CL_ORD_ID, request.cl_ord_id),
        (SYMBOL, order.symbol),
        (SIDE, SIDE_CODES[order.side]),
        (TRANSACT_TIME, utc_timestamp(now)),
        (ORDER_QTY, fmt(order.order_qty)),
    ]
    return fields + _order_id(order)


def replace_request(
    order: RoutedOrder, request: PendingRequest, account: str, now: datetime
) -> Fields:
    fields: Fields = [
        (ORIG_CL_ORD_ID, request.orig_cl_ord_id),
        (CL_ORD_ID, request.cl_ord_id),
        (ACCOUNT, account),
        (HANDL_INST, "1"),
        (SYMBOL, order.symbol),
        (SIDE, SIDE_CODES[order.side]),
        (TRANSACT_TIME, utc_timestamp(now)),
        (ORDER_QTY, fmt(request.quantity or order.order_qty)),
        (ORD_TYPE, ORD_TYPE_CODES[order.order_type]),
    ]
    return (
        fields + _prices(request.limit_price, request.stop_price) + _tif(order) + _order_id(order)
    )


def status_request(order: RoutedOrder) -> Fields:
    return [
        (CL_ORD_ID, order.cl_ord_id),
        (SYMBOL, order.symbol),
        (SIDE, SIDE_CODES[order.side]),
        *_order_id(order),
    ]


def fmt(value: Decimal) -> str:
    """Plain decimal notation: FIX has no exponents, and trailing zeros say nothing."""
    return format(value.normalize(), "f")


def utc_timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%d-%H:%M:%S.%f")[:-3]


def _prices(limit: Decimal | None, stop: Decimal | None) -> Fields:
    out: Fields = []
    if limit is not None:
        out.append((PRICE, fmt(limit)))
    if stop is not None:
        out.append((STOP_PX, fmt(stop)))
    return out


def _tif(order: RoutedOrder) -> Fields:
    out: Fields = [(TIF, TIF_CODES[order.time_in_force])]
    if order.expire_date is not None:
        out.append((EXPIRE_DATE, order.expire_date.strftime("%Y%m%d")))
    return out


def _order_id(order: RoutedOrder) -> Fields:
    return [(ORDER_ID, order.broker_order_id)] if order.broker_order_id else []


# ── field parsing ───────────────────────────────────────────────────────────────────────
def _required(f: FixFields, tag: int) -> str:
    value = f.get(tag)
    if value is None or value == "":
        raise FixFieldError(tag, "required field is missing", missing=True)
    return value


def _identifier(f: FixFields, tag: int, required: bool = False) -> str | None:
    """An ID the OMS stores (ExecID, ClOrdID, OrderID...): at most ``MAX_ID_LENGTH``
    characters, the width of its columns, and no control characters (PostgreSQL refuses
    NUL in text), so a bad one is refused here, explained to the sender, on every database
    alike, instead of failing the commit."""
    raw = _required(f, tag) if required else f.get(tag)
    if raw is not None and len(raw) > MAX_ID_LENGTH:
        raise FixFieldError(tag, f"longer than {MAX_ID_LENGTH} characters ({len(raw)})")
    if raw is not None and any(ord(c) < 32 or ord(c) == 127 for c in raw):
        raise FixFieldError(tag, f"{raw!r} contains control characters")  # NUL: PostgreSQL
    return raw


def _code(table: Mapping[str, T], value: str, tag: int) -> T:
    try:
        return table[value]
    except KeyError:
        raise FixFieldError(tag, f"unsupported value {value!r}") from None


def _decimal(f: FixFields, tag: int, required: bool = True) -> Decimal | None:
    raw = f.get(tag)
    if raw is None or raw == "":
        if required:
            raise FixFieldError(tag, "required field is missing", missing=True)
        return None
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise FixFieldError(tag, f"{raw!r} is not a number") from None
    if not value.is_finite() or value < 0:
        raise FixFieldError(tag, f"{raw!r} is not a non-negative number")
    return value


def _utc(f: FixFields, tag: int) -> datetime | None:
    raw = f.get(tag)
    if not raw:
        return None
    for pattern in _UTC_FORMATS:
        try:
            return datetime.strptime(raw[:24], pattern).replace(tzinfo=UTC)
        except ValueError:
            continue
    raise FixFieldError(tag, f"{raw!r} is not a UTCTimestamp")


# ── allocation ──────────────────────────────────────────────────────────────────────────
ALLOC_ID, ALLOC_TRANS_TYPE, NO_ORDERS, SHARES, TRADE_DATE = 70, 71, 73, 53, 75
NO_ALLOCS, ALLOC_ACCOUNT, ALLOC_QTY, ALLOC_TEXT, ALLOC_STATUS = 78, 79, 80, 161, 87
ALLOC_REJ_CODE, ALLOC_TYPE, ALLOC_NO_ORDERS_TYPE = 88, 626, 857


@dataclass(frozen=True, slots=True)
class Group:
    """One repeating group: count tag, delimiter tag, and the rows (each a field list)."""

    count_tag: int
    delimiter: int
    rows: list[Fields]


def allocation_instruction(
    fix_version: str,
    alloc_id: str,
    block: Block,
    record: AllocationRecord,
    cl_ord_ids: list[str],
    lots_by_order: dict[str, list[str]],
    now: datetime,
) -> tuple[Fields, list[Group]]:
    """AllocationInstruction (J): per-account quantities at the block's average price.

    FIX has no tag for tax lots, so lots chosen on the order travel in AllocText (161).
    """
    fields: Fields = [
        (ALLOC_ID, alloc_id),
        (ALLOC_TRANS_TYPE, "0"),  # new
        (SIDE, SIDE_CODES[block.side]),
        (SYMBOL, block.symbol),
        (SHARES, fmt(record.allocated_quantity)),
        (AVG_PX, fmt(record.inputs.average_price)),
        (TRADE_DATE, now.astimezone(UTC).strftime("%Y%m%d")),
    ]
    if fix_version == FIX44:
        fields += [(ALLOC_TYPE, "1"), (ALLOC_NO_ORDERS_TYPE, "1")]  # calculated; explicit orders
    orders = Group(NO_ORDERS, CL_ORD_ID, [[(CL_ORD_ID, c)] for c in cl_ord_ids])
    allocs: list[Fields] = []
    for a in record.outputs:
        if a.quantity <= 0:
            continue
        row: Fields = [(ALLOC_ACCOUNT, a.account_id), (ALLOC_QTY, fmt(a.quantity))]
        lots = lots_by_order.get(a.order_id)
        if lots:
            row.append((ALLOC_TEXT, "lots=" + ",".join(lots)))
        allocs.append(row)
    return fields, [orders, Group(NO_ALLOCS, ALLOC_ACCOUNT, allocs)]


def allocation_ack(f: FixFields) -> tuple[str, bool, str]:
    """AllocationInstructionAck (P): (AllocID, accepted?, text)."""
    alloc_id = str(_identifier(f, ALLOC_ID, required=True))
    status = _required(f, ALLOC_STATUS)
    if status not in ("0", "1", "2", "3"):
        raise FixFieldError(ALLOC_STATUS, f"unsupported AllocStatus {status!r}")
    text = f.get(TEXT) or ("accepted" if status == "0" else f"AllocRejCode {f.get(ALLOC_REJ_CODE)}")
    return alloc_id, status in ("0", "3"), text
