"""Allocation records, realized lots, wash sales and pending losses."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from toms.allocation.taxlots import RealizedLot
from toms.allocation.wash_sales import PendingLoss, WashSale
from toms.persistence.sql import Db


@dataclass(frozen=True, slots=True)
class AllocationEntry:
    """One allocation of one block: the replayable record and its FIX instruction state."""

    alloc_id: str
    block_id: str
    record: dict[str, Any]
    status: str  # booked | instructed | accepted | rejected
    broker: str | None
    broker_text: str | None
    created_at: datetime
    created_by: str


@dataclass(frozen=True, slots=True)
class AllocationLegEntry:
    alloc_id: str
    order_id: str
    account_id: str
    quantity: Decimal
    price: Decimal
    charges: Decimal
    lots: list[str]  # lots opened or relieved by this leg


@dataclass(frozen=True, slots=True)
class RealizedLotEntry:
    """A realized gain or loss on part of one lot, as booked."""

    id: int
    alloc_id: str
    trade_id: str
    account_id: str
    symbol: str
    lot_id: str
    quantity: Decimal
    acquired: date
    holding_start: date
    disposed: date
    proceeds: Decimal
    cost_basis: Decimal
    term: str
    short: bool
    wash_sale_disallowed: Decimal


@dataclass(frozen=True, slots=True)
class WashSaleEntry:
    id: int
    account_id: str
    symbol: str
    record: dict[str, Any]


_ALLOCATION = (
    "SELECT alloc_id, block_id, record, status, broker, broker_text, created_at, created_by "
    "FROM allocations"
)
_LEG = "SELECT alloc_id, order_id, account_id, quantity, price, charges, lots FROM allocation_legs"


class AllocationRepository:
    def __init__(self, db: Db) -> None:
        self._db = db

    def add(
        self,
        *,
        alloc_id: str,
        block_id: str,
        record: dict[str, Any],
        broker: str | None,
        created_at: datetime,
        created_by: str,
    ) -> None:
        c = self._db.codec
        self._db.run(
            "INSERT INTO allocations (alloc_id, block_id, record, status, broker, broker_text, "
            "created_at, created_by) VALUES (?, ?, ?, 'booked', ?, NULL, ?, ?)",
            (alloc_id, block_id, c.json(record), broker, c.ts(created_at), created_by),
        )

    def add_leg(
        self,
        *,
        alloc_id: str,
        order_id: str,
        account_id: str,
        quantity: Decimal,
        price: Decimal,
        charges: Decimal,
        lots: Sequence[str],
    ) -> None:
        c = self._db.codec
        self._db.run(
            "INSERT INTO allocation_legs (alloc_id, order_id, account_id, quantity, price, "
            "charges, lots) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                alloc_id,
                order_id,
                account_id,
                c.dec(quantity),
                c.dec(price),
                c.dec(charges),
                c.json(list(lots)),
            ),
        )

    def get(self, alloc_id: str) -> AllocationEntry | None:
        row = self._db.one(_ALLOCATION + " WHERE alloc_id = ?", (alloc_id,))
        return self._allocation(row) if row else None

    def for_block(self, block_id: str) -> list[AllocationEntry]:
        rows = self._db.all(_ALLOCATION + " WHERE block_id = ? ORDER BY created_at", (block_id,))
        return [self._allocation(r) for r in rows]

    def all(self) -> list[AllocationEntry]:
        return [self._allocation(r) for r in self._db.all(_ALLOCATION + " ORDER BY created_at")]

    def legs(self, alloc_id: str | None = None) -> list[AllocationLegEntry]:
        if alloc_id is None:
            rows = self._db.all(_LEG + " ORDER BY alloc_id, account_id")
        else:
            rows = self._db.all(
                _LEG + " WHERE alloc_id = ? ORDER BY alloc_id, account_id", (alloc_id,)
            )
        c = self._db.codec
        return [
            AllocationLegEntry(
                a,
                o,
                acc,
                c.to_dec(q),
                c.to_dec(p),
                c.to_dec(ch),
                c.from_json(lots),  # type: ignore[arg-type]
            )
            for a, o, acc, q, p, ch, lots in rows
        ]

    def set_status(self, alloc_id: str, status: str, text: str | None = None) -> None:
        self._db.run(
            "UPDATE allocations SET status = ?, broker_text = ? WHERE alloc_id = ?",
            (status, text, alloc_id),
        )

    def _allocation(self, row: tuple[Any, ...]) -> AllocationEntry:
        alloc_id, block_id, record, status, broker, text, created_at, created_by = row
        c = self._db.codec
        return AllocationEntry(
            alloc_id,
            block_id,
            c.from_json(record),
            status,
            broker,
            text,
            c.to_ts(created_at),  # type: ignore[arg-type]
            created_by,
        )


_REALIZED_COLUMNS = (
    "alloc_id, trade_id, account_id, symbol, lot_id, quantity, acquired, holding_start, "
    "disposed, proceeds, cost_basis, term, short, wash_sale_disallowed"
)


class TaxLedgerRepository:
    def __init__(self, db: Db) -> None:
        self._db = db

    def add_realized(self, alloc_id: str, realized: Iterable[RealizedLot]) -> None:
        c = self._db.codec
        self._db.run_many(
            f"INSERT INTO realized_lots ({_REALIZED_COLUMNS}) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                (
                    alloc_id,
                    r.trade_id,
                    r.account_id,
                    r.symbol,
                    r.lot_id,
                    c.dec(r.quantity),
                    c.day(r.acquired),
                    c.day(r.holding_start),
                    c.day(r.disposed),
                    c.dec(r.proceeds),
                    c.dec(r.cost_basis),
                    r.term.value,
                    c.flag(r.short),
                    c.dec(r.wash_sale_disallowed),
                )
                for r in realized
            ),
        )

    def add_wash_sales(self, account_id: str, symbol: str, washes: Iterable[WashSale]) -> None:
        self._db.run_many(
            "INSERT INTO wash_sales (account_id, symbol, record) VALUES (?, ?, ?)",
            ((account_id, symbol, self._db.codec.json(w.to_dict())) for w in washes),
        )

    def disallow(self, trade_id: str, lot_id: str, amount: Decimal) -> None:
        """A later purchase washed part of an earlier loss: amend that realized lot."""
        row = self._db.one(
            "SELECT id, wash_sale_disallowed FROM realized_lots "
            "WHERE trade_id = ? AND lot_id = ? ORDER BY id LIMIT 1",
            (trade_id, lot_id),
        )
        if row is None:
            raise LookupError(f"no realized lot {lot_id} of trade {trade_id} to wash")
        c = self._db.codec
        total = c.to_dec(row[1]) + amount  # type: ignore[operator]
        self._db.run(
            "UPDATE realized_lots SET wash_sale_disallowed = ? WHERE id = ?", (c.dec(total), row[0])
        )

    def realized(self, account_id: str | None = None) -> list[RealizedLotEntry]:
        sql = f"SELECT id, {_REALIZED_COLUMNS} FROM realized_lots"
        if account_id is None:
            rows = self._db.all(sql + " ORDER BY id")
        else:
            rows = self._db.all(sql + " WHERE account_id = ? ORDER BY id", (account_id,))
        c = self._db.codec
        return [
            RealizedLotEntry(
                id_,
                alloc_id,
                trade_id,
                account,
                symbol,
                lot_id,
                c.to_dec(quantity),  # type: ignore[arg-type]
                c.to_day(acquired),  # type: ignore[arg-type]
                c.to_day(holding_start),  # type: ignore[arg-type]
                c.to_day(disposed),  # type: ignore[arg-type]
                c.to_dec(proceeds),  # type: ignore[arg-type]
                c.to_dec(basis),  # type: ignore[arg-type]
                term,
                c.to_flag(short),
                c.to_dec(washed),  # type: ignore[arg-type]
            )
            for (id_, alloc_id, trade_id, account, symbol, lot_id, quantity, acquired,
                 holding_start, disposed, proceeds, basis, term, short, washed) in rows
        ]  # fmt: skip

    def wash_sales(self) -> list[WashSaleEntry]:
        rows = self._db.all("SELECT id, account_id, symbol, record FROM wash_sales ORDER BY id")
        c = self._db.codec
        return [WashSaleEntry(i, a, s, c.from_json(r)) for i, a, s, r in rows]

    def pending_losses(self, account_id: str, symbol: str) -> list[PendingLoss]:
        row = self._db.one(
            "SELECT losses FROM pending_losses WHERE account_id = ? AND symbol = ?",
            (account_id, symbol),
        )
        return [PendingLoss.from_dict(d) for d in self._db.codec.from_json(row[0])] if row else []

    def set_pending_losses(
        self, account_id: str, symbol: str, losses: Sequence[PendingLoss]
    ) -> None:
        self._db.run(
            "DELETE FROM pending_losses WHERE account_id = ? AND symbol = ?", (account_id, symbol)
        )
        if losses:
            self._db.run(
                "INSERT INTO pending_losses (account_id, symbol, losses) VALUES (?, ?, ?)",
                (account_id, symbol, self._db.codec.json([p.to_dict() for p in losses])),
            )
