"""The end-of-day bundle: every report, read through one unit of work."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import pandas as pd

from toms.reports.allocations import allocations_report, block_fairness_report
from toms.reports.gains import gains_summary_frame, realized_gains_report
from toms.reports.positions import lots_report, positions_report
from toms.reports.tca import tca_report
from toms.services.unit_of_work import UnitOfWork


@dataclass(frozen=True, slots=True)
class Report:
    name: str  # also the CSV file name
    title: str
    build: Callable[[UnitOfWork, str | None, date | None], pd.DataFrame]


def _positions(uow: UnitOfWork, account: str | None, as_of: date | None) -> pd.DataFrame:
    return positions_report(uow, account)


def _gains(uow: UnitOfWork, account: str | None, as_of: date | None) -> pd.DataFrame:
    return realized_gains_report(uow, account)


def _gains_summary(uow: UnitOfWork, account: str | None, as_of: date | None) -> pd.DataFrame:
    return gains_summary_frame(realized_gains_report(uow, account))


def _allocations(uow: UnitOfWork, account: str | None, as_of: date | None) -> pd.DataFrame:
    return allocations_report(uow, account)


def _fairness(uow: UnitOfWork, account: str | None, as_of: date | None) -> pd.DataFrame:
    return block_fairness_report(uow, account)


def _tca(uow: UnitOfWork, account: str | None, as_of: date | None) -> pd.DataFrame:
    return tca_report(uow, account)


REPORTS: tuple[Report, ...] = (
    Report("positions", "Positions at last price", _positions),
    Report("lots", "Open tax lots", lots_report),
    Report("gains", "Realized gains by lot", _gains),
    Report("gains_summary", "Realized gains by account and holding term", _gains_summary),
    Report("allocations", "Allocations by block", _allocations),
    Report("fairness", "Allocation fairness by block", _fairness),
    Report("tca", "Transaction cost analysis by block (slippage: positive = cost)", _tca),
)
REPORTS_BY_NAME = {r.name: r for r in REPORTS}


def end_of_day(
    uow: UnitOfWork, account: str | None = None, as_of: date | None = None
) -> dict[str, pd.DataFrame]:
    """Every report by name, in ``REPORTS`` order. ``as_of`` dates the lots' holding term."""
    return {r.name: r.build(uow, account, as_of) for r in REPORTS}
