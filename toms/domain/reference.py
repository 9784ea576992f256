"""Reference data and holdings: securities, accounts, positions and tax lots.

These are immutable values. A change to a holding produces a new value, which keeps
compliance snapshots and allocation replays exact.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from toms.domain.errors import InvalidValue
from toms.domain.ids import AccountId, LotId, Symbol
from toms.domain.values import (
    ZERO,
    AssetClass,
    TaxLotMethod,
    non_negative,
    positive,
)


@dataclass(frozen=True, slots=True)
class Security:
    """A tradable instrument and the facts compliance and allocation need about it."""

    symbol: Symbol
    issuer: str
    sector: str
    country: str
    lot_size: Decimal = Decimal(1)
    asset_class: AssetClass = AssetClass.EQUITY
    currency: str = "USD"
    # Voting shares the issuer has outstanding: the 1940 Act 10%-of-issuer test needs it.
    shares_outstanding: Decimal | None = None

    def __post_init__(self) -> None:
        if not self.symbol or not self.symbol.strip():
            raise InvalidValue("security symbol must not be empty")
        positive(self.lot_size, f"{self.symbol} lot_size")
        if self.shares_outstanding is not None:
            positive(self.shares_outstanding, f"{self.symbol} shares_outstanding")


@dataclass(frozen=True, slots=True)
class Account:
    """A portfolio a PM manages. ``cash`` is settled cash in the base currency."""

    account_id: AccountId
    name: str
    base_currency: str = "USD"
    tax_lot_method: TaxLotMethod = TaxLotMethod.FIFO
    cash: Decimal = ZERO
    short_allowed: bool = True
    group: str = "default"

    def __post_init__(self) -> None:
        if not self.account_id or not self.account_id.strip():
            raise InvalidValue("account id must not be empty")


@dataclass(frozen=True, slots=True)
class TaxLot:
    """One acquisition (or, with negative quantity, one short sale) still held.

    ``cost_basis`` is the total basis of the remaining quantity, commission included.
    ``holding_start`` is the acquisition date, except where a wash sale carried an older
    holding period over from the lot that was sold at a loss.
    """

    lot_id: LotId
    account_id: AccountId
    symbol: Symbol
    trade_date: date
    quantity: Decimal
    cost_basis: Decimal
    holding_start: date | None = None
    wash_sale_adjustment: Decimal = ZERO

    def __post_init__(self) -> None:
        if self.quantity == ZERO:
            raise InvalidValue(f"tax lot {self.lot_id} must have a non-zero quantity")
        if self.quantity > ZERO:
            non_negative(self.cost_basis, f"tax lot {self.lot_id} cost_basis")

    @property
    def is_short(self) -> bool:
        return self.quantity < ZERO

    @property
    def unit_cost(self) -> Decimal:
        return self.cost_basis / self.quantity

    @property
    def holding_period_start(self) -> date:
        return self.holding_start or self.trade_date


@dataclass(frozen=True, slots=True)
class Position:
    """An account's net holding in one security (negative when short)."""

    account_id: AccountId
    symbol: Symbol
    quantity: Decimal
    lots: tuple[TaxLot, ...] = field(default=())

    @property
    def cost_basis(self) -> Decimal:
        return sum((lot.cost_basis for lot in self.lots), ZERO)

    @classmethod
    def from_lots(cls, account_id: AccountId, symbol: Symbol, lots: tuple[TaxLot, ...]) -> Position:
        return cls(account_id, symbol, sum((lot.quantity for lot in lots), ZERO), lots)
