"""Allocating as fills arrive.

Policy: an intraday allocation is a pure function of the block's *cumulative* filled
quantity and average price (plus the fixed inputs: orders, method, seed). ``reallocate``
therefore recomputes from the cumulative fill and reports how each account changed since
the previous allocation. Because the answer does not depend on how the fills were sliced or
in what order they came, the allocation at completion is identical to a one-shot allocation
of the total, and a bust is simply a smaller cumulative quantity.

The price is restated for everyone on each update (all accounts always share the block's
current average price). Largest-remainder rounding is not monotone in the total (the
"Alabama paradox"): when the fill grows, an account can occasionally lose a lot it held
provisionally, so a change's ``delta`` may be negative. Intraday allocations are
provisional; only the allocation at completion is booked to tax lots.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from toms.allocation.instructions import AllocationInputs, Charge
from toms.allocation.record import AllocationRecord, allocate
from toms.domain.ids import AccountId, OrderId
from toms.domain.values import ZERO


@dataclass(frozen=True, slots=True)
class AllocationChange:
    """How one order's cumulative allocation moved between two intraday allocations."""

    order_id: OrderId
    account_id: AccountId
    previous_quantity: Decimal
    quantity: Decimal
    previous_price: Decimal
    price: Decimal

    @property
    def delta(self) -> Decimal:
        return self.quantity - self.previous_quantity

    def to_dict(self) -> dict[str, Any]:
        return {
            "order_id": self.order_id,
            "account_id": self.account_id,
            "previous_quantity": str(self.previous_quantity),
            "quantity": str(self.quantity),
            "delta": str(self.delta),
            "previous_price": str(self.previous_price),
            "price": str(self.price),
        }


@dataclass(frozen=True, slots=True)
class IntradayUpdate:
    """The new cumulative allocation and the per-order changes that lead to it."""

    record: AllocationRecord
    changes: tuple[AllocationChange, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "record": self.record.to_dict(),
            "changes": [c.to_dict() for c in self.changes],
        }


def starting_allocation(inputs: AllocationInputs) -> AllocationRecord:
    """The allocation before any fill: the same inputs with nothing filled."""
    return allocate(replace(inputs, filled_quantity=ZERO, average_price=ZERO, charges=()))


def reallocate(
    previous: AllocationRecord,
    filled_quantity: Decimal,
    average_price: Decimal,
    charges: tuple[Charge, ...] | None = None,
) -> IntradayUpdate:
    """The cumulative allocation for the block's new cumulative fill.

    ``charges`` are the cumulative charges so far; None keeps the previous ones.
    Every order appears in ``changes`` (with a zero delta when nothing moved) so the
    caller can restate all of them at the new average price in one go.
    """
    inputs = replace(
        previous.inputs,
        filled_quantity=filled_quantity,
        average_price=average_price,
        charges=previous.inputs.charges if charges is None else charges,
    )
    record = allocate(inputs)
    changes = tuple(
        AllocationChange(
            new.order_id, new.account_id, old.quantity, new.quantity, old.price, new.price
        )
        for old, new in zip(previous.outputs, record.outputs, strict=True)
    )
    return IntradayUpdate(record, changes)
