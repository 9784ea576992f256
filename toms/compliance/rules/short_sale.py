"""Short-sale rules: no naked shorts, and no shorts where the account forbids them.

A long sale (side SELL) may sell what the account holds and has not already promised to a
working long sale (``Projection.sellable``: settled long position less open SELL orders;
working buys do not count, they may never fill). Anything beyond that is a short sale and must
be entered as SELL_SHORT with a locate from the stock-loan desk. Accounts with
``short_allowed = False`` may not short at all. On holdings, a short position in such an
account is a breach.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from toms.compliance.context import TradeContext
from toms.compliance.exact import ZERO, lots_down
from toms.compliance.projection import Projection
from toms.compliance.results import Basis, Breach, RuleResult, Status
from toms.compliance.rules.base import Bools, Codes, Rule
from toms.domain.values import Side

if TYPE_CHECKING:
    from toms.compliance.block import BlockFrame


@dataclass(frozen=True, slots=True, kw_only=True)
class ShortSaleRule(Rule):
    require_locate: bool = True

    rule_type: ClassVar[str] = "short_sale"
    basis: ClassVar[Basis] = Basis.QUANTITY
    holding_based: ClassVar[bool] = True
    unit: ClassVar[str] = "shares"

    def _problem(self, ctx: TradeContext) -> str | None:
        trade = ctx.trade
        account = ctx.account
        if trade.side is Side.SELL_SHORT:
            if not account.short_allowed:
                return f"account {account.account_id} may not sell short"
            if self.require_locate and not trade.locate_id:
                return "a short sale needs a locate id"
            return None
        if trade.side is Side.SELL:
            sellable = ctx.projection.sellable(trade.symbol)
            if ctx.quantity > sellable:
                excess = f"sell of {ctx.quantity:,} exceeds the {sellable:,} long shares available"
                if not account.short_allowed:
                    return f"{excess} and account {account.account_id} may not sell short"
                return f"{excess}: enter the excess as a short sale (SELL_SHORT) with a locate"
        return None

    def screen(self, frame: BlockFrame, rows: Bools) -> Codes:
        """Buys and covers cannot short: only sell rows are looked at, exactly."""
        return Rule.screen(self, frame, rows & ~frame.is_buy)

    def status(self, ctx: TradeContext) -> Status:
        return Status.PASS if self._problem(ctx) is None else self.breach_status

    def evaluate(self, ctx: TradeContext) -> RuleResult:
        trade = ctx.trade
        problem = self._problem(ctx)
        sellable = ctx.projection.sellable(trade.symbol)
        status = Status.PASS if problem is None else self.breach_status
        headroom = None
        if status is Status.BLOCK:
            # A long sale may still sell what is held; a short sale as entered may not proceed.
            headroom = lots_down(sellable, ctx.lot) if trade.side is Side.SELL else ZERO
        detail = problem or f"{trade.side.value} of {trade.symbol}: no naked short"
        return self.result(
            ctx,
            status,
            trade.symbol,
            headroom,
            current_value=sellable,
            post_value=ctx.quantity,
            detail=detail,
        )

    def describe(self, result: RuleResult) -> str:
        return result.detail

    def breaches(self, projection: Projection) -> list[Breach]:
        if projection.account.short_allowed:
            return []
        account = projection.account.account_id
        return [
            self.breach(
                projection,
                symbol,
                f"{symbol}: short {qty:,} in account {account}, which may not sell short",
                value=qty,
            )
            for symbol, qty in sorted(projection.quantities.items())
            if qty < ZERO
        ]
