"""What an allocation is asked to do: the block's fill, the orders, the method and the seed.

Everything an allocation depends on is in ``AllocationInputs``, and nothing else is read,
so a stored record can be recomputed (``record.replay``) and must give the same answer.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any

from toms.domain.blocks import Block
from toms.domain.errors import InvalidValue, Overfill
from toms.domain.ids import AccountId, BlockId, OrderId, Symbol
from toms.domain.orders import Order
from toms.domain.values import ZERO, Side, to_decimal

HUNDRED = Decimal(100)
CENT = Decimal("0.01")


class AllocationMethod(StrEnum):
    """How the filled quantity is shared among the block's orders.

    - PRO_RATA: by each order's quantity in the block (the default and the fair-share rule).
    - TARGET_QUANTITY: by trader-given target quantities. Targets that add up to the filled
      quantity are allocated exactly; targets that add up to more (a partial fill) are
      shared pro-rata to the targets, each capped at its target.
    - PERCENTAGE: by trader-given percentages of the fill that add up to exactly 100, each
      account capped at its order quantity (any excess is re-shared, see ``apportion``).
    """

    PRO_RATA = "pro_rata"
    TARGET_QUANTITY = "target_quantity"
    PERCENTAGE = "percentage"


@dataclass(frozen=True, slots=True)
class AllocationRequest:
    """One order's claim on the block.

    ``quantity`` is the order's quantity in the block: no allocation may exceed it.
    ``target`` is the trader's instruction for the non-pro-rata methods: a quantity for
    TARGET_QUANTITY, a percentage (0-100) for PERCENTAGE; it is None for PRO_RATA.
    """

    order_id: OrderId
    account_id: AccountId
    quantity: Decimal
    target: Decimal | None = None

    def __post_init__(self) -> None:
        if self.quantity <= ZERO:
            raise InvalidValue(f"order {self.order_id}: quantity must be positive")
        if self.target is not None and self.target < ZERO:
            raise InvalidValue(f"order {self.order_id}: target must not be negative")

    def to_dict(self) -> dict[str, Any]:
        return {
            "order_id": self.order_id,
            "account_id": self.account_id,
            "quantity": str(self.quantity),
            "target": None if self.target is None else str(self.target),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AllocationRequest:
        target = data.get("target")
        return cls(
            OrderId(data["order_id"]),
            AccountId(data["account_id"]),
            to_decimal(data["quantity"], "quantity"),
            None if target is None else to_decimal(target, "target"),
        )


@dataclass(frozen=True, slots=True)
class Charge:
    """A block-level commission or fee, split over accounts pro-rata to allocated quantity."""

    name: str
    amount: Decimal

    def __post_init__(self) -> None:
        if not self.name:
            raise InvalidValue("a charge needs a name")
        if self.amount < ZERO:
            raise InvalidValue(f"charge {self.name} must not be negative")


@dataclass(frozen=True, slots=True)
class AllocationInputs:
    """Everything one allocation of one block depends on.

    ``filled_quantity`` and ``average_price`` are the block's cumulative fill so far (the
    allocation is a function of the cumulative fill, see ``intraday``). ``seed`` feeds the
    tie-break rotation (``rotation``); use something stable and recorded, e.g. the trade
    date or the block id. ``charge_places`` is the currency's minor unit (2: cents).
    """

    block_id: BlockId
    symbol: Symbol
    side: Side
    lot_size: Decimal
    filled_quantity: Decimal
    average_price: Decimal
    requests: tuple[AllocationRequest, ...]
    seed: str
    method: AllocationMethod = AllocationMethod.PRO_RATA
    charges: tuple[Charge, ...] = field(default=())
    charge_places: int = 2

    def __post_init__(self) -> None:
        if not self.requests:
            raise InvalidValue(f"block {self.block_id}: nothing to allocate to")
        ids = [r.order_id for r in self.requests]
        if len(set(ids)) != len(ids):
            raise InvalidValue(f"block {self.block_id}: an order appears twice")
        if self.lot_size <= ZERO:
            raise InvalidValue("lot size must be positive")
        if self.filled_quantity < ZERO:
            raise InvalidValue("filled quantity must not be negative")
        if self.filled_quantity > self.block_quantity:
            raise Overfill(
                f"block {self.block_id}: filled {self.filled_quantity} exceeds the orders' "
                f"{self.block_quantity}"
            )
        if self.average_price < ZERO or (
            self.filled_quantity > ZERO and self.average_price == ZERO
        ):
            raise InvalidValue("a filled block needs a positive average price")
        names = [c.name for c in self.charges]
        if len(set(names)) != len(names):
            raise InvalidValue("charge names must be unique")
        if self.filled_quantity == ZERO and any(c.amount for c in self.charges):
            raise InvalidValue("charges cannot be split over a block with nothing filled")
        if self.charge_places < 0:
            raise InvalidValue("charge places must not be negative")
        self._check_targets()

    def _check_targets(self) -> None:
        targets = [r.target for r in self.requests]
        if self.method is AllocationMethod.PRO_RATA:
            if any(t is not None for t in targets):
                raise InvalidValue("pro-rata allocation takes no targets")
            return
        if any(t is None for t in targets):
            raise InvalidValue(f"{self.method.value} allocation needs a target on every order")
        total = sum((t for t in targets if t is not None), ZERO)
        if self.method is AllocationMethod.TARGET_QUANTITY:
            for r in self.requests:
                if r.target is not None and r.target > r.quantity:
                    raise InvalidValue(f"order {r.order_id}: target {r.target} exceeds its order")
            if total < self.filled_quantity:
                raise InvalidValue(f"targets add up to {total}, less than the filled quantity")
        else:
            if total != HUNDRED:
                raise InvalidValue(f"percentages add up to {total}, not 100")

    @property
    def block_quantity(self) -> Decimal:
        return sum((r.quantity for r in self.requests), ZERO)

    def to_dict(self) -> dict[str, Any]:
        return {
            "block_id": self.block_id,
            "symbol": self.symbol,
            "side": self.side.value,
            "lot_size": str(self.lot_size),
            "filled_quantity": str(self.filled_quantity),
            "average_price": str(self.average_price),
            "requests": [r.to_dict() for r in self.requests],
            "seed": self.seed,
            "method": self.method.value,
            "charges": [{"name": c.name, "amount": str(c.amount)} for c in self.charges],
            "charge_places": self.charge_places,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AllocationInputs:
        return cls(
            block_id=BlockId(data["block_id"]),
            symbol=Symbol(data["symbol"]),
            side=Side(data["side"]),
            lot_size=to_decimal(data["lot_size"], "lot_size"),
            filled_quantity=to_decimal(data["filled_quantity"], "filled_quantity"),
            average_price=to_decimal(data["average_price"], "average_price"),
            requests=tuple(AllocationRequest.from_dict(r) for r in data["requests"]),
            seed=str(data["seed"]),
            method=AllocationMethod(data["method"]),
            charges=tuple(
                Charge(c["name"], to_decimal(c["amount"], c["name"])) for c in data["charges"]
            ),
            charge_places=int(data["charge_places"]),
        )


def requests_from_block(
    block: Block, targets: Mapping[OrderId, Decimal] | None = None
) -> tuple[AllocationRequest, ...]:
    """One request per block member, with optional per-order targets."""
    return tuple(
        AllocationRequest(
            m.order_id,
            AccountId(m.account_id),
            m.quantity,
            None if targets is None else targets[m.order_id],
        )
        for m in block.members
    )


def requests_from_orders(
    orders: Iterable[Order], targets: Mapping[OrderId, Decimal] | None = None
) -> tuple[AllocationRequest, ...]:
    """One request per PM order, claiming the order's full quantity."""
    return tuple(
        AllocationRequest(
            o.order_id,
            o.account_id,
            o.quantity,
            None if targets is None else targets[o.order_id],
        )
        for o in orders
    )


def average_price(fills: Iterable[tuple[Decimal, Decimal]]) -> Decimal:
    """Quantity-weighted average of ``(quantity, price)`` fills: the price every account gets.

    Use it when a block was worked through several routed orders; for one routed order the
    broker's AvgPx is the same number. The division rounds at the Decimal context precision
    (28 digits by default); what matters is that the one result is given to every account.
    """
    quantity = ZERO
    notional = ZERO
    for qty, price in fills:
        quantity += qty
        notional += qty * price
    if quantity <= ZERO:
        raise InvalidValue("no filled quantity to average")
    return notional / quantity
