"""Routed orders: the order row, its ClOrdID chain and its fills.

A routed order is read whole (row, ClOrdIDs, fills, applied ExecIDs) and saved by
updating its row and inserting only the ClOrdIDs and fills this unit of work has not
seen stored yet, so booking a fill writes the fill, not the order's history again.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from toms.domain.execution import RoutedStatus
from toms.domain.ids import BlockId, BrokerId, ClOrdId, ExecId, RoutedOrderId, Symbol
from toms.domain.routed_order import Fill, PendingRequest, RequestKind, RoutedOrder
from toms.domain.values import OrderType, Side, TimeInForce
from toms.persistence.cache import WriterCache
from toms.persistence.sql import Db, placeholders

_COLUMNS = (
    "block_id, broker, symbol, side, order_type, order_qty, limit_price, stop_price, "
    "time_in_force, expire_date, cl_ord_id, status, previous_status, pending_kind, "
    "pending_cl_ord_id, pending_orig_cl_ord_id, pending_quantity, pending_limit_price, "
    "pending_stop_price, broker_order_id, cum_qty, avg_px, version, updated_at"
)
_SELECT = "SELECT r.routed_order_id, r.created_at, " + ", ".join(
    "r." + column for column in _COLUMNS.split(", ")
)
_UPDATE = (
    "UPDATE routed_orders SET "
    + ", ".join(f"{c} = ?" for c in _COLUMNS.split(", "))
    + " WHERE routed_order_id = ?"
)
_INSERT = (
    f"INSERT INTO routed_orders ({_COLUMNS}, routed_order_id, created_at) "
    f"VALUES ({placeholders(26)})"
)


class _Stored:
    """What is stored of one order's children, as this unit of work knows it."""

    __slots__ = ("cl_ord_ids", "fills")

    def __init__(self, cl_ord_ids: dict[str, tuple[int, bool]], fills: dict[str, bool]) -> None:
        self.cl_ord_ids = cl_ord_ids  # ClOrdID -> (position, confirmed)
        self.fills = fills  # ExecID -> busted

    def copy(self) -> _Stored:
        return _Stored(dict(self.cl_ord_ids), dict(self.fills))


