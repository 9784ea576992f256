"""End-of-day re-run: every holding-based rule on actual holdings, no order involved.

Markets move holdings across limits without anyone trading ("passive breaches"); this finds
them. Working orders are ignored — at the end of the day they have either filled (and are in
the positions) or not.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from toms.compliance.exact import exact
from toms.compliance.projection import holdings_of
from toms.compliance.results import Breach
from toms.compliance.rulebook import RuleBook
from toms.compliance.snapshot import PortfolioSnapshot


@dataclass(frozen=True, slots=True)
class PostTradeReport:
    accounts_checked: int
    breaches: tuple[Breach, ...]

    @property
    def clean(self) -> bool:
        return not self.breaches

    def to_dict(self) -> dict[str, Any]:
        return {
            "accounts_checked": self.accounts_checked,
            "breaches": [b.to_dict() for b in self.breaches],
        }


def post_trade_check(snapshots: Iterable[PortfolioSnapshot], rulebook: RuleBook) -> PostTradeReport:
    """Breaches of every holding-based rule, by account in the order given, then rule order."""
    breaches: list[Breach] = []
    count = 0
    with exact():
        for snapshot in snapshots:
            count += 1
            projection = holdings_of(snapshot)
            for rule in rulebook.rules_for(snapshot.account):
                if rule.holding_based:
                    breaches.extend(rule.breaches(projection))
    return PostTradeReport(count, tuple(breaches))
