"""Rebalancing: whole lots, never overspending, zero means sell out, unnamed means keep."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from toms.domain.errors import InvalidOrder
from toms.domain.values import Side
from toms.portfolio.rebalance import Holding, rebalance

D = Decimal


def test_sizes_to_target_weights_in_whole_lots() -> None:
    holdings = {
        "AAA": Holding("AAA", D(100), D(50), D(1)),  # 5,000
        "BBB": Holding("BBB", D(0), D(30), D(100)),  # lot of 100
    }
    plan = rebalance(D(5000), holdings, {"AAA": D("0.25"), "BBB": D("0.5")})
    assert plan.nav == D(10000)
    orders = {o.symbol: o for o in plan.orders}
    assert orders["AAA"].side is Side.SELL and orders["AAA"].quantity == D(50)  # to 2,500
    # BBB: 5,000 / 30 = 166.7 shares -> 100 (whole lots, rounded down)
    assert orders["BBB"].side is Side.BUY and orders["BBB"].quantity == D(100)


def test_zero_sells_everything_and_unnamed_holdings_stay() -> None:
    holdings = {
        "ODD": Holding("ODD", D(37), D(10), D(100)),  # an odd lot: still sold out
        "KEEP": Holding("KEEP", D(500), D(10)),
    }
    plan = rebalance(D(0), holdings, {"ODD": D(0)})
    assert [(o.symbol, o.side, o.quantity) for o in plan.orders] == [("ODD", Side.SELL, D(37))]


def test_within_a_lot_of_target_nothing_trades() -> None:
    holdings = {"AAA": Holding("AAA", D(100), D(10), D(10))}
    assert rebalance(D(0), holdings, {"AAA": D("0.95")}).orders == ()


@pytest.mark.parametrize(
    ("targets", "message"),
    [
        ({"AAA": D("0.7"), "BBB": D("0.4")}, "add up to 1.1"),
        ({"AAA": D("-0.1")}, "negative"),
        ({"ZZZ": D("0.1")}, "no price for ZZZ"),
    ],
)
def test_bad_targets_are_refused(targets: dict[str, Decimal], message: str) -> None:
    holdings = {"AAA": Holding("AAA", D(1), D(10)), "BBB": Holding("BBB", D(1), D(10))}
    with pytest.raises(InvalidOrder, match=message):
        rebalance(D(100), holdings, targets)


prices = st.decimals(min_value=D("0.5"), max_value=D(2000), places=2)
quantities = st.integers(min_value=0, max_value=5000).map(D)
lots = st.sampled_from([D(1), D(10), D(100)])


@given(
    cash=st.integers(min_value=0, max_value=1_000_000).map(D),
    book=st.lists(st.tuples(quantities, prices, lots), min_size=1, max_size=6),
    weights=st.lists(st.integers(min_value=0, max_value=100), min_size=1, max_size=6),
    buffer=st.sampled_from([D(0), D("0.02"), D("0.1")]),
)
def test_invariants(
    cash: Decimal,
    book: list[tuple[Decimal, Decimal, Decimal]],
    weights: list[int],
    buffer: Decimal,
) -> None:
    holdings = {f"S{i}": Holding(f"S{i}", q, p, lot) for i, (q, p, lot) in enumerate(book)}
    assume(cash + sum(q * p for q, p, _lot in book) > 0)
    names = list(holdings)[: len(weights)]
    total = sum(weights[: len(names)]) or 1
    targets = {n: D(w) / D(total) for n, w in zip(names, weights, strict=False)}
    if sum(targets.values()) > 1:  # rounding of the shares: scale down a hair
        targets = {n: w * D("0.999999") for n, w in targets.items()}
    plan = rebalance(cash, holdings, targets, buffer)
    spent = sum((o.notional for o in plan.orders if o.side is Side.BUY), D(0))
    raised = sum((o.notional for o in plan.orders if o.side is Side.SELL), D(0))
    assert spent <= cash + raised  # never buys with money the account does not have
    for o in plan.orders:
        h = holdings[o.symbol]
        assert o.quantity > 0
        if o.side is Side.SELL:
            assert o.quantity <= h.quantity  # never sells short
        if not (o.side is Side.SELL and o.quantity == h.quantity):
            assert o.quantity % h.lot_size == 0  # whole lots, except selling out
        assert o.symbol in targets  # unnamed holdings are never traded
