"""Linear exposure limits: the shared arithmetic of position and concentration rules.

An exposure ``E(q) = e0 + e·q`` is measured against a base ``D(q) = d0 + d·q`` (NAV for a
percentage limit, the constant 1 for a share count). The limit holds while

    |E(q)| · k ≤ limit · D(q)        (k = 100 for a percentage, 1 for an absolute limit)

and ``D(q) > 0``. A breach blocks only if the order makes it worse, ``|E|/D`` rising; an order
that leaves a pre-existing breach no worse (a sell that trims an over-limit position) is let
through with a warning, because forbidding it would lock the account in its breach.

Both inequalities are linear in ``q``, so the headroom is solved rather than searched: the
largest ``q`` meeting them, rounded down to whole lots with exact integer arithmetic.
``screen_linear`` is the same test over numpy arrays, for the block check; it flags rows so close
to a boundary that float rounding could decide them, and the caller re-checks those exactly.
"""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import numpy.typing as npt

from toms.compliance.exact import ONE, ZERO, max_lots, max_lots_strict
from toms.compliance.results import RuleResult, Status
from toms.compliance.rules.base import PASS_CODE, WARN_CODE, Codes, pct_text, relation

Floats = npt.NDArray[np.float64]
Bools = npt.NDArray[np.bool_]
# Relative tolerance for the float screen. float64 carries ~1e-16 relative error per operation;
# any row whose two sides differ by less than 1e-9 of their magnitude is re-checked exactly.
TOLERANCE = 1e-9


def linear_status(
    e0: Decimal,
    e: Decimal,
    d0: Decimal,
    d: Decimal,
    k: Decimal,
    limit: Decimal,
    q: Decimal,
    on_breach: Status,
) -> Status:
    """PASS within the limit; ``on_breach`` if breached and worse than before; else WARN.

    "Worse" is ``|E1|/D1 > |E0|/D0``, cross-multiplied; an undefined ratio counts as worse.
    """
    e1 = e0 + e * q
    d1 = d0 + d * q
    if d1 > ZERO and abs(e1) * k <= limit * d1:
        return Status.PASS
    if d1 <= ZERO or d0 <= ZERO or abs(e1) * d0 > abs(e0) * d1:
        return on_breach
    return Status.WARN


def linear_headroom(
    e0: Decimal,
    e: Decimal,
    d0: Decimal,
    d: Decimal,
    k: Decimal,
    limit: Decimal,
    quantity: Decimal,
    lot: Decimal,
) -> Decimal:
    """Largest whole-lot ``q ≤ quantity`` that is within the limit or no worse than now.

    Within the limit before the order: solve ``±E(q)·k ≤ limit·D(q)``. Already in breach:
    solve ``±E(q)·D0 ≤ |E0|·D(q)`` (no worse than now; within the limit implies it). Either
    way also ``D(q) > 0``. Each inequality ``a·q ≤ b`` with ``a > 0`` caps ``q``; ``b ≥ 0``
    holds at ``q = 0``, so the pass region is an interval from zero and its top is the answer.
    """
    if d0 <= ZERO:
        return ZERO
    if abs(e0) * k > limit * d0:
        kc, mc = d0, abs(e0)
    else:
        kc, mc = k, limit
    best: int | None = None
    for a, b in ((e * kc - mc * d, mc * d0 - e0 * kc), (-e * kc - mc * d, mc * d0 + e0 * kc)):
        if a > ZERO:
            lots = max_lots(a, b, lot)
            best = lots if best is None else min(best, lots)
    if d < ZERO:
        lots = max_lots_strict(-d, d0, lot)
        best = lots if best is None else min(best, lots)
    if best is None:
        return quantity
    return min(quantity, max(best, 0) * lot)


def screen_linear(
    e0: Floats,
    e: Floats,
    d0: Floats,
    d: Floats,
    q: Floats,
    k: float,
    limit: float,
    breach_code: int,
) -> tuple[Codes, Bools]:
    """Vectorised ``LinearExposure.status``: status codes, and rows too close to call."""
    eq = e * q
    dq = d * q
    e1 = e0 + eq
    d1 = d0 + dq
    ae1 = np.abs(e1)
    ae0 = np.abs(e0)
    scale_e = ae0 + np.abs(eq)
    scale_d = np.abs(d0) + np.abs(dq)
    lhs = ae1 * k
    rhs = limit * d1
    breach = (d1 <= 0) | (lhs > rhs)
    ambiguous = (np.abs(d1) <= TOLERANCE * scale_d) | (
        np.abs(lhs - rhs) <= TOLERANCE * (scale_e * k + limit * scale_d)
    )
    wl = ae1 * d0
    wr = ae0 * d1
    worse = (d1 <= 0) | (d0 <= 0) | (wl > wr)
    ambiguous |= breach & (np.abs(wl - wr) <= TOLERANCE * (scale_e * np.abs(d0) + ae0 * scale_d))
    codes = np.where(breach, np.where(worse, breach_code, WARN_CODE), PASS_CODE).astype(np.int8)
    return codes, ambiguous


def describe_exposure(result: RuleResult, what: str) -> str:
    """`IBM: position 10.4% of NAV after the order (9.5% before), above the 10% limit`."""
    cur, post = result.current_value or ZERO, result.post_value or ZERO
    cb = result.current_base if result.current_base is not None else ONE
    pb = result.post_base if result.post_base is not None else ONE
    worse = pb <= ZERO or cb <= ZERO or abs(post) * cb > abs(cur) * pb
    limit = result.limit
    if result.current_base is None:  # an absolute limit (shares)
        return (
            f"{result.subject}: {what} {post:,} {result.unit} after the order ({cur:,} before), "
            f"{relation(result, worse)} the {limit:,} {result.limit_unit} limit"
        )
    return (
        f"{result.subject}: {what} {pct_text(result.post_pct)} of NAV after the order "
        f"({pct_text(result.current_pct)} before), {relation(result, worse)} the {limit}% limit"
    )
