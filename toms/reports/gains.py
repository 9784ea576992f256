"""Realized gains: each realized lot as booked, and per account by holding term.

gain = proceeds − cost basis (negative: a loss). A loss disallowed by a wash sale
(IRC §1091) is added back: reportable gain = gain + wash-sale disallowed (Form 8949 code W),
and the disallowed amount moves into the replacement lot's basis (see the lots report).

The disallowed amount is the realized lot's own ``wash_sale_disallowed``: set at the sale
for replacement shares bought in the 30 days before it, and amended by booking when a
purchase in the 30 days after washes it (the wash-sale records hold the matches in detail).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Protocol

import pandas as pd

from toms.allocation.holding import Term
from toms.reports.frames import dsum, frame
from toms.services.unit_of_work import UnitOfWork

REALIZED_COLUMNS = (
    "account",
    "symbol",
    "lot_id",
    "trade_id",
    "alloc_id",
    "quantity",
    "acquired",
    "holding_start",
    "disposed",
    "term",
    "short",
    "proceeds",
    "cost_basis",
    "gain",
    "wash_sale_disallowed",
    "reportable_gain",
)
SUMMARY_COLUMNS = (
    "account",
    "term",
    "lots",
    "quantity",
    "proceeds",
    "cost_basis",
    "gain",
    "wash_sale_disallowed",
    "reportable_gain",
)
TERMS = (Term.SHORT.value, Term.LONG.value)


class RealizedRow(Protocol):
    """A row of ``realized_lots`` (``toms.persistence.tables.RealizedLotRow``)."""

    alloc_id: str
    trade_id: str
    account_id: str
    symbol: str
    lot_id: str
    quantity: Decimal
    acquired: date
    holding_start: date
    disposed: date
    proceeds: Decimal
    cost_basis: Decimal
    term: str
    short: bool
    wash_sale_disallowed: Decimal


def realized_frame(rows: Iterable[RealizedRow]) -> pd.DataFrame:
    """One row per realized lot, in booking order."""
    records = []
    for r in rows:
        gain = r.proceeds - r.cost_basis
        disallowed = r.wash_sale_disallowed
        records.append(
            {
                "account": r.account_id,
                "symbol": r.symbol,
                "lot_id": r.lot_id,
                "trade_id": r.trade_id,
                "alloc_id": r.alloc_id,
                "quantity": r.quantity,
                "acquired": r.acquired,
                "holding_start": r.holding_start,
                "disposed": r.disposed,
                "term": r.term,
                "short": r.short,
                "proceeds": r.proceeds,
                "cost_basis": r.cost_basis,
                "gain": gain,
                "wash_sale_disallowed": disallowed,
                "reportable_gain": gain + disallowed,
            }
        )
    return frame(records, REALIZED_COLUMNS)


def gains_summary_frame(realized: pd.DataFrame) -> pd.DataFrame:
    """Per account, one row per holding term (both terms, zero when none), from
    ``realized_frame``'s output. Sums are exact Decimal sums."""
    records = []
    for account in sorted(set(realized["account"])):
        mine = realized[realized["account"] == account]
        for term in TERMS:
            part = mine[mine["term"] == term]
            records.append(
                {
                    "account": account,
                    "term": term,
                    "lots": len(part),
                    **{
                        c: dsum(part[c])
                        for c in (
                            "quantity",
                            "proceeds",
                            "cost_basis",
                            "gain",
                            "wash_sale_disallowed",
                            "reportable_gain",
                        )
                    },
                }
            )
    return frame(records, SUMMARY_COLUMNS)


def realized_gains_report(uow: UnitOfWork, account: str | None = None) -> pd.DataFrame:
    return realized_frame(uow.ledger.realized(account))


def gains_summary_report(uow: UnitOfWork, account: str | None = None) -> pd.DataFrame:
    return gains_summary_frame(realized_gains_report(uow, account))
