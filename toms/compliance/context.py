"""Everything a rule needs about one proposed order, derived once per check.

With ``q`` the order quantity, ``s`` its sign (+1 buy, −1 sell), ``p`` the reference price and
``x`` the execution price, the order moves the projection linearly:

    position  Q(q) = Q0 + s·q
    cash      C(q) = C0 − s·q·x
    NAV       N(q) = N0 + s·q·(p − x)      (holdings are valued at p, the trade settles at x)

which is what lets most rules solve for their headroom instead of searching for it.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from toms.compliance.exact import ONE
from toms.compliance.projection import Projection
from toms.compliance.trade import ProposedTrade
from toms.domain.reference import Account, Security


class TradeContext:
    """Read-only working state of one check (never stored, never compared).

    A plain slotted class rather than a frozen dataclass: one is built per check and per
    headroom probe, and a frozen dataclass's ``__init__`` costs several times more.
    """

    __slots__ = (
        "execution_price",
        "nav_after",
        "nav_before",
        "nav_per_unit",
        "position_after",
        "position_before",
        "projection",
        "quantity",
        "reference_price",
        "security",
        "sign",
        "trade",
    )

    def __init__(
        self,
        trade: ProposedTrade,
        projection: Projection,
        security: Security,
        quantity: Decimal,
        sign: Decimal,
        reference_price: Decimal,
        execution_price: Decimal,
        nav_per_unit: Decimal,
        nav_before: Decimal,
        position_before: Decimal,
    ) -> None:
        self.trade = trade
        self.projection = projection
        self.security = security
        self.quantity = quantity  # q: differs from trade.quantity while searching for headroom
        self.sign = sign  # s
        self.reference_price = reference_price  # p
        self.execution_price = execution_price  # x
        self.nav_per_unit = nav_per_unit  # n = s·(p − x): NAV change per unit of quantity
        self.nav_before = nav_before  # N0
        self.nav_after = nav_before + nav_per_unit * quantity  # N(q)
        self.position_before = position_before  # Q0 (projected, with working orders)
        self.position_after = position_before + sign * quantity  # Q(q)

    @property
    def account(self) -> Account:
        return self.projection.account

    @property
    def as_of(self) -> date:
        return self.projection.as_of

    @property
    def lot(self) -> Decimal:
        return self.security.lot_size

    @property
    def is_buy(self) -> bool:
        return self.trade.side.is_buy

    @classmethod
    def build(cls, trade: ProposedTrade, projection: Projection) -> TradeContext:
        security = projection.security(trade.symbol)
        p = projection.price(trade.symbol)
        x = trade.execution_price(p)
        s = ONE if trade.side.is_buy else -ONE
        return cls(
            trade,
            projection,
            security,
            trade.quantity,
            s,
            p,
            x,
            s * (p - x),
            projection.nav,
            projection.quantity(trade.symbol),
        )

    def at(self, quantity: Decimal) -> TradeContext:
        """The same order at another quantity (headroom search)."""
        return TradeContext(
            self.trade,
            self.projection,
            self.security,
            quantity,
            self.sign,
            self.reference_price,
            self.execution_price,
            self.nav_per_unit,
            self.nav_before,
            self.position_before,
        )
