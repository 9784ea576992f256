"""PM orders and blocks.

Both rows carry a version: an update names the version this unit of work read, so a
change made behind the single writer's back fails loudly instead of being overwritten.
"""

from __future__ import annotations

from collections.abc import Sequence
from operator import attrgetter
from typing import Any

from toms.domain.blocks import Block, BlockMember, BlockStatus
from toms.domain.errors import UnknownOrder
from toms.domain.ids import AccountId, BlockId, LotId, OrderId, RoutedOrderId, Symbol, UserId
from toms.domain.orders import OPEN_ORDER_STATUSES, Order, OrderStatus
from toms.domain.values import OrderType, Side, TimeInForce
from toms.persistence.cache import WriterCache
from toms.persistence.sql import Db, placeholders


class StaleRow(RuntimeError):
    """A row changed after this unit of work read it: only the single writer may write."""


_ORDER_COLUMNS = (
    "account_id, symbol, side, quantity, order_type, limit_price, stop_price, time_in_force, "
    "expire_date, status, filled_quantity, avg_price, block_id, locate_id, specific_lots, "
    "note, created_at, created_by"
)
_ORDER = f"SELECT order_id, version, {_ORDER_COLUMNS} FROM orders"
_ORDER_UPDATE = (
    "UPDATE orders SET "
    + ", ".join(f"{c} = ?" for c in _ORDER_COLUMNS.split(", "))
    + ", version = version + 1 WHERE order_id = ?"
)


_CREATED = attrgetter("created_at")


