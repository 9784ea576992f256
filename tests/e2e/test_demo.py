"""The README's main command: the demo's day, checked against the database it leaves.

Runs once on SQLite and once on PostgreSQL. The expected figures are worked out by hand
from config/toms.toml and the demo's script (see the comments)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from toms.demo import run_demo

pytestmark = pytest.mark.fix


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> str | None:
    return None if request.param == "sqlite" else str(request.getfixturevalue("pg_url"))


def test_demo_day(tmp_path: Path, database: str | None) -> None:
    lines: list[str] = []
    result = run_demo(tmp_path / "demo", out=lines.append, database_url=database)
    s = result.summary
    # 11 PM orders: 2 stay blocked (ALPHA NVDA position limit, GROWTH AAPL fat finger),
    # the SAP buy is cancelled unfilled, the AAPL sell is replaced down to 600 of 700 (done)
    assert s["orders_by_status"] == {"blocked": 2, "canceled": 1, "done": 1, "filled": 7}
    assert s["compliance_overrides"] == 1
    assert s["routed_by_status"] == {"canceled": 1, "filled": 6}
    # 900 IBM + 600 JPM + 1000 NVDA + 600 MSFT + 600 AAPL + 1000 IBM = 4,700 shares
    assert s["filled_shares"] == Decimal(4700)
    assert s["allocations"] == {"accepted": 6}
    # ALPHA sells 1,000 IBM at 180 less $5 against 190,000 basis: loss 10,005.00; its 300
    # IBM bought the same day wash 300/1000 of it: 3,001.50 disallowed; reportable -7,003.50
    assert s["wash_sale_disallowed"] == Decimal("3001.50")
    assert s["realized_short_term"] == Decimal("-7003.50")
    # AAPL: 600 x 191.20 - 3.00 - 600 x 150 = 24,717; JPM: 600 x 201.10 - 3.00 - 600 x 140
    # = 36,657; together 61,374.00
    assert s["realized_long_term"] == Decimal("61374.00")
    assert s["flagged_executions"] == 0
    assert any("Summary" in line for line in lines)
