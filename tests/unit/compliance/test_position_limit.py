"""Position limits: exactly at the limit passes, one share / lot past it blocks."""

from __future__ import annotations

import pytest

from tests.unit.compliance.builders import D, check, sec, snap, trade
from toms.compliance import Status
from toms.compliance.rules import PositionPctLimit, PositionShareLimit
from toms.domain.values import AssetClass, Side

PCT5 = PositionPctLimit(rule_id="pos", max_pct_nav=D(5))
SHARES = PositionShareLimit(rule_id="pos.shares", max_shares=D(10000))


def fund(**kw):  # type: ignore[no-untyped-def]
    # cash 900,000 + AAPL 1,000 × 100 = 100,000  ->  NAV 1,000,000
    return snap(900000, {"AAPL": 1000}, securities=[sec("IBM"), sec("AAPL")], **kw)


@pytest.mark.parametrize(
    ("qty", "status", "post_pct"),
    [
        (499, Status.PASS, "4.9900"),  # 49,900 / 1,000,000
        (500, Status.PASS, "5.0000"),  # 50,000 / 1,000,000 = exactly 5%
        (501, Status.BLOCK, "5.0100"),  # 50,100 / 1,000,000
    ],
)
def test_pct_of_nav_boundary(qty: int, status: Status, post_pct: str) -> None:
    r = check(PCT5, trade("IBM", qty), fund())
    assert r.status is status
    assert r.post_value == D(qty * 100)
    assert r.post_base == D(1000000)  # a market order at the last price leaves NAV unchanged
    assert r.post_pct == D(post_pct)
    assert r.current_value == 0
    assert r.limit == D(5)


def test_pct_headroom_is_the_exact_boundary() -> None:
    r = check(PCT5, trade("IBM", 600), fund())
    assert r.status is Status.BLOCK
    assert r.headroom == 500  # 100·q ≤ 5% × 1,000,000  ->  q ≤ 500
    assert check(PCT5, trade("IBM", 500), fund()).status is Status.PASS
    assert check(PCT5, trade("IBM", 501), fund()).status is Status.BLOCK


def test_limit_above_last_lowers_nav_and_the_headroom() -> None:
    # buy at limit 110, last 100: NAV(q) = 1,000,000 − 10·q, position 100·q
    # 100q·100 ≤ 5·(1,000,000 − 10q)  ->  10,050·q ≤ 5,000,000  ->  q ≤ 497.51
    r = check(PCT5, trade("IBM", 600, limit=110), fund())
    assert r.headroom == 497
    ok = check(PCT5, trade("IBM", 497, limit=110), fund())
    assert ok.status is Status.PASS  # 49,700 / 995,030 = 4.9948%
    assert ok.post_base == D(995030)
    assert check(PCT5, trade("IBM", 498, limit=110), fund()).status is Status.BLOCK  # 5.0049%


def test_headroom_rounds_down_to_lots() -> None:
    s = snap(900000, {"AAPL": 1000}, securities=[sec("IBM", lot=100), sec("AAPL")])
    assert check(PCT5, trade("IBM", 600), s).headroom == 500  # boundary 500 is a whole lot
    r = check(PCT5, trade("IBM", 600, limit=110), s)
    assert r.headroom == 400  # boundary 497.51 -> 4 lots of 100
    assert check(PCT5, trade("IBM", 400, limit=110), s).status is Status.PASS
    assert check(PCT5, trade("IBM", 500, limit=110), s).status is Status.BLOCK


def test_reducing_an_existing_breach_warns_and_increasing_it_blocks() -> None:
    # AAPL is 100,000 / 1,000,000 = 10% against a 5% limit (a passive breach)
    sell = check(PCT5, trade("AAPL", 200, Side.SELL), fund())
    assert sell.status is Status.WARN  # 80,000 / 1,000,000 = 8%: still above, but lower
    assert sell.post_pct == D(8)
    assert sell.headroom == 200
    assert "does not increase" in sell.message
    buy = check(PCT5, trade("AAPL", 1), fund())
    assert buy.status is Status.BLOCK  # 100,100 / 1,000,000 = 10.01%
    assert buy.headroom == 0


def test_a_sell_below_last_that_leaves_the_breach_no_worse_warns() -> None:
    # sell 200 AAPL at limit 90 (last 100): NAV 1,000,000 − 200×10 = 998,000,
    # AAPL 80,000 -> 8.016% < 10% before
    r = check(PCT5, trade("AAPL", 200, Side.SELL, limit=90), fund())
    assert r.status is Status.WARN
    assert r.post_base == D(998000)


def test_a_short_counts_by_its_absolute_value() -> None:
    # short 400 IBM @100 = −40,000; cash 1,040,000 -> NAV 1,000,000; |−40,000| = 4%
    s = snap(1040000, {"IBM": -400}, securities=[sec("IBM")])
    assert check(PCT5, trade("IBM", 100, Side.SELL_SHORT, locate="L1"), s).status is Status.PASS
    r = check(PCT5, trade("IBM", 101, Side.SELL_SHORT, locate="L1"), s)
    assert r.status is Status.BLOCK  # |−50,100| / 1,000,000 = 5.01%
    assert r.headroom == 100


@pytest.mark.parametrize(
    ("held", "qty", "status", "headroom"),
    [
        (9000, 999, Status.PASS, 999),
        (9000, 1000, Status.PASS, 1000),  # exactly 10,000 shares
        (9000, 1001, Status.BLOCK, 1000),
        (10500, 10, Status.BLOCK, 0),  # already above and going further
    ],
)
def test_max_shares_boundary(held: int, qty: int, status: Status, headroom: int) -> None:
    r = check(SHARES, trade("IBM", qty), snap(10**9, {"IBM": held}))
    assert r.status is status
    assert r.headroom == headroom
    assert r.post_value == held + qty
    assert r.limit == 10000


def test_max_shares_headroom_in_lots() -> None:
    s = snap(10**9, {"IBM": 9000}, securities=[sec("IBM", lot=100)])
    assert check(SHARES, trade("IBM", 1050), s).headroom == 1000


def test_excluded_asset_classes_are_not_limited() -> None:
    s = snap(1000, securities=[sec("UST", asset_class=AssetClass.GOVERNMENT_BOND)])
    r = check(PCT5, trade("UST", 1000000), s)
    assert r.status is Status.PASS
    assert "outside" in r.message


def test_non_positive_nav_blocks() -> None:
    s = snap(-200000, {"AAPL": 1000}, securities=[sec("IBM")])  # NAV −100,000
    r = check(PCT5, trade("IBM", 1), s)
    assert r.status is Status.BLOCK
    assert r.headroom == 0
    assert r.post_pct is None
