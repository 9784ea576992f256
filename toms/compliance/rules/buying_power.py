"""Cash / buying power: a buy must be paid for out of cash not already spoken for.

Available cash = settled cash − the cost of the account's working buys (+ the proceeds of its
working sells only if ``credit_open_sells``: by default they are not counted, since a sell may
not fill and its proceeds settle later). A buy passes while available cash − quantity ×
execution price stays at or above ``min_cash`` (exactly at it passes). Sells pass.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, ClassVar

import numpy as np

from toms.compliance.context import TradeContext
from toms.compliance.exact import ZERO, max_lots
from toms.compliance.projection import Projection
from toms.compliance.results import Basis, Breach, RuleResult, Status
from toms.compliance.rules.base import PASS_CODE, Bools, Codes, Rule
from toms.compliance.rules.exposure import TOLERANCE

if TYPE_CHECKING:
    from toms.compliance.block import BlockFrame


@dataclass(frozen=True, slots=True, kw_only=True)
class BuyingPower(Rule):
    min_cash: Decimal = ZERO
    credit_open_sells: bool = False

    rule_type: ClassVar[str] = "buying_power"
    basis: ClassVar[Basis] = Basis.NOTIONAL
    holding_based: ClassVar[bool] = True
    unit: ClassVar[str] = "money"
    limit_unit: ClassVar[str] = "money (minimum)"

    @property
    def limit(self) -> Decimal:
        return self.min_cash

    def status(self, ctx: TradeContext) -> Status:
        if not ctx.is_buy:
            return Status.PASS
        available = ctx.projection.available_cash(self.credit_open_sells)
        short = available - ctx.quantity * ctx.execution_price < self.min_cash
        return self.breach_status if short else Status.PASS

    def evaluate(self, ctx: TradeContext) -> RuleResult:
        available = ctx.projection.available_cash(self.credit_open_sells)
        if not ctx.is_buy:
            return self.result(ctx, Status.PASS, "cash", None, available)
        after = available - ctx.quantity * ctx.execution_price
        status = self.breach_status if after < self.min_cash else Status.PASS
        headroom = None
        if status is Status.BLOCK:
            lot = ctx.lot
            headroom = max(max_lots(ctx.execution_price, available - self.min_cash, lot), 0) * lot
        return self.result(ctx, status, "cash", headroom, available, None, after)

    def describe(self, result: RuleResult) -> str:
        available = result.current_value or ZERO
        if result.post_value is None:
            return f"a sell needs no cash (available {available:,})"
        after = result.post_value
        relation = "below" if after < self.min_cash else "at or above"
        return (
            f"available cash {available:,} less the order's {available - after:,} leaves "
            f"{after:,}, {relation} the {self.min_cash:,} minimum"
        )

    def screen(self, frame: BlockFrame, rows: Bools) -> Codes:
        available = frame.available_cash(self.credit_open_sells)
        cost = frame.q * frame.x
        after = available - cost
        limit = float(self.min_cash)
        short = frame.is_buy & (after < limit)
        codes = np.where(short, self.breach_status.rank, PASS_CODE).astype(np.int8)
        ambiguous = frame.is_buy & (
            np.abs(after - limit) <= TOLERANCE * (np.abs(available) + np.abs(cost) + abs(limit))
        )
        return frame.resolve(self, codes, ambiguous & rows)

    def breaches(self, projection: Projection) -> list[Breach]:
        cash = projection.account.cash
        if cash >= self.min_cash:
            return []
        message = f"settled cash {cash:,} is below the {self.min_cash:,} minimum"
        return [self.breach(projection, "cash", message, value=cash)]
