"""End-of-day reports as pandas DataFrames, read through a unit of work (never written).

- ``positions``: positions and open tax lots at the last price, with unrealized P&L;
- ``gains``: realized gains per lot and per account by holding term, wash sales added back;
- ``allocations``: account legs by block with the AllocationInstruction status, and fairness;
- ``tca``: slippage of each block's fills against its arrival price (positive = cost);
- ``eod.end_of_day(uow)``: all of them; ``frames.format_frame`` / ``frames.write_csv`` show
  or save them.

Each report has a pure builder over plain rows (``*_frame``) and a reader over a unit of
work (``*_report``). Money, prices and quantities stay ``Decimal`` (object dtype): nothing
is converted to float, and the CSV files keep every digit.
"""

from toms.reports.allocations import (
    allocations_frame,
    allocations_report,
    block_fairness_report,
    fairness_frame,
)
from toms.reports.eod import REPORTS, REPORTS_BY_NAME, Report, end_of_day
from toms.reports.frames import format_frame, to_csv_text, write_csv
from toms.reports.gains import gains_summary_frame, realized_frame, realized_gains_report
from toms.reports.positions import lots_frame, lots_report, positions_frame, positions_report
from toms.reports.tca import slippage, tca_frame, tca_report

__all__ = [
    "REPORTS",
    "REPORTS_BY_NAME",
    "Report",
    "allocations_frame",
    "allocations_report",
    "block_fairness_report",
    "end_of_day",
    "fairness_frame",
    "format_frame",
    "gains_summary_frame",
    "lots_frame",
    "lots_report",
    "positions_frame",
    "positions_report",
    "realized_frame",
    "realized_gains_report",
    "slippage",
    "tca_frame",
    "tca_report",
    "to_csv_text",
    "write_csv",
]