class OrderRepository:
    def __init__(self, db: Db, cache: WriterCache | None = None) -> None:
        self._db = db
        self._cache = cache
        self._versions: dict[str, int] = {}  # as read by this unit of work

    def get(self, order_id: str) -> Order | None:
        if self._cache is not None:
            cached: tuple[Order, int] | None = self._cache.orders.get(order_id)
            if cached is not None:
                self._versions[order_id] = cached[1]
                return cached[0]
        row = self._db.one(_ORDER + " WHERE order_id = ?", (order_id,))
        return self._order(row) if row else None

    def require(self, order_id: str) -> Order:
        order = self.get(order_id)
        if order is None:
            raise UnknownOrder(f"no order {order_id}")
        return order

    def require_all(self, order_ids: Sequence[str]) -> list[Order]:
        """The orders, in the order asked, read in (at most) one query."""
        found: dict[str, Order] = {}
        if self._cache is not None:
            for order_id in order_ids:
                cached: tuple[Order, int] | None = self._cache.orders.get(order_id)
                if cached is not None:
                    found[order_id] = cached[0]
                    self._versions[order_id] = cached[1]
        unread = [i for i in dict.fromkeys(order_ids) if i not in found]
        if unread:
            rows = self._db.all(
                _ORDER + f" WHERE order_id IN ({placeholders(len(unread))})", tuple(unread)
            )
            found.update((o.order_id, o) for o in map(self._order, rows))
        missing = [i for i in order_ids if i not in found]
        if missing:
            raise UnknownOrder(f"no order {missing[0]}")
        return [found[i] for i in order_ids]

    def add(self, order: Order) -> None:
        self._db.run(
            f"INSERT INTO orders ({_ORDER_COLUMNS}, order_id, version) VALUES ({placeholders(20)})",
            (*self._values(order), order.order_id, 1),
        )
        self._remember(order, 1)

    def save(self, order: Order) -> None:
        version = self._versions.get(order.order_id)
        if version is None:
            changed = self._db.run(_ORDER_UPDATE, (*self._values(order), order.order_id))
        else:
            changed = self._db.run(
                _ORDER_UPDATE + " AND version = ?", (*self._values(order), order.order_id, version)
            )
        if not changed:
            if self._cache is not None:
                self._cache.orders.forget(order.order_id)
            if self._db.one("SELECT 1 FROM orders WHERE order_id = ?", (order.order_id,)):
                raise StaleRow(f"order {order.order_id} changed since it was read")
            raise UnknownOrder(f"no order {order.order_id}")
        if version is None:
            self._versions.pop(order.order_id, None)
            if self._cache is not None:
                self._cache.orders.forget(order.order_id)
                _track_open(self._cache, order)
        else:
            self._remember(order, version + 1)

    def _remember(self, order: Order, version: int) -> None:
        self._versions[order.order_id] = version
        if self._cache is not None:
            self._cache.orders.put(order.order_id, (order, version))
            _track_open(self._cache, order)

    def list(
        self,
        *,
        account_id: str | None = None,
        statuses: Sequence[str] | None = None,
        block_id: str | None = None,
    ) -> list[Order]:
        where: list[str] = []
        params: list[Any] = []
        if account_id is not None:
            where.append("account_id = ?")
            params.append(account_id)
        if statuses is not None:
            if not statuses:
                return []
            where.append(f"status IN ({placeholders(len(statuses))})")
            params += statuses
        if block_id is not None:
            where.append("block_id = ?")
            params.append(block_id)
        sql = _ORDER + (" WHERE " + " AND ".join(where) if where else "")
        return [self._order(r) for r in self._db.all(sql + " ORDER BY created_at", params)]

    def open_for_account(self, account_id: AccountId) -> list[Order]:
        """The account's orders still open, oldest first. Every pre-trade check asks, and
        the writer remembers the answer (``WriterCache.open_orders``): the query scans all
        the account's orders, which grow by the thousand while the open ones stay few."""
        cache = self._cache
        if cache is not None:
            cached: dict[str, Order] | None = cache.open_orders.get(account_id)
            if cached is not None:
                return sorted(cached.values(), key=_CREATED)
        found = self.list(account_id=account_id, statuses=[s.value for s in OPEN_ORDER_STATUSES])
        if cache is not None:
            cache.open_orders.put(account_id, {o.order_id: o for o in found})
        return found

    def _values(self, o: Order) -> tuple[Any, ...]:
        c = self._db.codec
        return (
            o.account_id,
            o.symbol,
            o.side.value,
            c.dec(o.quantity),
            o.order_type.value,
            c.dec(o.limit_price),
            c.dec(o.stop_price),
            o.time_in_force.value,
            c.day(o.expire_date),
            o.status.value,
            c.dec(o.filled_quantity),
            c.dec(o.avg_price),
            o.block_id,
            o.locate_id,
            c.json(list(o.specific_lots)),
            o.note,
            c.ts(o.created_at),
            o.created_by,
        )

    def _order(self, row: tuple[Any, ...]) -> Order:
        (order_id, version, account_id, symbol, side, quantity, order_type, limit_price,
         stop_price, tif, expire_date, status, filled, avg_price, block_id, locate_id,
         specific_lots, note, created_at, created_by) = row  # fmt: skip
        c = self._db.codec
        order = Order(
            order_id=OrderId(order_id),
            account_id=AccountId(account_id),
            symbol=Symbol(symbol),
            side=Side(side),
            quantity=c.to_dec(quantity),  # type: ignore[arg-type]
            order_type=OrderType(order_type),
            created_at=c.to_ts(created_at),  # type: ignore[arg-type]
            created_by=UserId(created_by),
            limit_price=c.to_dec(limit_price),
            stop_price=c.to_dec(stop_price),
            time_in_force=TimeInForce(tif),
            expire_date=c.to_day(expire_date),
            status=OrderStatus(status),
            filled_quantity=c.to_dec(filled),  # type: ignore[arg-type]
            avg_price=c.to_dec(avg_price),
            block_id=BlockId(block_id) if block_id else None,
            locate_id=locate_id,
            specific_lots=tuple(LotId(x) for x in c.from_json(specific_lots)),
            note=note,
        )
        self._remember(order, version)
        return order


def _track_open(cache: WriterCache, order: Order) -> None:
    """Keep the remembered open orders of the order's account (if any) as stored."""
    remembered: dict[str, Order] | None = cache.open_orders.get(order.account_id)
    if remembered is None:
        return
    if order.status in OPEN_ORDER_STATUSES:
        remembered[order.order_id] = order
    else:
        remembered.pop(order.order_id, None)
    cache.open_orders.put(order.account_id, remembered)  # touched: a rollback forgets it


_Members = list[tuple[str, str, Any, int]]  # (order_id, account_id, quantity, position)


