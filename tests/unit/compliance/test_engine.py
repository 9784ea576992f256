"""The engine: projection with working orders, verdicts, headroom, inputs, serialisation."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.unit.compliance.builders import AS_OF, D, order, run, sec, snap, trade
from tests.unit.compliance.strategies import RULES, snapshots, trades
from toms.compliance import (
    ComplianceInputError,
    PortfolioSnapshot,
    ProposedTrade,
    RuleBook,
    Scope,
    Severity,
    Status,
    check_trade,
)
from toms.compliance.rules import BuyingPower, MaxOrderQuantity, PositionPctLimit, WashSale
from toms.domain.errors import InvalidOrder, InvalidValue
from toms.domain.ids import AccountId, Symbol
from toms.domain.orders import OrderStatus
from toms.domain.reference import Position
from toms.domain.values import Side

POS10 = PositionPctLimit(rule_id="pos", max_pct_nav=D(10))


def test_working_orders_are_part_of_the_projection() -> None:
    # cash 1,000,000 and AAPL 100 × 100: NAV 1,010,000 on holdings alone.
    # working buy IBM 100 @ limit 110 (last 100): cash −11,000, IBM +10,000 -> NAV −1,000
    # working sell AAPL 50 at market: cash +5,000, AAPL −5,000 -> NAV unchanged
    s = snap(
        1000000,
        {"AAPL": 100},
        open_orders=[order("IBM", 100, Side.BUY, limit=110), order("AAPL", 50, Side.SELL)],
    )
    result = run([POS10], trade("IBM", 10), s)
    assert result.nav_before == D(1009000)
    (r,) = result.results
    assert r.current_value == D(10000)  # IBM 100 from the working buy × last 100
    assert r.post_value == D(11000)


def test_only_the_open_quantity_of_open_orders_counts() -> None:
    s = snap(
        1000000,
        open_orders=[
            order("IBM", 100, Side.BUY, filled=60),  # 40 still open
            order("IBM", 500, Side.BUY, status=OrderStatus.CANCELED),
            order("IBM", 500, Side.BUY, filled=500, status=OrderStatus.FILLED),
        ],
    )
    (r,) = run([POS10], trade("IBM", 1), s).results
    assert r.current_value == D(4000)


def test_the_checked_order_is_not_counted_twice() -> None:
    pending = order("IBM", 1000, Side.BUY, status=OrderStatus.PENDING_COMPLIANCE, order_id="P1")
    with_it = snap(1000000, open_orders=[pending])
    without = snap(1000000)
    proposed = ProposedTrade.from_order(pending)
    assert proposed.order_id == "P1"
    a, b = run([POS10], proposed, with_it), run([POS10], proposed, without)
    assert a.results[0].current_value == b.results[0].current_value == 0
    assert a.results[0].post_value == D(100000)


def test_verdict_is_the_worst_rule_and_headroom_the_tightest_blocking_one() -> None:
    s = snap(50000, securities=[sec("IBM")], losses=[("IBM", AS_OF)])
    rules = [
        MaxOrderQuantity(rule_id="qty", max_quantity=D(1000)),  # 1,000
        BuyingPower(rule_id="cash"),  # 50,000 / 100 = 500
        PositionPctLimit(rule_id="soft", max_pct_nav=D(1), severity=Severity.WARN),  # warns only
        WashSale(rule_id="wash"),
    ]
    result = run(rules, trade("IBM", 2000), s)
    assert result.verdict is Status.BLOCK
    assert [r.status for r in result.results] == [
        Status.BLOCK,
        Status.BLOCK,
        Status.WARN,
        Status.WARN,
    ]
    assert result.headroom == 500  # the warn-only limit (5 shares) does not cap it
    assert [r.rule_id for r in result.blocking] == ["qty", "cash"]
    again = run(rules, trade("IBM", 500), s)
    assert again.verdict is Status.WARN
    assert again.headroom == 500
    assert run(rules[:2], trade("IBM", 500), s).verdict is Status.PASS


def test_rules_apply_by_scope() -> None:
    ucits = replace(POS10, rule_id="ucits-only", scope=Scope(groups=frozenset({"ucits"})))
    named = replace(POS10, rule_id="named", scope=Scope(accounts=frozenset({"A1"})))
    spared = replace(POS10, rule_id="spared", scope=Scope(exclude_accounts=frozenset({"A1"})))
    book = RuleBook((ucits, named, spared))
    s = snap(1000000)
    assert [r.rule_id for r in check_trade(trade("IBM", 1), s, book).results] == ["named"]
    s2 = snap(1000000, group="ucits", account_id="A2")
    ids = [r.rule_id for r in check_trade(trade("IBM", 1, account_id="A2"), s2, book).results]
    assert ids == ["ucits-only", "spared"]


def test_result_serialises_with_decimals_as_strings() -> None:
    result = run([POS10], trade("IBM", 20000, limit="100.5"), snap(1000000))
    data = json.loads(json.dumps(result.to_dict()))
    assert data["verdict"] == "block"
    # position 100·q against NAV 1,000,000 − 0.5·q (bought 0.5 above last):
    # 100·q·100 ≤ 10·(1,000,000 − 0.5·q)  ->  10,005·q ≤ 10,000,000  ->  q ≤ 999.5
    assert data["headroom"] == "999"
    (rule,) = data["results"]
    assert rule["post_value"] == "2000000"
    assert rule["limit"] == "10"
    assert rule["message"].startswith("IBM: position")
    assert data["trade"]["limit_price"] == "100.5"
    assert data["as_of"] == "2026-11-20"


@pytest.mark.parametrize(
    ("proposed", "snapshot", "message"),
    [
        (trade("IBM", 1, account_id="A2"), snap(0), "snapshot of A1"),
        (trade("ZZZ", 1), snap(0), "ZZZ"),
        (trade("IBM", 1), snap(0, {"IBM": 1}, prices={"IBM": 0}), "positive"),
        (trade("IBM", 1), snap(0, open_orders=[order("IBM", 1, account_id="A9")]), "A9"),
    ],
)
def test_unusable_input_raises(
    proposed: ProposedTrade, snapshot: PortfolioSnapshot, message: str
) -> None:
    with pytest.raises(ComplianceInputError, match=message):
        run([POS10], proposed, snapshot)


def test_missing_price_raises() -> None:
    s = snap(0)
    bare = PortfolioSnapshot(s.account, {Symbol("IBM"): D(1)}, s.securities, {}, AS_OF)
    with pytest.raises(ComplianceInputError, match="no reference price for IBM"):
        run([POS10], trade("IBM", 1), bare)


def test_values_are_validated() -> None:
    s = snap(0)
    with pytest.raises(InvalidValue, match="as_of"):
        PortfolioSnapshot(s.account, {}, s.securities, s.prices, datetime(2026, 11, 20))  # noqa: DTZ001
    with pytest.raises(InvalidOrder):
        trade("IBM", 0)
    with pytest.raises(InvalidOrder):
        ProposedTrade(s.account.account_id, Symbol("IBM"), Side.BUY, D(1), limit_price=D(1))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_headroom_passes_and_one_more_lot_blocks(data: st.DataObject) -> None:
    snapshot = data.draw(snapshots())
    proposed = data.draw(trades(snapshot))
    result = check_trade(proposed, snapshot, RULES)
    if result.verdict is not Status.BLOCK:
        assert result.headroom == proposed.quantity
        return
    headroom = result.headroom
    assert 0 <= headroom < proposed.quantity
    lot = snapshot.securities[proposed.symbol].lot_size
    assert headroom % lot == 0
    if headroom > 0:
        at = check_trade(replace(proposed, quantity=headroom), snapshot, RULES)
        assert at.verdict is not Status.BLOCK, at.blocking
    beyond = check_trade(replace(proposed, quantity=headroom + lot), snapshot, RULES)
    assert beyond.verdict is Status.BLOCK


def test_from_order_checks_the_unfilled_part() -> None:
    working = order("IBM", 1000, Side.BUY, limit=100, filled=400, order_id="W1")
    proposed = ProposedTrade.from_order(working)
    assert (proposed.quantity, proposed.limit_price, proposed.order_id) == (D(600), D(100), "W1")
    # the order's own open 600 is left out of the projection it is checked against
    (r,) = run([POS10], proposed, snap(1000000, open_orders=[working])).results
    assert (r.current_value, r.post_value) == (D(0), D(60000))


def test_positions_from_domain_positions() -> None:
    rows = [
        Position(AccountId("A1"), Symbol("IBM"), D(5)),
        Position(AccountId("A1"), Symbol("IBM"), D(-2)),
    ]
    assert PortfolioSnapshot.positions_from(rows) == {"IBM": D(3)}


def test_checks_are_repeatable_on_a_memoised_snapshot() -> None:
    s = snap(1000000, {"AAPL": 500}, open_orders=[order("IBM", 100, Side.BUY, limit=101)])
    first = run([POS10, BuyingPower(rule_id="cash")], trade("IBM", 900, limit=99), s)
    again = run([POS10, BuyingPower(rule_id="cash")], trade("IBM", 900, limit=99), s)
    assert first == again
    assert first.to_dict() == again.to_dict()
