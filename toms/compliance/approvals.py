"""Acknowledgements and overrides: how a WARN or BLOCK result may still proceed.

A WARN needs a trader's acknowledgement of each warning rule. A BLOCK needs a compliance user's
override, with a reason, naming each blocking rule. These are values the service layer records
in the audit trail; whether a user holds the compliance role is the service's knowledge, passed
in as a predicate, so this stays pure.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from toms.compliance.results import CheckResult, Status
from toms.domain.errors import InvalidValue
from toms.domain.ids import UserId
from toms.domain.values import require_utc


def _ids(rule_ids: Iterable[str], what: str) -> frozenset[str]:
    if isinstance(rule_ids, str) or not all(isinstance(i, str) for i in rule_ids):
        raise InvalidValue(
            f"{what}: rule_ids must be a collection of rule id strings, got {rule_ids!r}"
        )
    ids = frozenset(rule_ids)
    if not ids:
        raise InvalidValue(f"{what} must name at least one rule")
    return ids


@dataclass(frozen=True, slots=True)
class Acknowledgement:
    """A trader has read the warnings of ``rule_ids`` and goes ahead."""

    user: UserId
    rule_ids: frozenset[str]
    at: datetime
    note: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "rule_ids", _ids(self.rule_ids, "an acknowledgement"))
        require_utc(self.at, "acknowledgement time")

    def to_dict(self) -> dict[str, Any]:
        return {
            "user": self.user,
            "rule_ids": sorted(self.rule_ids),
            "at": self.at.isoformat(),
            "note": self.note,
        }


@dataclass(frozen=True, slots=True)
class Override:
    """A compliance user lets the order through the blocks of ``rule_ids``, for ``reason``."""

    user: UserId
    reason: str
    rule_ids: frozenset[str]
    at: datetime

    def __post_init__(self) -> None:
        if not isinstance(self.reason, str):  # Override(user, reason, rule_ids, at)
            raise InvalidValue(f"an override's reason must be a string, got {self.reason!r}")
        if not self.reason.strip():
            raise InvalidValue("an override needs a reason")
        object.__setattr__(self, "rule_ids", _ids(self.rule_ids, "an override"))
        require_utc(self.at, "override time")

    def to_dict(self) -> dict[str, Any]:
        return {
            "user": self.user,
            "reason": self.reason,
            "rule_ids": sorted(self.rule_ids),
            "at": self.at.isoformat(),
        }


@dataclass(frozen=True, slots=True)
class Clearance:
    """Whether a checked order may proceed, and what is still missing if not."""

    may_proceed: bool
    unacknowledged: tuple[str, ...]  # warning rule ids without an acknowledgement
    unoverridden: tuple[str, ...]  # blocking rule ids without a valid override
    ignored_overrides: tuple[str, ...]  # overrides by users without the compliance role

    def to_dict(self) -> dict[str, Any]:
        return {
            "may_proceed": self.may_proceed,
            "unacknowledged": list(self.unacknowledged),
            "unoverridden": list(self.unoverridden),
            "ignored_overrides": list(self.ignored_overrides),
        }


def clearance(
    result: CheckResult,
    acknowledgements: Iterable[Acknowledgement] = (),
    overrides: Iterable[Override] = (),
    *,
    is_compliance_user: Callable[[UserId], bool],
) -> Clearance:
    """PASS proceeds; every WARN rule needs an acknowledgement (or an override); every BLOCK
    rule needs an override by a compliance user. Overrides by anyone else are ignored and
    reported, never silently honoured."""
    acked: set[str] = set()
    for ack in acknowledgements:
        acked |= ack.rule_ids
    overridden: set[str] = set()
    ignored: list[str] = []
    for override in overrides:
        if is_compliance_user(override.user):
            overridden |= override.rule_ids
        else:
            ignored.append(f"{override.user}: {', '.join(sorted(override.rule_ids))}")
    unacknowledged = tuple(
        r.rule_id
        for r in result.results
        if r.status is Status.WARN and r.rule_id not in acked and r.rule_id not in overridden
    )
    unoverridden = tuple(
        r.rule_id
        for r in result.results
        if r.status is Status.BLOCK and r.rule_id not in overridden
    )
    return Clearance(
        not unacknowledged and not unoverridden, unacknowledged, unoverridden, tuple(ignored)
    )


def may_proceed(
    result: CheckResult,
    acknowledgements: Iterable[Acknowledgement] = (),
    overrides: Iterable[Override] = (),
    *,
    is_compliance_user: Callable[[UserId], bool],
) -> bool:
    return clearance(
        result, acknowledgements, overrides, is_compliance_user=is_compliance_user
    ).may_proceed
