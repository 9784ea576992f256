"""The order being checked: what a PM proposes, before it exists as a routed order."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from toms.domain.ids import AccountId, OrderId, Symbol
from toms.domain.orders import Order, validate_order_terms
from toms.domain.values import OrderType, Side, TimeInForce


@dataclass(frozen=True, slots=True)
class ProposedTrade:
    """One account's proposed order. Validated like any order, so a check never sees nonsense.

    ``order_id`` is set when the order already exists (``from_order``): the engine then leaves
    that order out of the snapshot's working orders, so it is never counted twice.
    """

    account_id: AccountId
    symbol: Symbol
    side: Side
    quantity: Decimal
    order_type: OrderType = OrderType.MARKET
    limit_price: Decimal | None = None
    stop_price: Decimal | None = None
    locate_id: str | None = None
    order_id: OrderId | None = None

    def __post_init__(self) -> None:
        validate_order_terms(
            self.side,
            self.quantity,
            self.order_type,
            self.limit_price,
            self.stop_price,
            TimeInForce.DAY,
            None,
        )

    @classmethod
    def from_order(cls, order: Order) -> ProposedTrade:
        """The still-unfilled part of a PM order, as a trade to check."""
        return cls(
            account_id=order.account_id,
            symbol=order.symbol,
            side=order.side,
            quantity=order.quantity - order.filled_quantity,
            order_type=order.order_type,
            limit_price=order.limit_price,
            stop_price=order.stop_price,
            locate_id=order.locate_id,
            order_id=order.order_id,
        )

    def execution_price(self, reference_price: Decimal) -> Decimal:
        """The price the order is assumed to trade at: limit, else stop, else the reference.

        A stop order only triggers at its stop, so the stop is a better estimate than the
        last price; a stop-limit cannot trade through its limit, so the limit wins.
        """
        return execution_price(self.limit_price, self.stop_price, reference_price)

    def to_dict(self) -> dict[str, Any]:
        return {
            "account_id": self.account_id,
            "symbol": self.symbol,
            "side": self.side.value,
            "quantity": str(self.quantity),
            "order_type": self.order_type.value,
            "limit_price": None if self.limit_price is None else str(self.limit_price),
            "stop_price": None if self.stop_price is None else str(self.stop_price),
            "locate_id": self.locate_id,
            "order_id": self.order_id,
        }


def execution_price(
    limit_price: Decimal | None, stop_price: Decimal | None, reference_price: Decimal
) -> Decimal:
    if limit_price is not None:
        return limit_price
    if stop_price is not None:
        return stop_price
    return reference_price
