"""Positions and tax lots, valued at the last price.

Conventions (those of ``toms.allocation.taxlots``): a long lot has positive quantity and
its cost basis (commission and any wash-sale adjustment included); a short lot has negative
quantity and basis ``−(net short proceeds)``. So for both, market value = quantity × last
price and unrealized P&L = market value − cost basis, and a position's figures are the sums
of its lots'. With no last price, market value and P&L are left empty.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal

import pandas as pd

from toms.allocation.holding import Term, long_term_from
from toms.domain.reference import TaxLot
from toms.reports.frames import dsum, frame
from toms.services.unit_of_work import UnitOfWork

POSITION_COLUMNS = (
    "account",
    "symbol",
    "quantity",
    "cost_basis",
    "last_price",
    "market_value",
    "unrealized_pnl",
    "lot_count",
)
LOT_COLUMNS = (
    "account",
    "symbol",
    "lot_id",
    "trade_date",
    "holding_start",
    "term",
    "quantity",
    "unit_cost",
    "cost_basis",
    "wash_sale_adjustment",
    "last_price",
    "market_value",
    "unrealized_pnl",
)


def _value(
    quantity: Decimal, basis: Decimal, price: Decimal | None
) -> tuple[Decimal | None, Decimal | None]:
    if price is None:
        return None, None
    market_value = quantity * price
    return market_value, market_value - basis


def term_on(lot: TaxLot, as_of: date) -> str:
    """Short- or long-term if the lot were closed on ``as_of`` (a short lot: always short)."""
    if lot.is_short or as_of < long_term_from(lot.holding_period_start):
        return Term.SHORT.value
    return Term.LONG.value


def positions_frame(lots: Iterable[TaxLot], prices: Mapping[str, Decimal]) -> pd.DataFrame:
    """One row per account and security held, from its lots, sorted by account and symbol."""
    grouped: dict[tuple[str, str], list[TaxLot]] = {}
    for lot in lots:
        grouped.setdefault((lot.account_id, lot.symbol), []).append(lot)
    records = []
    for (account, symbol), held in sorted(grouped.items()):
        quantity = dsum(lot.quantity for lot in held)
        basis = dsum(lot.cost_basis for lot in held)
        price = prices.get(symbol)
        market_value, pnl = _value(quantity, basis, price)
        records.append(
            {
                "account": account,
                "symbol": symbol,
                "quantity": quantity,
                "cost_basis": basis,
                "last_price": price,
                "market_value": market_value,
                "unrealized_pnl": pnl,
                "lot_count": len(held),
            }
        )
    return frame(records, POSITION_COLUMNS)


def lots_frame(
    lots: Iterable[TaxLot], prices: Mapping[str, Decimal], as_of: date | None = None
) -> pd.DataFrame:
    """One row per open lot, by account, symbol, trade date. ``term`` needs ``as_of``.

    ``holding_start`` is the start of the holding period: the trade date, or the earlier
    date a wash sale carried over.
    """
    ordered = sorted(lots, key=lambda lot: (lot.account_id, lot.symbol, lot.trade_date))
    records = []
    for lot in ordered:
        price = prices.get(lot.symbol)
        market_value, pnl = _value(lot.quantity, lot.cost_basis, price)
        records.append(
            {
                "account": lot.account_id,
                "symbol": lot.symbol,
                "lot_id": lot.lot_id,
                "trade_date": lot.trade_date,
                "holding_start": lot.holding_period_start,
                "term": term_on(lot, as_of) if as_of is not None else None,
                "quantity": lot.quantity,
                "unit_cost": lot.unit_cost,
                "cost_basis": lot.cost_basis,
                "wash_sale_adjustment": lot.wash_sale_adjustment,
                "last_price": price,
                "market_value": market_value,
                "unrealized_pnl": pnl,
            }
        )
    return frame(records, LOT_COLUMNS)


def _lots(uow: UnitOfWork, account: str | None) -> list[TaxLot]:
    lots: list[TaxLot] = uow.lots.for_account(account) if account is not None else uow.lots.all()
    return lots


def positions_report(uow: UnitOfWork, account: str | None = None) -> pd.DataFrame:
    return positions_frame(_lots(uow, account), uow.securities.prices())


def lots_report(
    uow: UnitOfWork, account: str | None = None, as_of: date | None = None
) -> pd.DataFrame:
    return lots_frame(_lots(uow, account), uow.securities.prices(), as_of)
