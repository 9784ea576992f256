"""EU UCITS Directive art. 52(1)-(2): the 5/10/40 issuer-diversification rule.

Two tests on each issuer's long market value as a share of NAV:
- ``issuer_10``: no issuer above ``issuer_max_pct`` (10) % of NAV;
- ``aggregate_40``: the issuers above ``large_issuer_pct`` (5) % together at most
  ``aggregate_max_pct`` (40) % of NAV.
Exactly 10% passes; an issuer at exactly 5% is not "above 5%" and does not count towards 40%.
Government securities, deposits (cash) and other funds have their own UCITS limits and are
left out here (``excluded``).

They are separate rule units so each reports its own figures. Per projection the issuer values
are sorted with suffix sums, so the 40% aggregate at any NAV is one bisection; only the traded
issuer's value and the NAV move with the order.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, ClassVar

import numpy as np

from toms.compliance.context import TradeContext
from toms.compliance.exact import HUNDRED, ZERO, display_percent
from toms.compliance.projection import Projection
from toms.compliance.results import Basis, Breach, RuleResult, Status
from toms.compliance.rules.base import (
    PASS_CODE,
    WARN_CODE,
    Bools,
    Codes,
    Rule,
    bisect_headroom,
    pct_text,
    relation,
)
from toms.domain.values import AssetClass

if TYPE_CHECKING:
    from toms.compliance.block import BlockFrame

DEFAULT_UCITS_EXCLUDED = frozenset({AssetClass.CASH, AssetClass.GOVERNMENT_BOND, AssetClass.FUND})


@dataclass(frozen=True, slots=True)
class IssuerState:
    issuer_long: dict[str, Decimal]
    sorted_long: list[Decimal]  # ascending
    suffix: list[Decimal]  # suffix[i] = Σ sorted_long[i:]
    top: tuple[tuple[Decimal, str], ...]  # the two largest issuers

    @classmethod
    def build(cls, projection: Projection, excluded: frozenset[AssetClass]) -> IssuerState:
        issuer_long, _ = projection.long_by_issuer(excluded)
        ordered = sorted(issuer_long.items(), key=lambda item: item[1])
        values = [v for _, v in ordered]
        suffix = [ZERO] * (len(values) + 1)
        for i in range(len(values) - 1, -1, -1):
            suffix[i] = suffix[i + 1] + values[i]
        top = tuple((v, name) for name, v in reversed(ordered[-2:]))
        return cls(issuer_long, values, suffix, top)

    def above(self, threshold: Decimal) -> Decimal:
        """Σ of issuer values strictly above ``threshold``."""
        return self.suffix[bisect_right(self.sorted_long, threshold)]

    def gap(self, threshold: Decimal) -> tuple[float, float]:
        """The issuer values either side of ``threshold`` (largest ≤, smallest >), as floats:
        while a moved threshold stays between them, ``above`` does not change."""
        return gap(self.sorted_long, threshold)


def gap(values: list[Decimal], threshold: Decimal) -> tuple[float, float]:
    i = bisect_right(values, threshold)
    below = float(values[i - 1]) if i > 0 else -math.inf
    above = float(values[i]) if i < len(values) else math.inf
    return below, above


@dataclass(frozen=True, slots=True)
class _Move:
    issuer: str | None  # the traded issuer, None when its asset class is excluded
    before: Decimal
    after: Decimal


def _move(state: IssuerState, ctx: TradeContext, excluded: frozenset[AssetClass]) -> _Move:
    if ctx.security.asset_class in excluded:
        return _Move(None, ZERO, ZERO)
    p = ctx.reference_price
    issuer = ctx.security.issuer
    e0 = state.issuer_long.get(issuer, ZERO)
    delta = max(ctx.position_after * p, ZERO) - max(ctx.position_before * p, ZERO)
    return _Move(issuer, e0, e0 + delta)


def _codes(breach: Bools, worse: Bools, breach_code: int) -> Codes:
    return np.where(breach, np.where(worse, breach_code, WARN_CODE), PASS_CODE).astype(np.int8)


def _status(breached: bool, worse: bool, on_breach: Status) -> Status:
    if not breached:
        return Status.PASS
    return on_breach if worse else Status.WARN


@dataclass(frozen=True, slots=True, kw_only=True)
class _UcitsRule(Rule):
    excluded: frozenset[AssetClass] = DEFAULT_UCITS_EXCLUDED
    basis: ClassVar[Basis] = Basis.MARKET_VALUE
    holding_based: ClassVar[bool] = True
    unit: ClassVar[str] = "money"
    limit_unit: ClassVar[str] = "% of NAV"

    def state(self, projection: Projection) -> IssuerState:
        return projection.memo(
            ("ucits", self.excluded), lambda: IssuerState.build(projection, self.excluded)
        )


def _worse(result: RuleResult) -> bool:
    n0, n1 = result.current_base or ZERO, result.post_base or ZERO
    v0, v1 = result.current_value or ZERO, result.post_value or ZERO
    return n1 <= ZERO or n0 <= ZERO or v1 * n0 > v0 * n1


@dataclass(frozen=True, slots=True, kw_only=True)
class UcitsIssuerLimit(_UcitsRule):
    """No single issuer above ``issuer_max_pct`` % of NAV (the "10" of 5/10/40)."""

    issuer_max_pct: Decimal = Decimal(10)
    rule_type: ClassVar[str] = "ucits_5_10_40.issuer_10"

    @property
    def limit(self) -> Decimal:
        return self.issuer_max_pct

    def _figures(self, ctx: TradeContext) -> tuple[Decimal, Decimal, str, bool, bool]:
        st = self.state(ctx.projection)
        mv = _move(st, ctx, self.excluded)
        max0 = st.top[0][0] if st.top else ZERO
        other = next(((v, n) for v, n in st.top if n != mv.issuer), (ZERO, "-"))
        if mv.issuer is not None and mv.after >= other[0]:
            max1, name1 = mv.after, mv.issuer
        else:
            max1, name1 = other
        n0, n1 = ctx.nav_before, ctx.nav_after
        breached = n1 <= ZERO or max1 * HUNDRED > self.issuer_max_pct * n1
        worse = n1 <= ZERO or n0 <= ZERO or max1 * n0 > max0 * n1
        return max0, max1, name1, breached, worse

    def status(self, ctx: TradeContext) -> Status:
        *_, breached, worse = self._figures(ctx)
        return _status(breached, worse, self.breach_status)

    def evaluate(self, ctx: TradeContext) -> RuleResult:
        max0, max1, name1, breached, worse = self._figures(ctx)
        status = _status(breached, worse, self.breach_status)
        headroom = bisect_headroom(self, ctx) if status is Status.BLOCK else None
        return self.result(
            ctx, status, f"issuer {name1}", headroom, max0, ctx.nav_before, max1, ctx.nav_after
        )

    def screen(self, frame: BlockFrame, rows: Bools) -> Codes:
        size = frame.size
        max0, other, e0 = np.zeros(size), np.zeros(size), np.zeros(size)
        for i in np.flatnonzero(rows).tolist():
            st = self.state(frame.projections[i])
            top = st.top
            max0[i] = float(top[0][0]) if top else 0.0
            issuer = frame.securities[i].issuer
            e0[i] = float(st.issuer_long.get(issuer, ZERO))
            other[i] = next((float(v) for v, n in top if n != issuer), 0.0)
        excluded = frame.asset_class_in(self.excluded)
        other = np.where(excluded, max0, other)
        p = frame.p
        e1 = e0 + np.maximum(frame.pos1 * p, 0.0) - np.maximum(frame.pos0 * p, 0.0)
        max1 = np.where(excluded, other, np.maximum(other, e1))
        n0, n1, scale = frame.nav0, frame.nav1, frame.scale
        limit = float(self.issuer_max_pct)
        lhs, rhs = max1 * 100.0, limit * n1
        wl, wr = max1 * n0, max0 * n1
        breach = (n1 <= 0) | (lhs > rhs)
        worse = (n1 <= 0) | (n0 <= 0) | (wl > wr)
        codes = _codes(breach, worse, self.breach_status.rank)
        ambiguous = (
            frame.near(n1, 0.0, scale)
            | frame.near(lhs, rhs, (100.0 + limit) * scale)
            | (breach & frame.near(wl, wr, 2.0 * scale * scale))
        )
        return frame.resolve(self, codes, ambiguous & rows)

    def describe(self, result: RuleResult) -> str:
        return (
            f"largest issuer ({result.subject}) {pct_text(result.post_pct)} of NAV after the "
            f"order (largest {pct_text(result.current_pct)} before), "
            f"{relation(result, _worse(result))} the {self.issuer_max_pct}% limit"
        )

    def breaches(self, projection: Projection) -> list[Breach]:
        st = self.state(projection)
        nav = projection.nav
        out = []
        for issuer, value in sorted(st.issuer_long.items()):
            if nav <= ZERO or value * HUNDRED > self.issuer_max_pct * nav:
                pct = display_percent(value, nav)
                message = (
                    f"issuer {issuer} {pct_text(pct)} of NAV exceeds the "
                    f"{self.issuer_max_pct}% limit"
                )
                out.append(self.breach(projection, f"issuer {issuer}", message, value, pct))
        return out


@dataclass(frozen=True, slots=True, kw_only=True)
class UcitsAggregateLimit(_UcitsRule):
    """Issuers above ``large_issuer_pct`` % together at most ``aggregate_max_pct`` % of NAV."""

    large_issuer_pct: Decimal = Decimal(5)
    aggregate_max_pct: Decimal = Decimal(40)
    rule_type: ClassVar[str] = "ucits_5_10_40.aggregate_40"

    @property
    def limit(self) -> Decimal:
        return self.aggregate_max_pct

    def _aggregate(self, st: IssuerState, mv: _Move, nav: Decimal) -> Decimal:
        threshold = self.large_issuer_pct * nav / HUNDRED
        total = st.above(threshold)
        if mv.issuer is not None:
            if mv.before > threshold:
                total -= mv.before
            if mv.after > threshold:
                total += mv.after
        return total

    def _figures(self, ctx: TradeContext) -> tuple[Decimal, Decimal, bool, bool]:
        st = self.state(ctx.projection)
        n0, n1 = ctx.nav_before, ctx.nav_after
        s0 = st.above(self.large_issuer_pct * n0 / HUNDRED)
        s1 = self._aggregate(st, _move(st, ctx, self.excluded), n1)
        breached = n1 <= ZERO or s1 * HUNDRED > self.aggregate_max_pct * n1
        worse = n1 <= ZERO or n0 <= ZERO or s1 * n0 > s0 * n1
        return s0, s1, breached, worse

    def status(self, ctx: TradeContext) -> Status:
        *_, breached, worse = self._figures(ctx)
        return _status(breached, worse, self.breach_status)

    def evaluate(self, ctx: TradeContext) -> RuleResult:
        s0, s1, breached, worse = self._figures(ctx)
        status = _status(breached, worse, self.breach_status)
        headroom = bisect_headroom(self, ctx) if status is Status.BLOCK else None
        return self.result(ctx, status, "fund", headroom, s0, ctx.nav_before, s1, ctx.nav_after)

    def _at_nav(self, projection: Projection) -> tuple[float, float, float]:
        """Pre-order aggregate and the threshold gap around it, memoised per projection."""

        def build() -> tuple[float, float, float]:
            st = self.state(projection)
            threshold = self.large_issuer_pct * projection.nav / HUNDRED
            return (float(st.above(threshold)), *st.gap(threshold))

        return projection.memo(("ucits-aggregate", self.excluded, self.large_issuer_pct), build)

    def screen(self, frame: BlockFrame, rows: Bools) -> Codes:
        """Float screen: while the NAV move keeps the 5% threshold inside the gap between the
        issuers around it, the other issuers' sum is unchanged and only the traded issuer
        moves. Rows where it does not, or that are close to any edge, are decided exactly."""
        size = frame.size
        s_all, below, above, e0 = np.zeros(size), np.zeros(size), np.zeros(size), np.zeros(size)
        for i in np.flatnonzero(rows).tolist():
            projection = frame.projections[i]
            s_all[i], below[i], above[i] = self._at_nav(projection)
            issuer = frame.securities[i].issuer
            e0[i] = float(self.state(projection).issuer_long.get(issuer, ZERO))
        excluded = frame.asset_class_in(self.excluded)
        p = frame.p
        e1 = e0 + np.maximum(frame.pos1 * p, 0.0) - np.maximum(frame.pos0 * p, 0.0)
        n0, n1, scale = frame.nav0, frame.nav1, frame.scale
        t1 = float(self.large_issuer_pct) * n1 / 100.0
        moved = np.where(excluded, 0.0, np.where(e1 > t1, e1, 0.0) - np.where(e0 > t1, e0, 0.0))
        s1 = s_all + moved
        limit = float(self.aggregate_max_pct)
        lhs, rhs = s1 * 100.0, limit * n1
        wl, wr = s1 * n0, s_all * n1
        breach = (n1 <= 0) | (lhs > rhs)
        worse = (n1 <= 0) | (n0 <= 0) | (wl > wr)
        codes = _codes(breach, worse, self.breach_status.rank)
        with np.errstate(invalid="ignore"):
            outside = ~((below <= t1) & (t1 < above))
            ambiguous = (
                outside
                | frame.near(below, t1, scale)
                | frame.near(above, t1, scale)
                | (~excluded & (frame.near(e0, t1, scale) | frame.near(e1, t1, scale)))
                | frame.near(n1, 0.0, scale)
                | frame.near(lhs, rhs, (100.0 + limit) * scale)
                | (breach & frame.near(wl, wr, 2.0 * scale * scale))
            )
        return frame.resolve(self, codes, ambiguous & rows)

    def describe(self, result: RuleResult) -> str:
        return (
            f"issuers above {self.large_issuer_pct}% of NAV total {pct_text(result.post_pct)} "
            f"after the order ({pct_text(result.current_pct)} before), "
            f"{relation(result, _worse(result))} the {self.aggregate_max_pct}% limit"
        )

    def breaches(self, projection: Projection) -> list[Breach]:
        st = self.state(projection)
        nav = projection.nav
        threshold = self.large_issuer_pct * nav / HUNDRED
        total = st.above(threshold)
        if nav > ZERO and total * HUNDRED <= self.aggregate_max_pct * nav:
            return []
        large = sorted(i for i, v in st.issuer_long.items() if v > threshold)
        pct = display_percent(total, nav)
        message = (
            f"issuers above {self.large_issuer_pct}% ({', '.join(large)}) total "
            f"{pct_text(pct)} of NAV, above the {self.aggregate_max_pct}% limit"
        )
        return [self.breach(projection, "fund", message, total, pct)]
