"""The single-order engine: every applicable rule, the verdict, and the headroom.

The order is measured against the account's projected portfolio (see ``projection``): settled
positions plus the account's other working orders plus this order, holdings valued at the
reference price and the order at its execution price (limit, else stop, else reference).

Verdict: BLOCK if any rule blocks, else WARN if any warns, else PASS. Headroom: the largest
quantity of this order, in whole lots, that passes every blocking-severity rule: the minimum
of the rules' own headrooms, re-checked and lowered where a rule is not monotonic in quantity.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from toms.compliance.context import TradeContext
from toms.compliance.errors import ComplianceInputError
from toms.compliance.exact import exact
from toms.compliance.projection import projection_of
from toms.compliance.results import (
    STATUS_BY_RANK,
    STATUS_RANK,
    CheckResult,
    Severity,
    Status,
)
from toms.compliance.rulebook import RuleBook
from toms.compliance.rules.base import Rule, bisect_headroom
from toms.compliance.snapshot import PortfolioSnapshot
from toms.compliance.trade import ProposedTrade


def check_trade(
    trade: ProposedTrade, snapshot: PortfolioSnapshot, rulebook: RuleBook
) -> CheckResult:
    """Check one proposed order. Pure: same inputs, same result.

    Raises ``ComplianceInputError`` when the snapshot is of another account or lacks reference
    data (security, price) the check needs.
    """
    if trade.account_id != snapshot.account.account_id:
        raise ComplianceInputError(
            f"trade for account {trade.account_id} checked against a snapshot of "
            f"{snapshot.account.account_id}"
        )
    with exact():
        projection = projection_of(snapshot, trade.order_id)
        ctx = TradeContext.build(trade, projection)
        results = []
        rank = 0
        headroom = trade.quantity
        rules = rulebook.rules_for(snapshot.account)
        for rule in rules:
            r = rule.evaluate(ctx)
            results.append(r)
            rank = max(rank, STATUS_RANK[r.status])
            if r.headroom < headroom and rule.severity is Severity.BLOCK:
                headroom = r.headroom
        if headroom < trade.quantity:
            headroom = settle_headroom(rules, ctx, headroom)
        return CheckResult(
            trade=trade,
            as_of=snapshot.as_of,
            verdict=STATUS_BY_RANK[rank],
            results=tuple(results),
            headroom=headroom,
            reference_price=ctx.reference_price,
            execution_price=ctx.execution_price,
            nav_before=ctx.nav_before,
            nav_after=ctx.nav_after,
        )


def settle_headroom(rules: Sequence[Rule], ctx: TradeContext, headroom: Decimal) -> Decimal:
    """Step the headroom down until no blocking rule blocks at it.

    Each rule's own headroom assumes it passes everywhere below it, but a rule need not be
    monotonic in quantity (a 1940 Act sale that goes short can look better than a smaller
    one), so the minimum over rules is not always a passing quantity. Re-checking at the
    candidate and bisecting below it for any rule that still blocks fixes that; the loop
    only moves down, so it ends.
    """
    blocking = [rule for rule in rules if rule.severity is Severity.BLOCK]
    while headroom > 0:
        at = ctx.at(headroom)
        still = [rule for rule in blocking if rule.status(at) is Status.BLOCK]
        if not still:
            return headroom
        headroom = min(bisect_headroom(rule, at) for rule in still)
    return headroom
