"""What a compliance check says: per-rule results, the overall verdict, post-trade breaches.

These are plain frozen values so the service layer can persist them to the audit trail as they
are; ``to_dict()`` renders Decimals as strings so no figure passes through a float on its way
to JSON.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from toms.compliance.exact import display_percent, exact
from toms.domain.ids import AccountId

if TYPE_CHECKING:
    from toms.compliance.rules.base import Rule
    from toms.compliance.trade import ProposedTrade


class Status(StrEnum):
    """Outcome of one rule, and of a whole check (the worst of its rules)."""

    PASS = "pass"
    WARN = "warn"  # may proceed once a trader acknowledges it
    BLOCK = "block"  # may proceed only with a compliance override

    @property
    def rank(self) -> int:
        return STATUS_RANK[self]


STATUS_RANK = {Status.PASS: 0, Status.WARN: 1, Status.BLOCK: 2}
STATUS_BY_RANK = (Status.PASS, Status.WARN, Status.BLOCK)


class Severity(StrEnum):
    """What a breached rule does: stop the order or ask for an acknowledgement."""

    BLOCK = "block"
    WARN = "warn"

    @property
    def status(self) -> Status:
        return Status.BLOCK if self is Severity.BLOCK else Status.WARN


class Basis(StrEnum):
    """The figure a rule measures, declared by each rule type."""

    MARKET_VALUE = "market_value"  # holdings valued at the reference (last) price
    QUANTITY = "quantity"  # shares or units
    NOTIONAL = "notional"  # order quantity × execution price, or cash
    PRICE = "price"  # the order's limit / stop against the reference price
    ATTRIBUTE = "attribute"  # what is traded (security, side, date), not how much


def worst(statuses: Iterable[Status]) -> Status:
    rank = 0
    for status in statuses:
        rank = max(rank, STATUS_RANK[status])
    return STATUS_BY_RANK[rank]


def _plain(value: object) -> object:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, StrEnum):
        return value.value
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if hasattr(value, "to_dict"):
        return value.to_dict()
    return value


def _as_dict(value: object) -> dict[str, Any]:
    return {f.name: _plain(getattr(value, f.name)) for f in fields(value)}  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class RuleResult:
    """One rule's verdict on one order, with the figures it used.

    ``current_*`` figures describe the account before this order (holdings plus its other
    working orders); ``post_*`` figures include this order. A value is in the rule's ``unit``
    (money for market-value rules); where the rule measures a share, ``*_base`` is the
    denominator (NAV, or total assets for the 1940 Act test) and ``*_pct`` the share in percent,
    rounded for display. ``limit`` is in ``limit_unit``. ``headroom`` is the largest quantity of
    this order (whole lots) the rule lets through: the order quantity when it does not block.

    Only the decision and the exact figures are computed by the check; the display percentages
    and the message are rendered from them when read, because most results are never read one
    by one and rendering text for all of them would cost more than checking the rules.
    """

    rule: Rule
    status: Status
    subject: str
    headroom: Decimal
    current_value: Decimal | None = None
    current_base: Decimal | None = None
    post_value: Decimal | None = None
    post_base: Decimal | None = None
    detail: str = ""  # rule-specific facts for the message (restriction reasons, ...)

    @property
    def rule_id(self) -> str:
        return self.rule.rule_id

    @property
    def rule_type(self) -> str:
        return self.rule.rule_type

    @property
    def basis(self) -> Basis:
        return self.rule.basis

    @property
    def severity(self) -> Severity:
        return self.rule.severity

    @property
    def limit(self) -> Decimal | None:
        return self.rule.limit

    @property
    def unit(self) -> str:
        return self.rule.unit

    @property
    def limit_unit(self) -> str:
        return self.rule.limit_unit

    @property
    def current_pct(self) -> Decimal | None:
        return _pct(self.current_value, self.current_base)

    @property
    def post_pct(self) -> Decimal | None:
        return _pct(self.post_value, self.post_base)

    @property
    def message(self) -> str:
        with exact():
            return self.rule.describe(self)

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule_id": self.rule_id,
            "rule_type": self.rule_type,
            "basis": self.basis.value,
            "severity": self.severity.value,
            "status": self.status.value,
            "subject": self.subject,
            "message": self.message,
            "headroom": str(self.headroom),
            "current_value": _str(self.current_value),
            "current_pct": _str(self.current_pct),
            "post_value": _str(self.post_value),
            "post_pct": _str(self.post_pct),
            "limit": _str(self.limit),
            "unit": self.unit,
            "limit_unit": self.limit_unit,
        }


_new = object.__new__
(_s_rule, _s_status, _s_subject, _s_headroom, _s_cv, _s_cb, _s_pv, _s_pb, _s_detail) = (
    getattr(RuleResult, f.name).__set__ for f in fields(RuleResult)
)


def new_rule_result(
    rule: Rule,
    status: Status,
    subject: str,
    headroom: Decimal,
    current_value: Decimal | None,
    current_base: Decimal | None,
    post_value: Decimal | None,
    post_base: Decimal | None,
    detail: str,
) -> RuleResult:
    """``RuleResult(...)`` for the engine's hot path: the same frozen value, built through the
    slot descriptors. A frozen dataclass's generated ``__init__`` pays for ``object.__setattr__``
    on every field, which at fifteen results per check was a fifth of the check's time."""
    r: RuleResult = _new(RuleResult)
    _s_rule(r, rule)
    _s_status(r, status)
    _s_subject(r, subject)
    _s_headroom(r, headroom)
    _s_cv(r, current_value)
    _s_cb(r, current_base)
    _s_pv(r, post_value)
    _s_pb(r, post_base)
    _s_detail(r, detail)
    return r


def _pct(value: Decimal | None, base: Decimal | None) -> Decimal | None:
    if value is None or base is None:
        return None
    return display_percent(value, base)


def _str(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


@dataclass(frozen=True, slots=True)
class CheckResult:
    """The engine's answer for one proposed order.

    ``verdict`` is BLOCK if any rule blocks, else WARN if any warns, else PASS. ``headroom`` is
    the largest quantity of this order, in whole lots, that passes every blocking rule.
    """

    trade: ProposedTrade
    as_of: date
    verdict: Status
    results: tuple[RuleResult, ...]
    headroom: Decimal
    reference_price: Decimal
    execution_price: Decimal
    nav_before: Decimal
    nav_after: Decimal

    @property
    def account_id(self) -> AccountId:
        return self.trade.account_id

    @property
    def blocking(self) -> tuple[RuleResult, ...]:
        return tuple(r for r in self.results if r.status is Status.BLOCK)

    @property
    def warnings(self) -> tuple[RuleResult, ...]:
        return tuple(r for r in self.results if r.status is Status.WARN)

    def result(self, rule_id: str) -> RuleResult:
        for r in self.results:
            if r.rule_id == rule_id:
                return r
        raise KeyError(rule_id)

    def to_dict(self) -> dict[str, Any]:
        return _as_dict(self)


@dataclass(frozen=True, slots=True)
class Breach:
    """A holding-based rule broken by actual holdings, found by the end-of-day re-run."""

    account_id: AccountId
    rule_id: str
    rule_type: str
    severity: Severity
    subject: str
    message: str
    value: Decimal | None = None
    pct: Decimal | None = None
    limit: Decimal | None = None
    unit: str = ""
    limit_unit: str = ""

    def to_dict(self) -> dict[str, Any]:
        return _as_dict(self)
