"""Who is calling: a configured API token per user, and what each role may do.

Roles (``[[users]]`` in the config): ``pm`` submits orders for the accounts listed for that
user; ``trader`` builds blocks, routes, cancels and replaces; ``compliance`` overrides;
``operations`` allocates and maintains market data; ``viewer`` reads. Every role reads.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable
from dataclasses import dataclass

from toms.config import UserSettings
from toms.domain.errors import TomsError


class Unauthenticated(TomsError):
    """No token, or a token no configured user has."""


class Forbidden(TomsError):
    """The user is known but their roles do not allow the action."""


@dataclass(frozen=True, slots=True)
class User:
    name: str
    roles: frozenset[str]
    accounts: frozenset[str]

    def require(self, role: str, action: str) -> None:
        if role not in self.roles:
            raise Forbidden(
                f"user {self.name} may not {action}: needs the {role} role "
                f"(has {', '.join(sorted(self.roles)) or 'none'})"
            )

    def require_account(self, account_id: str) -> None:
        """A PM acts only for the accounts they manage."""
        if account_id not in self.accounts:
            raise Forbidden(
                f"user {self.name} does not manage account {account_id!r} "
                f"(manages {', '.join(sorted(self.accounts)) or 'no accounts'})"
            )

    def sees_account(self, account_id: str) -> bool:
        """PMs see their own accounts' orders; every other role sees the firm's."""
        return self.roles != {"pm"} or account_id in self.accounts


class Authenticator:
    def __init__(self, users: Iterable[UserSettings]) -> None:
        self._users = [
            (u.token.encode(), User(u.name, frozenset(u.roles), frozenset(u.accounts)))
            for u in users
        ]

    def user_for(self, token: str | None) -> User:
        if not token:
            raise Unauthenticated("missing API token: send 'Authorization: Bearer <token>'")
        given = token.encode()
        found = None
        for known, user in self._users:  # compare every token, in constant time each
            if hmac.compare_digest(known, given):
                found = user
        if found is None:
            raise Unauthenticated("unknown API token")
        return found
