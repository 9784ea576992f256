"""Exact Decimal arithmetic for compliance decisions.

Why: a limit of exactly 5% must pass at exactly 5%. Every decision in this package is made by
cross-multiplying (``value × 100 ≤ limit × NAV``) rather than by dividing, inside a context with
enough digits for any product of two figures and with ``Inexact`` trapped, so a decision can
never rest on a rounded number. Percentages shown to people are computed separately, rounded
for display only, and never fed back into a decision.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from decimal import (
    ROUND_HALF_EVEN,
    Context,
    Decimal,
    DivisionByZero,
    Inexact,
    InvalidOperation,
    Overflow,
    localcontext,
)

ZERO = Decimal(0)
ONE = Decimal(1)
HUNDRED = Decimal(100)

# 200 digits hold the product of any two figures a portfolio produces; Inexact is trapped so a
# figure that would not fit raises instead of being rounded silently.
EXACT = Context(
    prec=200,
    rounding=ROUND_HALF_EVEN,
    traps=[InvalidOperation, DivisionByZero, Overflow, Inexact],
)
# Display figures (percentages in messages) are rounded on purpose, in their own context.
DISPLAY = Context(prec=28, rounding=ROUND_HALF_EVEN)
_PCT_PLACES = Decimal("0.0001")


def exact() -> AbstractContextManager[Context]:
    """Enter the exact context; every public entry point of the package runs inside one."""
    return localcontext(EXACT)


def display_percent(numerator: Decimal, denominator: Decimal) -> Decimal | None:
    """``numerator / denominator`` as a percentage rounded to 4 places, for people to read.

    ``None`` when the denominator is not positive: a share of a non-positive NAV means nothing.
    """
    if denominator <= ZERO:
        return None
    value = DISPLAY.divide(DISPLAY.multiply(numerator, HUNDRED), denominator)
    if value.adjusted() > 20:
        return value
    return value.quantize(_PCT_PLACES, context=DISPLAY)


def _ratio(value: Decimal) -> tuple[int, int]:
    return value.as_integer_ratio()


def max_lots(a: Decimal, b: Decimal, lot: Decimal) -> int:
    """Largest integer ``k`` with ``a·k·lot ≤ b`` (``a > 0``, ``lot > 0``), exactly.

    Integer arithmetic on the Decimals' exact ratios: a Decimal division could round a quotient
    of 2.999… up to 3 and put the headroom one lot past the limit.
    """
    an, ad = _ratio(a)
    bn, bd = _ratio(b)
    ln, ld = _ratio(lot)
    return (bn * ad * ld) // (bd * an * ln)


def max_lots_strict(a: Decimal, b: Decimal, lot: Decimal) -> int:
    """Largest integer ``k`` with ``a·k·lot < b`` (``a > 0``, ``lot > 0``), exactly."""
    an, ad = _ratio(a)
    bn, bd = _ratio(b)
    ln, ld = _ratio(lot)
    num, den = bn * ad * ld, bd * an * ln
    return -((-num) // den) - 1


def lots_down(quantity: Decimal, lot: Decimal) -> Decimal:
    """``quantity`` rounded down to a whole number of lots (never below zero)."""
    if quantity <= ZERO:
        return ZERO
    return (quantity // lot) * lot
