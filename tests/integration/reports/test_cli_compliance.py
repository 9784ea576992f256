"""``toms compliance`` and the database handling of ``toms report``, on the shipped config."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest

from toms.app import Oms, set_price
from toms.cli import main
from toms.config import load_settings

IBM_BUY = ["compliance", "check", "--account", "GROWTH", "--symbol", "IBM", "--side", "buy"]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_fat_finger_blocks_with_exit_code_3(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # 200,000 shares is above the 100,000-share fat-finger limit of config/compliance.toml
    code, out, _ = run(capsys, *IBM_BUY, "--qty", "200000", "--data-dir", str(tmp_path))
    assert code == 3
    assert "Verdict: BLOCK" in out
    line = next(x for x in out.splitlines() if x.startswith("fat-finger.quantity"))
    assert line.split()[1] == "BLOCK" and "100,000 shares" in line
    assert "headroom 3,000 of 200,000" in out  # the position limit allows 3,000 (whole lots)


def test_small_order_passes_and_nothing_is_created(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, *IBM_BUY, "--qty", "100", "--data-dir", str(tmp_path))
    assert code == 0
    assert "Verdict: PASS   headroom 100 of 100" in out
    assert "buy 100 IBM at market" in out
    assert "new database" in err  # the empty database was set up from the configuration
    settings = replace(load_settings(), database_url=f"sqlite:///{tmp_path / 'toms.db'}")
    oms = Oms(settings).start(connect_fix=False)
    try:
        assert oms.read(lambda uow: (uow.orders.list(), uow.audit.since(0))) == ([], [])
    finally:
        oms.stop()
    # the second run reads the database as it is
    code, _, err = run(capsys, *IBM_BUY, "--qty", "100", "--data-dir", str(tmp_path))
    assert (code, err) == (0, "")


def test_order_type_follows_the_prices_given(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(
        capsys, *IBM_BUY, "--qty", "100", "--limit", "181", "--data-dir", str(tmp_path)
    )
    assert code == 0 and "buy 100 IBM limit 181" in out
    # a limit order far from the last price trips the collar
    code, out, _ = run(
        capsys,
        *IBM_BUY,
        "--qty",
        "100",
        "--type",
        "limit",
        "--limit",
        "250",
        "--data-dir",
        str(tmp_path),
    )
    assert code == 3
    assert (
        next(x for x in out.splitlines() if x.startswith("fat-finger.collar")).split()[1] == "BLOCK"
    )


def test_json_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, *IBM_BUY, "--qty", "200000", "--json", "--data-dir", str(tmp_path))
    result = json.loads(out)
    assert code == 3
    assert result["verdict"] == "block" and result["headroom"] == "3000"
    assert result["trade"]["quantity"] == "200000"
    statuses = {r["rule_id"]: r["status"] for r in result["results"]}
    assert statuses["fat-finger.quantity"] == "block"


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--account", "NOPE", "--symbol", "IBM"], "unknown account 'NOPE'"),
        (["--account", "GROWTH", "--symbol", "NOPE"], "unknown security 'NOPE'"),
        (["--account", "GROWTH", "--symbol", "IBM", "--type", "limit"], "needs a limit price"),
    ],
)
def test_bad_input_is_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: list[str], message: str
) -> None:
    argv = ["compliance", "check", *extra, "--side", "buy", "--qty", "100"]
    code, _, err = run(capsys, *argv, "--data-dir", str(tmp_path))
    assert code == 1 and message in err


def test_bad_quantity_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main([*IBM_BUY, "--qty", "lots", "--data-dir", str(tmp_path)])
    assert exc.value.code == 2
    assert "'lots' is not a number" in capsys.readouterr().err


def test_post_trade_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "compliance", "report", "--data-dir", str(tmp_path))
    assert code == 0
    assert out.splitlines() == ["Post-trade check: 5 accounts, 0 breaches", "No breaches."]
    # NVDA jumps to 1,000: ALPHA's 4,000 NVDA is 4m of a NAV of 8.36m, above its 10% limit
    settings = replace(load_settings(), database_url=f"sqlite:///{tmp_path / 'toms.db'}")
    oms = Oms(settings).start(connect_fix=False)
    try:
        oms.call(set_price, oms.ctx, "NVDA", Decimal("1000"))
    finally:
        oms.stop()
    code, out, _ = run(capsys, "compliance", "report", "--data-dir", str(tmp_path))
    assert code == 3
    assert "ALPHA" in out and "position-limit" in out
    code, out, _ = run(
        capsys, "compliance", "report", "--account", "GROWTH", "--json", "--data-dir", str(tmp_path)
    )
    assert (code, json.loads(out)) == (0, {"accounts_checked": 1, "breaches": []})


def test_database_at_another_revision_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)")
        db.execute("INSERT INTO alembic_version VALUES ('0000_ancient')")
    code, _, err = run(capsys, "report", "positions", "--database", f"sqlite:///{path}")
    assert code == 1
    assert "revision 0000_ancient" in err and "toms db upgrade" in err
