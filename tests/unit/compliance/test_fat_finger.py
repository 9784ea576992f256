"""Fat-finger: order size, notional and price collar."""

from __future__ import annotations

import pytest

from tests.unit.compliance.builders import D, check, sec, snap, trade
from toms.compliance import Status
from toms.compliance.rules import MaxOrderNotional, MaxOrderQuantity, PriceCollar
from toms.domain.values import Side

QTY = MaxOrderQuantity(rule_id="ff.quantity", max_quantity=D(100000))
NOTIONAL = MaxOrderNotional(rule_id="ff.notional", max_notional=D(5000000))
COLLAR = PriceCollar(rule_id="ff.collar", max_deviation_pct=D(10))
S = snap(10**9, securities=[sec("IBM"), sec("LOT", lot=100)])


@pytest.mark.parametrize(
    ("qty", "status", "headroom"),
    [(99999, Status.PASS, 99999), (100000, Status.PASS, 100000), (100001, Status.BLOCK, 100000)],
)
def test_max_quantity(qty: int, status: Status, headroom: int) -> None:
    r = check(QTY, trade("IBM", qty, Side.SELL_SHORT, locate="L"), S)
    assert (r.status, r.headroom, r.post_value, r.limit) == (status, headroom, qty, 100000)


def test_max_quantity_headroom_in_lots() -> None:
    rule = MaxOrderQuantity(rule_id="q", max_quantity=D(100050))
    assert check(rule, trade("LOT", 200000), S).headroom == 100000


@pytest.mark.parametrize(
    ("qty", "limit", "status", "notional"),
    [
        (50000, 100, Status.PASS, "5000000"),  # exactly 5,000,000
        (50001, 100, Status.BLOCK, "5000100"),
        (150015, "33.33", Status.PASS, "4999999.95"),  # 150,015 × 33.33
        (150016, "33.33", Status.BLOCK, "5000033.28"),  # 150,016 × 33.33
    ],
)
def test_max_notional(qty: int, limit: object, status: Status, notional: str) -> None:
    r = check(NOTIONAL, trade("IBM", qty, limit=limit), S)  # type: ignore[arg-type]
    assert r.status is status
    assert r.post_value == D(notional)


def test_notional_headroom_is_floored_exactly() -> None:
    # 5,000,000 / 33.33 = 150,015.0015…  ->  150,015
    assert check(NOTIONAL, trade("IBM", 200000, limit="33.33"), S).headroom == 150015
    # a market order is valued at the last price (100): 5,000,000 / 100 = 50,000
    assert check(NOTIONAL, trade("IBM", 60000), S).headroom == 50000


def test_stop_order_notional_uses_the_stop_price() -> None:
    # a stop at 125 triggers at 125: 40,000 × 125 = 5,000,000 exactly
    assert check(NOTIONAL, trade("IBM", 40000, stop=125), S).status is Status.PASS
    assert check(NOTIONAL, trade("IBM", 40001, stop=125), S).status is Status.BLOCK


@pytest.mark.parametrize(
    ("limit", "stop", "status"),
    [
        ("110", None, Status.PASS),  # |110 − 100| × 100 = 1,000 = 10% × 100 × 100: exactly 10%
        ("110.01", None, Status.BLOCK),
        ("90", None, Status.PASS),
        ("89.99", None, Status.BLOCK),
        (None, "111", Status.BLOCK),
        ("105", "111", Status.BLOCK),  # the stop is 11% away
        ("105", "95", Status.PASS),
    ],
)
def test_price_collar(limit: str | None, stop: str | None, status: Status) -> None:
    assert check(COLLAR, trade("IBM", 10, limit=limit, stop=stop), S).status is status


def test_price_collar_figures_and_headroom() -> None:
    r = check(COLLAR, trade("IBM", 10, limit="110.01"), S)
    assert r.post_value == D("10.01")
    assert r.post_pct == D("10.0100")
    assert r.headroom == 0  # no quantity makes a wrong price right
    assert "beyond the 10% collar" in r.message


def test_market_orders_pass_the_collar() -> None:
    r = check(COLLAR, trade("IBM", 10), S)
    assert r.status is Status.PASS
    assert "market order" in r.message
