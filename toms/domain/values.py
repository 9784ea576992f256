"""Enumerations and Decimal helpers shared by every layer.

The enum values are toms' own names; FIX codes live only in ``toms.fix.codec``.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum

from toms.domain.errors import InvalidValue

ZERO = Decimal(0)


class Side(StrEnum):
    BUY = "buy"
    SELL = "sell"
    SELL_SHORT = "sell_short"
    BUY_TO_COVER = "buy_to_cover"

    @property
    def is_buy(self) -> bool:
        """Buys and covers add to the position; sells and shorts reduce it."""
        return self in (Side.BUY, Side.BUY_TO_COVER)

    @property
    def sign(self) -> int:
        return 1 if self.is_buy else -1

    @property
    def opens_lot(self) -> bool:
        """A buy opens a long lot and a short sale a short one; the others relieve lots."""
        return self in (Side.BUY, Side.SELL_SHORT)


class OrderType(StrEnum):
    MARKET = "market"
    LIMIT = "limit"
    STOP = "stop"
    STOP_LIMIT = "stop_limit"

    @property
    def needs_limit_price(self) -> bool:
        return self in (OrderType.LIMIT, OrderType.STOP_LIMIT)

    @property
    def needs_stop_price(self) -> bool:
        return self in (OrderType.STOP, OrderType.STOP_LIMIT)


class TimeInForce(StrEnum):
    DAY = "day"
    GTC = "gtc"
    IOC = "ioc"
    FOK = "fok"
    GTD = "gtd"


class AssetClass(StrEnum):
    EQUITY = "equity"
    ETF = "etf"
    FUND = "fund"  # another investment company: excluded from the 1940 Act diversification test
    GOVERNMENT_BOND = "government_bond"  # government securities: excluded too
    CORPORATE_BOND = "corporate_bond"
    CASH = "cash"


class TaxLotMethod(StrEnum):
    FIFO = "fifo"
    LIFO = "lifo"
    HIFO = "hifo"
    MIN_TAX = "min_tax"
    SPECIFIC = "specific"


def to_decimal(value: object, field: str) -> Decimal:
    """Parse ``value`` into a finite Decimal, refusing floats so no binary rounding sneaks in."""
    if isinstance(value, bool | float):
        raise InvalidValue(f"{field}: {value!r} must be given as a string or integer, not float")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int | str):
        try:
            result = Decimal(str(value).strip())
        except InvalidOperation:
            raise InvalidValue(f"{field}: {value!r} is not a number") from None
    else:
        raise InvalidValue(f"{field}: {value!r} is not a number")
    if not result.is_finite():
        raise InvalidValue(f"{field}: {value!r} is not a finite number")
    return result


def positive(value: Decimal, field: str) -> Decimal:
    if value <= ZERO:
        raise InvalidValue(f"{field} must be positive, got {value}")
    return value


def non_negative(value: Decimal, field: str) -> Decimal:
    if value < ZERO:
        raise InvalidValue(f"{field} must not be negative, got {value}")
    return value


def require_utc(moment: datetime, field: str) -> datetime:
    """Every time in toms is timezone-aware; a naive one is a bug at the edge that produced it."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise InvalidValue(f"{field} must be timezone-aware UTC, got naive {moment.isoformat()}")
    return moment
