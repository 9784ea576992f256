"""Fairness report: did every account get its fair share, at the same price?

Per order it shows the fill rate (allocated / ordered) against the block's fill rate, the
exact unrounded share the method would give with no lot rounding (``ideal``), how far the
rounded allocation is from it (in shares and in lots), and the price against the block's
average price. A compliance reviewer reads the summary: every price at the block average,
and the largest deviation from the ideal share, which under the policy stays below one lot
unless the lot size itself forces more (odd-sized orders, percentage caps).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from toms.allocation.prorata import ideal_quantities
from toms.allocation.record import AllocationRecord
from toms.domain.ids import AccountId, OrderId
from toms.domain.values import ZERO


@dataclass(frozen=True, slots=True)
class FairnessRow:
    order_id: OrderId
    account_id: AccountId
    ordered: Decimal
    allocated: Decimal
    ideal: Decimal
    fill_rate: Decimal
    price: Decimal
    price_vs_average: Decimal  # price − block average price: zero under this policy

    @property
    def deviation(self) -> Decimal:
        """Allocated − ideal share: what rounding to lots gave or took."""
        return self.allocated - self.ideal

    def to_dict(self) -> dict[str, Any]:
        return {
            "order_id": self.order_id,
            "account_id": self.account_id,
            "ordered": str(self.ordered),
            "allocated": str(self.allocated),
            "ideal": str(self.ideal),
            "deviation": str(self.deviation),
            "fill_rate": str(self.fill_rate),
            "price": str(self.price),
            "price_vs_average": str(self.price_vs_average),
        }


@dataclass(frozen=True, slots=True)
class FairnessReport:
    block_id: str
    average_price: Decimal
    block_fill_rate: Decimal
    lot_size: Decimal
    rows: tuple[FairnessRow, ...]

    @property
    def all_at_average_price(self) -> bool:
        return all(r.price_vs_average == ZERO for r in self.rows)

    @property
    def max_abs_deviation(self) -> Decimal:
        return max((abs(r.deviation) for r in self.rows), default=ZERO)

    @property
    def max_abs_deviation_lots(self) -> Decimal:
        return self.max_abs_deviation / self.lot_size

    def to_dict(self) -> dict[str, Any]:
        return {
            "block_id": self.block_id,
            "average_price": str(self.average_price),
            "block_fill_rate": str(self.block_fill_rate),
            "lot_size": str(self.lot_size),
            "all_at_average_price": self.all_at_average_price,
            "max_abs_deviation": str(self.max_abs_deviation),
            "max_abs_deviation_lots": str(self.max_abs_deviation_lots),
            "rows": [r.to_dict() for r in self.rows],
        }


def fairness_report(record: AllocationRecord) -> FairnessReport:
    """The fairness report of one allocation record."""
    inputs = record.inputs
    ideals = ideal_quantities(inputs)
    average = inputs.average_price
    rows = tuple(
        FairnessRow(
            order_id=a.order_id,
            account_id=a.account_id,
            ordered=r.quantity,
            allocated=a.quantity,
            ideal=ideal,
            fill_rate=a.quantity / r.quantity,
            price=a.price,
            price_vs_average=a.price - average,
        )
        for r, a, ideal in zip(inputs.requests, record.outputs, ideals, strict=True)
    )
    return FairnessReport(
        block_id=inputs.block_id,
        average_price=average,
        block_fill_rate=inputs.filled_quantity / inputs.block_quantity,
        lot_size=inputs.lot_size,
        rows=rows,
    )
