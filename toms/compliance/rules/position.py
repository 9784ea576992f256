"""Position limits on the traded security: a share count, or a share of NAV.

Measured on the absolute projected position, so a short is limited like a long. An order that
leaves an existing breach no worse is let through with a warning (see ``exposure``).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, ClassVar

import numpy as np

from toms.compliance.context import TradeContext
from toms.compliance.exact import HUNDRED, ONE, ZERO, display_percent
from toms.compliance.projection import Projection
from toms.compliance.results import Basis, Breach, RuleResult, Status
from toms.compliance.rules.base import Bools, Codes, Rule, pct_text
from toms.compliance.rules.exposure import (
    describe_exposure,
    linear_headroom,
    linear_status,
    screen_linear,
)
from toms.domain.values import AssetClass

if TYPE_CHECKING:
    from toms.compliance.block import BlockFrame

DEFAULT_POSITION_EXCLUDED = frozenset({AssetClass.CASH, AssetClass.GOVERNMENT_BOND})
OUTSIDE = "outside"  # ``detail`` of a result for an asset class the limit does not cover


def describe_outside(result: RuleResult, what: str) -> str:
    return f"{result.subject}: its asset class is outside {what}"


@dataclass(frozen=True, slots=True, kw_only=True)
class PositionShareLimit(Rule):
    """At most ``max_shares`` shares (long or short) of any one security."""

    max_shares: Decimal
    excluded: frozenset[AssetClass] = DEFAULT_POSITION_EXCLUDED

    rule_type: ClassVar[str] = "position_limit.max_shares"
    basis: ClassVar[Basis] = Basis.QUANTITY
    holding_based: ClassVar[bool] = True
    unit: ClassVar[str] = "shares"
    limit_unit: ClassVar[str] = "shares"

    @property
    def limit(self) -> Decimal:
        return self.max_shares

    def status(self, ctx: TradeContext) -> Status:
        if ctx.security.asset_class in self.excluded:
            return Status.PASS
        return linear_status(
            ctx.position_before,
            ctx.sign,
            ONE,
            ZERO,
            ONE,
            self.max_shares,
            ctx.quantity,
            self.breach_status,
        )

    def evaluate(self, ctx: TradeContext) -> RuleResult:
        symbol = ctx.trade.symbol
        if ctx.security.asset_class in self.excluded:
            return self.result(ctx, Status.PASS, symbol, detail=OUTSIDE)
        q0, s, q = ctx.position_before, ctx.sign, ctx.quantity
        status = linear_status(q0, s, ONE, ZERO, ONE, self.max_shares, q, self.breach_status)
        headroom = None
        if status is Status.BLOCK:
            headroom = linear_headroom(q0, s, ONE, ZERO, ONE, self.max_shares, q, ctx.lot)
        return self.result(ctx, status, symbol, headroom, q0, None, ctx.position_after, None)

    def describe(self, result: RuleResult) -> str:
        if result.detail == OUTSIDE:
            return describe_outside(result, "this position limit")
        return describe_exposure(result, "position")

    def screen(self, frame: BlockFrame, rows: Bools) -> Codes:
        size = frame.size
        codes, ambiguous = screen_linear(
            frame.pos0,
            frame.sign,
            np.ones(size),
            np.zeros(size),
            frame.q,
            1.0,
            float(self.max_shares),
            self.breach_status.rank,
        )
        codes[frame.asset_class_in(self.excluded)] = 0
        return frame.resolve(self, codes, ambiguous & rows)

    def breaches(self, projection: Projection) -> list[Breach]:
        out = []
        for symbol, qty in sorted(projection.quantities.items()):
            if projection.securities[symbol].asset_class in self.excluded:
                continue
            if abs(qty) > self.max_shares:
                message = (
                    f"{symbol}: position {qty:,} shares exceeds the {self.max_shares:,}-share limit"
                )
                out.append(self.breach(projection, symbol, message, value=qty))
        return out


@dataclass(frozen=True, slots=True, kw_only=True)
class PositionPctLimit(Rule):
    """The market value of any one security at most ``max_pct_nav`` % of NAV."""

    max_pct_nav: Decimal
    excluded: frozenset[AssetClass] = DEFAULT_POSITION_EXCLUDED

    rule_type: ClassVar[str] = "position_limit.max_pct_nav"
    basis: ClassVar[Basis] = Basis.MARKET_VALUE
    holding_based: ClassVar[bool] = True
    unit: ClassVar[str] = "money"
    limit_unit: ClassVar[str] = "% of NAV"

    @property
    def limit(self) -> Decimal:
        return self.max_pct_nav

    def status(self, ctx: TradeContext) -> Status:
        if ctx.security.asset_class in self.excluded:
            return Status.PASS
        p = ctx.reference_price
        return linear_status(
            ctx.position_before * p,
            ctx.sign * p,
            ctx.nav_before,
            ctx.nav_per_unit,
            HUNDRED,
            self.max_pct_nav,
            ctx.quantity,
            self.breach_status,
        )

    def evaluate(self, ctx: TradeContext) -> RuleResult:
        symbol = ctx.trade.symbol
        if ctx.security.asset_class in self.excluded:
            return self.result(ctx, Status.PASS, symbol, detail=OUTSIDE)
        p, q, n0 = ctx.reference_price, ctx.quantity, ctx.nav_before
        e0, e = ctx.position_before * p, ctx.sign * p
        limit = self.max_pct_nav
        status = linear_status(e0, e, n0, ctx.nav_per_unit, HUNDRED, limit, q, self.breach_status)
        headroom = None
        if status is Status.BLOCK:
            headroom = linear_headroom(e0, e, n0, ctx.nav_per_unit, HUNDRED, limit, q, ctx.lot)
        return self.result(
            ctx, status, symbol, headroom, e0, n0, ctx.position_after * p, ctx.nav_after
        )

    def describe(self, result: RuleResult) -> str:
        if result.detail == OUTSIDE:
            return describe_outside(result, "this position limit")
        return describe_exposure(result, "position")

    def screen(self, frame: BlockFrame, rows: Bools) -> Codes:
        p = frame.p
        codes, ambiguous = screen_linear(
            frame.pos0 * p,
            frame.sign * p,
            frame.nav0,
            frame.nav_per_unit,
            frame.q,
            100.0,
            float(self.max_pct_nav),
            self.breach_status.rank,
        )
        codes[frame.asset_class_in(self.excluded)] = 0
        return frame.resolve(self, codes, ambiguous & rows)

    def breaches(self, projection: Projection) -> list[Breach]:
        nav = projection.nav
        limit = self.max_pct_nav
        out = []
        for symbol, value in sorted(projection.market_values.items()):
            if projection.securities[symbol].asset_class in self.excluded:
                continue
            if nav <= ZERO or abs(value) * HUNDRED > limit * nav:
                pct = display_percent(value, nav)
                message = f"{symbol}: position {pct_text(pct)} of NAV exceeds the {limit}% limit"
                out.append(self.breach(projection, symbol, message, value=value, pct=pct))
        return out
