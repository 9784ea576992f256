"""JSON shapes of the API: domain objects and stored rows rendered for clients.

Money and quantities travel as decimal strings ("150.25"), never as JSON floats, so a
client reads back exactly what the OMS stores. Times are ISO 8601 in UTC.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from toms.domain.blocks import Block
from toms.domain.orders import Order
from toms.domain.reference import Account, Security
from toms.domain.routed_order import Fill, RoutedOrder
from toms.services.block_progress import block_fill

Json = dict[str, Any]


def plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if hasattr(value, "value") and isinstance(value.value, str):  # enums
        return value.value
    return value


def order_view(o: Order, compliance: Json | None = None) -> Json:
    return {
        "order_id": o.order_id,
        "account_id": o.account_id,
        "symbol": o.symbol,
        "side": o.side.value,
        "quantity": plain(o.quantity),
        "order_type": o.order_type.value,
        "limit_price": plain(o.limit_price),
        "stop_price": plain(o.stop_price),
        "time_in_force": o.time_in_force.value,
        "expire_date": plain(o.expire_date),
        "status": o.status.value,
        "filled_quantity": plain(o.filled_quantity),
        "avg_price": plain(o.avg_price),
        "block_id": o.block_id,
        "created_at": plain(o.created_at),
        "created_by": o.created_by,
        "note": o.note,
        "compliance": compliance,
    }


def block_view(b: Block, routed: list[RoutedOrder] | None = None) -> Json:
    filled, avg = block_fill(routed or [])
    working = [r for r in routed or [] if not r.is_terminal]
    fills = [f for r in routed or [] for f in r.fills if not f.busted]
    return {
        "block_id": b.block_id,
        "symbol": b.symbol,
        "side": b.side.value,
        "quantity": plain(b.quantity),
        "status": b.status.value,
        "created_at": plain(b.created_at),
        "created_by": b.created_by,
        "arrival_price": plain(b.arrival_price),
        "members": [
            {"order_id": m.order_id, "account_id": m.account_id, "quantity": plain(m.quantity)}
            for m in b.members
        ],
        "routed_order_ids": list(b.routed_order_ids),
        "filled_quantity": plain(filled),
        "avg_price": plain(avg),
        "leaves_quantity": plain(sum((r.leaves_qty for r in working), Decimal(0))),
        "last_fill_at": plain(max((f.executed_at for f in fills), default=None)),
    }


def routed_view(r: RoutedOrder) -> Json:
    pending = r.pending
    live = [f for f in r.fills if not f.busted]
    return {
        "routed_order_id": r.routed_order_id,
        "block_id": r.block_id,
        "broker": r.broker,
        "symbol": r.symbol,
        "side": r.side.value,
        "order_type": r.order_type.value,
        "quantity": plain(r.order_qty),
        "limit_price": plain(r.limit_price),
        "stop_price": plain(r.stop_price),
        "time_in_force": r.time_in_force.value,
        "status": r.status.value,
        "cl_ord_id": r.cl_ord_id,
        "broker_order_id": r.broker_order_id,
        "filled_quantity": plain(r.cum_qty),
        "leaves_quantity": plain(r.leaves_qty),
        "avg_price": plain(r.avg_px),
        "created_at": plain(r.created_at),
        "last_fill_at": plain(max((f.executed_at for f in live), default=None)),
        "pending": None
        if pending is None
        else {
            "kind": pending.kind.value,
            "cl_ord_id": pending.cl_ord_id,
            "quantity": plain(pending.quantity),
            "limit_price": plain(pending.limit_price),
            "stop_price": plain(pending.stop_price),
        },
        "version": r.version,
    }


def fill_view(f: Fill, r: RoutedOrder) -> Json:
    return {
        "exec_id": f.exec_id,
        "routed_order_id": f.routed_order_id,
        "block_id": r.block_id,
        "broker": r.broker,
        "symbol": r.symbol,
        "side": r.side.value,
        "quantity": plain(f.quantity),
        "price": plain(f.price),
        "executed_at": plain(f.executed_at),
        "busted": f.busted,
    }


def allocation_view(row: Any, legs: list[Any]) -> Json:
    return {
        "alloc_id": row.alloc_id,
        "block_id": row.block_id,
        "status": row.status,
        "broker": row.broker,
        "broker_text": row.broker_text,
        "created_at": plain(row.created_at),
        "created_by": row.created_by,
        "average_price": row.record["inputs"].get("average_price"),
        "policy": row.record.get("policy"),
        "legs": [
            {
                "order_id": leg.order_id,
                "account_id": leg.account_id,
                "quantity": plain(leg.quantity),
                "price": plain(leg.price),
                "charges": plain(leg.charges),
                "lots": list(leg.lots),
            }
            for leg in legs
        ],
    }


def security_view(s: Security, price: Decimal | None) -> Json:
    return {
        "symbol": s.symbol,
        "issuer": s.issuer,
        "sector": s.sector,
        "country": s.country,
        "asset_class": plain(s.asset_class),
        "currency": s.currency,
        "lot_size": plain(s.lot_size),
        "last_price": plain(price),
    }


def account_view(a: Account) -> Json:
    return {
        "account_id": a.account_id,
        "name": a.name,
        "cash": plain(a.cash),
        "tax_lot_method": a.tax_lot_method.value,
        "group": a.group,
        "short_allowed": a.short_allowed,
    }


def session_view(s: Any) -> Json:
    return {
        "broker": s.broker,
        "session_id": s.session_id,
        "logged_on": s.logged_on,
        "next_sender_seq": s.next_sender_seq,
        "next_target_seq": s.next_target_seq,
        "last_heartbeat": plain(s.last_heartbeat),
        "last_logon": plain(s.last_logon),
        "last_logout": plain(s.last_logout),
        "last_error": s.last_error,
    }