class RoutedOrderRepository:
    def __init__(self, db: Db, cache: WriterCache | None = None) -> None:
        self._db = db
        self._cache = cache
        self._stored: dict[str, _Stored] = {}

    def get(self, routed_order_id: str) -> RoutedOrder | None:
        cached = self._cached(routed_order_id)
        if cached is not None:
            return cached
        row = self._db.one(
            _SELECT + " FROM routed_orders r WHERE r.routed_order_id = ?", (routed_order_id,)
        )
        return self._assemble(row) if row else None

    def by_cl_ord_id(self, cl_ord_id: str) -> RoutedOrder | None:
        """Any ClOrdID of the chain, including one only requested, finds the order."""
        if self._cache is not None:
            routed_order_id = self._cache.routed_by_cl_ord_id.get(cl_ord_id)
            if routed_order_id is not None:
                cached = self._cached(routed_order_id)
                if cached is not None:
                    return cached
        row = self._db.one(
            _SELECT + " FROM routed_orders r JOIN cl_ord_ids c "
            "ON c.routed_order_id = r.routed_order_id WHERE c.cl_ord_id = ?",
            (cl_ord_id,),
        )
        return self._assemble(row) if row else None

    def _cached(self, routed_order_id: str) -> RoutedOrder | None:
        if self._cache is None:
            return None
        entry: tuple[RoutedOrder, _Stored] | None = self._cache.routed.get(routed_order_id)
        if entry is None:
            return None
        order, stored = entry
        self._stored[routed_order_id] = stored.copy()
        return order.copy()

    def _remember(self, order: RoutedOrder) -> None:
        """The order as just stored (or read), for the next unit of work of the writer."""
        cache = self._cache
        if cache is None:
            return
        rid = order.routed_order_id
        cache.routed.put(rid, (order.copy(), self._stored[rid].copy()))
        for cl in order.cl_ord_ids:
            cache.routed_by_cl_ord_id.put(cl, rid)
        if order.pending is not None:
            cache.routed_by_cl_ord_id.put(order.pending.cl_ord_id, rid)

    def for_block(self, block_id: str) -> list[RoutedOrder]:
        rows = self._db.all(
            _SELECT + " FROM routed_orders r WHERE r.block_id = ? ORDER BY r.created_at",
            (block_id,),
        )
        return [self._assemble(r) for r in rows]

    def list_ids(self, statuses: Sequence[str] | None = None) -> list[RoutedOrderId]:
        if statuses is None:
            ids = self._db.scalars("SELECT routed_order_id FROM routed_orders ORDER BY created_at")
        elif not statuses:
            return []
        else:
            ids = self._db.scalars(
                "SELECT routed_order_id FROM routed_orders "
                f"WHERE status IN ({placeholders(len(statuses))}) ORDER BY created_at",
                tuple(statuses),
            )
        return [RoutedOrderId(i) for i in ids]

    def add(self, order: RoutedOrder, updated_at: datetime) -> None:
        """Store a new order with its ClOrdIDs and fills."""
        rid = order.routed_order_id
        self._db.run(
            _INSERT, (*self._values(order, updated_at), self._db.codec.ts(order.created_at))
        )
        self._stored[rid] = _Stored({}, {})
        self._save_children(order)

    def save(self, order: RoutedOrder, updated_at: datetime) -> None:
        """Write the order row, and insert only the ClOrdIDs and fills not stored yet."""
        rid = order.routed_order_id
        if not self._db.run(_UPDATE, self._values(order, updated_at)):
            raise LookupError(f"routed order {rid} is not stored")
        if rid not in self._stored:
            self._load_children(rid)
        self._save_children(order)

    def _save_children(self, order: RoutedOrder) -> None:
        db, c = self._db, self._db.codec
        rid = order.routed_order_id
        stored = self._stored[rid]
        known = stored.cl_ord_ids
        for position, cl in enumerate(order.cl_ord_ids):
            was = known.get(cl)
            if was is None:
                self._add_cl_ord_id(rid, cl, position, True)
            elif was != (position, True):
                db.run(
                    "UPDATE cl_ord_ids SET position = ?, confirmed = ? WHERE cl_ord_id = ?",
                    (position, c.flag(True), cl),
                )
                known[cl] = (position, True)
        pending = order.pending
        if pending is not None and pending.cl_ord_id not in known:
            self._add_cl_ord_id(rid, pending.cl_ord_id, len(order.cl_ord_ids), False)
        fills = stored.fills
        for seq, fill in enumerate(order.fills):
            busted = fills.get(fill.exec_id)
            if busted is None:
                db.run(
                    "INSERT INTO fills (exec_id, routed_order_id, quantity, price, executed_at, "
                    "busted, seq) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (
                        fill.exec_id,
                        rid,
                        c.dec(fill.quantity),
                        c.dec(fill.price),
                        c.ts(fill.executed_at),
                        c.flag(fill.busted),
                        seq,
                    ),
                )
                fills[fill.exec_id] = fill.busted
            elif busted != fill.busted:
                db.run(
                    "UPDATE fills SET busted = ? WHERE exec_id = ?",
                    (c.flag(fill.busted), fill.exec_id),
                )
                fills[fill.exec_id] = fill.busted
        self._remember(order)

    def _add_cl_ord_id(self, rid: str, cl: str, position: int, confirmed: bool) -> None:
        self._db.run(
            "INSERT INTO cl_ord_ids (cl_ord_id, routed_order_id, position, confirmed) "
            "VALUES (?, ?, ?, ?)",
            (cl, rid, position, self._db.codec.flag(confirmed)),
        )
        self._stored[rid].cl_ord_ids[cl] = (position, confirmed)

    def _values(self, o: RoutedOrder, updated_at: datetime) -> tuple[Any, ...]:
        c = self._db.codec
        p = o.pending
        return (
            o.block_id,
            o.broker,
            o.symbol,
            o.side.value,
            o.order_type.value,
            c.dec(o.order_qty),
            c.dec(o.limit_price),
            c.dec(o.stop_price),
            o.time_in_force.value,
            c.day(o.expire_date),
            o.cl_ord_id,
            o.status.value,
            o.previous_status.value if o.previous_status else None,
            p.kind.value if p else None,
            p.cl_ord_id if p else None,
            p.orig_cl_ord_id if p else None,
            c.dec(p.quantity) if p else None,
            c.dec(p.limit_price) if p else None,
            c.dec(p.stop_price) if p else None,
            o.broker_order_id,
            c.dec(o.cum_qty),
            c.dec(o.avg_px),
            o.version,
            c.ts(updated_at),
            o.routed_order_id,
        )

    def _load_children(self, rid: str) -> _Stored:
        db, c = self._db, self._db.codec
        cl_ord_ids = {
            cl: (position, c.to_flag(confirmed))
            for cl, position, confirmed in db.all(
                "SELECT cl_ord_id, position, confirmed FROM cl_ord_ids WHERE routed_order_id = ?",
                (rid,),
            )
        }
        fills = {
            exec_id: c.to_flag(busted)
            for exec_id, busted in db.all(
                "SELECT exec_id, busted FROM fills WHERE routed_order_id = ?", (rid,)
            )
        }
        stored = self._stored[rid] = _Stored(cl_ord_ids, fills)
        return stored

    def _assemble(self, row: tuple[Any, ...]) -> RoutedOrder:
        (rid, created_at, block_id, broker, symbol, side, order_type, order_qty, limit_price,
         stop_price, tif, expire_date, cl_ord_id, status, previous_status, pending_kind,
         pending_cl, pending_orig, pending_qty, pending_limit, pending_stop, broker_order_id,
         _cum_qty, _avg_px, version, _updated_at) = row  # fmt: skip
        db, c = self._db, self._db.codec
        to_dec = c.to_dec
        cl_rows = db.all(
            "SELECT cl_ord_id, position, confirmed FROM cl_ord_ids WHERE routed_order_id = ?",
            (rid,),
        )
        fill_rows = db.all(
            "SELECT exec_id, quantity, price, executed_at, busted FROM fills "
            "WHERE routed_order_id = ? ORDER BY seq",
            (rid,),
        )
        applied = db.scalars(
            "SELECT exec_id FROM executions WHERE routed_order_id = ? AND outcome = 'applied'",
            (rid,),
        )
        chain = sorted((position, cl) for cl, position, confirmed in cl_rows if confirmed)
        fills = [
            Fill(
                ExecId(exec_id),
                RoutedOrderId(rid),
                to_dec(quantity),  # type: ignore[arg-type]
                to_dec(price),  # type: ignore[arg-type]
                c.to_ts(executed_at),  # type: ignore[arg-type]
                c.to_flag(busted),
            )
            for exec_id, quantity, price, executed_at, busted in fill_rows
        ]
        self._stored[rid] = _Stored(
            {cl: (position, c.to_flag(confirmed)) for cl, position, confirmed in cl_rows},
            {f.exec_id: f.busted for f in fills},
        )
        pending = None
        if pending_kind and pending_cl and pending_orig:
            pending = PendingRequest(
                RequestKind(pending_kind),
                ClOrdId(pending_cl),
                ClOrdId(pending_orig),
                to_dec(pending_qty),
                to_dec(pending_limit),
                to_dec(pending_stop),
            )
        order = RoutedOrder(
            routed_order_id=RoutedOrderId(rid),
            block_id=BlockId(block_id),
            broker=BrokerId(broker),
            symbol=Symbol(symbol),
            side=Side(side),
            order_type=OrderType(order_type),
            order_qty=to_dec(order_qty),  # type: ignore[arg-type]
            cl_ord_id=ClOrdId(cl_ord_id),
            created_at=c.to_ts(created_at),  # type: ignore[arg-type]
            limit_price=to_dec(limit_price),
            stop_price=to_dec(stop_price),
            time_in_force=TimeInForce(tif),
            expire_date=c.to_day(expire_date),
            status=RoutedStatus(status),
            previous_status=RoutedStatus(previous_status) if previous_status else None,
            cl_ord_ids=[ClOrdId(cl) for _, cl in chain],
            pending=pending,
            fills=fills,
            applied_exec_ids={ExecId(e) for e in applied},
            broker_order_id=broker_order_id,
            version=version,
        )
        self._remember(order)
        return order
