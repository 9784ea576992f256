"""Wash sale: a buy within 30 days of a realised loss in the same security warns."""

from __future__ import annotations

from datetime import date

import pytest

from tests.unit.compliance.builders import AS_OF, D, check, snap, trade
from toms.compliance import Severity, Status
from toms.compliance.rules import WashSale
from toms.domain.values import Side

RULE = WashSale(rule_id="wash")


@pytest.mark.parametrize(
    ("loss_on", "status"),
    [
        (date(2026, 11, 20), Status.WARN),  # same day: 0 days
        (date(2026, 10, 21), Status.WARN),  # 2026-11-20 − 2026-10-21 = 30 days: inside
        (date(2026, 10, 20), Status.PASS),  # 31 days: outside
        (date(2026, 11, 21), Status.PASS),  # a date after as_of is not a past loss
    ],
)
def test_window_boundary(loss_on: date, status: Status) -> None:
    assert (AS_OF - date(2026, 10, 21)).days == 30
    r = check(RULE, trade("IBM", 100), snap(10**6, losses=[("IBM", loss_on)]))
    assert r.status is status
    assert r.severity is Severity.WARN
    assert r.headroom == 100  # a warning never limits the quantity


def test_latest_loss_is_reported() -> None:
    s = snap(10**6, losses=[("IBM", date(2026, 11, 1)), ("IBM", date(2026, 11, 15))])
    r = check(RULE, trade("IBM", 100), s)
    assert r.current_value == D(5)
    assert "5 days after selling it at a loss" in r.message


def test_other_symbols_and_sells_pass() -> None:
    s = snap(10**6, {"IBM": 10}, losses=[("AAPL", date(2026, 11, 19)), ("IBM", date(2026, 11, 19))])
    assert check(RULE, trade("AAPL", 1, Side.SELL), s).status is Status.PASS
    assert (
        check(RULE, trade("MSFT", 1), snap(10**6, losses=[("AAPL", AS_OF)])).status is Status.PASS
    )


def test_block_severity_blocks_with_zero_headroom() -> None:
    rule = WashSale(rule_id="wash", severity=Severity.BLOCK, window_days=10)
    s = snap(10**6, losses=[("IBM", date(2026, 11, 10))])  # exactly 10 days
    r = check(rule, trade("IBM", 100), s)
    assert (r.status, r.headroom) == (Status.BLOCK, 0)
