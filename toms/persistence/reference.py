"""Securities, accounts and tax lots."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from operator import attrgetter
from typing import Any

from toms.domain.errors import UnknownOrder
from toms.domain.ids import AccountId, LotId, Symbol
from toms.domain.reference import Account, Security, TaxLot
from toms.domain.values import ZERO, AssetClass, TaxLotMethod
from toms.persistence.cache import WriterCache
from toms.persistence.sql import Db

_SECURITY = (
    "SELECT symbol, issuer, sector, country, lot_size, asset_class, currency, "
    "shares_outstanding, last_price FROM securities"
)


class SecurityRepository:
    def __init__(self, db: Db, cache: WriterCache | None = None) -> None:
        self._db = db
        self._cache = cache

    def get(self, symbol: str) -> Security | None:
        found = self._get(symbol)
        return found[0] if found else None

    def _get(self, symbol: str) -> tuple[Security, Decimal | None] | None:
        """The security and its last price."""
        cache = self._cache
        if cache is not None:
            cached: tuple[Security, Decimal | None] | None = cache.securities.get(symbol)
            if cached is not None:
                return cached
        row = self._db.one(_SECURITY + " WHERE symbol = ?", (symbol,))
        if row is None:
            return None
        found = self._security(row), self._db.codec.to_dec(row[-1])
        if cache is not None:
            cache.securities.put(symbol, found)
        return found

    def all(self) -> list[Security]:
        return [self._security(r) for r in self._db.all(_SECURITY + " ORDER BY symbol")]

    def save(self, security: Security, last_price: Decimal | None = None) -> None:
        """Reference fields follow ``security``; the stored price changes only if given."""
        c = self._db.codec
        values = (
            security.issuer,
            security.sector,
            security.country,
            c.dec(security.lot_size),
            security.asset_class.value,
            security.currency,
            c.dec(security.shares_outstanding),
        )
        changed = self._db.run(
            "UPDATE securities SET issuer = ?, sector = ?, country = ?, lot_size = ?, "
            "asset_class = ?, currency = ?, shares_outstanding = ? WHERE symbol = ?",
            (*values, security.symbol),
        )
        if not changed:
            self._db.run(
                "INSERT INTO securities (issuer, sector, country, lot_size, asset_class, "
                "currency, shares_outstanding, symbol, last_price) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (*values, security.symbol, c.dec(last_price)),
            )
        elif last_price is not None:
            self.set_price(security.symbol, last_price)
        if self._cache is not None:
            self._cache.securities.forget(security.symbol)

    def set_price(self, symbol: str, price: Decimal) -> None:
        changed = self._db.run(
            "UPDATE securities SET last_price = ? WHERE symbol = ?",
            (self._db.codec.dec(price), symbol),
        )
        if not changed:
            raise UnknownOrder(f"unknown security {symbol}")
        if self._cache is not None:
            self._cache.securities.forget(symbol)

    def price(self, symbol: str) -> Decimal | None:
        found = self._get(symbol)
        return found[1] if found else None

    def prices(self) -> dict[Symbol, Decimal]:
        rows = self._db.all("SELECT symbol, last_price FROM securities")
        to_dec = self._db.codec.to_dec
        return {Symbol(s): to_dec(p) for s, p in rows if p is not None}  # type: ignore[misc]

    def _security(self, row: tuple[Any, ...]) -> Security:
        symbol, issuer, sector, country, lot_size, asset_class, currency, outstanding = row[:8]
        to_dec = self._db.codec.to_dec
        return Security(
            symbol=Symbol(symbol),
            issuer=issuer,
            sector=sector,
            country=country,
            lot_size=to_dec(lot_size),  # type: ignore[arg-type]
            asset_class=AssetClass(asset_class),
            currency=currency,
            shares_outstanding=to_dec(outstanding),
        )


_ACCOUNT = (
    "SELECT account_id, name, base_currency, tax_lot_method, cash, short_allowed, "
    "account_group FROM accounts"
)


class AccountRepository:
    def __init__(self, db: Db) -> None:
        self._db = db

    def get(self, account_id: str) -> Account | None:
        row = self._db.one(_ACCOUNT + " WHERE account_id = ?", (account_id,))
        return self._account(row) if row else None

    def all(self) -> list[Account]:
        return [self._account(r) for r in self._db.all(_ACCOUNT + " ORDER BY account_id")]

    def save(self, account: Account) -> None:
        c = self._db.codec
        values = (
            account.name,
            account.base_currency,
            account.tax_lot_method.value,
            c.dec(account.cash),
            c.flag(account.short_allowed),
            account.group,
            account.account_id,
        )
        changed = self._db.run(
            "UPDATE accounts SET name = ?, base_currency = ?, tax_lot_method = ?, cash = ?, "
            "short_allowed = ?, account_group = ? WHERE account_id = ?",
            values,
        )
        if not changed:
            self._db.run(
                "INSERT INTO accounts (name, base_currency, tax_lot_method, cash, "
                "short_allowed, account_group, account_id, version) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, 0)",
                values,
            )

    def _account(self, row: tuple[Any, ...]) -> Account:
        account_id, name, currency, method, cash, short_allowed, group = row
        c = self._db.codec
        return Account(
            account_id=AccountId(account_id),
            name=name,
            base_currency=currency,
            tax_lot_method=TaxLotMethod(method),
            cash=c.to_dec(cash),  # type: ignore[arg-type]
            short_allowed=c.to_flag(short_allowed),
            group=group,
        )


_LOT = (
    "SELECT lot_id, account_id, symbol, trade_date, quantity, cost_basis, holding_start, "
    "wash_sale_adjustment FROM tax_lots"
)


_INSERT_LOT = (
    "INSERT INTO tax_lots (lot_id, account_id, symbol, trade_date, quantity, cost_basis, "
    "holding_start, wash_sale_adjustment) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)


_BOOKING_ORDER = attrgetter("trade_date", "lot_id")


def _holding_key(account_id: str, symbol: str) -> str:
    return f"{account_id}\x00{symbol}"


class TaxLotRepository:
    """Lots as the single writer books them. It remembers each account's lots in a security
    and its positions (``WriterCache``), so that neither booking a trade nor checking an
    order reads all of an account's lots again."""

    def __init__(self, db: Db, cache: WriterCache | None = None) -> None:
        self._db = db
        self._cache = cache

    def for_account(self, account_id: str) -> list[TaxLot]:
        """All the account's lots (reports, the API); one security's: ``holding``."""
        rows = self._db.all(
            _LOT + " WHERE account_id = ? ORDER BY trade_date, lot_id", (account_id,)
        )
        return [self._lot(r) for r in rows]

    def holding(self, account_id: str, symbol: str) -> tuple[TaxLot, ...]:
        """The account's lots in one security, oldest first (by trade date, then lot id).

        Sorted here, not by the database, whose collation of lot ids may differ (SQLite's
        is by code point, PostgreSQL's by locale): the lots a method relieves first must
        not depend on the database.
        """
        cache, key = self._cache, _holding_key(account_id, symbol)
        if cache is not None:
            cached: tuple[TaxLot, ...] | None = cache.lots.get(key)
            if cached is not None:
                return cached
        rows = self._db.all(_LOT + " WHERE account_id = ? AND symbol = ?", (account_id, symbol))
        lots = tuple(sorted(map(self._lot, rows), key=_BOOKING_ORDER))
        if cache is not None:
            cache.lots.put(key, lots)
        return lots

    def positions(self, account_id: str) -> dict[Symbol, Decimal]:
        """The account's net quantity per security held (a short position is negative)."""
        cache = self._cache
        if cache is not None:
            cached: dict[Symbol, Decimal] | None = cache.positions.get(account_id)
            if cached is not None:
                return dict(cached)
        held: dict[Symbol, Decimal] = {}
        to_dec = self._db.codec.to_dec
        rows = self._db.all(
            "SELECT symbol, quantity FROM tax_lots WHERE account_id = ?", (account_id,)
        )
        for symbol, quantity in rows:
            held[symbol] = held.get(symbol, ZERO) + to_dec(quantity)
        if cache is not None:
            cache.positions.put(account_id, dict(held))
        return held

    def all(self) -> list[TaxLot]:
        return [self._lot(r) for r in self._db.all(_LOT + " ORDER BY account_id, lot_id")]

    def rebook(
        self, account_id: str, symbol: str, before: Iterable[TaxLot], after: Iterable[TaxLot]
    ) -> None:
        """Store the result of a relief or purchase: ``before`` as read, ``after`` as booked.

        Only the lots the trade closed, changed or opened are written, so booking costs
        the same whether the account holds ten lots or ten thousand.
        """
        old = {lot.lot_id: lot for lot in before}
        new = {lot.lot_id: lot for lot in after}
        self._db.run_many(
            "DELETE FROM tax_lots WHERE lot_id = ?", ((i,) for i in old.keys() - new.keys())
        )
        # Lots the trade left alone come back as the same objects: skip comparing them.
        changed = [
            lot for i, lot in new.items() if i in old and old[i] is not lot and old[i] != lot
        ]
        self._db.run_many(
            "UPDATE tax_lots SET trade_date = ?, quantity = ?, cost_basis = ?, "
            "holding_start = ?, wash_sale_adjustment = ? WHERE lot_id = ?",
            ((*self._values(lot)[3:], lot.lot_id) for lot in changed),
        )
        opened = (self._values(lot) for i, lot in new.items() if i not in old)
        self._db.run_many(_INSERT_LOT, opened)
        cache = self._cache
        if cache is not None:
            ordered = sorted(new.values(), key=_BOOKING_ORDER)  # as ``holding`` sorts them
            cache.lots.put(_holding_key(account_id, symbol), tuple(ordered))
            held: dict[Symbol, Decimal] | None = cache.positions.get(account_id)
            if held is not None:
                held = {s: q for s, q in held.items() if s != symbol}
                if ordered:
                    held[Symbol(symbol)] = sum((lot.quantity for lot in ordered), ZERO)
                cache.positions.put(account_id, held)

    def add(self, lot: TaxLot) -> None:
        self._db.run(_INSERT_LOT, self._values(lot))
        if self._cache is not None:
            self._cache.lots.forget(_holding_key(lot.account_id, lot.symbol))
            self._cache.positions.forget(lot.account_id)

    def _values(self, lot: TaxLot) -> tuple[Any, ...]:
        c = self._db.codec
        return (
            lot.lot_id,
            lot.account_id,
            lot.symbol,
            c.day(lot.trade_date),
            c.dec(lot.quantity),
            c.dec(lot.cost_basis),
            c.day(lot.holding_start),
            c.dec(lot.wash_sale_adjustment),
        )

    def _lot(self, row: tuple[Any, ...]) -> TaxLot:
        lot_id, account_id, symbol, trade_date, quantity, basis, holding_start, wash = row
        c = self._db.codec
        return TaxLot(
            lot_id=LotId(lot_id),
            account_id=AccountId(account_id),
            symbol=Symbol(symbol),
            trade_date=c.to_day(trade_date),  # type: ignore[arg-type]
            quantity=c.to_dec(quantity),  # type: ignore[arg-type]
            cost_basis=c.to_dec(basis),  # type: ignore[arg-type]
            holding_start=c.to_day(holding_start),
            wash_sale_adjustment=c.to_dec(wash),  # type: ignore[arg-type]
        )
