"""Issuer, sector and country concentration: boundaries, netting, exclusions."""

from __future__ import annotations

import pytest

from tests.unit.compliance.builders import D, check, sec, snap, trade
from toms.compliance import Status
from toms.compliance.rules import CountryConcentration, IssuerConcentration, SectorConcentration
from toms.domain.values import AssetClass, Side

ISSUER10 = IssuerConcentration(rule_id="issuer", max_pct_nav=D(10))
SECTOR35 = SectorConcentration(rule_id="sector", max_pct_nav=D(35))
COUNTRY60 = CountryConcentration(rule_id="country", max_pct_nav=D(60))

ALPHABET = [sec("GOOGL", issuer="Alphabet"), sec("GOOG", issuer="Alphabet")]


@pytest.mark.parametrize(
    ("qty", "status"),
    [
        (499, Status.PASS),  # 50,000 + 49,900 = 99,900 / 1,000,000 = 9.99%
        (500, Status.PASS),  # 50,000 + 50,000 = 100,000 / 1,000,000 = exactly 10%
        (501, Status.BLOCK),  # 100,100 / 1,000,000 = 10.01%
    ],
)
def test_issuer_sums_every_security_of_the_issuer(qty: int, status: Status) -> None:
    # cash 950,000 + GOOGL 500 × 100 = 50,000 -> NAV 1,000,000
    s = snap(950000, {"GOOGL": 500}, securities=ALPHABET)
    r = check(ISSUER10, trade("GOOG", qty), s)
    assert r.status is status
    assert r.subject == "issuer Alphabet"
    assert r.current_value == D(50000)
    assert r.current_pct == D(5)
    assert r.post_value == D(50000 + 100 * qty)


def test_issuer_headroom() -> None:
    s = snap(950000, {"GOOGL": 500}, securities=ALPHABET)
    r = check(ISSUER10, trade("GOOG", 2000), s)
    assert r.headroom == 500  # 50,000 + 100·q ≤ 100,000


def test_government_bonds_are_not_an_issuer_risk_by_default() -> None:
    s = snap(
        1000000,
        securities=[sec("UST", issuer="US Treasury", asset_class=AssetClass.GOVERNMENT_BOND)],
    )
    assert check(ISSUER10, trade("UST", 5000), s).status is Status.PASS  # would be 50%


@pytest.mark.parametrize(("qty", "status"), [(500, Status.PASS), (501, Status.BLOCK)])
def test_sector_boundary(qty: int, status: Status) -> None:
    # Tech: AAPL 3,000 × 100 = 300,000; Health: JNJ 1,000 × 100 = 100,000; cash 600,000
    # NAV 1,000,000; buying MSFT (Tech) 500 -> 350,000 = exactly 35%
    s = snap(
        600000,
        {"AAPL": 3000, "JNJ": 1000},
        securities=[sec("AAPL"), sec("MSFT"), sec("JNJ", sector="Health")],
    )
    r = check(SECTOR35, trade("MSFT", qty), s)
    assert r.status is status
    assert r.subject == "sector Tech"
    assert r.current_pct == D(30)
    assert r.limit == D(35)


def test_sector_of_another_security_is_unaffected() -> None:
    s = snap(600000, {"AAPL": 3000}, securities=[sec("AAPL"), sec("JNJ", sector="Health")])
    r = check(SECTOR35, trade("JNJ", 3000), s)
    assert r.status is Status.PASS  # Health 300,000 = 30%
    assert r.subject == "sector Health"


def test_longs_and_shorts_in_a_sector_net_off() -> None:
    # AAPL +4,000 × 100 = 400,000 and MSFT −1,000 × 100 = −100,000: Tech net 300,000;
    # cash 700,000 -> NAV 1,000,000; Tech 30%
    s = snap(700000, {"AAPL": 4000, "MSFT": -1000}, securities=[sec("AAPL"), sec("MSFT")])
    assert check(SECTOR35, trade("AAPL", 500), s).status is Status.PASS  # exactly 35%
    assert check(SECTOR35, trade("AAPL", 501), s).status is Status.BLOCK


@pytest.mark.parametrize(("qty", "status"), [(1000, Status.PASS), (1001, Status.BLOCK)])
def test_country_boundary(qty: int, status: Status) -> None:
    # US: 5,000 × 100 = 500,000 of NAV 1,000,000 (cash 400,000, GB 100,000)
    s = snap(
        400000,
        {"AAPL": 5000, "BP": 1000},
        securities=[sec("AAPL"), sec("IBM"), sec("BP", country="GB")],
    )
    r = check(COUNTRY60, trade("IBM", qty), s)  # 600,000 = exactly 60%
    assert r.status is status
    assert r.subject == "country US"


def test_selling_out_of_an_over_limit_sector_warns_not_blocks() -> None:
    s = snap(500000, {"AAPL": 5000}, securities=[sec("AAPL")])  # Tech 50% > 35%
    r = check(SECTOR35, trade("AAPL", 1000, Side.SELL), s)
    assert r.status is Status.WARN  # 40%: still above, lower than before
    assert r.post_pct == D(40)
