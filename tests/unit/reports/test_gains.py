"""Realized gains per lot and per account and term, on hand-built realized-lot rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from toms.reports.gains import gains_summary_frame, realized_frame

D = Decimal


@dataclass
class Row:
    """Stands in for ``RealizedLotRow``: the same attributes."""

    account_id: str
    lot_id: str
    quantity: Decimal
    proceeds: Decimal
    cost_basis: Decimal
    term: str
    wash_sale_disallowed: Decimal = Decimal("0")
    short: bool = False
    symbol: str = "IBM"
    alloc_id: str = "ALC-1"
    trade_id: str = "ALC-1/O1"
    acquired: date = date(2025, 1, 2)
    holding_start: date = date(2025, 1, 2)
    disposed: date = date(2026, 11, 20)


ROWS = [
    # GROWTH, long-term: 100 sold for 18,000.00 net, basis 15,005.00: gain 2,995.00
    Row("GROWTH", "L1", D(100), D("18000.00"), D("15005.00"), "long_term"),
    # GROWTH, short-term loss: 50 sold for 8,000.00, basis 8,500.00: −500.00, of which
    # 300.00 disallowed by a wash sale: reportable −200.00
    Row("GROWTH", "L2", D(50), D("8000.00"), D("8500.00"), "short_term", D("300.00")),
    # GROWTH, short-term gain: 25 for 4,400.00, basis 4,250.00: +150.00
    Row("GROWTH", "L3", D(25), D("4400.00"), D("4250.00"), "short_term"),
    # ALPHA covers a short: proceeds 26,000.00 (the short sale), cost 24,010.00: +1,990.00,
    # always short-term
    Row("ALPHA", "S1", D(200), D("26000.00"), D("24010.00"), "short_term", short=True),
]


def test_gain_and_reportable_gain_per_lot() -> None:
    df = realized_frame(ROWS).set_index("lot_id")
    assert df.loc["L1", "gain"] == D("2995.00")
    assert df.loc["L1", "reportable_gain"] == D("2995.00")
    assert df.loc["L2", "gain"] == D("-500.00")
    assert df.loc["L2", "wash_sale_disallowed"] == D("300.00")
    assert df.loc["L2", "reportable_gain"] == D("-200.00")
    assert df.loc["S1", "gain"] == D("1990.00")
    assert bool(df.loc["S1", "short"]) is True
    assert list(df.index) == ["L1", "L2", "L3", "S1"]  # booking order


def test_summary_splits_short_and_long_term_per_account() -> None:
    summary = gains_summary_frame(realized_frame(ROWS))
    rows = {(r.account, r.term): r for r in summary.itertuples()}
    assert list(summary["account"]) == ["ALPHA", "ALPHA", "GROWTH", "GROWTH"]
    growth_short = rows[("GROWTH", "short_term")]
    # L2 + L3: proceeds 8,000.00 + 4,400.00 = 12,400.00; basis 8,500.00 + 4,250.00 =
    # 12,750.00; gain −500.00 + 150.00 = −350.00; disallowed 300.00; reportable −50.00
    assert growth_short.lots == 2
    assert growth_short.quantity == D(75)
    assert growth_short.proceeds == D("12400.00")
    assert growth_short.cost_basis == D("12750.00")
    assert growth_short.gain == D("-350.00")
    assert growth_short.wash_sale_disallowed == D("300.00")
    assert growth_short.reportable_gain == D("-50.00")
    growth_long = rows[("GROWTH", "long_term")]
    assert (growth_long.lots, growth_long.reportable_gain) == (1, D("2995.00"))
    # ALPHA has no long-term sale: the row is there, at zero
    alpha_long = rows[("ALPHA", "long_term")]
    assert (alpha_long.lots, alpha_long.gain, alpha_long.reportable_gain) == (0, D(0), D(0))
    assert rows[("ALPHA", "short_term")].reportable_gain == D("1990.00")


def test_sums_stay_exact_decimals() -> None:
    summary = gains_summary_frame(realized_frame(ROWS))
    for column in ("proceeds", "cost_basis", "gain", "wash_sale_disallowed", "reportable_gain"):
        assert summary[column].dtype == object
        assert all(isinstance(v, Decimal) for v in summary[column])


def test_no_realized_lots_no_rows() -> None:
    assert gains_summary_frame(realized_frame([])).empty
