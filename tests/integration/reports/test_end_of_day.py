"""Every report on a real SQLite OMS after one trading day, figures worked out by hand.

The day (clock fixed on 2026-11-20, config/toms.toml reference data, last prices IBM 180,
MSFT 410, NVDA 120):

1. IBM buy block: GROWTH 300 + INCOME 100, limit 181, routed for 300 only (arrival 180).
   Fills 200 @ 180.50 and 100 @ 180.80: avg 54,180 / 300 = 180.60. Allocated pro-rata in
   lots of 100 (ideal 225 / 75 -> GROWTH 200, INCOME 100) with commission 30.00 split
   20.00 / 10.00. IBM's last price then moves to 182.
2. MSFT sell block: GROWTH sells 100 of its 600 bought at 420.00 on 2026-08-14 (arrival
   410); fill 100 @ 409, commission 10.00: proceeds 40,890.00, basis 42,000.00, a
   short-term loss of 1,110.00.
3. MSFT buy block, same day: GROWTH buys 100 back @ 408 (arrival 410), no commission. A
   wash sale: the whole 1,110.00 loss is disallowed and added to the new lot's basis
   (40,800 + 1,110 = 41,910.00), whose holding period starts on 2026-08-14.
4. NVDA sell block: ALPHA sells 1,000 of 4,000 bought at 45.00 on 2023-05-01 (arrival 120);
   fill 1,000 @ 121, no commission: a long-term gain of 76,000.00.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from tests.integration.services.conftest import RecordingGateway
from tests.integration.services.test_execution_flow import SESSION, report
from toms.app import Oms, set_price
from toms.cli import main
from toms.config import load_settings
from toms.domain.execution import ExecKind as K
from toms.domain.execution import RoutedStatus as S
from toms.domain.values import OrderType, Side
from toms.reports import end_of_day

D = Decimal
DAY = datetime(2026, 11, 20, 14, 30, tzinfo=UTC)


class SteppingClock:
    """2026-11-20 14:30 UTC, one second later at every reading: events keep their order."""

    def __init__(self) -> None:
        self._ticks = itertools.count()
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return DAY + timedelta(seconds=next(self._ticks))


@dataclass
class Day:
    oms: Oms
    url: str
    blocks: dict[str, str] = field(default_factory=dict)
    orders: dict[str, str] = field(default_factory=dict)
    allocs: dict[str, str] = field(default_factory=dict)


def _order(oms: Oms, account: str, symbol: str, side: Side, qty: str, **kw: Any) -> str:
    order = oms.submit_order(
        account_id=account, symbol=symbol, side=side, quantity=D(qty), user="pm1", **kw
    )
    return str(order.order_id)


def _fill(oms: Oms, cl: str, fills: list[tuple[int, str]], total: int) -> None:
    cum = 0
    for i, (qty, px) in enumerate(fills):
        cum += qty
        status = S.FILLED if cum == total else S.PARTIALLY_FILLED
        oms.apply_report(
            SESSION, report(cl, f"{cl}-{i}", K.TRADE, status, cum, total - cum, qty, px)
        )


def _trade_day(oms: Oms, day: Day) -> None:
    market = {"order_type": OrderType.MARKET}
    # 1. IBM buy block, routed 300 of 400
    day.orders["ibm_growth"] = _order(
        oms, "GROWTH", "IBM", Side.BUY, "300", order_type=OrderType.LIMIT, limit_price=D("181")
    )
    day.orders["ibm_income"] = _order(
        oms, "INCOME", "IBM", Side.BUY, "100", order_type=OrderType.LIMIT, limit_price=D("181")
    )
    ibm = oms.create_block([day.orders["ibm_growth"], day.orders["ibm_income"]], "trader1")
    routed = oms.route_block(
        ibm.block_id,
        broker="SIM",
        order_type=OrderType.LIMIT,
        limit_price=D("181"),
        quantity=D(300),
        user="trader1",
    )
    _fill(oms, routed.cl_ord_id, [(200, "180.50"), (100, "180.80")], 300)
    day.allocs["ibm"] = oms.allocate(ibm.block_id, "ops1", ["operations"], commission=D("30.00"))
    day.blocks["ibm"] = ibm.block_id
    oms.call(set_price, oms.ctx, "IBM", D("182"))
    # 2. MSFT sale at a loss
    day.orders["msft_sell"] = _order(oms, "GROWTH", "MSFT", Side.SELL, "100", **market)
    sell = oms.create_block([day.orders["msft_sell"]], "trader1")
    routed = oms.route_block(sell.block_id, broker="SIM", user="trader1", **market)
    _fill(oms, routed.cl_ord_id, [(100, "409")], 100)
    oms.allocate(sell.block_id, "ops1", ["operations"], commission=D("10.00"))
    day.blocks["msft_sell"] = sell.block_id
    # 3. MSFT bought back: a wash sale (compliance warns; the trader acknowledges)
    day.orders["msft_buy"] = _order(oms, "GROWTH", "MSFT", Side.BUY, "100", **market)
    buy = oms.create_block([day.orders["msft_buy"]], "trader1")
    routed = oms.route_block(
        buy.block_id, broker="SIM", user="trader1", acknowledge_warnings=True, **market
    )
    _fill(oms, routed.cl_ord_id, [(100, "408")], 100)
    oms.allocate(buy.block_id, "ops1", ["operations"])
    day.blocks["msft_buy"] = buy.block_id
    # 4. NVDA long-term sale
    day.orders["nvda_sell"] = _order(oms, "ALPHA", "NVDA", Side.SELL, "1000", **market)
    nvda = oms.create_block([day.orders["nvda_sell"]], "trader1")
    routed = oms.route_block(nvda.block_id, broker="SIM", user="trader1", **market)
    _fill(oms, routed.cl_ord_id, [(1000, "121")], 1000)
    oms.allocate(nvda.block_id, "ops1", ["operations"])
    day.blocks["nvda"] = nvda.block_id


@pytest.fixture(scope="module")
def day(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Day]:
    tmp = tmp_path_factory.mktemp("eod")
    url = f"sqlite:///{tmp}/t.db"
    settings = replace(load_settings(), database_url=url, data_dir=tmp)
    oms = Oms(settings, clock=SteppingClock()).start(connect_fix=False)
    oms.ctx.gateways["SIM"] = RecordingGateway()
    result = Day(oms, url)
    try:
        _trade_day(oms, result)
        yield result
    finally:
        oms.stop()


@pytest.fixture(scope="module")
def reports(day: Day) -> dict[str, pd.DataFrame]:
    return day.oms.read(lambda uow: end_of_day(uow, as_of=date(2026, 11, 20)))


def rows(df: pd.DataFrame, **match: object) -> pd.DataFrame:
    for column, value in match.items():
        df = df[df[column] == value]
    return df


def one(df: pd.DataFrame, **match: object) -> pd.Series:
    found = rows(df, **match)
    assert len(found) == 1, found
    return found.iloc[0]


def test_bundle_has_every_report(reports: dict[str, pd.DataFrame]) -> None:
    assert list(reports) == [
        "positions",
        "lots",
        "gains",
        "gains_summary",
        "allocations",
        "fairness",
        "tca",
    ]


def test_positions(reports: dict[str, pd.DataFrame]) -> None:
    pos = reports["positions"]
    # GROWTH IBM: 200 at 180.60 + 20.00 = 36,140.00; at 182: 36,400.00, +260.00
    g_ibm = one(pos, account="GROWTH", symbol="IBM")
    assert (g_ibm["quantity"], g_ibm["cost_basis"]) == (D(200), D("36140.00"))
    assert (g_ibm["last_price"], g_ibm["market_value"]) == (D(182), D("36400.00"))
    assert g_ibm["unrealized_pnl"] == D("260.00")
    # INCOME IBM: 100 at 180.60 + 10.00 = 18,070.00; 18,200.00; +130.00
    i_ibm = one(pos, account="INCOME", symbol="IBM")
    assert (i_ibm["cost_basis"], i_ibm["unrealized_pnl"]) == (D("18070.00"), D("130.00"))
    # GROWTH MSFT: 500 left of the seed lot (210,000.00) + the replacement lot (41,910.00)
    # = 600, basis 251,910.00; at 410: 246,000.00; −5,910.00
    g_msft = one(pos, account="GROWTH", symbol="MSFT")
    assert (g_msft["quantity"], g_msft["lot_count"]) == (D(600), 2)
    assert g_msft["cost_basis"] == D("251910.00")
    assert g_msft["unrealized_pnl"] == D("-5910.00")
    # ALPHA NVDA: 3,000 × 45 = 135,000.00; at 120: 360,000.00; +225,000.00
    a_nvda = one(pos, account="ALPHA", symbol="NVDA")
    assert (a_nvda["quantity"], a_nvda["cost_basis"]) == (D(3000), D("135000.00"))
    assert a_nvda["unrealized_pnl"] == D("225000.00")
    # ALPHA IBM (seed 2,000 at 190.00) revalued at 182: 364,000 − 380,000 = −16,000.00
    assert one(pos, account="ALPHA", symbol="IBM")["unrealized_pnl"] == D("-16000.00")


def test_lots(reports: dict[str, pd.DataFrame], day: Day) -> None:
    lots = reports["lots"]
    ibm_lot = one(lots, account="GROWTH", symbol="IBM")
    assert ibm_lot["lot_id"] == f"{day.blocks['ibm']}-{day.orders['ibm_growth']}"
    assert (ibm_lot["trade_date"], ibm_lot["term"]) == (date(2026, 11, 20), "short_term")
    assert ibm_lot["unit_cost"] == D("180.70")  # 36,140.00 / 200
    replacement = one(lots, account="GROWTH", symbol="MSFT", trade_date=date(2026, 11, 20))
    assert replacement["cost_basis"] == D("41910.00")
    assert replacement["wash_sale_adjustment"] == D("1110.00")
    assert replacement["holding_start"] == date(2026, 8, 14)
    seed = one(lots, account="GROWTH", symbol="MSFT", trade_date=date(2026, 8, 14))
    assert (seed["quantity"], seed["cost_basis"]) == (D(500), D("210000.00"))
    assert one(lots, account="ALPHA", symbol="NVDA")["term"] == "long_term"


def test_realized_gains(reports: dict[str, pd.DataFrame]) -> None:
    gains = reports["gains"]
    assert len(gains) == 2
    msft = one(gains, account="GROWTH")
    assert (msft["symbol"], msft["quantity"], msft["term"]) == ("MSFT", D(100), "short_term")
    assert (msft["acquired"], msft["disposed"]) == (date(2026, 8, 14), date(2026, 11, 20))
    # 100 × 409 − 10.00 = 40,890.00 against 100 × 420 = 42,000.00
    assert (msft["proceeds"], msft["cost_basis"]) == (D("40890.00"), D("42000.00"))
    assert msft["gain"] == D("-1110.00")
    assert msft["wash_sale_disallowed"] == D("1110.00")
    assert msft["reportable_gain"] == D("0.00")
    nvda = one(gains, account="ALPHA")
    assert (nvda["term"], nvda["gain"], nvda["reportable_gain"]) == (
        "long_term",
        D("76000.00"),
        D("76000.00"),
    )


def test_gains_summary(reports: dict[str, pd.DataFrame]) -> None:
    summary = reports["gains_summary"]
    assert [(r.account, r.term) for r in summary.itertuples()] == [
        ("ALPHA", "short_term"),
        ("ALPHA", "long_term"),
        ("GROWTH", "short_term"),
        ("GROWTH", "long_term"),
    ]
    g_short = one(summary, account="GROWTH", term="short_term")
    assert (g_short["lots"], g_short["gain"], g_short["wash_sale_disallowed"]) == (
        1,
        D("-1110.00"),
        D("1110.00"),
    )
    assert g_short["reportable_gain"] == D(0)
    assert one(summary, account="GROWTH", term="long_term")["reportable_gain"] == D(0)
    assert one(summary, account="ALPHA", term="long_term")["reportable_gain"] == D("76000.00")


def test_allocations(reports: dict[str, pd.DataFrame], day: Day) -> None:
    alloc = reports["allocations"]
    assert len(alloc) == 5
    assert set(alloc["status"]) == {"instructed"}  # the AllocationInstruction went out
    assert set(alloc["broker"]) == {"SIM"}
    g = one(alloc, block_id=day.blocks["ibm"], account="GROWTH")
    # 200 × 180.60 = 36,120.00 + 20.00 commission = 36,140.00 paid
    assert (g["quantity"], g["price"], g["charges"]) == (D(200), D("180.60"), D("20.00"))
    assert (g["gross_amount"], g["net_amount"]) == (D("36120.00"), D("36140.00"))
    assert g["lots"] == f"{day.blocks['ibm']}-{day.orders['ibm_growth']}"
    i = one(alloc, block_id=day.blocks["ibm"], account="INCOME")
    assert (i["quantity"], i["charges"], i["net_amount"]) == (D(100), D("10.00"), D("18070.00"))
    s = one(alloc, block_id=day.blocks["msft_sell"])
    # a sale: 40,900.00 − 10.00 received
    assert (s["side"], s["net_amount"]) == ("sell", D("40890.00"))
    assert s["lots"] == "SEED-GROWTH-MSFT-2"


def test_fairness(reports: dict[str, pd.DataFrame], day: Day) -> None:
    ibm = rows(reports["fairness"], block_id=day.blocks["ibm"]).set_index("account")
    # 300 of 400 filled: 0.75. Ideal 225 / 75, allocated 200 / 100 (whole lots)
    assert (ibm["block_fill_rate"] == D("0.75")).all()
    assert (ibm.loc["GROWTH", "ideal"], ibm.loc["GROWTH", "allocated"]) == (D(225), D(200))
    assert (ibm.loc["GROWTH", "deviation"], ibm.loc["INCOME", "deviation"]) == (D(-25), D(25))
    assert ibm.loc["GROWTH", "fill_rate"] == D(2) / D(3)
    assert ibm.loc["INCOME", "fill_rate"] == D(1)
    assert (ibm["price"] == D("180.60")).all() and (ibm["price_vs_average"] == 0).all()


def test_tca(reports: dict[str, pd.DataFrame], day: Day) -> None:
    tca = reports["tca"].set_index("block_id")
    assert list(tca.index) == [day.blocks[k] for k in ("ibm", "msft_sell", "msft_buy", "nvda")]
    ibm = tca.loc[day.blocks["ibm"]]
    # buy 300 at 180.60 against 180: 0.60 a share cost, 33.33 bps, 180.00 in all
    assert (ibm["quantity"], ibm["filled_qty"], ibm["avg_px"]) == (D(400), D(300), D("180.60"))
    assert (ibm["arrival_price"], ibm["slippage"]) == (D(180), D("0.60"))
    assert round(ibm["slippage_bps"], 2) == D("33.33")
    assert ibm["notional_cost"] == D("180.00")
    # sell 100 at 409 against 410: received 1.00 less, 24.39 bps, 100 of cost
    sell = tca.loc[day.blocks["msft_sell"]]
    assert (sell["slippage"], sell["notional_cost"]) == (D(1), D(100))
    assert round(sell["slippage_bps"], 2) == D("24.39")
    # buy back at 408 against 410: 2.00 saved, −48.78 bps, −200
    buy = tca.loc[day.blocks["msft_buy"]]
    assert (buy["slippage"], buy["notional_cost"]) == (D(-2), D(-200))
    assert round(buy["slippage_bps"], 2) == D("-48.78")
    # sell 1,000 at 121 against 120: a 1.00 gain, −83.33 bps, −1,000
    nvda = tca.loc[day.blocks["nvda"]]
    assert (nvda["slippage"], nvda["notional_cost"]) == (D(-1), D(-1000))
    assert round(nvda["slippage_bps"], 2) == D("-83.33")


def test_account_filter(day: Day) -> None:
    income = day.oms.read(lambda uow: end_of_day(uow, account="INCOME"))
    assert set(income["positions"]["account"]) == {"INCOME"}
    assert set(income["allocations"]["account"]) == {"INCOME"}
    assert income["gains"].empty
    assert list(income["tca"]["block_id"]) == [day.blocks["ibm"]]


def test_every_money_column_is_decimal(reports: dict[str, pd.DataFrame]) -> None:
    for name, df in reports.items():
        for column in df.columns:
            values = [v for v in df[column] if v is not None]
            if any(isinstance(v, Decimal | float) for v in values):
                assert all(isinstance(v, Decimal) for v in values), (name, column)


# ── the CLI on the same database (read-only, beside the running OMS) ──────────────────


def test_cli_report_gains_with_csv(
    day: Day, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        [
            "report",
            "gains",
            "--database",
            day.url,
            "--as-of",
            "2026-11-20",
            "--csv",
            str(tmp_path / "csv"),
        ]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "Realized gains by lot" in out and "Realized gains by account and holding term" in out
    assert "-1,110.00" in out and "76,000.00" in out
    files = sorted(p.name for p in (tmp_path / "csv").iterdir())
    assert files == ["gains.csv", "gains_summary.csv"]
    csv = (tmp_path / "csv" / "gains.csv").read_text()
    assert "40890.00,42000.00,-1110.00,1110.00,0.00" in csv


def test_cli_report_all_for_one_account(day: Day, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", "all", "--database", day.url, "--account", "INCOME"]) == 0
    out = capsys.readouterr().out
    for title in (
        "Positions at last price",
        "Open tax lots",
        "Allocations by block",
        "Allocation fairness by block",
        "Transaction cost analysis",
    ):
        assert title in out
    assert "GROWTH" not in out.split("Transaction cost analysis")[0]
    assert "18,070.00" in out  # INCOME's IBM basis / net amount


def test_cli_report_unknown_account(day: Day, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", "positions", "--database", day.url, "--account", "NOPE"]) == 1
    assert "unknown account 'NOPE'" in capsys.readouterr().err


def test_reports_write_nothing(day: Day) -> None:
    before = day.oms.read(lambda uow: len(uow.audit.since(0)))
    main(["report", "all", "--database", day.url])
    main(
        [
            "compliance",
            "check",
            "--database",
            day.url,
            "--account",
            "GROWTH",
            "--symbol",
            "IBM",
            "--side",
            "buy",
            "--qty",
            "100",
        ]
    )
    assert day.oms.read(lambda uow: len(uow.audit.since(0))) == before
    assert day.oms.read(lambda uow: len(uow.orders.list())) == 5
