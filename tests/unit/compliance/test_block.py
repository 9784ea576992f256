"""Block check: the vectorised screen must say exactly what the single-order engine says."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.unit.compliance.builders import D, sec, snap, trade
from tests.unit.compliance.strategies import RULES, snapshots, trades
from toms.compliance import (
    ComplianceInputError,
    PortfolioSnapshot,
    ProposedTrade,
    RuleBook,
    Status,
    check_block,
    check_trade,
)
from toms.compliance.block import screen_block
from toms.compliance.rules import (
    BuyingPower,
    Ica1940Diversified,
    IssuerConcentration,
    PositionPctLimit,
    UcitsAggregateLimit,
    UcitsIssuerLimit,
)
from toms.domain.ids import AccountId


def assert_same_as_engine(
    block: list[ProposedTrade], snaps: dict[AccountId, PortfolioSnapshot], book: RuleBook
) -> None:
    screen = screen_block(block, snaps, book)
    result = check_block(block, snaps, book)
    for i, proposed in enumerate(block):
        single = check_trade(proposed, snaps[proposed.account_id], book)
        expected = tuple((r.rule_id, r.status) for r in single.results)
        assert screen.statuses(i) == expected, proposed
        row = result.rows[i]
        assert row.account_id == proposed.account_id
        assert row.statuses == expected
        assert row.verdict is single.verdict
        assert row.headroom == single.headroom


@st.composite
def blocks(draw: st.DrawFn) -> tuple[list[ProposedTrade], dict[AccountId, PortfolioSnapshot]]:
    snaps = [draw(snapshots(account_id=f"A{i}")) for i in range(draw(st.integers(1, 6)))]
    return [draw(trades(s)) for s in snaps], {s.account.account_id: s for s in snaps}


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(blocks())
def test_block_matches_single_engine(
    case: tuple[list[ProposedTrade], dict[AccountId, PortfolioSnapshot]],
) -> None:
    block, snaps = case
    assert_same_as_engine(block, snaps, RULES)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(blocks(), st.data())
def test_block_matches_single_engine_at_the_boundaries(
    case: tuple[list[ProposedTrade], dict[AccountId, PortfolioSnapshot]], data: st.DataObject
) -> None:
    """Re-size every blocked order to its headroom or one lot more: exact-boundary rows."""
    block, snaps = case
    resized = []
    for proposed in block:
        single = check_trade(proposed, snaps[proposed.account_id], RULES)
        lot = snaps[proposed.account_id].securities[proposed.symbol].lot_size
        if single.verdict is Status.BLOCK:
            extra = data.draw(st.sampled_from([D(0), lot]))
            if single.headroom + extra > 0:
                proposed = replace(proposed, quantity=single.headroom + extra)
        resized.append(proposed)
    assert_same_as_engine(resized, snaps, RULES)


EXACT_BOOK = RuleBook(
    (
        PositionPctLimit(rule_id="pos", max_pct_nav=D(5)),
        IssuerConcentration(rule_id="issuer", max_pct_nav=D(5)),
        BuyingPower(rule_id="cash", min_cash=D(950000)),
        UcitsIssuerLimit(rule_id="ucits.issuer", issuer_max_pct=D(5)),
        UcitsAggregateLimit(
            rule_id="ucits.aggregate", large_issuer_pct=D(1), aggregate_max_pct=D(5)
        ),
        Ica1940Diversified(rule_id="ica", issuer_pct=D(5), diversified_pct=D(95)),
    )
)


@pytest.mark.parametrize(
    ("qty", "verdict", "rechecks"), [(500, Status.PASS, 6), (501, Status.BLOCK, 0)]
)
def test_exact_boundary_rows_are_decided_in_decimal(
    qty: int, verdict: Status, rechecks: int
) -> None:
    # NAV 1,000,000 (cash); 500 × 100 = 50,000 is exactly 5% of NAV (position, issuer, UCITS
    # 10 and 40 set to 5), leaves exactly the 950,000 minimum cash, and puts the issuer at
    # exactly the 1940 Act 5%: every rule sits on its boundary, and float cannot decide it
    s = snap(1000000, securities=[sec("IBM")])
    block = [trade("IBM", qty)]
    result = check_block(block, {s.account.account_id: s}, EXACT_BOOK)
    assert result.rows[0].verdict is verdict
    assert result.exact_rechecks == rechecks
    assert_same_as_engine(block, {s.account.account_id: s}, EXACT_BOOK)


def test_block_result_summary_and_serialisation() -> None:
    snaps = {
        AccountId("A1"): snap(1000000, account_id="A1"),
        AccountId("A2"): snap(20000, account_id="A2"),  # can pay for 200
    }
    block = [trade("IBM", 300, account_id="A1"), trade("IBM", 300, account_id="A2")]
    result = check_block(block, snaps, RuleBook((BuyingPower(rule_id="cash"),)))
    assert result.verdict is Status.BLOCK
    assert result.headroom == 500  # 300 + 200
    assert result.row("A2").blocking == ("cash",)
    assert result.row("A2").detail is not None
    assert result.row("A1").detail is None
    data = json.loads(json.dumps(result.to_dict()))
    assert data["rows"][1]["headroom"] == "200"


def test_block_input_errors() -> None:
    s = snap(0)
    with pytest.raises(ComplianceInputError, match="two trades"):
        check_block([trade("IBM", 1), trade("IBM", 2)], {s.account.account_id: s}, RULES)
    with pytest.raises(ComplianceInputError, match="no snapshot"):
        check_block([trade("IBM", 1, account_id="A7")], {s.account.account_id: s}, RULES)
