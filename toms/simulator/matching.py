"""The simulated broker's order-matching model: pure, deterministic, no I/O and no clock.

Every operation takes the current time and returns the reports the broker sends back, in
order. The model speaks the sell side's language (ExecType, OrdStatus, CumQty...) with FIX
4.4 code values; ``toms.simulator.acceptor`` maps them onto FIX 4.2 where that differs.

Rules, following FIX 4.4 Volume 4 Appendix D:

* each symbol has a reference price, moved by ``set_price``;
* market orders fill at the reference price as soon as they arrive; a limit order rests
  until the price crosses it (a buy fills when price <= limit, a sell when price >= limit,
  at the reference price, i.e. at the limit or better);
* stop and stop-limit orders trigger when the price reaches the stop (buy: price >= stop,
  sell: price <= stop) and then behave as market / limit orders;
* fills come in clips (``FillPolicy``): N partials of an order's quantity or a fixed clip
  size, optionally only a few clips per matching opportunity (arrival or price update);
* IOC fills what the current opportunity offers and cancels the rest; FOK fills in full
  now or is cancelled; DAY (and due GTD) orders expire at ``end_of_day``;
* cancel and cancel/replace are honoured, or refused with an OrderCancelReject carrying
  CxlRejReason; a replace down to or below CumQty leaves the order filled (OrderQty becomes
  CumQty, ExecType=Replace, OrdStatus=Filled, D12);
* "pending cancel" and "pending replace" take precedence over the fill statuses; a closed
  (canceled / expired / done-for-day) order keeps its status through late fills and busts.

AvgPx is the exact fill-weighted mean, ``sum(qty * px) / sum(qty)`` in Decimal.
Scenarios (``toms.simulator.scenarios``) script unusual broker behaviour per order through
the primitives in the "primitives" section of ``MatchingEngine``.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from enum import IntEnum, StrEnum
from typing import TYPE_CHECKING, Final

from toms.domain.values import ZERO, OrderType, Side, TimeInForce, require_utc

if TYPE_CHECKING:
    from toms.simulator.scenarios import Scenario

NO_ORDER_ID: Final = "NONE"  # OrderID (37) on rejects of orders the broker never knew


# ── sell-side vocabulary (FIX 4.4 code values) ──────────────────────────────────────────
class ExecType(StrEnum):
    NEW = "0"
    DONE_FOR_DAY = "3"
    CANCELED = "4"
    REPLACED = "5"
    PENDING_CANCEL = "6"
    STOPPED = "7"
    REJECTED = "8"
    SUSPENDED = "9"
    PENDING_NEW = "A"
    CALCULATED = "B"
    EXPIRED = "C"
    RESTATED = "D"
    PENDING_REPLACE = "E"
    TRADE = "F"
    TRADE_CORRECT = "G"
    TRADE_CANCEL = "H"
    ORDER_STATUS = "I"


class OrdStatus(StrEnum):
    NEW = "0"
    PARTIALLY_FILLED = "1"
    FILLED = "2"
    DONE_FOR_DAY = "3"
    CANCELED = "4"
    PENDING_CANCEL = "6"
    STOPPED = "7"
    REJECTED = "8"
    SUSPENDED = "9"
    PENDING_NEW = "A"
    CALCULATED = "B"
    EXPIRED = "C"
    PENDING_REPLACE = "E"


class OrdRejReason(IntEnum):
    BROKER_OPTION = 0
    UNKNOWN_SYMBOL = 1
    EXCHANGE_CLOSED = 2
    ORDER_EXCEEDS_LIMIT = 3
    TOO_LATE_TO_ENTER = 4
    UNKNOWN_ORDER = 5
    DUPLICATE_ORDER = 6
    UNSUPPORTED_ORDER_CHARACTERISTIC = 11  # FIX 4.4
    INCORRECT_QUANTITY = 13  # FIX 4.4
    OTHER = 99  # FIX 4.4


class CxlRejReason(IntEnum):
    TOO_LATE_TO_CANCEL = 0
    UNKNOWN_ORDER = 1
    BROKER_OPTION = 2
    ALREADY_PENDING = 3
    DUPLICATE_CL_ORD_ID = 6  # FIX 4.4
    OTHER = 99  # FIX 4.4


class CxlRejResponseTo(StrEnum):
    CANCEL = "1"
    REPLACE = "2"


class ExecRestatementReason(IntEnum):
    GT_RENEWAL = 1
    REPRICING = 3
    BROKER_OPTION = 4
    PARTIAL_DECLINE = 5


class AllocStatus(IntEnum):
    ACCEPTED = 0
    BLOCK_LEVEL_REJECT = 1


class AllocRejCode(IntEnum):
    UNKNOWN_ACCOUNT = 0
    INCORRECT_QUANTITY = 1
    INCORRECT_AVERAGE_PRICE = 2
    UNKNOWN_ORDER_ID = 5
    OTHER = 7
    INCORRECT_ALLOCATED_QUANTITY = 8  # FIX 4.4
    MISMATCHED_DATA = 11  # FIX 4.4
    UNKNOWN_CL_ORD_ID = 12  # FIX 4.4


CLOSED: Final = frozenset(
    {OrdStatus.CANCELED, OrdStatus.EXPIRED, OrdStatus.REJECTED, OrdStatus.DONE_FOR_DAY}
)


class SimulatorError(Exception):
    """A control call names something the model does not have (unknown ExecID, order...)."""


# ── requests ────────────────────────────────────────────────────────────────────────────
@dataclass(frozen=True, slots=True)
class NewOrder:
    """NewOrderSingle (D). ``owner`` names the FIX session: ClOrdIDs are unique per owner.

    ``scenario`` forces a scenario by name; otherwise it is read from ``text``
    (``SCENARIO=name``) or from the per-symbol configuration.
    """

    cl_ord_id: str
    symbol: str
    side: Side
    order_type: OrderType
    quantity: Decimal
    limit_price: Decimal | None = None
    stop_price: Decimal | None = None
    time_in_force: TimeInForce = TimeInForce.DAY
    expire_date: date | None = None
    account: str | None = None
    text: str | None = None
    owner: str = ""
    scenario: str | None = None


@dataclass(frozen=True, slots=True)
class CancelRequest:
    """OrderCancelRequest (F)."""

    cl_ord_id: str
    orig_cl_ord_id: str
    owner: str = ""
    order_id: str | None = None


@dataclass(frozen=True, slots=True)
class ReplaceRequest:
    """OrderCancelReplaceRequest (G): the order's new terms, in full.

    ``side`` and ``symbol`` are checked against the order when given (they cannot change);
    ``time_in_force`` None keeps the order's.
    """

    cl_ord_id: str
    orig_cl_ord_id: str
    quantity: Decimal
    order_type: OrderType
    limit_price: Decimal | None = None
    stop_price: Decimal | None = None
    time_in_force: TimeInForce | None = None
    expire_date: date | None = None
    owner: str = ""
    order_id: str | None = None
    side: Side | None = None
    symbol: str | None = None


@dataclass(frozen=True, slots=True)
class StatusRequest:
    """OrderStatusRequest (H)."""

    cl_ord_id: str
    owner: str = ""
    order_id: str | None = None
    symbol: str | None = None
    side: Side | None = None


@dataclass(frozen=True, slots=True)
class AllocationLeg:
    account: str
    quantity: Decimal


@dataclass(frozen=True, slots=True)
class AllocationRequest:
    """AllocationInstruction (J): split ``quantity`` of the referenced orders by account."""

    alloc_id: str
    side: Side
    symbol: str
    quantity: Decimal
    avg_px: Decimal | None
    legs: tuple[AllocationLeg, ...]
    cl_ord_ids: tuple[str, ...] = ()
    order_ids: tuple[str, ...] = ()
    trade_date: date | None = None
    owner: str = ""


# ── reports ─────────────────────────────────────────────────────────────────────────────
@dataclass(frozen=True, slots=True)
class ExecReport:
    """One ExecutionReport (8) as the sell side sends it."""

    owner: str
    order_id: str
    cl_ord_id: str
    exec_id: str
    exec_type: ExecType
    ord_status: OrdStatus
    symbol: str
    side: Side
    order_type: OrderType
    order_qty: Decimal
    cum_qty: Decimal
    leaves_qty: Decimal
    avg_px: Decimal
    transact_time: datetime
    last_qty: Decimal = ZERO
    last_px: Decimal | None = None
    orig_cl_ord_id: str | None = None
    exec_ref_id: str | None = None
    limit_price: Decimal | None = None
    stop_price: Decimal | None = None
    time_in_force: TimeInForce | None = None
    expire_date: date | None = None
    account: str | None = None
    ord_rej_reason: OrdRejReason | None = None
    restatement_reason: ExecRestatementReason | None = None
    text: str = ""
    poss_dup: bool = False  # a deliberate resend of an earlier report (same ExecID)


@dataclass(frozen=True, slots=True)
class CancelReject:
    """OrderCancelReject (9)."""

    owner: str
    order_id: str
    cl_ord_id: str
    orig_cl_ord_id: str
    ord_status: OrdStatus
    response_to: CxlRejResponseTo
    reason: CxlRejReason
    transact_time: datetime
    text: str = ""
    account: str | None = None


@dataclass(frozen=True, slots=True)
class AllocationAck:
    """AllocationInstructionAck (P)."""

    owner: str
    alloc_id: str
    status: AllocStatus
    transact_time: datetime
    trade_date: date | None = None
    reject_code: AllocRejCode | None = None
    text: str = ""


Report = ExecReport | CancelReject


# ── configuration ───────────────────────────────────────────────────────────────────────
@dataclass(frozen=True, slots=True)
class FillPolicy:
    """How an executable order is cut into fills.

    ``partial_fills`` splits the order quantity into that many near-equal clips (rounded up
    to the lot size); ``clip_size``, when set, uses fixed clips instead. ``clips_per_match``
    limits how many clips execute per matching opportunity (arrival, replace or price
    update): None fills all of them at once, 1 fills one clip per price update. This is
    also the liquidity IOC and FOK orders see.
    """

    partial_fills: int = 1
    clip_size: Decimal | None = None
    clips_per_match: int | None = None

    def __post_init__(self) -> None:
        if self.partial_fills < 1:
            raise ValueError(f"partial_fills must be >= 1, got {self.partial_fills}")
        if self.clip_size is not None and self.clip_size <= ZERO:
            raise ValueError(f"clip_size must be positive, got {self.clip_size}")
        if self.clips_per_match is not None and self.clips_per_match < 1:
            raise ValueError(f"clips_per_match must be >= 1, got {self.clips_per_match}")


DEFAULT_TIFS: Final = frozenset(
    {TimeInForce.DAY, TimeInForce.GTC, TimeInForce.IOC, TimeInForce.FOK}
)


@dataclass(frozen=True, slots=True)
class MatchingConfig:
    fill_policy: FillPolicy = field(default_factory=FillPolicy)
    lot_size: Decimal = Decimal(1)
    max_order_qty: Decimal | None = Decimal(1_000_000)
    supported_tifs: frozenset[TimeInForce] = DEFAULT_TIFS
    reject_rate: float = 0.0  # probability that a valid new order is rejected anyway
    seed: int = 0
    send_pending_new: bool = False  # ExecType=A before ExecType=0 on every order
    send_pending_acks: bool = False  # PendingCancel / PendingReplace before the final ack
    symbol_scenarios: Mapping[str, str] = field(default_factory=dict)
    id_prefix: str = ""  # OrderIDs and ExecIDs start with it (a run stamp keeps runs apart)
    alloc_avg_px_tolerance: Decimal = Decimal("0.0001")

    def __post_init__(self) -> None:
        if self.lot_size <= ZERO:
            raise ValueError(f"lot_size must be positive, got {self.lot_size}")
        if self.max_order_qty is not None and self.max_order_qty <= ZERO:
            raise ValueError(f"max_order_qty must be positive, got {self.max_order_qty}")
        if not 0.0 <= self.reject_rate <= 1.0:
            raise ValueError(f"reject_rate must be between 0 and 1, got {self.reject_rate}")


# ── order book state ────────────────────────────────────────────────────────────────────
@dataclass(slots=True)
class SimFill:
    exec_id: str
    quantity: Decimal
    price: Decimal
    executed_at: datetime
    busted: bool = False


@dataclass(slots=True)
class PendingChange:
    response_to: CxlRejResponseTo
    cl_ord_id: str
    orig_cl_ord_id: str


@dataclass(slots=True)
class SimOrder:
    """An order as the broker holds it. Mutated only by ``MatchingEngine``."""

    order_id: str
    owner: str
    cl_ord_id: str
    symbol: str
    side: Side
    order_type: OrderType
    quantity: Decimal
    limit_price: Decimal | None
    stop_price: Decimal | None
    time_in_force: TimeInForce
    expire_date: date | None
    account: str | None
    scenario: Scenario | None
    orig_cl_ord_id: str | None = None
    cl_ord_ids: list[str] = field(default_factory=list)
    fills: list[SimFill] = field(default_factory=list)
    cum_qty: Decimal = ZERO
    notional: Decimal = ZERO
    closed: OrdStatus | None = None  # canceled, expired, rejected or done for day
    pending: PendingChange | None = None
    triggered: bool = False  # a stop order whose stop price was reached

    @property
    def is_buy(self) -> bool:
        return self.side.is_buy

    @property
    def held(self) -> bool:
        """Scenario orders that only move as their script says, never by the market."""
        return self.scenario is not None and self.scenario.holds

    @property
    def is_working(self) -> bool:
        return self.closed is None and self.cum_qty < self.quantity

    @property
    def working_status(self) -> OrdStatus:
        if self.cum_qty >= self.quantity:
            return OrdStatus.FILLED
        return OrdStatus.PARTIALLY_FILLED if self.cum_qty > ZERO else OrdStatus.NEW

    @property
    def status(self) -> OrdStatus:
        if self.closed is not None:
            return self.closed
        if self.pending is not None:  # precedence: pending beats partially filled and filled
            if self.pending.response_to is CxlRejResponseTo.CANCEL:
                return OrdStatus.PENDING_CANCEL
            return OrdStatus.PENDING_REPLACE
        return self.working_status

    @property
    def leaves_qty(self) -> Decimal:
        if self.closed is not None:
            return ZERO
        return max(self.quantity - self.cum_qty, ZERO)

    @property
    def avg_px(self) -> Decimal:
        return self.notional / self.cum_qty if self.cum_qty > ZERO else ZERO

    @property
    def live_fills(self) -> list[SimFill]:
        return [f for f in self.fills if not f.busted]


# ── the engine ──────────────────────────────────────────────────────────────────────────
class MatchingEngine:
    """The broker's book. Not thread-safe: the acceptor drives it from one worker thread."""

    def __init__(self, prices: Mapping[str, Decimal], config: MatchingConfig | None = None) -> None:
        self.config = config or MatchingConfig()
        self._prices: dict[str, Decimal] = {}
        for symbol, price in prices.items():
            self._check_price(symbol, price)
            self._prices[symbol] = price
        self._rng = random.Random(self.config.seed)
        self._orders: dict[str, SimOrder] = {}  # by OrderID, in arrival order
        self._keys: dict[tuple[str, str], str] = {}  # (owner, ClOrdID) -> OrderID
        self._active: dict[str, SimOrder] = {}  # working orders, by OrderID, arrival order
        self._fills: dict[str, tuple[SimOrder, SimFill]] = {}  # by every ExecID of a fill
        self._allocations: set[tuple[str, str]] = set()
        self._exec_seq = 0
        self._order_seq = 0

    # ── queries ─────────────────────────────────────────────────────────────────────
    @property
    def prices(self) -> dict[str, Decimal]:
        return dict(self._prices)

    def price(self, symbol: str) -> Decimal:
        return self._prices[symbol]

    def orders(self) -> list[SimOrder]:
        return list(self._orders.values())

    def find(self, cl_ord_id: str, owner: str | None = None) -> SimOrder:
        """The order one of whose ClOrdIDs is ``cl_ord_id`` (any owner when None)."""
        if owner is not None:
            order_id = self._keys.get((owner, cl_ord_id))
            if order_id is None:
                raise SimulatorError(f"no order with ClOrdID {cl_ord_id!r} from {owner!r}")
            return self._orders[order_id]
        hits = {oid for (_, cl), oid in self._keys.items() if cl == cl_ord_id}
        if not hits:
            raise SimulatorError(f"no order with ClOrdID {cl_ord_id!r}")
        if len(hits) > 1:
            raise SimulatorError(f"ClOrdID {cl_ord_id!r} is used by several sessions: name one")
        return self._orders[hits.pop()]

    def find_fill(self, exec_id: str) -> tuple[SimOrder, SimFill]:
        try:
            return self._fills[exec_id]
        except KeyError:
            raise SimulatorError(f"no fill with ExecID {exec_id!r}") from None

    # ── client messages ─────────────────────────────────────────────────────────────
    def new_order(self, request: NewOrder, now: datetime) -> list[Report]:
        require_utc(now, "now")
        out: list[Report] = []
        scenario = self._resolve_scenario(request)
        if (request.owner, request.cl_ord_id) in self._keys:
            out.append(
                self._orphan_reject(
                    request,
                    OrdRejReason.DUPLICATE_ORDER,
                    f"duplicate ClOrdID {request.cl_ord_id}",
                    now,
                )
            )
            return out
        order = self._register(request, scenario)
        problem = self._validate_new(request)
        if problem is not None:
            self.reject(order, problem[0], problem[1], now, out)
            return out
        if self.config.reject_rate and self._rng.random() < self.config.reject_rate:
            self.reject(order, OrdRejReason.BROKER_OPTION, "random reject (reject_rate)", now, out)
            return out
        if scenario is not None and scenario.on_new(self, order, now, out):
            return out
        self.accept(order, now, out)
        self._on_arrival(order, now, out)
        if scenario is not None and order.closed is None:
            scenario.after_accept(self, order, now, out)
        return out

    def reject_new(
        self, request: NewOrder, reason: OrdRejReason, text: str, now: datetime
    ) -> list[Report]:
        """Reject an order the gateway could parse but not accept (unsupported TIF...)."""
        require_utc(now, "now")
        if (request.owner, request.cl_ord_id) in self._keys:
            return [
                self._orphan_reject(
                    request,
                    OrdRejReason.DUPLICATE_ORDER,
                    f"duplicate ClOrdID {request.cl_ord_id}",
                    now,
                )
            ]
        out: list[Report] = []
        self.reject(self._register(request, None), reason, text, now, out)
        return out

    def cancel(self, request: CancelRequest, now: datetime) -> list[Report]:
        require_utc(now, "now")
        out: list[Report] = []
        order = self._check_change(request, CxlRejResponseTo.CANCEL, now, out)
        if order is None:
            return out
        if order.scenario is not None and order.scenario.on_cancel(self, order, request, now, out):
            return out
        if self.config.send_pending_acks:
            self.pending_cancel(order, request, now, out)
        self.cancel_order(order, now, out, cl_ord_id=request.cl_ord_id)
        return out

    def replace(self, request: ReplaceRequest, now: datetime) -> list[Report]:
        require_utc(now, "now")
        out: list[Report] = []
        order = self._check_change(request, CxlRejResponseTo.REPLACE, now, out)
        if order is None:
            return out
        problem = self._validate_replace(order, request)
        if problem is not None:
            self.cancel_reject(
                order,
                request.cl_ord_id,
                CxlRejResponseTo.REPLACE,
                CxlRejReason.BROKER_OPTION,
                problem,
                now,
                out,
                orig_cl_ord_id=request.orig_cl_ord_id,
            )
            return out
        if order.scenario is not None and order.scenario.on_replace(self, order, request, now, out):
            return out
        if self.config.send_pending_acks:
            self.pending_replace(order, request, now, out)
        self.apply_replace(order, request, now, out)
        return out

    def status(self, request: StatusRequest, now: datetime) -> list[Report]:
        require_utc(now, "now")
        order = self._lookup(request.owner, request.cl_ord_id, request.order_id)
        if order is None:
            return [
                ExecReport(
                    owner=request.owner,
                    order_id=request.order_id or NO_ORDER_ID,
                    cl_ord_id=request.cl_ord_id,
                    exec_id=self._next_exec_id(),
                    exec_type=ExecType.ORDER_STATUS,
                    ord_status=OrdStatus.REJECTED,
                    symbol=request.symbol or "",
                    side=request.side or Side.BUY,
                    order_type=OrderType.MARKET,
                    order_qty=ZERO,
                    cum_qty=ZERO,
                    leaves_qty=ZERO,
                    avg_px=ZERO,
                    transact_time=now,
                    ord_rej_reason=OrdRejReason.UNKNOWN_ORDER,
                    text="unknown order",
                )
            ]
        out: list[Report] = []
        self._emit(order, ExecType.ORDER_STATUS, now, out)
        return out

    def allocate(self, request: AllocationRequest, now: datetime) -> AllocationAck:
        require_utc(now, "now")

        def reject(code: AllocRejCode, text: str) -> AllocationAck:
            return AllocationAck(
                request.owner,
                request.alloc_id,
                AllocStatus.BLOCK_LEVEL_REJECT,
                now,
                request.trade_date,
                code,
                text,
            )

        key = (request.owner, request.alloc_id)
        if key in self._allocations:
            return reject(AllocRejCode.OTHER, f"duplicate AllocID {request.alloc_id}")
        if not request.cl_ord_ids and not request.order_ids:
            return reject(AllocRejCode.OTHER, "no orders referenced (NoOrders is empty)")
        orders: dict[str, SimOrder] = {}
        unknown_cl = [c for c in request.cl_ord_ids if (request.owner, c) not in self._keys]
        if unknown_cl:
            return reject(
                AllocRejCode.UNKNOWN_CL_ORD_ID, f"unknown ClOrdID {', '.join(unknown_cl)}"
            )
        for c in request.cl_ord_ids:
            o = self._orders[self._keys[(request.owner, c)]]
            orders[o.order_id] = o
        unknown_ids = [
            i
            for i in request.order_ids
            if i not in self._orders or self._orders[i].owner != request.owner
        ]
        if unknown_ids:
            return reject(
                AllocRejCode.UNKNOWN_ORDER_ID, f"unknown OrderID {', '.join(unknown_ids)}"
            )
        for i in request.order_ids:
            orders[i] = self._orders[i]
        for o in orders.values():
            if o.symbol != request.symbol or o.side.is_buy != request.side.is_buy:
                return reject(
                    AllocRejCode.MISMATCHED_DATA,
                    f"order {o.cl_ord_id} is {o.side} {o.symbol}, the allocation "
                    f"{request.side} {request.symbol}",
                )
        if not request.legs:
            return reject(AllocRejCode.INCORRECT_ALLOCATED_QUANTITY, "no allocations (NoAllocs)")
        for leg in request.legs:
            if not leg.account:
                return reject(AllocRejCode.UNKNOWN_ACCOUNT, "an allocation has no account")
            if leg.quantity <= ZERO:
                return reject(
                    AllocRejCode.INCORRECT_ALLOCATED_QUANTITY,
                    f"account {leg.account}: quantity {leg.quantity} is not positive",
                )
        allocated = sum((leg.quantity for leg in request.legs), ZERO)
        if allocated != request.quantity:
            return reject(
                AllocRejCode.INCORRECT_ALLOCATED_QUANTITY,
                f"allocations sum to {allocated}, the instruction's quantity is {request.quantity}",
            )
        executed = sum((o.cum_qty for o in orders.values()), ZERO)
        if executed != request.quantity:
            return reject(
                AllocRejCode.INCORRECT_QUANTITY,
                f"the orders executed {executed}, the instruction's quantity is {request.quantity}",
            )
        notional = sum((o.notional for o in orders.values()), ZERO)
        avg_px = notional / executed
        if (
            request.avg_px is not None
            and abs(avg_px - request.avg_px) > self.config.alloc_avg_px_tolerance
        ):
            return reject(
                AllocRejCode.INCORRECT_AVERAGE_PRICE,
                f"AvgPx {request.avg_px} but the orders executed at {avg_px}",
            )
        self._allocations.add(key)
        return AllocationAck(
            request.owner,
            request.alloc_id,
            AllocStatus.ACCEPTED,
            now,
            request.trade_date,
            None,
            "accepted",
        )

    def forget_allocation(self, owner: str, alloc_id: str) -> None:
        """Drop an accepted AllocID so a replacing instruction can reuse it."""
        self._allocations.discard((owner, alloc_id))

    def reject_change(
        self,
        request: CancelRequest | ReplaceRequest,
        response_to: CxlRejResponseTo,
        reason: CxlRejReason,
        text: str,
        now: datetime,
    ) -> list[Report]:
        """Refuse a cancel or replace the gateway cannot take (unsupported terms...)."""
        require_utc(now, "now")
        out: list[Report] = []
        order = self._lookup(request.owner, request.orig_cl_ord_id, request.order_id)
        if order is None:
            self.cancel_reject(
                None,
                request.cl_ord_id,
                response_to,
                CxlRejReason.UNKNOWN_ORDER,
                f"unknown order {request.orig_cl_ord_id}",
                now,
                out,
                orig_cl_ord_id=request.orig_cl_ord_id,
                owner=request.owner,
            )
        else:
            self._reject_change(order, request, response_to, reason, text, now, out)
        return out

    # ── market and broker controls ──────────────────────────────────────────────────
    def set_price(self, symbol: str, price: Decimal, now: datetime) -> list[Report]:
        """Move the reference price; resting and stop orders in ``symbol`` may execute."""
        require_utc(now, "now")
        if symbol not in self._prices:
            raise SimulatorError(f"unknown symbol {symbol!r}")
        self._check_price(symbol, price)
        self._prices[symbol] = price
        out: list[Report] = []
        for order in list(self._active.values()):
            if order.symbol == symbol and order.is_working:
                self.match(order, now, out)
        return out

    def end_of_day(self, now: datetime) -> list[Report]:
        """Close the simulated session: DAY orders (and GTD orders due) expire."""
        require_utc(now, "now")
        out: list[Report] = []
        today = now.date()
        for order in list(self._active.values()):
            if not order.is_working:
                continue
            due = order.time_in_force in (TimeInForce.DAY, TimeInForce.IOC, TimeInForce.FOK) or (
                order.time_in_force is TimeInForce.GTD
                and order.expire_date is not None
                and order.expire_date <= today
            )
            if due:
                order.pending = None
                order.closed = OrdStatus.EXPIRED
                self._emit(order, ExecType.EXPIRED, now, out, text="expired at end of day")
        return out

    def bust(self, exec_id: str, now: datetime, text: str = "trade busted") -> list[Report]:
        require_utc(now, "now")
        order, fill = self.find_fill(exec_id)
        out: list[Report] = []
        self.bust_fill(order, fill, exec_id, now, out, text=text)
        return out

    def correct(
        self,
        exec_id: str,
        now: datetime,
        quantity: Decimal | None = None,
        price: Decimal | None = None,
        text: str = "trade corrected",
    ) -> list[Report]:
        require_utc(now, "now")
        order, fill = self.find_fill(exec_id)
        out: list[Report] = []
        self.correct_fill(order, fill, exec_id, quantity, price, now, out, text=text)
        return out

    def unsolicited_cancel(
        self,
        cl_ord_id: str,
        now: datetime,
        owner: str | None = None,
        text: str = "cancelled by broker",
    ) -> list[Report]:
        require_utc(now, "now")
        order = self.find(cl_ord_id, owner)
        if not order.is_working:
            raise SimulatorError(f"order {cl_ord_id!r} is {order.status.name}, not working")
        out: list[Report] = []
        self.cancel_order(order, now, out, text=text)
        return out

    def restate(
        self,
        cl_ord_id: str,
        quantity: Decimal,
        now: datetime,
        owner: str | None = None,
        reason: ExecRestatementReason = ExecRestatementReason.PARTIAL_DECLINE,
    ) -> list[Report]:
        require_utc(now, "now")
        order = self.find(cl_ord_id, owner)
        out: list[Report] = []
        self.restate_order(order, quantity, reason, now, out)
        return out

    def done_for_day(self, cl_ord_id: str, now: datetime, owner: str | None = None) -> list[Report]:
        require_utc(now, "now")
        order = self.find(cl_ord_id, owner)
        if not order.is_working:
            raise SimulatorError(f"order {cl_ord_id!r} is {order.status.name}, not working")
        out: list[Report] = []
        self.done_for_day_order(order, now, out)
        return out

    # ── primitives (used by the scenarios) ──────────────────────────────────────────
    def accept(self, order: SimOrder, now: datetime, out: list[Report]) -> None:
        """Acknowledge: PendingNew first when configured or scripted, then New."""
        if self.config.send_pending_new or (
            order.scenario is not None and order.scenario.pending_new
        ):
            self._emit(order, ExecType.PENDING_NEW, now, out, status=OrdStatus.PENDING_NEW)
        self._emit(order, ExecType.NEW, now, out)

    def reject(
        self, order: SimOrder, reason: OrdRejReason, text: str, now: datetime, out: list[Report]
    ) -> None:
        order.closed = OrdStatus.REJECTED
        self._emit(order, ExecType.REJECTED, now, out, text=text, ord_rej_reason=reason)

    def fill(
        self,
        order: SimOrder,
        quantity: Decimal,
        price: Decimal,
        now: datetime,
        out: list[Report],
        text: str = "",
    ) -> SimFill:
        """Execute ``quantity`` at ``price``. A closed order stays closed (a late fill)."""
        if quantity <= ZERO:
            raise SimulatorError(f"fill quantity must be positive, got {quantity}")
        exec_id = self._next_exec_id()
        fill = SimFill(exec_id, quantity, price, now)
        order.fills.append(fill)
        self._fills[exec_id] = (order, fill)
        order.cum_qty += quantity
        order.notional += quantity * price
        self._emit(
            order,
            ExecType.TRADE,
            now,
            out,
            exec_id=exec_id,
            last_qty=quantity,
            last_px=price,
            text=text,
        )
        return fill

    def match(self, order: SimOrder, now: datetime, out: list[Report], force: bool = False) -> None:
        """One matching opportunity: trigger stops, fill marketable clips at the price."""
        if not order.is_working or (order.held and not force):
            return
        price = self._prices[order.symbol]
        if not self._triggered(order, price) or not self._marketable(order, price):
            return
        for quantity in self.clips(order):
            self.fill(order, quantity, price, now, out)

    def clips(self, order: SimOrder, limit: bool = True) -> list[Decimal]:
        """The fill sizes the leaves quantity is cut into for one matching opportunity."""
        policy = self.config.fill_policy
        leaves = order.leaves_qty
        if policy.clip_size is not None:
            clip = policy.clip_size
        else:
            clip = self._round_lot(order.quantity / policy.partial_fills, ROUND_CEILING)
        clip = max(clip, self.config.lot_size)
        sizes: list[Decimal] = []
        while leaves > ZERO:
            size = min(clip, leaves)
            sizes.append(size)
            leaves -= size
            if (
                limit
                and policy.clips_per_match is not None
                and len(sizes) >= policy.clips_per_match
            ):
                break
        return sizes

    def part(self, order: SimOrder, fraction: Decimal = Decimal("0.5")) -> Decimal:
        """A lot-rounded part of the leaves quantity: at least one lot, at most all of it."""
        leaves = order.leaves_qty
        size = self._round_lot(leaves * fraction, ROUND_FLOOR)
        return min(max(size, self.config.lot_size), leaves)

    def scenario_price(self, order: SimOrder) -> Decimal:
        """Where a scripted fill executes: the market if the order could trade there, else
        the order's own limit price (or stop price for an untriggered stop)."""
        price = self._prices[order.symbol]
        if order.limit_price is not None and not self._marketable(order, price):
            return order.limit_price
        if order.stop_price is not None and not self._stop_hit(order, price):
            return order.stop_price if order.limit_price is None else order.limit_price
        return price

    def cancel_order(
        self,
        order: SimOrder,
        now: datetime,
        out: list[Report],
        cl_ord_id: str | None = None,
        text: str = "",
    ) -> None:
        """Cancel the rest of the order: at the client's request when ``cl_ord_id`` (the
        cancel's ClOrdID) is given, else on the broker's own initiative (unsolicited)."""
        orig = None
        if cl_ord_id is not None:
            orig = self._rotate_cl_ord_id(order, cl_ord_id)
        order.pending = None
        order.closed = OrdStatus.CANCELED
        self._emit(order, ExecType.CANCELED, now, out, orig_cl_ord_id=orig, text=text)

    def pending_cancel(
        self, order: SimOrder, request: CancelRequest, now: datetime, out: list[Report]
    ) -> None:
        self._pending(order, CxlRejResponseTo.CANCEL, request.cl_ord_id, now, out)

    def pending_replace(
        self, order: SimOrder, request: ReplaceRequest, now: datetime, out: list[Report]
    ) -> None:
        self._pending(order, CxlRejResponseTo.REPLACE, request.cl_ord_id, now, out)

    def _pending(
        self,
        order: SimOrder,
        kind: CxlRejResponseTo,
        cl_ord_id: str,
        now: datetime,
        out: list[Report],
    ) -> None:
        order.pending = PendingChange(kind, cl_ord_id, order.cl_ord_id)
        exec_type = (
            ExecType.PENDING_CANCEL if kind is CxlRejResponseTo.CANCEL else ExecType.PENDING_REPLACE
        )
        self._emit(order, exec_type, now, out, cl_ord_id=cl_ord_id, orig_cl_ord_id=order.cl_ord_id)

    def apply_replace(
        self, order: SimOrder, request: ReplaceRequest, now: datetime, out: list[Report]
    ) -> None:
        """Take the new terms. A quantity at or below CumQty leaves the order filled (D12)."""
        orig = self._rotate_cl_ord_id(order, request.cl_ord_id)
        stop_changed = (
            request.order_type is not order.order_type or request.stop_price != order.stop_price
        )
        order.quantity = max(request.quantity, order.cum_qty)
        order.order_type = request.order_type
        order.limit_price = request.limit_price
        order.stop_price = request.stop_price
        if request.time_in_force is not None:
            order.time_in_force = request.time_in_force
            order.expire_date = request.expire_date
        if stop_changed:
            order.triggered = False
        order.pending = None
        text = (
            "quantity reduced to the executed quantity: order filled"
            if (request.quantity < order.cum_qty)
            else ""
        )
        self._emit(order, ExecType.REPLACED, now, out, orig_cl_ord_id=orig, text=text)
        self.match(order, now, out)

    def cancel_reject(
        self,
        order: SimOrder | None,
        cl_ord_id: str,
        response_to: CxlRejResponseTo,
        reason: CxlRejReason,
        text: str,
        now: datetime,
        out: list[Report],
        orig_cl_ord_id: str | None = None,
        owner: str = "",
    ) -> None:
        if order is not None:
            order.pending = None
        out.append(
            CancelReject(
                owner=order.owner if order is not None else owner,
                order_id=order.order_id if order is not None else NO_ORDER_ID,
                cl_ord_id=cl_ord_id,
                orig_cl_ord_id=orig_cl_ord_id or (order.cl_ord_id if order else ""),
                ord_status=order.status if order is not None else OrdStatus.REJECTED,
                response_to=response_to,
                reason=reason,
                transact_time=now,
                text=text,
                account=order.account if order is not None else None,
            )
        )

    def bust_fill(
        self,
        order: SimOrder,
        fill: SimFill,
        exec_id: str,
        now: datetime,
        out: list[Report],
        text: str = "trade busted",
    ) -> None:
        """Trade cancel (ExecType=H, ExecRefID=the fill): quantity goes back to leaves."""
        if fill.busted:
            raise SimulatorError(f"ExecID {exec_id!r} is already busted")
        fill.busted = True
        order.cum_qty -= fill.quantity
        order.notional -= fill.quantity * fill.price
        self._emit(order, ExecType.TRADE_CANCEL, now, out, exec_ref_id=exec_id, text=text)

    def correct_fill(
        self,
        order: SimOrder,
        fill: SimFill,
        exec_id: str,
        quantity: Decimal | None,
        price: Decimal | None,
        now: datetime,
        out: list[Report],
        text: str = "trade corrected",
    ) -> None:
        """Trade correct (ExecType=G): LastQty / LastPx are the corrected values."""
        if fill.busted:
            raise SimulatorError(f"ExecID {exec_id!r} is busted and cannot be corrected")
        new_qty = fill.quantity if quantity is None else quantity
        new_px = fill.price if price is None else price
        if new_qty <= ZERO or new_px <= ZERO:
            raise SimulatorError(f"corrected fill must be positive, got {new_qty} @ {new_px}")
        if order.cum_qty - fill.quantity + new_qty > order.quantity:
            raise SimulatorError(f"correction to {new_qty} would overfill the order")
        order.cum_qty += new_qty - fill.quantity
        order.notional += new_qty * new_px - fill.quantity * fill.price
        fill.quantity, fill.price = new_qty, new_px
        correction_id = self._next_exec_id()
        self._fills[correction_id] = (order, fill)
        self._emit(
            order,
            ExecType.TRADE_CORRECT,
            now,
            out,
            exec_id=correction_id,
            exec_ref_id=exec_id,
            last_qty=new_qty,
            last_px=new_px,
            text=text,
        )

    def restate_order(
        self,
        order: SimOrder,
        quantity: Decimal,
        reason: ExecRestatementReason,
        now: datetime,
        out: list[Report],
        text: str = "order restated by broker",
    ) -> None:
        if not order.is_working:
            raise SimulatorError(f"order {order.cl_ord_id!r} is {order.status.name}, not working")
        if quantity <= ZERO:
            raise SimulatorError(f"restated quantity must be positive, got {quantity}")
        order.quantity = max(quantity, order.cum_qty)
        self._emit(order, ExecType.RESTATED, now, out, restatement_reason=reason, text=text)

    def done_for_day_order(
        self, order: SimOrder, now: datetime, out: list[Report], text: str = "done for day"
    ) -> None:
        order.pending = None
        order.closed = OrdStatus.DONE_FOR_DAY
        self._emit(order, ExecType.DONE_FOR_DAY, now, out, text=text)

    # ── internals ───────────────────────────────────────────────────────────────────
    def _resolve_scenario(self, request: NewOrder) -> Scenario | None:
        from toms.simulator.scenarios import resolve_scenario

        return resolve_scenario(
            request.scenario, request.text, self.config.symbol_scenarios.get(request.symbol)
        )

    def _register(self, request: NewOrder, scenario: Scenario | None) -> SimOrder:
        self._order_seq += 1
        order = SimOrder(
            order_id=f"{self.config.id_prefix}O{self._order_seq:06d}",
            owner=request.owner,
            cl_ord_id=request.cl_ord_id,
            symbol=request.symbol,
            side=request.side,
            order_type=request.order_type,
            quantity=request.quantity,
            limit_price=request.limit_price,
            stop_price=request.stop_price,
            time_in_force=request.time_in_force,
            expire_date=request.expire_date,
            account=request.account,
            scenario=scenario,
            cl_ord_ids=[request.cl_ord_id],
        )
        self._orders[order.order_id] = order
        self._keys[(order.owner, order.cl_ord_id)] = order.order_id
        return order

    def _validate_new(self, r: NewOrder) -> tuple[OrdRejReason, str] | None:
        if r.symbol not in self._prices:
            return OrdRejReason.UNKNOWN_SYMBOL, f"unknown symbol {r.symbol!r}"
        problem = self._check_quantity(r.quantity)
        if problem is not None:
            return problem
        if r.time_in_force not in self.config.supported_tifs:
            return (
                OrdRejReason.UNSUPPORTED_ORDER_CHARACTERISTIC,
                f"unsupported TimeInForce {r.time_in_force.name}",
            )
        if r.time_in_force is TimeInForce.GTD and r.expire_date is None:
            return OrdRejReason.OTHER, "GTD order without ExpireDate"
        return self._check_prices(r.order_type, r.limit_price, r.stop_price)

    def _check_quantity(self, quantity: Decimal) -> tuple[OrdRejReason, str] | None:
        if not quantity.is_finite() or quantity <= ZERO:
            return OrdRejReason.INCORRECT_QUANTITY, f"quantity {quantity} must be positive"
        if quantity % self.config.lot_size != ZERO:
            return (
                OrdRejReason.INCORRECT_QUANTITY,
                f"quantity {quantity} is not a multiple of the lot size {self.config.lot_size}",
            )
        if self.config.max_order_qty is not None and quantity > self.config.max_order_qty:
            return (
                OrdRejReason.ORDER_EXCEEDS_LIMIT,
                f"quantity {quantity} exceeds the maximum {self.config.max_order_qty}",
            )
        return None

    @staticmethod
    def _check_prices(
        order_type: OrderType, limit: Decimal | None, stop: Decimal | None
    ) -> tuple[OrdRejReason, str] | None:
        if order_type.needs_limit_price and (limit is None or limit <= ZERO):
            return OrdRejReason.OTHER, f"{order_type.name} order needs a positive Price"
        if order_type.needs_stop_price and (stop is None or stop <= ZERO):
            return OrdRejReason.OTHER, f"{order_type.name} order needs a positive StopPx"
        return None

    def _validate_replace(self, order: SimOrder, r: ReplaceRequest) -> str | None:
        if r.side is not None and r.side != order.side:
            return f"side cannot be changed ({order.side} to {r.side})"
        if r.symbol is not None and r.symbol != order.symbol:
            return f"symbol cannot be changed ({order.symbol} to {r.symbol})"
        problem = self._check_quantity(r.quantity) or self._check_prices(
            r.order_type, r.limit_price, r.stop_price
        )
        if problem is not None:
            return problem[1]
        if r.time_in_force is not None and r.time_in_force not in self.config.supported_tifs:
            return f"unsupported TimeInForce {r.time_in_force.name}"
        return None

    def _check_change(
        self,
        request: CancelRequest | ReplaceRequest,
        response_to: CxlRejResponseTo,
        now: datetime,
        out: list[Report],
    ) -> SimOrder | None:
        """The order a cancel or replace is for, or None after answering with a reject."""
        order = self._lookup(request.owner, request.orig_cl_ord_id, request.order_id)
        if order is None:
            self.cancel_reject(
                None,
                request.cl_ord_id,
                response_to,
                CxlRejReason.UNKNOWN_ORDER,
                f"unknown order {request.orig_cl_ord_id}",
                now,
                out,
                orig_cl_ord_id=request.orig_cl_ord_id,
                owner=request.owner,
            )
            return None
        if (request.owner, request.cl_ord_id) in self._keys:
            self._reject_change(
                order,
                request,
                response_to,
                CxlRejReason.DUPLICATE_CL_ORD_ID,
                f"duplicate ClOrdID {request.cl_ord_id}",
                now,
                out,
            )
            return None
        if order.pending is not None:
            self._reject_change(
                order,
                request,
                response_to,
                CxlRejReason.ALREADY_PENDING,
                "a cancel or replace is already pending",
                now,
                out,
            )
            return None
        if not order.is_working:
            self._reject_change(
                order,
                request,
                response_to,
                CxlRejReason.TOO_LATE_TO_CANCEL,
                f"too late: order is {order.status.name.lower()}",
                now,
                out,
            )
            return None
        return order

    def _reject_change(
        self,
        order: SimOrder,
        request: CancelRequest | ReplaceRequest,
        response_to: CxlRejResponseTo,
        reason: CxlRejReason,
        text: str,
        now: datetime,
        out: list[Report],
    ) -> None:
        """Refuse without touching a pending request that is still in flight."""
        out.append(
            CancelReject(
                owner=order.owner,
                order_id=order.order_id,
                cl_ord_id=request.cl_ord_id,
                orig_cl_ord_id=request.orig_cl_ord_id,
                ord_status=order.status,
                response_to=response_to,
                reason=reason,
                transact_time=now,
                text=text,
                account=order.account,
            )
        )

    def _lookup(self, owner: str, cl_ord_id: str, order_id: str | None) -> SimOrder | None:
        found = self._keys.get((owner, cl_ord_id))
        if found is not None:
            return self._orders[found]
        if order_id is not None and order_id in self._orders:
            order = self._orders[order_id]
            if order.owner == owner:
                return order
        return None

    def _rotate_cl_ord_id(self, order: SimOrder, cl_ord_id: str) -> str:
        """The cancel's or replacement's ClOrdID becomes the order's; returns the old one."""
        orig = order.cl_ord_id
        order.orig_cl_ord_id = orig
        order.cl_ord_id = cl_ord_id
        order.cl_ord_ids.append(cl_ord_id)
        self._keys[(order.owner, cl_ord_id)] = order.order_id
        return orig

    def _on_arrival(self, order: SimOrder, now: datetime, out: list[Report]) -> None:
        """First matching opportunity, with the IOC / FOK rules."""
        if order.held:
            return
        tif = order.time_in_force
        if tif is TimeInForce.FOK:
            price = self._prices[order.symbol]
            available = sum(self.clips(order), ZERO)
            if (
                not self._triggered(order, price)
                or not self._marketable(order, price)
                or available < order.leaves_qty
            ):
                self.cancel_order(order, now, out, text="FOK: could not be filled in full")
                return
        self.match(order, now, out)
        if tif is TimeInForce.IOC and order.is_working:
            self.cancel_order(order, now, out, text="IOC: unfilled quantity cancelled")

    @staticmethod
    def _stop_hit(order: SimOrder, price: Decimal) -> bool:
        if not order.order_type.needs_stop_price or order.triggered:
            return True
        assert order.stop_price is not None
        return price >= order.stop_price if order.is_buy else price <= order.stop_price

    def _triggered(self, order: SimOrder, price: Decimal) -> bool:
        """Whether the order may trade; a stop reached stays triggered from then on."""
        hit = self._stop_hit(order, price)
        if hit and order.order_type.needs_stop_price:
            order.triggered = True
        return hit

    @staticmethod
    def _marketable(order: SimOrder, price: Decimal) -> bool:
        if not order.order_type.needs_limit_price:
            return True
        assert order.limit_price is not None
        return price <= order.limit_price if order.is_buy else price >= order.limit_price

    def _round_lot(self, quantity: Decimal, rounding: str) -> Decimal:
        lot = self.config.lot_size
        return (quantity / lot).to_integral_value(rounding=rounding) * lot

    @staticmethod
    def _check_price(symbol: str, price: Decimal) -> None:
        if not isinstance(price, Decimal) or not price.is_finite() or price <= ZERO:
            raise SimulatorError(f"{symbol}: price {price!r} must be a positive Decimal")

    def _next_exec_id(self) -> str:
        self._exec_seq += 1
        return f"{self.config.id_prefix}E{self._exec_seq:06d}"

    def _orphan_reject(
        self, request: NewOrder, reason: OrdRejReason, text: str, now: datetime
    ) -> ExecReport:
        """A reject for an order that cannot be registered (its ClOrdID is taken)."""
        return ExecReport(
            owner=request.owner,
            order_id=NO_ORDER_ID,
            cl_ord_id=request.cl_ord_id,
            exec_id=self._next_exec_id(),
            exec_type=ExecType.REJECTED,
            ord_status=OrdStatus.REJECTED,
            symbol=request.symbol,
            side=request.side,
            order_type=request.order_type,
            order_qty=request.quantity,
            cum_qty=ZERO,
            leaves_qty=ZERO,
            avg_px=ZERO,
            transact_time=now,
            limit_price=request.limit_price,
            stop_price=request.stop_price,
            time_in_force=request.time_in_force,
            account=request.account,
            ord_rej_reason=reason,
            text=text,
        )

    def _emit(
        self,
        order: SimOrder,
        exec_type: ExecType,
        now: datetime,
        out: list[Report],
        *,
        status: OrdStatus | None = None,
        exec_id: str | None = None,
        cl_ord_id: str | None = None,
        orig_cl_ord_id: str | None = None,
        exec_ref_id: str | None = None,
        last_qty: Decimal = ZERO,
        last_px: Decimal | None = None,
        text: str = "",
        ord_rej_reason: OrdRejReason | None = None,
        restatement_reason: ExecRestatementReason | None = None,
    ) -> ExecReport:
        report = ExecReport(
            owner=order.owner,
            order_id=order.order_id,
            cl_ord_id=cl_ord_id or order.cl_ord_id,
            exec_id=exec_id or self._next_exec_id(),
            exec_type=exec_type,
            ord_status=status or order.status,
            symbol=order.symbol,
            side=order.side,
            order_type=order.order_type,
            order_qty=order.quantity,
            cum_qty=order.cum_qty,
            leaves_qty=order.leaves_qty,
            avg_px=order.avg_px,
            transact_time=now,
            last_qty=last_qty,
            last_px=last_px,
            orig_cl_ord_id=orig_cl_ord_id,
            exec_ref_id=exec_ref_id,
            limit_price=order.limit_price,
            stop_price=order.stop_price,
            time_in_force=order.time_in_force,
            expire_date=order.expire_date,
            account=order.account,
            ord_rej_reason=ord_rej_reason,
            restatement_reason=restatement_reason,
            text=text,
        )
        out.append(report)
        if order.scenario is not None:
            out.extend(order.scenario.echo(report))
        if order.is_working:
            self._active[order.order_id] = order
        else:
            self._active.pop(order.order_id, None)
        return report


def duplicate(report: ExecReport) -> ExecReport:
    """A resend of ``report``: same ExecID and content, flagged as a possible duplicate."""
    return replace(report, poss_dup=True)


def exec_reports(reports: Iterable[Report]) -> list[ExecReport]:
    return [r for r in reports if isinstance(r, ExecReport)]
