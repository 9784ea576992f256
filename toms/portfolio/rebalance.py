"""Target weights -> orders, sized in whole lots, never spending cash the account lacks.

NAV is cash plus every holding at its last price. Each named symbol's target quantity is
``weight * NAV * (1 - cash_buffer) / price``; the order is the difference from what the
account holds, rounded toward zero to whole lots (so a position within a lot of its
target does not trade). A target of zero sells the whole
position (odd lots included). Holdings the PM does not name are left as they are. Buys are
sized after sells and, if the cash after sells would not pay for them all, scaled down by
one common factor (in whole lots) until it does.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from decimal import ROUND_DOWN, Decimal

from toms.domain.errors import InvalidOrder
from toms.domain.values import Side

ZERO = Decimal(0)
WEIGHT_TOLERANCE = Decimal("0.000001")


@dataclass(frozen=True, slots=True)
class Holding:
    symbol: str
    quantity: Decimal
    price: Decimal
    lot_size: Decimal = Decimal(1)


@dataclass(frozen=True, slots=True)
class ProposedOrder:
    symbol: str
    side: Side
    quantity: Decimal
    price: Decimal
    current_weight: Decimal
    target_weight: Decimal

    @property
    def notional(self) -> Decimal:
        return self.quantity * self.price


@dataclass(frozen=True, slots=True)
class RebalancePlan:
    nav: Decimal
    cash: Decimal
    orders: tuple[ProposedOrder, ...]


def rebalance(
    cash: Decimal,
    holdings: Mapping[str, Holding],
    targets: Mapping[str, Decimal],
    cash_buffer: Decimal = ZERO,
) -> RebalancePlan:
    """``holdings`` must include every targeted symbol (quantity 0 if not held) with a price."""
    total = sum(targets.values(), ZERO)
    if total > 1 + WEIGHT_TOLERANCE:
        raise InvalidOrder(f"target weights add up to {total}; they may add up to at most 1")
    for symbol, weight in targets.items():
        if weight < 0:
            raise InvalidOrder(f"target weight of {symbol} is negative: {weight}")
        held = holdings.get(symbol)
        if held is None or held.price <= 0:
            raise InvalidOrder(f"no price for {symbol}: cannot size its order")
    nav = cash + sum((h.quantity * h.price for h in holdings.values()), ZERO)
    if nav <= 0:
        raise InvalidOrder(f"account NAV is {nav}: nothing to rebalance")
    investable = nav * (1 - cash_buffer)
    sells: list[ProposedOrder] = []
    buys: list[ProposedOrder] = []
    for symbol, weight in sorted(targets.items()):
        h = holdings[symbol]
        delta = weight * investable / h.price - h.quantity
        if weight == 0:
            delta = -h.quantity  # sell out, odd lots included
        else:
            delta = _whole_lots(abs(delta), h.lot_size) * (1 if delta > 0 else -1)
        if delta == 0:
            continue
        order = ProposedOrder(
            symbol,
            Side.BUY if delta > 0 else Side.SELL,
            abs(delta),
            h.price,
            (h.quantity * h.price / nav),
            weight,
        )
        (buys if delta > 0 else sells).append(order)
    spendable = cash + sum((o.notional for o in sells), ZERO)
    return RebalancePlan(nav, cash, tuple(sells + _afford(buys, holdings, spendable)))


def _afford(
    buys: list[ProposedOrder], holdings: Mapping[str, Holding], spendable: Decimal
) -> list[ProposedOrder]:
    """Scale every buy down by the same factor, in whole lots, when cash falls short."""
    needed = sum((o.notional for o in buys), ZERO)
    if needed <= spendable:
        return buys
    factor = max(spendable, ZERO) / needed
    scaled = [
        replace(o, quantity=_whole_lots(o.quantity * factor, holdings[o.symbol].lot_size))
        for o in buys
    ]
    return [o for o in scaled if o.quantity > 0]


def _whole_lots(quantity: Decimal, lot_size: Decimal) -> Decimal:
    return (quantity / lot_size).to_integral_value(rounding=ROUND_DOWN) * lot_size
