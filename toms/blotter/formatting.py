"""How the blotter writes amounts, times and states.

Amounts arrive as decimal strings and are shown exactly: parsed into ``Decimal`` and
formatted from it, never through a float, so a price on screen is the price on record.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from PyQt6.QtGui import QColor

ZERO = Decimal(0)
HUNDRED = Decimal(100)

# Routed (broker) order states that are still at the broker.
LIVE_ROUTED = frozenset(
    {
        "pending_new",
        "new",
        "partially_filled",
        "pending_cancel",
        "pending_replace",
        "stopped",
        "suspended",
        "calculated",
    }
)
PENDING_ROUTED = frozenset({"pending_new", "pending_cancel", "pending_replace"})
# PM order states a trader still has to act on (or should see: compliance blocks).
WAITING_ORDERS = frozenset({"pending_compliance", "blocked", "accepted", "in_block"})


def dec(value: Any) -> Decimal | None:
    """The API's decimal string as a Decimal; None for a missing or unreadable value."""
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def qty_text(value: Any) -> str:
    d = dec(value)
    if d is None:
        return ""
    if d == d.to_integral_value():
        return f"{d.to_integral_value():,}"
    return f"{d.normalize():,f}"


def price_text(value: Any) -> str:
    """At least two decimals, more only when the price has them (exact, no rounding)."""
    d = dec(value)
    if d is None:
        return ""
    exponent = d.normalize().as_tuple().exponent
    places = max(2, -exponent if isinstance(exponent, int) else 2)
    return f"{d:,.{places}f}"


def percent_done(filled: Any, quantity: Any) -> Decimal:
    """Filled as a share of quantity, 0-100; an order of nothing is 0% done."""
    f, q = dec(filled) or ZERO, dec(quantity) or ZERO
    if q <= ZERO:
        return ZERO
    return min(HUNDRED, f * HUNDRED / q)


def parse_time(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        return None


def time_text(value: Any) -> str:
    """Local wall-clock time: what a trader compares with the clock on the desk."""
    t = parse_time(value)
    if t is None:
        return ""
    return (t.astimezone() if t.tzinfo else t).strftime("%H:%M:%S")


def label(value: Any) -> str:
    """An API enum value as words: ``partially_filled`` -> ``partially filled``."""
    return "" if value is None else str(value).replace("_", " ")


# Background colours by state: soft enough to read black text on, distinct at a glance.
_WORKING = QColor("#dbeafe")
_PARTIAL = QColor("#fef3c7")
_FILLED = QColor("#dcfce7")
_DONE = QColor("#e5e7eb")
_REJECTED = QColor("#fee2e2")
_PENDING = QColor("#ede9fe")
_OPEN = QColor("#ffffff")

STATE_COLOURS: dict[str, QColor] = {
    # broker orders
    "pending_new": _PENDING,
    "new": _WORKING,
    "partially_filled": _PARTIAL,
    "filled": _FILLED,
    "done_for_day": _DONE,
    "pending_cancel": _PENDING,
    "pending_replace": _PENDING,
    "canceled": _DONE,
    "replaced": _WORKING,
    "rejected": _REJECTED,
    "expired": _DONE,
    "stopped": _PARTIAL,
    "suspended": _PENDING,
    "calculated": _PARTIAL,
    # PM orders and blocks
    "pending_compliance": _PENDING,
    "blocked": _REJECTED,
    "accepted": _OPEN,
    "in_block": _WORKING,
    "working": _WORKING,
    "done": _DONE,
    "open": _OPEN,
    "routed": _WORKING,
    "allocated": _FILLED,
    # compliance verdicts and FIX sessions
    "pass": _FILLED,
    "warn": _PARTIAL,
    "block": _REJECTED,
    "logged_on": _FILLED,
    "logged_off": _REJECTED,
    "accepted_alloc": _FILLED,
}


def state_colour(state: Any) -> QColor | None:
    return STATE_COLOURS.get(str(state)) if state is not None else None
