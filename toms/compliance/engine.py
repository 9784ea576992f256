"""The single-order engine: every applicable rule, the verdict, and the headroom.

The order is measured against the account's projected portfolio (see ``projection``): settled
positions plus the account's other working orders plus this order, holdings valued at the
reference price and the order at its execution price (limit, else stop, else reference).

Verdict: BLOCK if any rule blocks, else WARN if any warns, else PASS. Headroom: the largest
quantity of this order, in whole lots, that passes every blocking-severity rule — the minimum
of the rules' own headrooms, each of which is the top of an interval starting at zero.
"""

from __future__ import annotations

from toms.compliance.context import TradeContext
from toms.compliance.errors import ComplianceInputError
from toms.compliance.exact import exact
from toms.compliance.projection import projection_of
from toms.compliance.results import STATUS_BY_RANK, STATUS_RANK, CheckResult, Severity
from toms.compliance.rulebook import RuleBook
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
        for rule in rulebook.rules_for(snapshot.account):
            r = rule.evaluate(ctx)
            results.append(r)
            rank = max(rank, STATUS_RANK[r.status])
            if r.headroom < headroom and rule.severity is Severity.BLOCK:
                headroom = r.headroom
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
