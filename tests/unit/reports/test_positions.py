"""Positions and lots frames on hand-built lots; every figure worked out by hand."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from toms.domain.ids import AccountId, LotId, Symbol
from toms.domain.reference import TaxLot
from toms.reports.positions import lots_frame, positions_frame

D = Decimal


def lot(
    lot_id: str,
    account: str,
    symbol: str,
    qty: str,
    basis: str,
    traded: date,
    holding_start: date | None = None,
    wash: str = "0",
) -> TaxLot:
    return TaxLot(
        LotId(lot_id),
        AccountId(account),
        Symbol(symbol),
        traded,
        D(qty),
        D(basis),
        holding_start=holding_start,
        wash_sale_adjustment=D(wash),
    )


LOTS = [
    # GROWTH IBM: two long lots, 100 @ 150.00 + 5.00 commission and 50 @ 170.00
    lot("L1", "GROWTH", "IBM", "100", "15005.00", date(2025, 1, 10)),
    lot("L2", "GROWTH", "IBM", "50", "8500.00", date(2026, 6, 1)),
    # ALPHA NVDA: short 200 at a net 130.00 a share: basis −(200 × 130.00) = −26000.00
    lot("S1", "ALPHA", "NVDA", "-200", "-26000.00", date(2026, 10, 1)),
    # GROWTH XYZ: no last price
    lot("L3", "GROWTH", "XYZ", "10", "100.00", date(2026, 1, 5)),
]
PRICES = {"IBM": D("182.50"), "NVDA": D("120.00")}


def test_positions_sum_lots_and_value_at_last_price() -> None:
    df = positions_frame(LOTS, PRICES)
    assert list(df["account"]) == ["ALPHA", "GROWTH", "GROWTH"]
    ibm = df[df["symbol"] == "IBM"].iloc[0]
    # quantity 100 + 50 = 150; basis 15005.00 + 8500.00 = 23505.00
    # market value 150 × 182.50 = 27375.00; unrealized 27375.00 − 23505.00 = 3870.00
    assert ibm["quantity"] == D(150)
    assert ibm["cost_basis"] == D("23505.00")
    assert ibm["market_value"] == D("27375.00")
    assert ibm["unrealized_pnl"] == D("3870.00")
    assert ibm["lot_count"] == 2


def test_short_position_gains_when_the_price_falls() -> None:
    nvda = positions_frame(LOTS, PRICES).query("symbol == 'NVDA'").iloc[0]
    # short 200 sold at 130.00, now 120.00: MV −200 × 120 = −24000.00;
    # P&L −24000.00 − (−26000.00) = +2000.00 (a gain of 10.00 a share)
    assert nvda["market_value"] == D("-24000.00")
    assert nvda["unrealized_pnl"] == D("2000.00")


def test_no_price_leaves_value_empty() -> None:
    xyz = positions_frame(LOTS, PRICES).query("symbol == 'XYZ'").iloc[0]
    assert xyz["last_price"] is None and xyz["market_value"] is None
    assert xyz["unrealized_pnl"] is None
    assert xyz["cost_basis"] == D("100.00")


def test_money_stays_decimal() -> None:
    df = positions_frame(LOTS, PRICES)
    for column in ("quantity", "cost_basis", "market_value", "unrealized_pnl"):
        assert df[column].dtype == object
        assert all(isinstance(v, Decimal) or v is None for v in df[column])


def test_lots_frame_terms_unit_cost_and_wash_adjusted_holding_start() -> None:
    washed = lot(
        "W1",
        "GROWTH",
        "MSFT",
        "100",
        "41910.00",
        date(2026, 11, 20),
        holding_start=date(2026, 8, 14),
        wash="1110.00",
    )
    df = lots_frame([*LOTS, washed], {**PRICES, "MSFT": D("410")}, as_of=date(2026, 11, 20))
    by_id = df.set_index("lot_id")
    # L1 bought 2025-01-10: long-term from 2026-01-11; L2 bought 2026-06-01: short-term
    assert by_id.loc["L1", "term"] == "long_term"
    assert by_id.loc["L2", "term"] == "short_term"
    # a short lot is always short-term when closed
    assert by_id.loc["S1", "term"] == "short_term"
    # unit cost 15005.00 / 100 = 150.05; the short lot's is the net short price 130.00
    assert by_id.loc["L1", "unit_cost"] == D("150.05")
    assert by_id.loc["S1", "unit_cost"] == D("130")
    # the wash sale carried the sold lot's holding start; the basis includes the 1110.00
    assert by_id.loc["W1", "holding_start"] == date(2026, 8, 14)
    assert by_id.loc["W1", "trade_date"] == date(2026, 11, 20)
    assert by_id.loc["W1", "wash_sale_adjustment"] == D("1110.00")
    # 100 × 410 = 41000; 41000 − 41910.00 = −910.00
    assert by_id.loc["W1", "unrealized_pnl"] == D("-910.00")


def test_lots_frame_without_a_date_has_no_term() -> None:
    assert lots_frame(LOTS, PRICES)["term"].isna().all()


def test_empty_frames_keep_their_columns() -> None:
    assert list(positions_frame([], {}).columns)[:3] == ["account", "symbol", "quantity"]
    assert len(lots_frame([], {})) == 0
