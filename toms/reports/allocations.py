"""Allocations by block: what each account was booked, and whether the allocation was fair.

The allocations frame is one row per account leg as booked (quantity at the block's average
price, its share of the charges, the lots it opened or relieved) with the state of the
block's AllocationInstruction at the broker (``booked`` until sent, then ``instructed``,
``accepted`` or ``rejected``). Net amount is what the account pays on a buy (gross +
charges) or receives on a sale (gross − charges).

The fairness frame is ``toms.allocation.fairness.fairness_report`` of each stored record:
per order, its fill rate against the block's and its price against the block average.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol

import pandas as pd

from toms.allocation.fairness import fairness_report
from toms.allocation.record import AllocationRecord
from toms.reports.frames import frame
from toms.services.unit_of_work import UnitOfWork

ALLOCATION_COLUMNS = (
    "block_id",
    "alloc_id",
    "symbol",
    "side",
    "account",
    "order_id",
    "quantity",
    "price",
    "gross_amount",
    "charges",
    "net_amount",
    "lots",
    "status",
    "broker",
)
FAIRNESS_COLUMNS = (
    "block_id",
    "alloc_id",
    "account",
    "order_id",
    "ordered",
    "allocated",
    "ideal",
    "deviation",
    "fill_rate",
    "block_fill_rate",
    "price",
    "average_price",
    "price_vs_average",
)


class AllocationHeader(Protocol):
    """A row of ``allocations`` (``toms.persistence.tables.AllocationRow``)."""

    alloc_id: str
    block_id: str
    record: dict[str, Any]
    status: str
    broker: str | None
    created_at: datetime


class AllocationLeg(Protocol):
    """A row of ``allocation_legs`` (``toms.persistence.tables.AllocationLegRow``)."""

    alloc_id: str
    order_id: str
    account_id: str
    quantity: Decimal
    price: Decimal
    charges: Decimal
    lots: list[str]


def allocations_frame(
    allocations: Iterable[AllocationHeader],
    legs: Iterable[AllocationLeg],
    account: str | None = None,
) -> pd.DataFrame:
    """One row per leg, allocations in booking order, legs in the record's order."""
    legs_of: dict[str, dict[str, AllocationLeg]] = {}
    for leg in legs:
        legs_of.setdefault(leg.alloc_id, {})[leg.order_id] = leg
    records = []
    for alloc in allocations:
        record = AllocationRecord.from_dict(alloc.record)
        side = record.inputs.side
        booked = legs_of.get(alloc.alloc_id, {})
        for output in record.outputs:
            found = booked.get(output.order_id)
            if found is None or account not in (None, found.account_id):
                continue
            leg = found
            gross = leg.quantity * leg.price
            net = gross + leg.charges if side.is_buy else gross - leg.charges
            records.append(
                {
                    "block_id": alloc.block_id,
                    "alloc_id": alloc.alloc_id,
                    "symbol": record.inputs.symbol,
                    "side": side.value,
                    "account": leg.account_id,
                    "order_id": leg.order_id,
                    "quantity": leg.quantity,
                    "price": leg.price,
                    "gross_amount": gross,
                    "charges": leg.charges,
                    "net_amount": net,
                    "lots": ", ".join(leg.lots),
                    "status": alloc.status,
                    "broker": alloc.broker,
                }
            )
    return frame(records, ALLOCATION_COLUMNS)


def fairness_frame(
    allocations: Iterable[AllocationHeader], account: str | None = None
) -> pd.DataFrame:
    """One row per order of each allocated block (``toms.allocation.fairness``)."""
    records = []
    for alloc in allocations:
        report = fairness_report(AllocationRecord.from_dict(alloc.record))
        for r in report.rows:
            if account not in (None, r.account_id):
                continue
            records.append(
                {
                    "block_id": alloc.block_id,
                    "alloc_id": alloc.alloc_id,
                    "account": r.account_id,
                    "order_id": r.order_id,
                    "ordered": r.ordered,
                    "allocated": r.allocated,
                    "ideal": r.ideal,
                    "deviation": r.deviation,
                    "fill_rate": r.fill_rate,
                    "block_fill_rate": report.block_fill_rate,
                    "price": r.price,
                    "average_price": report.average_price,
                    "price_vs_average": r.price_vs_average,
                }
            )
    return frame(records, FAIRNESS_COLUMNS)


def allocations_report(uow: UnitOfWork, account: str | None = None) -> pd.DataFrame:
    return allocations_frame(uow.allocations.all(), uow.allocations.legs(), account)


def block_fairness_report(uow: UnitOfWork, account: str | None = None) -> pd.DataFrame:
    return fairness_frame(uow.allocations.all(), account)
