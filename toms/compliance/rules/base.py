"""The contract every rule keeps, and the codes the vectorised block screen uses.

A rule is a frozen value: its id, severity, scope and parameters. It answers four questions:
``evaluate`` (exact verdict, figures and headroom for one order), ``describe`` (the message
for a result it produced, rendered only when someone reads it), ``screen`` (the status of a
whole block of orders at once; rules without a vectorised form fall back to ``status`` per
row), and ``breaches`` (the end-of-day re-run on actual holdings; empty for rules about the
order itself rather than the holdings).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, ClassVar

import numpy as np
import numpy.typing as npt

from toms.compliance.context import TradeContext
from toms.compliance.exact import ZERO
from toms.compliance.projection import Projection
from toms.compliance.results import (
    Basis,
    Breach,
    RuleResult,
    Severity,
    Status,
    new_rule_result,
)
from toms.compliance.scope import EVERY_ACCOUNT, Scope

if TYPE_CHECKING:
    from toms.compliance.block import BlockFrame

Codes = npt.NDArray[np.int8]
Bools = npt.NDArray[np.bool_]
PASS_CODE, WARN_CODE, BLOCK_CODE = 0, 1, 2


@dataclass(frozen=True, slots=True, kw_only=True)
class Rule(ABC):
    rule_id: str
    severity: Severity = Severity.BLOCK
    scope: Scope = EVERY_ACCOUNT
    description: str = ""
    # the status a breach gets, looked up once: rules ask for it on every check
    breach_status: Status = field(init=False, repr=False, compare=False)

    rule_type: ClassVar[str]
    basis: ClassVar[Basis]
    holding_based: ClassVar[bool] = False  # re-run by ``post_trade_check``
    unit: ClassVar[str] = ""  # unit of the current / post figures
    limit_unit: ClassVar[str] = ""

    @property
    def limit(self) -> Decimal | None:
        """The figure results are compared with, in ``limit_unit``."""
        return None

    @abstractmethod
    def evaluate(self, ctx: TradeContext) -> RuleResult:
        """Exact verdict for ``ctx.quantity``, with the figures used and the headroom."""

    @abstractmethod
    def describe(self, result: RuleResult) -> str:
        """The human-readable message for a result this rule produced."""

    def status(self, ctx: TradeContext) -> Status:
        """The verdict alone; rules override it when it is cheaper than ``evaluate``."""
        return self.evaluate(ctx).status

    def screen(self, frame: BlockFrame, rows: Bools) -> Codes:
        """Status codes for the ``rows`` of a block (others are left PASS).

        This fallback asks ``status`` row by row, exactly; vectorised rules override it.
        """
        codes = np.zeros(frame.size, dtype=np.int8)
        for i in np.flatnonzero(rows):
            codes[i] = self.status(frame.context(int(i))).rank
        return codes

    def breaches(self, projection: Projection) -> list[Breach]:
        """Breaches on actual holdings; rules about the order itself have none."""
        return []

    def __post_init__(self) -> None:
        object.__setattr__(self, "breach_status", self.severity.status)

    def result(
        self,
        ctx: TradeContext,
        status: Status,
        subject: str,
        headroom: Decimal | None = None,
        current_value: Decimal | None = None,
        current_base: Decimal | None = None,
        post_value: Decimal | None = None,
        post_base: Decimal | None = None,
        detail: str = "",
    ) -> RuleResult:
        """A result; headroom defaults to the whole order unless this result blocks."""
        q = ctx.quantity
        if headroom is None:
            headroom = q if status is not Status.BLOCK else ZERO
        elif headroom > q:
            headroom = q
        return new_rule_result(
            self,
            status,
            subject,
            headroom,
            current_value,
            current_base,
            post_value,
            post_base,
            detail,
        )

    def breach(
        self,
        projection: Projection,
        subject: str,
        message: str,
        value: Decimal | None = None,
        pct: Decimal | None = None,
    ) -> Breach:
        return Breach(
            account_id=projection.account.account_id,
            rule_id=self.rule_id,
            rule_type=self.rule_type,
            severity=self.severity,
            subject=subject,
            message=message,
            value=value,
            pct=pct,
            limit=self.limit,
            unit=self.unit,
            limit_unit=self.limit_unit,
        )


def relation(result: RuleResult, worse: bool, within: str = "within", above: str = "above") -> str:
    """How a figure stands against its limit, for messages."""
    if result.status is Status.PASS:
        return within
    return above if worse else f"{above} (a breach the order does not increase)"


def pct_text(value: Decimal | None) -> str:
    return "n/a" if value is None else f"{value}%"


def bisect_headroom(rule: Rule, ctx: TradeContext) -> Decimal:
    """Largest whole-lot quantity below the order's that ``rule`` does not block, by bisection.

    For rules whose pass region is not a single linear inequality (1940 Act, UCITS). Invariant:
    ``lo`` lots pass (zero always does: no order changes nothing) and ``hi`` lots block or lie
    beyond the order, so the answer passes and one more lot does not.
    """
    lot = ctx.lot
    total = ctx.quantity
    whole = int(total // lot)
    # candidates are k·lot strictly below the (blocking) order quantity
    lo, hi = 0, whole if whole * lot == total else whole + 1
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if rule.status(ctx.at(lot * mid)) is Status.BLOCK:
            hi = mid
        else:
            lo = mid
    return lot * lo
