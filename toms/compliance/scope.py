"""Which accounts a rule applies to: all, some groups, some accounts, minus exclusions."""

from __future__ import annotations

from dataclasses import dataclass

from toms.domain.reference import Account


@dataclass(frozen=True, slots=True)
class Scope:
    """Empty ``accounts`` and ``groups`` mean every account. Exclusions always win, so a
    firm-wide rule can spare one group that a stricter group-specific rule covers instead."""

    accounts: frozenset[str] = frozenset()
    groups: frozenset[str] = frozenset()
    exclude_accounts: frozenset[str] = frozenset()
    exclude_groups: frozenset[str] = frozenset()

    def applies_to(self, account: Account) -> bool:
        if account.account_id in self.exclude_accounts or account.group in self.exclude_groups:
            return False
        if not self.accounts and not self.groups:
            return True
        return account.account_id in self.accounts or account.group in self.groups

    def describe(self) -> str:
        parts = []
        if self.accounts:
            parts.append("accounts " + ", ".join(sorted(self.accounts)))
        if self.groups:
            parts.append("groups " + ", ".join(sorted(self.groups)))
        text = " and ".join(parts) if parts else "all accounts"
        excluded = sorted(self.exclude_accounts) + sorted(f"group {g}" for g in self.exclude_groups)
        return f"{text} except {', '.join(excluded)}" if excluded else text


EVERY_ACCOUNT = Scope()
