"""The set of rules in force, and which of them apply to a given account."""

from __future__ import annotations

from dataclasses import dataclass, field

from toms.compliance.rules.base import Rule
from toms.domain.reference import Account


@dataclass(frozen=True, slots=True)
class RuleBook:
    """Rules in the order they are reported. Ids are unique.

    ``rules_for`` is memoised per (account id, group): every check asks it, and rule books
    hold tens of rules while a firm holds thousands of accounts.
    """

    rules: tuple[Rule, ...]
    source: str = "<code>"
    _memo: dict[tuple[str, str], tuple[Rule, ...]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        seen: set[str] = set()
        for rule in self.rules:
            if rule.rule_id in seen:
                raise ValueError(f"{self.source}: duplicate rule id {rule.rule_id!r}")
            seen.add(rule.rule_id)

    def rules_for(self, account: Account) -> tuple[Rule, ...]:
        key = (account.account_id, account.group)
        found = self._memo.get(key)
        if found is None:
            found = tuple(r for r in self.rules if r.scope.applies_to(account))
            self._memo[key] = found
        return found

    def rule(self, rule_id: str) -> Rule:
        for rule in self.rules:
            if rule.rule_id == rule_id:
                return rule
        raise KeyError(rule_id)

    @property
    def rule_ids(self) -> tuple[str, ...]:
        return tuple(r.rule_id for r in self.rules)
