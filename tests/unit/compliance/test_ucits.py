"""UCITS 5/10/40 at its exact boundaries. NAV is 1,000,000 throughout; prices are 100."""

from __future__ import annotations

import pytest

from tests.unit.compliance.builders import D, check, run, sec, snap, trade
from toms.compliance import RuleBook, Status, post_trade_check
from toms.compliance.rules import UcitsAggregateLimit, UcitsIssuerLimit
from toms.domain.values import AssetClass, Side

ISSUER = UcitsIssuerLimit(rule_id="ucits.issuer")
AGGREGATE = UcitsAggregateLimit(rule_id="ucits.aggregate")
GOV = sec("BUND", issuer="Germany", asset_class=AssetClass.GOVERNMENT_BOND)


def nav_1m(holdings: dict[str, int]):  # type: ignore[no-untyped-def]
    invested = sum(holdings.values()) * 100
    return snap(1000000 - invested, holdings, securities=[GOV], group="ucits")


@pytest.mark.parametrize(
    ("qty", "status"),
    [(99, Status.PASS), (100, Status.PASS), (101, Status.BLOCK)],
)
def test_issuer_10_percent(qty: int, status: Status) -> None:
    # X 900 × 100 = 90,000 (9%); buying 100 more makes exactly 100,000 = 10%
    r = check(ISSUER, trade("X", qty), nav_1m({"X": 900}))
    assert r.status is status
    assert r.subject == "issuer X Inc"
    assert r.post_value == D(90000 + 100 * qty)


def test_issuer_headroom() -> None:
    assert check(ISSUER, trade("X", 500), nav_1m({"X": 900})).headroom == 100


def test_issuer_limit_reports_the_largest_issuer_even_if_another_is_traded() -> None:
    r = check(ISSUER, trade("Y", 10), nav_1m({"X": 1100, "Y": 100}))  # X at 11%
    assert r.status is Status.WARN  # the breach is X's, and buying Y does not increase it
    assert r.subject == "issuer X Inc"


def test_aggregate_exactly_40_passes_and_5_percent_is_not_above_5() -> None:
    # A, B, C, D at 10% each = exactly 40%; E at exactly 5% does not count
    s = nav_1m({"A": 1000, "B": 1000, "C": 1000, "D": 1000, "E": 500})
    assert post_trade_check([s], RuleBook((ISSUER, AGGREGATE))).clean
    r = check(AGGREGATE, trade("E", 1), s)  # E 50,100 = 5.01% now counts: 45.01%
    assert (r.status, r.post_pct, r.headroom) == (Status.BLOCK, D("45.0100"), 0)


@pytest.mark.parametrize(
    ("qty", "issuer", "aggregate"),
    [
        (200, Status.PASS, Status.PASS),  # D 100,000 = 10%; sum 20 + 9 + 10 = 39%
        (201, Status.BLOCK, Status.PASS),  # D 10.01%; sum 39.01%
        (300, Status.BLOCK, Status.PASS),  # sum 10 + 10 + 9 + 11 = exactly 40%
        (301, Status.BLOCK, Status.BLOCK),  # 40.01%
    ],
)
def test_the_two_limits_have_their_own_boundaries(
    qty: int, issuer: Status, aggregate: Status
) -> None:
    # A 10%, B 10%, C 9%, D 8%: sum 37%. Buying D: 10% at 200, aggregate 40% at 300.
    s = nav_1m({"A": 1000, "B": 1000, "C": 900, "D": 800})
    assert check(ISSUER, trade("D", qty), s).status is issuer
    assert check(AGGREGATE, trade("D", qty), s).status is aggregate


def test_headroom_is_the_tighter_limit() -> None:
    s = nav_1m({"A": 1000, "B": 1000, "C": 900, "D": 800})
    assert check(ISSUER, trade("D", 1000), s).headroom == 200
    assert check(AGGREGATE, trade("D", 1000), s).headroom == 300
    assert run([ISSUER, AGGREGATE], trade("D", 1000), s).headroom == 200


def test_headroom_in_lots() -> None:
    s = snap(1000000 - 80000, {"D": 800}, securities=[sec("D", lot=100)])
    # D ≤ 100,000 -> 200 shares -> 2 lots; 250 asked -> 200
    assert check(ISSUER, trade("D", 250), s).headroom == 200


def test_government_bonds_are_outside_5_10_40() -> None:
    s = nav_1m({"A": 1000})
    assert check(ISSUER, trade("BUND", 5000), s).status is Status.PASS  # 50% in Bunds
    assert check(AGGREGATE, trade("BUND", 5000), s).status is Status.PASS


def test_selling_down_an_over_limit_issuer_warns() -> None:
    s = nav_1m({"A": 1200})  # 12%
    r = check(ISSUER, trade("A", 100, Side.SELL), s)
    assert (r.status, r.post_pct) == (Status.WARN, D(11))


def test_post_trade_breaches() -> None:
    s = nav_1m({"A": 1100, "B": 1000, "C": 1000, "D": 1000})  # A 11%; sum 41%
    breaches = post_trade_check([s], RuleBook((ISSUER, AGGREGATE))).breaches
    assert [(b.rule_id, b.subject) for b in breaches] == [
        ("ucits.issuer", "issuer A Inc"),
        ("ucits.aggregate", "fund"),
    ]
    assert breaches[1].pct == D(41)
