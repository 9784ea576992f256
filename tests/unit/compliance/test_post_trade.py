"""End-of-day re-run of holding-based rules on actual holdings."""

from __future__ import annotations

import json

from tests.unit.compliance.builders import D, order, sec, snap
from toms.compliance import RuleBook, post_trade_check, rulebook_from_mapping
from toms.compliance.rules import (
    IssuerConcentration,
    MaxOrderQuantity,
    PositionPctLimit,
    PositionShareLimit,
    SectorConcentration,
)
from toms.domain.values import Side

BOOK = RuleBook(
    (
        PositionPctLimit(rule_id="pos", max_pct_nav=D(10)),
        PositionShareLimit(rule_id="shares", max_shares=D(1500)),
        IssuerConcentration(rule_id="issuer", max_pct_nav=D(10)),
        SectorConcentration(rule_id="sector", max_pct_nav=D(35)),
        MaxOrderQuantity(
            rule_id="ff", max_quantity=D(1)
        ),  # about orders, not holdings: never a breach
    )
)


def test_breaches_on_actual_holdings_only() -> None:
    # NAV 1,000,000: AAPL 1,000 × 100 = 10% (exactly: fine); MSFT 1,100 = 11% (breach);
    # Tech = 21%. A working buy of 5,000 IBM is ignored at the end of the day.
    s = snap(790000, {"AAPL": 1000, "MSFT": 1100}, open_orders=[order("IBM", 5000, Side.BUY)])
    report = post_trade_check([s], BOOK)
    assert report.accounts_checked == 1
    assert [(b.rule_id, b.subject, b.pct) for b in report.breaches] == [
        ("pos", "MSFT", D(11)),
        ("issuer", "issuer MSFT Inc", D(11)),
    ]
    assert report.breaches[0].limit == D(10)
    assert json.loads(json.dumps(report.to_dict()))["breaches"][0]["pct"] == "11.0000"


def test_each_account_gets_its_own_rules() -> None:
    ucits = rulebook_from_mapping(
        {"rules": [{"id": "u", "type": "ucits_5_10_40", "groups": ["ucits"]}]}, "t"
    )
    over = {"A": 1100}  # 11% of NAV 1,000,000
    plain = snap(890000, over, account_id="P1")
    fund = snap(890000, over, account_id="U1", group="ucits")
    report = post_trade_check([plain, fund], ucits)
    assert report.accounts_checked == 2
    assert [(b.account_id, b.rule_id) for b in report.breaches] == [("U1", "u.issuer")]


def test_clean_books_and_sector_and_share_count_breaches() -> None:
    assert post_trade_check([snap(1000000, {"AAPL": 100})], BOOK).clean
    # Tech: AAPL, MSFT, IBM 1,200 × 100 = 360,000; JNJ (Health) 2,000 × 100 = 200,000;
    # cash 440,000 -> NAV 1,000,000; Tech 36% > 35%; JNJ 2,000 shares > 1,500
    s = snap(
        440000,
        {"AAPL": 1200, "MSFT": 1200, "IBM": 1200, "JNJ": 2000},
        securities=[sec("JNJ", sector="Health")],
    )
    (sector,) = post_trade_check([s], RuleBook((BOOK.rule("sector"),))).breaches
    assert (sector.subject, sector.value, sector.pct) == ("sector Tech", D(360000), D(36))
    (shares,) = post_trade_check([s], RuleBook((BOOK.rule("shares"),))).breaches
    assert (shares.subject, shares.value, shares.limit) == ("JNJ", D(2000), D(1500))
