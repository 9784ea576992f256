"""The columns of each blotter view, read straight from the API's JSON records."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from toms.blotter.formatting import (
    dec,
    label,
    parse_time,
    percent_done,
    price_text,
    qty_text,
    time_text,
)
from toms.blotter.models import CENTER, RIGHT, Column, Record, TableSpec

ID_WIDTH = 172  # an id such as RO-20617E38BE6441B5, whole


def _field(name: str) -> Callable[[Record], str]:
    return lambda r: str(r.get(name) or "")


def _text(title: str, name: str, width: int = 0) -> Column:
    return Column(title, _field(name), width=width)


def _id(title: str, name: str) -> Column:
    return Column(title, _field(name), width=ID_WIDTH)


def _label(title: str, name: str) -> Column:
    return Column(title, lambda r: label(r.get(name)))


def _qty(title: str, name: str) -> Column:
    return Column(title, lambda r: qty_text(r.get(name)), lambda r: dec(r.get(name)), RIGHT)


def _price(title: str, name: str) -> Column:
    return Column(title, lambda r: price_text(r.get(name)), lambda r: dec(r.get(name)), RIGHT)


def _time(title: str, name: str) -> Column:
    return Column(
        title, lambda r: time_text(r.get(name)), lambda r: parse_time(r.get(name)), CENTER
    )


def _upper(title: str, name: str) -> Column:
    return Column(title, lambda r: label(r.get(name)).upper(), align=CENTER)


def _progress(filled: str, quantity: str) -> Column:
    def pct(r: Record) -> Any:
        return percent_done(r.get(filled), r.get(quantity))

    return Column(
        "% done",
        lambda r: f"{pct(r):.1f}%",
        pct,
        CENTER,
        progress=pct,
        width=110,
        searchable=False,
    )


# ── PM orders ─────────────────────────────────────────────────────────────────────────
def compliance_text(r: Record) -> str:
    c = r.get("compliance") or {}
    if not c:
        return ""
    verdict = str(c.get("verdict") or "")
    if c.get("overridden_by"):
        return f"{verdict}: overridden by {c['overridden_by']}"
    rules = c.get("blocking") or c.get("warnings") or []
    return f"{verdict}: {', '.join(rules)}" if rules else verdict


def compliance_tooltip(r: Record) -> str:
    c = r.get("compliance") or {}
    lines = [str(m) for m in c.get("messages") or []]
    if c.get("override_reason"):
        lines.append(f"override: {c['override_reason']}")
    return "\n".join(lines)


ORDERS = TableSpec(
    key="order_id",
    columns=(
        _id("Order", "order_id"),
        _text("Account", "account_id"),
        _text("Symbol", "symbol"),
        _upper("Side", "side"),
        _qty("Qty", "quantity"),
        _label("Status", "status"),
        Column("Compliance", compliance_text, tooltip=compliance_tooltip, width=240),
        _label("Type", "order_type"),
        _price("Limit", "limit_price"),
        _price("Stop", "stop_price"),
        _upper("TIF", "time_in_force"),
        _id("Block", "block_id"),
        _qty("Filled", "filled_quantity"),
        _time("Created", "created_at"),
        _text("PM", "created_by"),
        _text("Note", "note"),
    ),
)


# ── blocks ────────────────────────────────────────────────────────────────────────────
def _brokers(r: Record) -> str:
    seen = dict.fromkeys(str(x.get("broker")) for x in r.get("routed_orders") or [])
    return ", ".join(seen)


def _accounts(r: Record) -> str:
    return ", ".join(str(m.get("account_id")) for m in r.get("members") or [])


BLOCKS = TableSpec(
    key="block_id",
    columns=(
        _id("Block", "block_id"),
        _text("Symbol", "symbol"),
        _upper("Side", "side"),
        _qty("Qty", "quantity"),
        Column("Accounts", _accounts, width=160),
        _label("Status", "status"),
        Column("Broker", _brokers),
        _qty("Filled", "filled_quantity"),
        _qty("Leaves", "leaves_quantity"),
        _price("Avg price", "avg_price"),
        _progress("filled_quantity", "quantity"),
        _time("Last fill", "last_fill_at"),
        _price("Arrival", "arrival_price"),
    ),
)


# ── routed (broker) orders ────────────────────────────────────────────────────────────
def _pending(r: Record) -> str:
    p = r.get("pending")
    if not p:
        return ""
    if p.get("kind") == "cancel":
        return "cancel requested"
    price = p.get("limit_price") or p.get("stop_price")
    terms = qty_text(p.get("quantity")) + (f" @ {price_text(price)}" if price else "")
    return f"{label(p.get('kind'))} to {terms}"


def _status(r: Record) -> str:
    return label(r.get("status"))


ROUTED = TableSpec(
    key="routed_order_id",
    columns=(
        _id("Routed", "routed_order_id"),
        _text("Symbol", "symbol"),
        _upper("Side", "side"),
        _text("Broker", "broker"),
        _label("Type", "order_type"),
        _qty("Qty", "quantity"),
        _price("Limit", "limit_price"),
        _price("Stop", "stop_price"),
        _upper("TIF", "time_in_force"),
        Column("Status", _status, width=120),
        _qty("Filled", "filled_quantity"),
        _qty("Leaves", "leaves_quantity"),
        _price("Avg price", "avg_price"),
        _progress("filled_quantity", "quantity"),
        _time("Last fill", "last_fill_at"),
        Column("Pending", _pending, width=150),
        Column("Broker text", _field("note"), tooltip=_field("note"), width=300),
        _id("Block", "block_id"),
        _id("ClOrdID", "cl_ord_id"),
    ),
)


# ── the selected block's fills and allocations ───────────────────────────────────────
FILLS = TableSpec(
    key="exec_id",
    columns=(
        _time("Time", "executed_at"),
        _text("Exec id", "exec_id"),
        _id("Routed", "routed_order_id"),
        _text("Broker", "broker"),
        _upper("Side", "side"),
        _qty("Qty", "quantity"),
        _price("Price", "price"),
        Column("Busted", lambda r: "busted" if r.get("busted") else "", align=CENTER),
    ),
    state_of=lambda r: "rejected" if r.get("busted") else None,
)


def allocation_rows(block: Record) -> list[Record]:
    """One row per account leg of each allocation of the block."""
    return [
        {
            **leg,
            "key": f"{alloc['alloc_id']}/{leg['order_id']}",
            "alloc_id": alloc["alloc_id"],
            "status": alloc.get("status"),
            "broker": alloc.get("broker"),
            "broker_text": alloc.get("broker_text"),
            "average_price": alloc.get("average_price"),
        }
        for alloc in block.get("allocations") or []
        for leg in alloc.get("legs") or []
    ]


def _lots(r: Record) -> str:
    lots = r.get("lots") or []
    return f"{len(lots)}: {', '.join(str(x) for x in lots)}" if lots else "0"


ALLOCATIONS = TableSpec(
    key="key",
    columns=(
        _id("Allocation", "alloc_id"),
        _text("Account", "account_id"),
        _id("Order", "order_id"),
        _qty("Qty", "quantity"),
        _price("Avg price", "price"),
        _price("Charges", "charges"),
        Column("Lots opened / relieved", _lots, tooltip=_lots, width=260),
        _label("Broker ack", "status"),
        _text("Broker", "broker"),
    ),
    state_of=lambda r: {"accepted": "filled", "rejected": "rejected"}.get(str(r.get("status"))),
)


# ── FIX sessions ──────────────────────────────────────────────────────────────────────
def session_state(r: Record) -> str:
    return "logged_on" if r.get("logged_on") else "logged_off"


SESSIONS = TableSpec(
    key="broker",
    columns=(
        _text("Broker", "broker"),
        Column("State", lambda r: label(session_state(r))),
        _text("Next out", "next_sender_seq"),
        _text("Next in", "next_target_seq"),
        _time("Last heartbeat", "last_heartbeat"),
        _time("Last logon", "last_logon"),
        _time("Last logout", "last_logout"),
        Column("Last error", _field("last_error"), tooltip=_field("last_error")),
        _text("Session", "session_id"),
    ),
    state_of=session_state,
)


def column_of(spec: TableSpec, title: str) -> int:
    """A column's number by its title (views and tests need not count)."""
    return [c.title for c in spec.columns].index(title)
