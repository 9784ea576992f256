"""Cash / buying power: available cash after working orders pays for the buy."""

from __future__ import annotations

import pytest

from tests.unit.compliance.builders import D, check, order, snap, trade
from toms.compliance import RuleBook, Status, post_trade_check
from toms.compliance.rules import BuyingPower
from toms.domain.values import Side

RULE = BuyingPower(rule_id="cash")


def funded(**kw):  # type: ignore[no-untyped-def]
    # cash 100,000; a working buy of 200 @ limit 100 spends 20,000 -> 80,000 available;
    # a working sell of 100 @ 100 would bring 10,000 but is not counted by default
    working = [order("IBM", 200, Side.BUY, limit=100), order("IBM", 100, Side.SELL, limit=100)]
    return snap(100000, {"IBM": 500}, open_orders=working, **kw)


@pytest.mark.parametrize(
    ("qty", "status", "after"),
    [(799, Status.PASS, "100"), (800, Status.PASS, "0"), (801, Status.BLOCK, "-100")],
)
def test_buy_within_available_cash(qty: int, status: Status, after: str) -> None:
    r = check(RULE, trade("IBM", qty), funded())
    assert r.status is status
    assert r.current_value == D(80000)
    assert r.post_value == D(after)  # 80,000 − 100·q


def test_headroom_is_what_the_cash_buys() -> None:
    assert check(RULE, trade("IBM", 1000), funded()).headroom == 800
    # 80,000 / 99.99 = 800.08 -> 800
    assert check(RULE, trade("IBM", 1000, limit="99.99"), funded()).headroom == 800
    # 80,000 / 100.01 = 799.92 -> 799
    assert check(RULE, trade("IBM", 1000, limit="100.01"), funded()).headroom == 799


def test_minimum_cash_and_credited_sells() -> None:
    keep = BuyingPower(rule_id="cash", min_cash=D(10000))
    assert check(keep, trade("IBM", 1000), funded()).headroom == 700  # (80,000 − 10,000) / 100
    credit = BuyingPower(rule_id="cash", credit_open_sells=True)
    r = check(credit, trade("IBM", 900), funded())  # 80,000 + 10,000 = 90,000
    assert (r.status, r.current_value, r.post_value) == (Status.PASS, D(90000), D(0))


def test_sells_need_no_cash() -> None:
    r = check(RULE, trade("IBM", 500, Side.SELL), snap(-5, {"IBM": 500}))
    assert r.status is Status.PASS
    assert "no cash" in r.message


def test_negative_settled_cash_is_a_holding_breach() -> None:
    (breach,) = post_trade_check([snap(-1, {"IBM": 1})], RuleBook((RULE,))).breaches
    assert breach.value == D(-1)
    assert post_trade_check([snap(0, {"IBM": 1})], RuleBook((RULE,))).clean
