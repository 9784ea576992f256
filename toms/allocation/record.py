"""The allocation record: inputs, policy, seed-derived rotation and outputs of one block.

A record is the proof of an allocation. ``allocate`` builds it; ``replay`` recomputes the
outputs from the recorded inputs alone, so ``replay(record) == record.outputs`` holds for
any record this code produced, and an auditor (or a later release, while ``POLICY`` is
unchanged) can show that nobody adjusted an account's share by hand. ``to_dict`` /
``from_dict`` round-trip it through JSON-friendly values (Decimals as strings).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from toms.allocation.apportion import POLICY
from toms.allocation.commissions import split_charges
from toms.allocation.instructions import AllocationInputs
from toms.allocation.prorata import allocate_quantities
from toms.allocation.rotation import rotation_offset, tie_ranks
from toms.domain.errors import InvalidValue
from toms.domain.ids import AccountId, OrderId
from toms.domain.values import ZERO, to_decimal


@dataclass(frozen=True, slots=True)
class AccountAllocation:
    """One order's share of the block: quantity at the block's average price, and charges."""

    order_id: OrderId
    account_id: AccountId
    quantity: Decimal
    price: Decimal
    charges: tuple[tuple[str, Decimal], ...] = ()

    @property
    def gross_amount(self) -> Decimal:
        """quantity × price, unrounded."""
        return self.quantity * self.price

    @property
    def total_charges(self) -> Decimal:
        """All charges of this account: what a tax lot adds to basis or takes off proceeds."""
        return sum((amount for _, amount in self.charges), ZERO)

    def to_dict(self) -> dict[str, Any]:
        return {
            "order_id": self.order_id,
            "account_id": self.account_id,
            "quantity": str(self.quantity),
            "price": str(self.price),
            "charges": {name: str(amount) for name, amount in self.charges},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AccountAllocation:
        return cls(
            OrderId(data["order_id"]),
            AccountId(data["account_id"]),
            to_decimal(data["quantity"], "quantity"),
            to_decimal(data["price"], "price"),
            tuple((name, to_decimal(v, name)) for name, v in data["charges"].items()),
        )


@dataclass(frozen=True, slots=True)
class AllocationRecord:
    """Inputs, policy, rotation offset and outputs (one per request, in request order)."""

    inputs: AllocationInputs
    policy: str
    rotation_offset: int
    outputs: tuple[AccountAllocation, ...]

    @property
    def allocated_quantity(self) -> Decimal:
        return sum((a.quantity for a in self.outputs), ZERO)

    def for_order(self, order_id: OrderId) -> AccountAllocation:
        for allocation in self.outputs:
            if allocation.order_id == order_id:
                return allocation
        raise KeyError(order_id)

    def to_dict(self) -> dict[str, Any]:
        return {
            "policy": self.policy,
            "rotation_offset": self.rotation_offset,
            "inputs": self.inputs.to_dict(),
            "outputs": [a.to_dict() for a in self.outputs],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AllocationRecord:
        return cls(
            inputs=AllocationInputs.from_dict(data["inputs"]),
            policy=str(data["policy"]),
            rotation_offset=int(data["rotation_offset"]),
            outputs=tuple(AccountAllocation.from_dict(a) for a in data["outputs"]),
        )


def _compute(inputs: AllocationInputs) -> tuple[int, tuple[AccountAllocation, ...]]:
    ids = [r.order_id for r in inputs.requests]
    offset = rotation_offset(inputs.seed, inputs.block_id, len(ids))
    ranks = tie_ranks(ids, offset)
    quantities = allocate_quantities(inputs, ranks)
    if inputs.charges:
        charges = split_charges(inputs.charges, quantities, ranks, inputs.charge_places)
    else:
        charges = [()] * len(quantities)
    price = inputs.average_price
    outputs = tuple(
        AccountAllocation(r.order_id, r.account_id, q, price, c)
        for r, q, c in zip(inputs.requests, quantities, charges, strict=True)
    )
    return offset, outputs


def allocate(inputs: AllocationInputs) -> AllocationRecord:
    """Allocate the block's cumulative fill (policy: ``apportion`` and ``commissions``)."""
    offset, outputs = _compute(inputs)
    return AllocationRecord(inputs, POLICY, offset, outputs)


def replay(record: AllocationRecord) -> tuple[AccountAllocation, ...]:
    """Recompute the outputs from the recorded inputs; raises if the policy has changed."""
    if record.policy != POLICY:
        raise InvalidValue(
            f"record was made under policy {record.policy!r}; this code replays {POLICY!r}"
        )
    return _compute(record.inputs)[1]


def verify(record: AllocationRecord) -> bool:
    """True when replaying the record gives exactly its offset and outputs."""
    if record.policy != POLICY:
        return False
    offset, outputs = _compute(record.inputs)
    return offset == record.rotation_offset and outputs == record.outputs
