"""US Investment Company Act of 1940, section 5(b)(1): the diversified-company test ("75-5-10").

At least ``diversified_pct`` (75) % of total assets must be in the *diversified bucket*:
cash, government securities, securities of other investment companies (asset classes CASH,
GOVERNMENT_BOND, FUND), and any other holding whose issuer is at most ``issuer_pct`` (5) % of
total assets and which is at most ``voting_pct`` (10) % of that security's outstanding voting
shares (``Security.shares_outstanding``; the voting test is skipped when it is unknown, as for
debt). Holdings that fail either test fall entirely into the remaining 25%.

Total assets = positive cash + Σ positive (long) market values; shorts and overdrafts are
liabilities, not assets. The bucket share is compared by cross-multiplication, so exactly 75%
passes and exactly 5% still qualifies.

Per projection we precompute each issuer's long value ``E`` and its voting-test-passing part
``V``, sorted by ``E`` with prefix sums of ``V``: for any total ``T`` the qualifying part of the
bucket is a prefix sum found by bisection, so one order is checked in O(log issuers) however
many positions the fund holds. Only the traded issuer's figures change with the order.
"""

from __future__ import annotations

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
from toms.compliance.rules.ucits import gap
from toms.domain.reference import Security
from toms.domain.values import AssetClass

if TYPE_CHECKING:
    from toms.compliance.block import BlockFrame

BUCKET_CLASSES = frozenset({AssetClass.CASH, AssetClass.GOVERNMENT_BOND, AssetClass.FUND})


def _voting_ok(security: Security, quantity: Decimal, voting_pct: Decimal) -> bool:
    outstanding = security.shares_outstanding
    return outstanding is None or quantity * HUNDRED <= voting_pct * outstanding


@dataclass(frozen=True, slots=True)
class DiversificationState:
    total_assets: Decimal
    cash_plus: Decimal
    excluded_long: Decimal  # long value of cash-like classes held as securities
    issuer_long: dict[str, Decimal]
    issuer_ok: dict[str, Decimal]
    sorted_long: list[Decimal]
    prefix_ok: list[Decimal]
    bucket: Decimal

    @classmethod
    def build(
        cls, projection: Projection, issuer_pct: Decimal, voting_pct: Decimal
    ) -> DiversificationState:
        cash_plus = max(projection.cash, ZERO)
        issuer_long, excluded = projection.long_by_issuer(BUCKET_CLASSES)
        total = cash_plus + excluded + sum(issuer_long.values(), ZERO)
        # the voting test only removes value: start from every issuer's long value and take
        # out the holdings above ``voting_pct`` of their security's voting shares
        issuer_ok = dict(issuer_long)
        securities = projection.securities
        values = projection.market_values
        for symbol, quantity in projection.quantities.items():
            security = securities[symbol]
            outstanding = security.shares_outstanding
            if (
                outstanding is not None
                and quantity * HUNDRED > voting_pct * outstanding
                and security.asset_class not in BUCKET_CLASSES
            ):
                issuer_ok[security.issuer] -= values[symbol]
        order = sorted(issuer_long, key=issuer_long.__getitem__)
        prefix = [ZERO]
        for issuer in order:
            prefix.append(prefix[-1] + issuer_ok.get(issuer, ZERO))
        sorted_long = [issuer_long[i] for i in order]
        qualifying = prefix[bisect_right(sorted_long, issuer_pct * total / HUNDRED)]
        return cls(
            total,
            cash_plus,
            excluded,
            issuer_long,
            issuer_ok,
            sorted_long,
            prefix,
            cash_plus + excluded + qualifying,
        )

    def gap(self, issuer_pct: Decimal) -> tuple[float, float]:
        """Issuer values either side of the 5% threshold at these total assets (as floats)."""
        return gap(self.sorted_long, issuer_pct * self.total_assets / HUNDRED)

    def qualifying(self, total: Decimal, issuer_pct: Decimal) -> Decimal:
        """Σ V over issuers whose long value is within ``issuer_pct`` % of ``total``."""
        return self.prefix_ok[bisect_right(self.sorted_long, issuer_pct * total / HUNDRED)]


@dataclass(frozen=True, slots=True)
class _After:
    bucket: Decimal
    total: Decimal
    issuer_value: Decimal  # the traded issuer's long value after the order


