"""Short sales: long sales up to the sellable position, shorts need a locate and permission."""

from __future__ import annotations

import pytest

from tests.unit.compliance.builders import D, check, order, sec, snap, trade
from toms.compliance import RuleBook, Status, post_trade_check
from toms.compliance.rules import ShortSaleRule
from toms.domain.orders import OrderStatus
from toms.domain.values import Side

RULE = ShortSaleRule(rule_id="short")


def held(**kw):  # type: ignore[no-untyped-def]
    # 1,000 IBM held, a working sell of 300 already promised: 700 sellable
    return snap(0, {"IBM": 1000}, open_orders=[order("IBM", 300, Side.SELL, limit=100)], **kw)


@pytest.mark.parametrize(
    ("qty", "status", "headroom"),
    [(699, Status.PASS, 699), (700, Status.PASS, 700), (701, Status.BLOCK, 700)],
)
def test_long_sale_up_to_the_sellable_position(qty: int, status: Status, headroom: int) -> None:
    r = check(RULE, trade("IBM", qty, Side.SELL), held())
    assert (r.status, r.headroom) == (status, headroom)
    assert r.current_value == D(700)


def test_excess_sale_says_to_mark_it_short() -> None:
    r = check(RULE, trade("IBM", 701, Side.SELL), held())
    assert "SELL_SHORT" in r.message
    assert "700" in r.message


def test_sellable_rounds_down_to_lots() -> None:
    s = snap(0, {"IBM": 750}, securities=[sec("IBM", lot=100)])
    assert check(RULE, trade("IBM", 800, Side.SELL), s).headroom == 700


def test_working_buys_and_short_sales_do_not_change_what_is_sellable() -> None:
    s = snap(
        0,
        {"IBM": 1000},
        open_orders=[
            order("IBM", 500, Side.BUY, limit=100),
            order("IBM", 200, Side.SELL_SHORT, limit=100),
            order("IBM", 400, Side.SELL, status=OrderStatus.CANCELED),
        ],
    )
    assert check(RULE, trade("IBM", 1000, Side.SELL), s).status is Status.PASS
    assert check(RULE, trade("IBM", 1001, Side.SELL), s).status is Status.BLOCK


def test_short_sale_needs_a_locate() -> None:
    r = check(RULE, trade("IBM", 100, Side.SELL_SHORT), held())
    assert (r.status, r.headroom) == (Status.BLOCK, 0)
    assert "locate" in r.message
    assert (
        check(RULE, trade("IBM", 100, Side.SELL_SHORT, locate="L1"), held()).status is Status.PASS
    )


def test_locate_can_be_waived_by_configuration() -> None:
    rule = ShortSaleRule(rule_id="short", require_locate=False)
    assert check(rule, trade("IBM", 100, Side.SELL_SHORT), held()).status is Status.PASS


def test_no_short_in_an_account_that_forbids_it() -> None:
    s = held(short_allowed=False)
    r = check(RULE, trade("IBM", 100, Side.SELL_SHORT, locate="L1"), s)
    assert (r.status, r.headroom) == (Status.BLOCK, 0)
    assert "may not sell short" in r.message
    over = check(RULE, trade("IBM", 800, Side.SELL), s)
    assert (over.status, over.headroom) == (Status.BLOCK, 700)
    assert "may not sell short" in over.message
    assert check(RULE, trade("IBM", 700, Side.SELL), s).status is Status.PASS


def test_buys_pass() -> None:
    for side in (Side.BUY, Side.BUY_TO_COVER):
        assert (
            check(RULE, trade("IBM", 10**6, side), held(short_allowed=False)).status is Status.PASS
        )


def test_short_position_in_a_no_short_account_is_a_holding_breach() -> None:
    s = snap(10**6, {"IBM": -10, "AAPL": 5}, short_allowed=False)
    (breach,) = post_trade_check([s], RuleBook((RULE,))).breaches
    assert (breach.subject, breach.value) == ("IBM", D(-10))
    assert post_trade_check([snap(10**6, {"IBM": -10})], RuleBook((RULE,))).clean
