"""Check the single writer's cache (``toms.persistence.cache``) against the database.

Fixtures call this before stopping an OMS, so every test that trades through it also
proves that what the writer remembered is exactly what was committed.
"""

from __future__ import annotations

from toms.app import Oms
from toms.persistence.uow import SqlUnitOfWork


def assert_cache_matches_database(oms: Oms) -> None:
    if oms.engine.running:
        oms.call(_compare, oms)


def _compare(oms: Oms) -> None:
    """Runs as the writer, so no transaction is half done while it looks."""
    cache = oms.database.cache
    with oms.database.reader() as uow:
        for rid, (order, stored) in cache.routed.items():
            assert uow.routed.get(rid) == order, f"routed order {rid}"
            cl_rows = uow.db.all(
                "SELECT cl_ord_id, position, confirmed FROM cl_ord_ids WHERE routed_order_id = ?",
                (rid,),
            )
            assert stored.cl_ord_ids == {c: (p, bool(f)) for c, p, f in cl_rows}, rid
            fills = uow.db.all(
                "SELECT exec_id, busted FROM fills WHERE routed_order_id = ?", (rid,)
            )
            assert stored.fills == {e: bool(b) for e, b in fills}, rid
        for cl, rid in cache.routed_by_cl_ord_id.items():
            row = uow.db.one("SELECT routed_order_id FROM cl_ord_ids WHERE cl_ord_id = ?", (cl,))
            assert row is not None and row[0] == rid, f"ClOrdID {cl}"
        for block_id, (block, members) in cache.blocks.items():
            assert uow.blocks.get(block_id) == block, f"block {block_id}"
            assert _members(uow, block_id) == members, f"members of block {block_id}"
        for order_id, (order, version) in cache.orders.items():
            assert uow.orders.get(order_id) == order, f"order {order_id}"
            (stored_version,) = uow.db.one(
                "SELECT version FROM orders WHERE order_id = ?", (order_id,)
            )
            assert stored_version == version, f"version of order {order_id}"
        for symbol, (security, price) in cache.securities.items():
            assert (uow.securities.get(symbol), uow.securities.price(symbol)) == (security, price)
        for account_id, held in cache.positions.items():
            assert uow.lots.positions(account_id) == held, f"positions of {account_id}"
        for account_id, open_orders in cache.open_orders.items():
            stored = {o.order_id: o for o in uow.orders.open_for_account(account_id)}
            assert stored == open_orders, f"open orders of {account_id}"
        for key, lots in cache.lots.items():
            account_id, symbol = key.split("\x00")
            assert uow.lots.holding(account_id, symbol) == lots, f"lots of {account_id} {symbol}"


def _members(uow: SqlUnitOfWork, block_id: str) -> list[tuple[str, str, object, int]]:
    rows = uow.db.all(
        "SELECT order_id, account_id, quantity, position FROM block_members "
        "WHERE block_id = ? ORDER BY position",
        (block_id,),
    )
    return [(o, a, uow.db.codec.to_dec(q), p) for o, a, q, p in rows]