@dataclass(frozen=True, slots=True, kw_only=True)
class Ica1940Diversified(Rule):
    diversified_pct: Decimal = Decimal(75)
    issuer_pct: Decimal = Decimal(5)
    voting_pct: Decimal = Decimal(10)

    rule_type: ClassVar[str] = "ica_1940_diversified"
    basis: ClassVar[Basis] = Basis.MARKET_VALUE
    holding_based: ClassVar[bool] = True
    unit: ClassVar[str] = "money"
    limit_unit: ClassVar[str] = "% of total assets (minimum)"

    @property
    def limit(self) -> Decimal:
        return self.diversified_pct

    def state(self, projection: Projection) -> DiversificationState:
        return projection.memo(
            ("ica1940", self.issuer_pct, self.voting_pct),
            lambda: DiversificationState.build(projection, self.issuer_pct, self.voting_pct),
        )

    def _after(self, st: DiversificationState, ctx: TradeContext) -> _After:
        q = ctx.quantity
        p = ctx.reference_price
        cash_plus = max(ctx.projection.cash - ctx.sign * q * ctx.execution_price, ZERO)
        q0, q1 = ctx.position_before, ctx.position_after
        long0, long1 = max(q0 * p, ZERO), max(q1 * p, ZERO)
        total = st.total_assets - st.cash_plus + cash_plus - long0 + long1
        security = ctx.security
        if security.asset_class in BUCKET_CLASSES:
            bucket = (
                cash_plus + st.excluded_long - long0 + long1 + st.qualifying(total, self.issuer_pct)
            )
            return _After(bucket, total, ZERO)
        issuer = security.issuer
        e0 = st.issuer_long.get(issuer, ZERO)
        v0 = st.issuer_ok.get(issuer, ZERO)
        e1 = e0 - long0 + long1
        v1 = v0
        if _voting_ok(security, q0, self.voting_pct):
            v1 -= long0
        if _voting_ok(security, q1, self.voting_pct):
            v1 += long1
        threshold = self.issuer_pct * total / HUNDRED
        qualifying = st.qualifying(total, self.issuer_pct)
        if e0 <= threshold:
            qualifying -= v0
        if e1 <= threshold:
            qualifying += v1
        return _After(cash_plus + st.excluded_long + qualifying, total, e1)

    def _judge(self, st: DiversificationState, after: _After) -> tuple[bool, bool]:
        """(breached after the order, worse than before)."""
        breached = after.bucket * HUNDRED < self.diversified_pct * after.total
        if st.total_assets == ZERO:
            worse = after.bucket < after.total
        elif after.total == ZERO:
            worse = False
        else:
            worse = after.bucket * st.total_assets < st.bucket * after.total
        return breached, worse

    def status(self, ctx: TradeContext) -> Status:
        st = self.state(ctx.projection)
        breached, worse = self._judge(st, self._after(st, ctx))
        if not breached:
            return Status.PASS
        return self.breach_status if worse else Status.WARN

    def evaluate(self, ctx: TradeContext) -> RuleResult:
        st = self.state(ctx.projection)
        after = self._after(st, ctx)
        breached, worse = self._judge(st, after)
        status = Status.PASS if not breached else (self.breach_status if worse else Status.WARN)
        headroom = bisect_headroom(self, ctx) if status is Status.BLOCK else None
        detail = ""
        if status is not Status.PASS and ctx.security.asset_class not in BUCKET_CLASSES:
            weight = display_percent(after.issuer_value, after.total)
            detail = f"issuer {ctx.security.issuer} {pct_text(weight)} of total assets"
        return self.result(
            ctx,
            status,
            "fund",
            headroom,
            st.bucket,
            st.total_assets,
            after.bucket,
            after.total,
            detail,
        )

    def screen(self, frame: BlockFrame, rows: Bools) -> Codes:
        """Float screen of ``_after``/``_judge``. While the moved 5% threshold stays inside the
        gap between the issuers around it, the other issuers' part of the bucket does not
        change; rows where it does not, or close to any edge, are decided exactly."""
        size = frame.size
        cols = np.zeros((9, size))
        total0, cash_plus0, excl0, qual0, bucket0, below, above, e0, v0 = cols
        cash0, outstanding = np.zeros(size), np.full(size, np.nan)
        for i in np.flatnonzero(rows).tolist():
            projection = frame.projections[i]
            st = self.state(projection)
            security = frame.securities[i]
            total0[i], cash_plus0[i], excl0[i] = st.total_assets, st.cash_plus, st.excluded_long
            bucket0[i] = st.bucket
            qual0[i] = st.bucket - st.cash_plus - st.excluded_long
            below[i], above[i] = st.gap(self.issuer_pct)
            e0[i] = st.issuer_long.get(security.issuer, ZERO)
            v0[i] = st.issuer_ok.get(security.issuer, ZERO)
            cash0[i] = projection.cash
            if security.shares_outstanding is not None:
                outstanding[i] = security.shares_outstanding
        p, q, scale = frame.p, frame.q, frame.scale
        cash_plus1 = np.maximum(cash0 - frame.sign * q * frame.x, 0.0)
        long0 = np.maximum(frame.pos0 * p, 0.0)
        long1 = np.maximum(frame.pos1 * p, 0.0)
        total1 = total0 - cash_plus0 + cash_plus1 - long0 + long1
        t1 = float(self.issuer_pct) * total1 / 100.0
        vp = float(self.voting_pct)
        with np.errstate(invalid="ignore"):
            ok0 = np.isnan(outstanding) | (frame.pos0 * 100.0 <= vp * outstanding)
            ok1 = np.isnan(outstanding) | (frame.pos1 * 100.0 <= vp * outstanding)
            voting_near = ~np.isnan(outstanding) & (
                frame.near(frame.pos0 * 100.0, vp * outstanding, 100.0 * np.abs(frame.pos0) + q)
                | frame.near(frame.pos1 * 100.0, vp * outstanding, 100.0 * np.abs(frame.pos1) + q)
            )
        excluded = frame.asset_class_in(BUCKET_CLASSES)
        e1 = e0 - long0 + long1
        v1 = v0 - np.where(ok0, long0, 0.0) + np.where(ok1, long1, 0.0)
        issuer_part = np.where(e1 <= t1, v1, 0.0) - np.where(e0 <= t1, v0, 0.0)
        bucket1 = cash_plus1 + excl0 + qual0 + np.where(excluded, long1 - long0, issuer_part)
        dp = float(self.diversified_pct)
        lhs, rhs = bucket1 * 100.0, dp * total1
        breach = lhs < rhs
        wl, wr = bucket1 * total0, bucket0 * total1
        worse = np.where(total0 == 0, bucket1 < total1, wl < wr)
        codes = np.where(
            breach, np.where(worse, self.breach_status.rank, WARN_CODE), PASS_CODE
        ).astype(np.int8)
        with np.errstate(invalid="ignore"):
            outside = ~((below <= t1) & (t1 < above))
            ambiguous = (
                outside
                | frame.near(below, t1, scale)
                | frame.near(above, t1, scale)
                | (
                    ~excluded
                    & (voting_near | frame.near(e0, t1, scale) | frame.near(e1, t1, scale))
                )
                | frame.near(lhs, rhs, (100.0 + dp) * scale)
                | frame.near(total1, 0.0, scale)
                | (breach & frame.near(wl, wr, 2.0 * scale * scale))
                | (breach & (total0 == 0) & frame.near(bucket1, total1, scale))
            )
        return frame.resolve(self, codes, ambiguous & rows)

    def describe(self, result: RuleResult) -> str:
        bucket0, total0 = result.current_value or ZERO, result.current_base or ZERO
        bucket1, total1 = result.post_value or ZERO, result.post_base or ZERO
        worse = bucket1 * total0 < bucket0 * total1 if total0 and total1 else bucket1 < total1
        how = relation(result, worse, within="at or above", above="below")
        note = f"; {result.detail}" if result.detail else ""
        return (
            f"diversified bucket {pct_text(result.post_pct)} of total assets after the order "
            f"({pct_text(result.current_pct)} before), {how} the {self.diversified_pct}% "
            f"minimum{note}"
        )

    def breaches(self, projection: Projection) -> list[Breach]:
        st = self.state(projection)
        if st.bucket * HUNDRED >= self.diversified_pct * st.total_assets:
            return []
        threshold = self.issuer_pct * st.total_assets / HUNDRED
        large = sorted(i for i, v in st.issuer_long.items() if v > threshold)
        pct = display_percent(st.bucket, st.total_assets)
        detail = f"; issuers above {self.issuer_pct}%: {', '.join(large)}" if large else ""
        message = (
            f"diversified bucket {pct_text(pct)} of total assets is below the "
            f"{self.diversified_pct}% minimum{detail}"
        )
        return [self.breach(projection, "fund", message, value=st.bucket, pct=pct)]
