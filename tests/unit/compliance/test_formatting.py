"""Plain-text tables for the CLI."""

from __future__ import annotations

from tests.unit.compliance.builders import D, run, snap, trade
from toms.compliance import (
    RuleBook,
    check_block,
    format_block,
    format_breaches,
    format_result,
    post_trade_check,
)
from toms.compliance.rules import BuyingPower, PositionPctLimit

RULES = [
    PositionPctLimit(rule_id="position.pct_nav", max_pct_nav=D(5)),
    BuyingPower(rule_id="cash"),
]


def test_format_result_lists_every_rule_and_explains_the_failures() -> None:
    text = format_result(run(RULES, trade("IBM", 600, limit=100), snap(1000000)))
    lines = text.splitlines()
    assert lines[0] == "Compliance check: account A1: buy 600 IBM limit 100 (as of 2026-11-20)"
    assert lines[1].startswith("Verdict: BLOCK   headroom 500 of 600")
    row = next(line for line in lines if line.startswith("position.pct_nav"))
    assert row.split() == [
        "position.pct_nav",
        "BLOCK",
        "0.0000%",
        "(0)",
        "6.0000%",
        "(60,000)",
        "5%",
        "of",
        "NAV",
        "500",
    ]
    assert "  position.pct_nav: IBM: position 6.0000% of NAV after the order" in text
    assert "cash: available" not in text  # passing rules get no explanation line


def test_format_breaches() -> None:
    assert format_breaches([]) == "No breaches."
    report = post_trade_check([snap(900000, {"AAPL": 1000})], RuleBook(tuple(RULES)))
    text = format_breaches(report)
    assert text.splitlines()[0] == "Post-trade check: 1 accounts, 1 breaches"
    assert "A1       position.pct_nav  block     AAPL     10.0000% (100,000)  5% of NAV" in text


def test_format_block() -> None:
    s = snap(20000)  # cash for 200 IBM at 100 (the 5% position limit is not in this book)
    result = check_block([trade("IBM", 300)], {s.account.account_id: s}, RuleBook((RULES[1],)))
    text = format_block(result)
    assert text.splitlines()[0] == "Block check: BLOCK   headroom 200"
    assert "A1       300       BLOCK    200       cash" in text
