"""Fat-finger checks on the order ticket itself: size, notional, and price sanity.

These catch typing errors (an extra zero, a price in cents) before anything else, so they
look only at the order and the reference price, never at the holdings.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, ClassVar

import numpy as np

from toms.compliance.context import TradeContext
from toms.compliance.exact import HUNDRED, ZERO, max_lots
from toms.compliance.results import Basis, RuleResult, Status
from toms.compliance.rules.base import PASS_CODE, Bools, Codes, Rule, pct_text
from toms.compliance.rules.exposure import TOLERANCE

if TYPE_CHECKING:
    from toms.compliance.block import BlockFrame


@dataclass(frozen=True, slots=True, kw_only=True)
class MaxOrderQuantity(Rule):
    """An order for more than ``max_quantity`` shares is a likely typo. Exactly at it passes."""

    max_quantity: Decimal

    rule_type: ClassVar[str] = "fat_finger.max_quantity"
    basis: ClassVar[Basis] = Basis.QUANTITY
    unit: ClassVar[str] = "shares"
    limit_unit: ClassVar[str] = "shares"

    @property
    def limit(self) -> Decimal:
        return self.max_quantity

    def status(self, ctx: TradeContext) -> Status:
        return self.breach_status if ctx.quantity > self.max_quantity else Status.PASS

    def evaluate(self, ctx: TradeContext) -> RuleResult:
        status = self.status(ctx)
        headroom = None
        if status is Status.BLOCK:
            headroom = (self.max_quantity // ctx.lot) * ctx.lot
        return self.result(ctx, status, ctx.trade.symbol, headroom, post_value=ctx.quantity)

    def describe(self, result: RuleResult) -> str:
        q = result.post_value or ZERO
        relation = "above" if q > self.max_quantity else "within"
        return f"order quantity {q:,} {relation} the {self.max_quantity:,}-share maximum"

    def screen(self, frame: BlockFrame, rows: Bools) -> Codes:
        limit = float(self.max_quantity)
        codes = np.where(frame.q > limit, self.breach_status.rank, PASS_CODE).astype(np.int8)
        ambiguous = np.abs(frame.q - limit) <= TOLERANCE * (frame.q + limit)
        return frame.resolve(self, codes, ambiguous & rows)


@dataclass(frozen=True, slots=True, kw_only=True)
class MaxOrderNotional(Rule):
    """Quantity × execution price above ``max_notional`` is a likely typo."""

    max_notional: Decimal

    rule_type: ClassVar[str] = "fat_finger.max_notional"
    basis: ClassVar[Basis] = Basis.NOTIONAL
    unit: ClassVar[str] = "money"
    limit_unit: ClassVar[str] = "money"

    @property
    def limit(self) -> Decimal:
        return self.max_notional

    def status(self, ctx: TradeContext) -> Status:
        over = ctx.quantity * ctx.execution_price > self.max_notional
        return self.breach_status if over else Status.PASS

    def evaluate(self, ctx: TradeContext) -> RuleResult:
        notional = ctx.quantity * ctx.execution_price
        status = self.breach_status if notional > self.max_notional else Status.PASS
        headroom = None
        if status is Status.BLOCK:
            lot = ctx.lot
            headroom = max(max_lots(ctx.execution_price, self.max_notional, lot), 0) * lot
        return self.result(ctx, status, ctx.trade.symbol, headroom, post_value=notional)

    def describe(self, result: RuleResult) -> str:
        notional = result.post_value or ZERO
        relation = "above" if notional > self.max_notional else "within"
        return f"order notional {notional:,} {relation} the {self.max_notional:,} maximum"

    def screen(self, frame: BlockFrame, rows: Bools) -> Codes:
        limit = float(self.max_notional)
        notional = frame.q * frame.x
        codes = np.where(notional > limit, self.breach_status.rank, PASS_CODE).astype(np.int8)
        ambiguous = np.abs(notional - limit) <= TOLERANCE * (notional + limit)
        return frame.resolve(self, codes, ambiguous & rows)


@dataclass(frozen=True, slots=True, kw_only=True)
class PriceCollar(Rule):
    """A limit or stop price more than ``max_deviation_pct`` % away from the reference price.

    Symmetric on purpose: a buy limit at a tenth of the market is as much a typo as one at
    ten times it. Market orders have no price to check and pass. Exactly at the collar passes.
    The figures are the larger deviation (in price) and the reference price as its base.
    """

    max_deviation_pct: Decimal

    rule_type: ClassVar[str] = "fat_finger.price_collar"
    basis: ClassVar[Basis] = Basis.PRICE
    unit: ClassVar[str] = "price"
    limit_unit: ClassVar[str] = "% from reference"

    @property
    def limit(self) -> Decimal:
        return self.max_deviation_pct

    def _deviation(self, ctx: TradeContext) -> Decimal | None:
        trade = ctx.trade
        p = ctx.reference_price
        limit, stop = trade.limit_price, trade.stop_price
        if limit is None:
            return None if stop is None else abs(stop - p)
        if stop is None:
            return abs(limit - p)
        return max(abs(limit - p), abs(stop - p))

    def status(self, ctx: TradeContext) -> Status:
        deviation = self._deviation(ctx)
        if deviation is None:
            return Status.PASS
        over = deviation * HUNDRED > self.max_deviation_pct * ctx.reference_price
        return self.breach_status if over else Status.PASS

    def evaluate(self, ctx: TradeContext) -> RuleResult:
        deviation = self._deviation(ctx)
        if deviation is None:
            return self.result(ctx, Status.PASS, ctx.trade.symbol)
        over = deviation * HUNDRED > self.max_deviation_pct * ctx.reference_price
        status = self.breach_status if over else Status.PASS
        return self.result(
            ctx, status, ctx.trade.symbol, None, post_value=deviation, post_base=ctx.reference_price
        )

    def describe(self, result: RuleResult) -> str:
        if result.post_value is None:
            return "market order: no limit or stop price to check"
        relation = "within" if result.status is Status.PASS else "beyond"
        return (
            f"limit/stop {pct_text(result.post_pct)} from the reference price "
            f"{result.post_base}, {relation} the {self.max_deviation_pct}% collar"
        )

    def screen(self, frame: BlockFrame, rows: Bools) -> Codes:
        p = frame.p
        deviation = np.maximum(
            np.where(np.isnan(frame.limit), 0.0, np.abs(frame.limit - p)),
            np.where(np.isnan(frame.stop), 0.0, np.abs(frame.stop - p)),
        )
        lhs = deviation * 100.0
        rhs = float(self.max_deviation_pct) * p
        codes = np.where(lhs > rhs, self.breach_status.rank, PASS_CODE).astype(np.int8)
        scale = (np.nan_to_num(frame.limit) + np.nan_to_num(frame.stop) + p) * 100.0
        ambiguous = np.abs(lhs - rhs) <= TOLERANCE * (scale + rhs)
        return frame.resolve(self, codes, ambiguous & rows)