class BlockRepository:
    def __init__(self, db: Db, cache: WriterCache | None = None) -> None:
        self._db = db
        self._cache = cache
        # Version and members as read or last saved by this unit of work, by block: save()
        # checks the version and rewrites the members only when they changed.
        self._stored: dict[str, tuple[int, _Members]] = {}

    def get(self, block_id: str) -> Block | None:
        if self._cache is not None:
            cached: tuple[Block, _Members] | None = self._cache.blocks.get(block_id)
            if cached is not None:
                block, members = cached
                self._stored[block_id] = (block.version, members)
                return block.copy()
        db, c = self._db, self._db.codec
        row = db.one(
            "SELECT symbol, side, status, arrival_price, created_at, created_by, version "
            "FROM blocks WHERE block_id = ?",
            (block_id,),
        )
        if row is None:
            return None
        symbol, side, status, arrival_price, created_at, created_by, version = row
        members = db.all(
            "SELECT order_id, account_id, quantity, position FROM block_members "
            "WHERE block_id = ? ORDER BY position",
            (block_id,),
        )
        routed = db.scalars(
            "SELECT routed_order_id FROM routed_orders WHERE block_id = ? ORDER BY created_at",
            (block_id,),
        )
        block = Block(
            block_id=BlockId(block_id),
            symbol=Symbol(symbol),
            side=Side(side),
            created_at=c.to_ts(created_at),  # type: ignore[arg-type]
            created_by=UserId(created_by),
            members=[
                BlockMember(OrderId(m[0]), m[1], c.to_dec(m[2]))  # type: ignore[arg-type]
                for m in members
            ],
            status=BlockStatus(status),
            routed_order_ids=[RoutedOrderId(r) for r in routed],
            arrival_price=c.to_dec(arrival_price),
            version=version,
        )
        self._remember(block, self._member_rows(block))
        return block

    def require(self, block_id: BlockId) -> Block:
        block = self.get(block_id)
        if block is None:
            raise UnknownOrder(f"no block {block_id}")
        return block

    def save(self, block: Block) -> None:
        db, c = self._db, self._db.codec
        values = (
            block.symbol,
            block.side.value,
            block.status.value,
            c.dec(block.arrival_price),
            c.ts(block.created_at),
            block.created_by,
            block.version,
            block.block_id,
        )
        stored = self._stored.get(block.block_id)
        if stored is None and not db.one("SELECT 1 FROM blocks WHERE block_id = ?", values[-1:]):
            db.run(
                "INSERT INTO blocks (symbol, side, status, arrival_price, created_at, "
                "created_by, version, block_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                values,
            )
            stored = (block.version, [])
        else:
            update = (
                "UPDATE blocks SET symbol = ?, side = ?, status = ?, arrival_price = ?, "
                "created_at = ?, created_by = ?, version = ? WHERE block_id = ?"
            )
            if stored is None:
                db.run(update, values)
            elif not db.run(update + " AND version = ?", (*values, stored[0])):
                if self._cache is not None:
                    self._cache.blocks.forget(block.block_id)
                raise StaleRow(f"block {block.block_id} changed since it was read")
        members = self._member_rows(block)
        if stored is None or stored[1] != members:
            db.run("DELETE FROM block_members WHERE block_id = ?", (block.block_id,))
            db.run_many(
                "INSERT INTO block_members (block_id, order_id, account_id, quantity, position) "
                "VALUES (?, ?, ?, ?, ?)",
                ((block.block_id, o, a, c.dec(q), p) for o, a, q, p in members),
            )
        self._remember(block, members)

    def _remember(self, block: Block, members: _Members) -> None:
        self._stored[block.block_id] = (block.version, members)
        if self._cache is not None:
            self._cache.blocks.put(block.block_id, (block.copy(), members))

    def list(self, statuses: Sequence[str] | None = None) -> list[Block]:
        if statuses is None:
            ids = self._db.scalars("SELECT block_id FROM blocks ORDER BY created_at")
        elif not statuses:
            return []
        else:
            ids = self._db.scalars(
                f"SELECT block_id FROM blocks WHERE status IN ({placeholders(len(statuses))}) "
                "ORDER BY created_at",
                tuple(statuses),
            )
        return [b for b in map(self.get, ids) if b is not None]

    @staticmethod
    def _member_rows(block: Block) -> _Members:
        return [(m.order_id, m.account_id, m.quantity, i) for i, m in enumerate(block.members)]
