"""The PM order: what a portfolio manager wants done for one account.

A PM order never talks to a broker itself. Traders group PM orders into a ``Block``
(see ``blocks``) and the block is routed as one FIX order (see ``routed_order``). The PM
order's filled quantity comes from the allocation of the block's fills.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from toms.domain.errors import InvalidOrder, InvalidValue
from toms.domain.ids import AccountId, BlockId, LotId, OrderId, Symbol, UserId
from toms.domain.values import ZERO, OrderType, Side, TimeInForce, require_utc


class OrderStatus(StrEnum):
    """Lifecycle of a PM order, as the PM and trader see it."""

    PENDING_COMPLIANCE = "pending_compliance"
    BLOCKED = "blocked"  # pre-trade compliance said no; compliance may override
    ACCEPTED = "accepted"  # passed compliance, waiting for a trader
    IN_BLOCK = "in_block"  # grouped into a block that has not been routed yet
    WORKING = "working"  # its block is at a broker
    PARTIALLY_FILLED = "partially_filled"
    FILLED = "filled"
    CANCELED = "canceled"
    DONE = "done"  # block finished (cancelled, expired, done for day) with a partial fill


OPEN_ORDER_STATUSES = frozenset(
    {
        OrderStatus.PENDING_COMPLIANCE,
        OrderStatus.ACCEPTED,
        OrderStatus.IN_BLOCK,
        OrderStatus.WORKING,
        OrderStatus.PARTIALLY_FILLED,
    }
)


@dataclass(frozen=True, slots=True)
class Order:
    """A PM order for one account in one security. Immutable: changes return a new value."""

    order_id: OrderId
    account_id: AccountId
    symbol: Symbol
    side: Side
    quantity: Decimal
    order_type: OrderType
    created_at: datetime
    created_by: UserId
    limit_price: Decimal | None = None
    stop_price: Decimal | None = None
    time_in_force: TimeInForce = TimeInForce.DAY
    expire_date: date | None = None
    status: OrderStatus = OrderStatus.PENDING_COMPLIANCE
    filled_quantity: Decimal = ZERO
    avg_price: Decimal | None = None
    block_id: BlockId | None = None
    locate_id: str | None = None  # short-sale locate from the stock-loan desk
    specific_lots: tuple[LotId, ...] = ()  # lots a sell must relieve (tax-lot method SPECIFIC)
    note: str = ""

    def __post_init__(self) -> None:
        validate_order_terms(
            self.side,
            self.quantity,
            self.order_type,
            self.limit_price,
            self.stop_price,
            self.time_in_force,
            self.expire_date,
        )
        require_utc(self.created_at, "created_at")
        if self.filled_quantity < ZERO or self.filled_quantity > self.quantity:
            raise InvalidValue(
                f"order {self.order_id}: filled quantity {self.filled_quantity} "
                f"outside 0..{self.quantity}"
            )

    @property
    def open_quantity(self) -> Decimal:
        """Quantity still to be done while the order is open; zero once it is finished."""
        if self.status not in OPEN_ORDER_STATUSES:
            return ZERO
        return self.quantity - self.filled_quantity

    def with_status(self, status: OrderStatus) -> Order:
        return replace(self, status=status)


def validate_order_terms(
    side: Side,
    quantity: Decimal,
    order_type: OrderType,
    limit_price: Decimal | None,
    stop_price: Decimal | None,
    time_in_force: TimeInForce,
    expire_date: date | None,
) -> None:
    """Check the terms every order carries, PM order or routed block alike.

    Raises ``InvalidOrder`` naming the field, so a bad ticket tells the user what to fix.
    """
    if not isinstance(side, Side):
        raise InvalidOrder(f"side must be one of {[s.value for s in Side]}, got {side!r}")
    if not isinstance(quantity, Decimal) or not quantity.is_finite():
        raise InvalidOrder(f"quantity must be a finite Decimal, got {quantity!r}")
    if quantity <= ZERO:
        raise InvalidOrder(f"quantity must be positive, got {quantity}")
    if order_type.needs_limit_price:
        if limit_price is None:
            raise InvalidOrder(f"a {order_type.value} order needs a limit price")
        if limit_price <= ZERO:
            raise InvalidOrder(f"limit price must be positive, got {limit_price}")
    elif limit_price is not None:
        raise InvalidOrder(f"a {order_type.value} order takes no limit price")
    if order_type.needs_stop_price:
        if stop_price is None:
            raise InvalidOrder(f"a {order_type.value} order needs a stop price")
        if stop_price <= ZERO:
            raise InvalidOrder(f"stop price must be positive, got {stop_price}")
    elif stop_price is not None:
        raise InvalidOrder(f"a {order_type.value} order takes no stop price")
    if time_in_force is TimeInForce.GTD and expire_date is None:
        raise InvalidOrder("a GTD order needs an expire date")
    if time_in_force is not TimeInForce.GTD and expire_date is not None:
        raise InvalidOrder(f"an expire date only goes with GTD, not {time_in_force.value}")
