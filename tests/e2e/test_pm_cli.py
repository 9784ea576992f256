"""The PM command line against a running server: submit, import a list, rebalance."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from tests.e2e.conftest import Live
from toms.cli import main

pytestmark = pytest.mark.fix


def _run(live: Live, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main([*args, "--server", live.url, "--token", "demo-pm-growth-token"])
    return code, capsys.readouterr().out


def test_order_submit_prints_the_order_and_its_compliance(
    live_sqlite: Live, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = _run(live_sqlite, capsys, "order", "submit", "--account", "GROWTH",
                     "--symbol", "ibm", "--side", "buy", "--qty", "300",
                     "--type", "limit", "--limit", "180.50")  # fmt: skip
    assert code == 0
    assert "GROWTH" in out and "IBM" in out and "accepted" in out and "180.50" in out
    code, out = _run(live_sqlite, capsys, "order", "submit", "--account", "GROWTH",
                     "--symbol", "AAPL", "--side", "buy", "--qty", "200000", "--json")  # fmt: skip
    assert code == 1
    blocked = json.loads(out)
    assert blocked["status"] == "blocked"
    assert "fat-finger.quantity" in blocked["compliance"]["blocking"]
    code, out = _run(live_sqlite, capsys, "order", "list", "--status", "blocked", "--json")
    assert [o["order_id"] for o in json.loads(out)] == [blocked["order_id"]]


def test_order_import_validates_each_row_and_never_doubles(
    live_sqlite: Live, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    orders = tmp_path / "orders.csv"
    orders.write_text(
        "account,symbol,side,quantity,order_type,limit_price\n"
        "GROWTH,IBM,buy,100,,\n"  # line 2: accepted
        "INCOME,XOM,sell,200,limit,120.00\n"  # line 3: accepted
        "GROWTH,AAPL,buy,200000,,\n"  # line 4: blocked (fat finger)
        "GROWTH,IBM,buy,-5,,\n"  # line 5: invalid here, never sent
        "GROWTH,IBM,buy,10,limit,\n"  # line 6: invalid, limit without price
        "ALPHA,IBM,buy,10,,\n"  # line 7: refused by the server (not this PM's account)
        "GROWTH,NOPE,buy,10,,\n"  # line 8: refused (unknown security)
    )
    code, out = _run(live_sqlite, capsys, "order", "import", str(orders), "--json")
    assert code == 1
    rows = {r["line"]: r for r in json.loads(out)}
    assert {n: r["result"] for n, r in rows.items()} == {
        2: "accepted", 3: "accepted", 4: "blocked", 5: "invalid", 6: "invalid",
        7: "refused", 8: "refused",
    }  # fmt: skip
    assert "quantity must be positive" in rows[5]["detail"]
    assert "needs limit_price" in rows[6]["detail"]
    assert "does not manage account 'ALPHA'" in rows[7]["detail"]
    assert "fat-finger" in rows[4]["detail"]
    # importing the same file again (a retry) creates nothing new
    code, out = _run(live_sqlite, capsys, "order", "import", str(orders))
    assert "7 rows: 2 accepted, 1 blocked, 2 invalid, 2 refused" in out
    assert len(live_sqlite.client("trader1").orders()) == 3


def test_rebalance_sizes_whole_lots_and_checks_compliance(
    live_sqlite: Live, capsys: pytest.CaptureFixture[str]
) -> None:
    before = live_sqlite.client("pm-growth").get("/accounts/GROWTH/positions")
    nav = Decimal(before["nav"])
    targets = ["--target", "AAPL=0.25", "--target", "IBM=5%"]
    code, out = _run(
        live_sqlite, capsys, "rebalance", "--account", "GROWTH", *targets, "--dry-run", "--json"
    )
    assert code == 0
    plan = json.loads(out)
    assert plan["submitted"] == [] and Decimal(plan["nav"]) == nav
    by_symbol = {p["symbol"]: p for p in plan["proposed"]}
    prices = {p["symbol"]: Decimal(p["price"]) for p in before["positions"]}
    held = {p["symbol"]: Decimal(p["quantity"]) for p in before["positions"]}
    aapl_held = held["AAPL"]
    securities = live_sqlite.client("viewer").get("/securities")
    lot = next(Decimal(x["lot_size"]) for x in securities if x["symbol"] == "AAPL")
    # AAPL: 25% of NAV at last price, less what GROWTH holds, in whole lots toward zero
    delta = nav * Decimal("0.25") / prices["AAPL"] - aapl_held
    expected = (abs(delta) / lot).to_integral_value(rounding="ROUND_DOWN") * lot
    assert by_symbol["AAPL"]["side"] == ("buy" if delta > 0 else "sell")
    assert Decimal(by_symbol["AAPL"]["quantity"]) == expected
    assert by_symbol["IBM"]["side"] == "buy"
    assert live_sqlite.client("trader1").orders() == []  # a dry run submits nothing
    code, out = _run(live_sqlite, capsys, "rebalance", "--account", "GROWTH", *targets)
    assert "NAV" in out and "accepted" in out
    submitted = live_sqlite.client("trader1").orders()
    assert {o["symbol"] for o in submitted} == {"AAPL", "IBM"}
    assert all(o["note"].startswith("rebalance to") for o in submitted)


def test_commands_explain_a_missing_token_and_an_unreachable_server(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TOMS_TOKEN", raising=False)
    with pytest.raises(SystemExit, match="API token is needed"):
        main(["order", "list", "--server", "http://127.0.0.1:9"])
    code = main(["order", "list", "--server", "http://127.0.0.1:9", "--token", "t"])
    assert code == 1
    assert "no answer from http://127.0.0.1:9" in capsys.readouterr().err
