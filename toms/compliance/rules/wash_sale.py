"""Wash sale: buying back a security within the window after selling it at a loss.

The loss would be disallowed for tax, which is usually not what the PM wants, but it is not
illegal: the rule warns by default. A buy on day ``as_of`` is flagged when a loss in the same
symbol was realised on a day ``d`` with ``0 ≤ as_of − d ≤ window_days`` (30 by default).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, ClassVar

import numpy as np

from toms.compliance.context import TradeContext
from toms.compliance.exact import ZERO
from toms.compliance.results import Basis, RuleResult, Severity, Status
from toms.compliance.rules.base import Bools, Codes, Rule
from toms.compliance.snapshot import PortfolioSnapshot
from toms.domain.values import Side

if TYPE_CHECKING:
    from toms.compliance.block import BlockFrame


@dataclass(frozen=True, slots=True, kw_only=True)
class WashSale(Rule):
    severity: Severity = Severity.WARN
    window_days: int = 30

    rule_type: ClassVar[str] = "wash_sale"
    basis: ClassVar[Basis] = Basis.ATTRIBUTE
    unit: ClassVar[str] = "days"
    limit_unit: ClassVar[str] = "days"

    @property
    def limit(self) -> Decimal:
        return Decimal(self.window_days)

    def days_since_loss(self, snapshot: PortfolioSnapshot, symbol: str, side: Side) -> int | None:
        """Days since the latest loss in the window, or None when there is none."""
        if side is not Side.BUY:
            return None
        as_of = snapshot.as_of
        best: int | None = None
        for loss in snapshot.realized_losses:
            if loss.symbol != symbol:
                continue
            days = (as_of - loss.realized_on).days
            if 0 <= days <= self.window_days and (best is None or days < best):
                best = days
        return best

    def _days_since_loss(self, ctx: TradeContext) -> int | None:
        return self.days_since_loss(ctx.projection.snapshot, ctx.trade.symbol, ctx.trade.side)

    def screen(self, frame: BlockFrame, rows: Bools) -> Codes:
        codes = np.zeros(frame.size, dtype=np.int8)
        breach = self.breach_status.rank
        for i in np.flatnonzero(rows).tolist():
            trade = frame.trades[i]
            snapshot = frame.projections[i].snapshot
            if self.days_since_loss(snapshot, trade.symbol, trade.side) is not None:
                codes[i] = breach
        return codes

    def status(self, ctx: TradeContext) -> Status:
        return Status.PASS if self._days_since_loss(ctx) is None else self.breach_status

    def evaluate(self, ctx: TradeContext) -> RuleResult:
        days = self._days_since_loss(ctx)
        symbol = ctx.trade.symbol
        if days is None:
            detail = "" if ctx.trade.side is Side.BUY else "not a purchase"
            return self.result(ctx, Status.PASS, symbol, detail=detail)
        status = self.breach_status
        headroom = ZERO if status is Status.BLOCK else None
        return self.result(ctx, status, symbol, headroom, current_value=Decimal(days))

    def describe(self, result: RuleResult) -> str:
        if result.status is Status.PASS:
            if result.detail:
                return f"{result.subject}: {result.detail}"
            return f"{result.subject}: no realised loss in the last {self.window_days} days"
        return (
            f"buying {result.subject} {result.current_value} days after selling it at a loss "
            f"(window {self.window_days} days): the loss would be disallowed as a wash sale"
        )
