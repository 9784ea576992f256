"""Concentration limits: net market value per issuer, sector or country as a share of NAV.

The order is checked against the group of the security it trades (a buy of IBM is checked
against issuer IBM, sector Technology, country US). Longs and shorts in a group net off; the
limit applies to the absolute net exposure. Asset classes in ``excluded`` are left out of the
group sums and orders in them are not checked (government bonds are not an issuer risk the
way a corporate is; cash is not a sector).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, ClassVar

from toms.compliance.context import TradeContext
from toms.compliance.exact import HUNDRED, ZERO, display_percent
from toms.compliance.projection import GroupBy, Projection
from toms.compliance.results import Basis, Breach, RuleResult, Status
from toms.compliance.rules.base import Bools, Codes, Rule, pct_text
from toms.compliance.rules.exposure import (
    describe_exposure,
    linear_headroom,
    linear_status,
    screen_linear,
)
from toms.compliance.rules.position import OUTSIDE, describe_outside
from toms.domain.values import AssetClass

if TYPE_CHECKING:
    from toms.compliance.block import BlockFrame

DEFAULT_ISSUER_EXCLUDED = frozenset({AssetClass.CASH, AssetClass.GOVERNMENT_BOND})
DEFAULT_GROUP_EXCLUDED = frozenset({AssetClass.CASH})


@dataclass(frozen=True, slots=True, kw_only=True)
class GroupConcentration(Rule):
    max_pct_nav: Decimal
    excluded: frozenset[AssetClass] = DEFAULT_GROUP_EXCLUDED

    by: ClassVar[GroupBy]
    basis: ClassVar[Basis] = Basis.MARKET_VALUE
    holding_based: ClassVar[bool] = True
    unit: ClassVar[str] = "money"
    limit_unit: ClassVar[str] = "% of NAV"

    @property
    def limit(self) -> Decimal:
        return self.max_pct_nav

    def _before(self, ctx: TradeContext) -> Decimal:
        key: str = getattr(ctx.security, self.by)
        return ctx.projection.group_exposure(self.by, self.excluded).get(key, ZERO)

    def status(self, ctx: TradeContext) -> Status:
        if ctx.security.asset_class in self.excluded:
            return Status.PASS
        return linear_status(
            self._before(ctx),
            ctx.sign * ctx.reference_price,
            ctx.nav_before,
            ctx.nav_per_unit,
            HUNDRED,
            self.max_pct_nav,
            ctx.quantity,
            self.breach_status,
        )

    def evaluate(self, ctx: TradeContext) -> RuleResult:
        subject = f"{self.by} {getattr(ctx.security, self.by)}"
        if ctx.security.asset_class in self.excluded:
            return self.result(ctx, Status.PASS, subject, detail=OUTSIDE)
        e0, e, n0, n = (
            self._before(ctx),
            ctx.sign * ctx.reference_price,
            ctx.nav_before,
            ctx.nav_per_unit,
        )
        q, limit = ctx.quantity, self.max_pct_nav
        status = linear_status(e0, e, n0, n, HUNDRED, limit, q, self.breach_status)
        headroom = None
        if status is Status.BLOCK:
            headroom = linear_headroom(e0, e, n0, n, HUNDRED, limit, q, ctx.lot)
        return self.result(ctx, status, subject, headroom, e0, n0, e0 + e * q, ctx.nav_after)

    def describe(self, result: RuleResult) -> str:
        if result.detail == OUTSIDE:
            return describe_outside(result, f"{self.by} limits")
        return describe_exposure(result, "exposure")

    def screen(self, frame: BlockFrame, rows: Bools) -> Codes:
        codes, ambiguous = screen_linear(
            frame.group_exposure(self.by, self.excluded),
            frame.sign * frame.p,
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
        for key, value in sorted(projection.group_exposure(self.by, self.excluded).items()):
            if nav <= ZERO or abs(value) * HUNDRED > limit * nav:
                pct = display_percent(value, nav)
                subject = f"{self.by} {key}"
                message = f"{subject}: exposure {pct_text(pct)} of NAV exceeds the {limit}% limit"
                out.append(self.breach(projection, subject, message, value=value, pct=pct))
        return out


@dataclass(frozen=True, slots=True, kw_only=True)
class IssuerConcentration(GroupConcentration):
    excluded: frozenset[AssetClass] = DEFAULT_ISSUER_EXCLUDED
    by: ClassVar[GroupBy] = "issuer"
    rule_type: ClassVar[str] = "issuer_concentration"


@dataclass(frozen=True, slots=True, kw_only=True)
class SectorConcentration(GroupConcentration):
    by: ClassVar[GroupBy] = "sector"
    rule_type: ClassVar[str] = "sector_concentration"


@dataclass(frozen=True, slots=True, kw_only=True)
class CountryConcentration(GroupConcentration):
    by: ClassVar[GroupBy] = "country"
    rule_type: ClassVar[str] = "country_concentration"
