"""1940 Act diversified-fund test (75-5-10), at its exact boundaries.

The fund below has total assets 1,000,000 (all prices 100):
  cash 200,000 + UST (government) 100,000                      -> in the bucket
  Q1..Q9: nine issuers at 500 × 100 = 50,000 = exactly 5% each  -> in the bucket
  BIG: 2,500 × 100 = 250,000 = 25%                              -> outside
bucket = 200,000 + 100,000 + 9 × 50,000 = 750,000 = exactly 75%: it passes.
"""

from __future__ import annotations

import pytest

from tests.unit.compliance.builders import D, check, sec, snap, trade
from toms.compliance import RuleBook, Status, post_trade_check
from toms.compliance.rules import Ica1940Diversified
from toms.domain.values import AssetClass, Side

RULE = Ica1940Diversified(rule_id="ica")
NINE = {f"Q{i}": 500 for i in range(1, 10)}
SECURITIES = [
    sec("UST", issuer="US Treasury", asset_class=AssetClass.GOVERNMENT_BOND),
    sec("MMF", issuer="Money Fund", asset_class=AssetClass.FUND),
    sec("NEW", issuer="Newco"),
    sec("VOTE", issuer="Small Cap", outstanding=4000),
]


def fund(cash: int = 200000, **extra: int):  # type: ignore[no-untyped-def]
    return snap(
        cash,
        {"UST": 1000, "BIG": 2500, **NINE, **extra},
        securities=SECURITIES,
        group="diversified_funds",
    )


def test_exactly_75_percent_passes_on_holdings() -> None:
    assert post_trade_check([fund()], RuleBook((RULE,))).clean


def test_one_share_more_of_the_big_issuer_blocks() -> None:
    # cash 199,900, BIG 250,100: bucket 749,900 / 1,000,000 = 74.99%
    r = check(RULE, trade("BIG", 1), fund())
    assert r.status is Status.BLOCK
    assert (r.post_value, r.post_base, r.post_pct) == (D(749900), D(1000000), D("74.9900"))
    assert (r.current_value, r.current_pct) == (D(750000), D(75))
    assert r.headroom == 0


def test_selling_the_big_issuer_passes() -> None:
    # cash 200,100, BIG 249,900: bucket 750,100 = 75.01%
    r = check(RULE, trade("BIG", 1, Side.SELL), fund())
    assert r.status is Status.PASS
    assert r.post_pct == D("75.0100")


@pytest.mark.parametrize(
    ("qty", "status"),
    [
        (499, Status.PASS),
        (500, Status.PASS),  # Newco 50,000 = exactly 5%: still in the bucket, which stays 75%
        (501, Status.BLOCK),  # Newco 50,100 > 5% leaves the bucket: 750,000 − 50,100 = 69.99%
    ],
)
def test_issuer_at_exactly_5_percent_qualifies(qty: int, status: Status) -> None:
    r = check(RULE, trade("NEW", qty), fund())
    assert r.status is status


def test_headroom_on_the_5_percent_boundary() -> None:
    r = check(RULE, trade("NEW", 2000), fund())
    assert r.headroom == 500
    assert "issuer Newco" in r.message


@pytest.mark.parametrize(
    ("qty", "status"),
    [
        (400, Status.PASS),  # 400 / 4,000 shares outstanding = exactly 10% of the voting shares
        (401, Status.BLOCK),  # 10.025%: the 40,100 leave the bucket -> 74.599%
    ],
)
def test_voting_securities_at_exactly_10_percent(qty: int, status: Status) -> None:
    r = check(RULE, trade("VOTE", qty), fund())
    assert r.status is status
    assert check(RULE, trade("VOTE", 1000), fund()).headroom == 400


def test_government_securities_and_funds_stay_in_the_bucket() -> None:
    # 2,000 × 100 = 200,000 of cash into a government bond or a fund: bucket unchanged
    assert check(RULE, trade("UST", 2000), fund()).status is Status.PASS
    assert check(RULE, trade("MMF", 2000), fund()).status is Status.PASS


def test_a_breach_the_order_does_not_deepen_warns() -> None:
    # cash 150,000: total assets 950,000, so Q1..Q9 (50,000 = 5.26%) leave the bucket:
    # bucket = 150,000 + 100,000 = 250,000 = 26.3% < 75% already
    s = fund(cash=150000)
    r = check(RULE, trade("UST", 100), s)  # cash to government bond: bucket unchanged
    assert r.status is Status.WARN
    assert "does not increase" in r.message
    assert check(RULE, trade("BIG", 1), s).status is Status.BLOCK


def test_post_trade_breach_names_the_large_issuers() -> None:
    # 199,900 cash, BIG 2,501 -> bucket 749,900 / 1,000,000 = 74.99%
    s = snap(199900, {"UST": 1000, "BIG": 2501, **NINE}, securities=SECURITIES)
    (breach,) = post_trade_check([s], RuleBook((RULE,))).breaches
    assert breach.pct == D("74.9900")
    assert "BIG Inc" in breach.message
    assert "Q1" not in breach.message  # exactly 5% is not "above 5%"
