"""The account as the service layer sees it at check time: the input to every check.

The snapshot is what the service reads from its stores; the engine never reads anything else.
It memoises its projection (NAV and aggregates) because one snapshot typically serves many
checks — a PM sizing an order, a trader re-checking a block — and summing 500 positions again
for each would dominate the check.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from toms.domain.errors import InvalidValue
from toms.domain.ids import Symbol
from toms.domain.orders import Order
from toms.domain.reference import Account, Position, Security


@dataclass(frozen=True, slots=True)
class RealizedLoss:
    """A sale at a loss: a repurchase within the wash-sale window would disallow the loss."""

    symbol: Symbol
    realized_on: date


@dataclass(frozen=True, slots=True)
class PortfolioSnapshot:
    """One account's holdings, working orders and reference data at ``as_of``.

    ``positions`` are settled net quantities (negative when short). ``open_orders`` are the
    account's other working PM orders; only their open quantity counts (see ``projection``).
    ``prices`` are reference (last) prices for every held, ordered or traded security.
    NAV = ``account.cash`` + Σ position × price.
    """

    account: Account
    positions: Mapping[Symbol, Decimal]
    securities: Mapping[Symbol, Security]
    prices: Mapping[Symbol, Decimal]
    as_of: date
    open_orders: Sequence[Order] = ()
    realized_losses: Sequence[RealizedLoss] = ()
    _memo: dict[object, object] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if isinstance(self.as_of, datetime) or not isinstance(self.as_of, date):
            raise InvalidValue(f"snapshot as_of must be a date, got {self.as_of!r}")

    @staticmethod
    def positions_from(positions: Iterable[Position]) -> dict[Symbol, Decimal]:
        """Net quantities by symbol from domain ``Position`` values (summed per symbol)."""
        out: dict[Symbol, Decimal] = {}
        for p in positions:
            out[p.symbol] = out.get(p.symbol, Decimal(0)) + p.quantity
        return out
