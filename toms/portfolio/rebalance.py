"""Target weights -> orders, sized in whole lots, never spending cash the account lacks.

NAV is cash plus every holding at its last price. Each named symbol's target quantity is
``weight * NAV * (1 - cash_buffer) / price``, rounded down to the security's lot size; the
order is the difference from what the account holds. A target of zero sells the whole
position (odd lots included). Holdings the PM does not name are left as they are. Buys are
sized after sells, and cut back (largest first, by whole lots) if the cash after sells
would not pay for them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
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
        target_qty = _whole_lots(weight * investable / h.price, h.lot_size)
        delta = target_qty - h.quantity
        if weight == 0 and h.quantity > 0:
            delta = -h.quantity
        elif abs(delta) < h.lot_size:
            continue
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
    needed = sum((o.notional for o in buys), ZERO)
    trimmed = sorted(buys, key=lambda o: o.notional, reverse=True)
    i = 0
    while needed > spendable and trimmed:
        o = trimmed[i % len(trimmed)]
        lot = holdings[o.symbol].lot_size
        if o.quantity >= lot:
            cut = ProposedOrder(
                o.symbol,
                o.side,
                o.quantity - lot,
                o.price,
                o.current_weight,
                o.target_weight,
            )
            trimmed[i % len(trimmed)] = cut
            needed -= lot * o.price
        i += 1
        if all(t.quantity < holdings[t.symbol].lot_size for t in trimmed):
            break
    kept = [o for o in trimmed if o.quantity > 0]
    return sorted(kept, key=lambda o: o.symbol)


def _whole_lots(quantity: Decimal, lot_size: Decimal) -> Decimal:
    return (quantity / lot_size).to_integral_value(rounding=ROUND_DOWN) * lot_size
