"""The single writer's memory of the aggregates on the path of a fill.

Booking one fill reads the routed order with its ClOrdIDs, fills and applied ExecIDs, the
block with its members, every PM order of the block and the security: about a dozen
queries and the objects built from their rows, repeated for every report although
nothing else can have changed them. Only the single writer changes these rows, so what
it last wrote or read is what the database holds, and it keeps that here.

Booking an allocation reads each account's tax lots in the security, and the pre-trade
check of every order sums the account's lots into positions and reads its open orders. An
account that has traded for a year holds lots and past orders by the thousand, so these
are kept here too, and the repositories keep them current as they write: neither booking
nor checking grows slower as the book does.

The cache changes only as the database does. ``get`` hands out copies, so a caller that
changes an aggregate without saving it changes nothing here; ``put`` records what a
repository has just written (or read) inside the current transaction, and a rollback
forgets every entry the transaction touched, so it is read again from the database.
Entries are evicted oldest first beyond ``limit`` per kind; an evicted entry is simply
read again. Readers (API queries, reports) never use it: they read the database.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any, Generic, TypeVar

V = TypeVar("V")

DEFAULT_LIMIT = 20_000


class _Kind(Generic[V]):
    """One kind of entry, bounded, oldest evicted first."""

    __slots__ = ("_entries", "_limit", "_touched")

    def __init__(self, limit: int, touched: set[tuple[_Kind[Any], str]]) -> None:
        self._entries: OrderedDict[str, V] = OrderedDict()
        self._limit = limit
        self._touched = touched

    def get(self, key: str) -> V | None:
        return self._entries.get(key)

    def put(self, key: str, value: V) -> None:
        entries = self._entries
        entries[key] = value
        entries.move_to_end(key)
        self._touched.add((self, key))
        if len(entries) > self._limit:
            entries.popitem(last=False)

    def forget(self, key: str) -> None:
        self._entries.pop(key, None)

    def items(self) -> list[tuple[str, V]]:
        return list(self._entries.items())

    def clear(self) -> None:
        self._entries.clear()


class WriterCache:
    """Routed orders (with what is stored of their children), the ClOrdIDs that name
    them, blocks, PM orders, securities, and each account's tax lots in a security,
    positions and open orders, as last committed by the single writer."""

    def __init__(self, limit: int = DEFAULT_LIMIT) -> None:
        self._touched: set[tuple[_Kind[Any], str]] = set()
        self.routed: _Kind[Any] = _Kind(limit, self._touched)
        self.routed_by_cl_ord_id: _Kind[str] = _Kind(4 * limit, self._touched)
        self.blocks: _Kind[Any] = _Kind(limit, self._touched)
        self.orders: _Kind[Any] = _Kind(limit, self._touched)
        self.securities: _Kind[Any] = _Kind(limit, self._touched)
        self.lots: _Kind[Any] = _Kind(limit, self._touched)
        self.positions: _Kind[Any] = _Kind(limit, self._touched)
        self.open_orders: _Kind[Any] = _Kind(limit, self._touched)

    def committed(self) -> None:
        """The transaction committed: what it put here is what the database holds."""
        self._touched.clear()

    def rolled_back(self) -> None:
        """The transaction rolled back: forget everything it put here."""
        for kind, key in self._touched:
            kind.forget(key)
        self._touched.clear()

    def clear(self) -> None:
        for kind in (
            self.routed,
            self.routed_by_cl_ord_id,
            self.blocks,
            self.orders,
            self.securities,
            self.lots,
            self.positions,
            self.open_orders,
        ):
            kind.clear()
        self._touched.clear()
