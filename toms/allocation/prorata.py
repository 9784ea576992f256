"""Sharing a block's filled quantity among its orders, in lots (policy in ``apportion``).

The three methods differ only in weights and caps fed to the one engine:

=================  ==================  ====================================
method             weight              cap
=================  ==================  ====================================
PRO_RATA           order quantity      order quantity
TARGET_QUANTITY    target quantity     target quantity (≤ order quantity)
PERCENTAGE         percentage          order quantity
=================  ==================  ====================================

All quantities of one block are scaled to integers together (``units``) so the shares are
exact, and the result is a pure function of the inputs and the tie ranks.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from toms.allocation.apportion import apportion, ideal_shares
from toms.allocation.instructions import AllocationInputs, AllocationMethod
from toms.allocation.units import common_places, from_units, to_units
from toms.domain.values import ZERO


def _weights_and_caps(inputs: AllocationInputs, places: int) -> tuple[list[int], list[int]]:
    requests = inputs.requests
    order_caps = [to_units(r.quantity, places) for r in requests]
    if inputs.method is AllocationMethod.PRO_RATA:
        return order_caps, order_caps
    targets = [r.target if r.target is not None else ZERO for r in requests]
    if inputs.method is AllocationMethod.TARGET_QUANTITY:
        target_units = [to_units(t, places) for t in targets]
        return target_units, target_units
    weight_places = common_places(targets)
    return [to_units(t, weight_places) for t in targets], order_caps


def _places(inputs: AllocationInputs) -> int:
    values = [inputs.lot_size, inputs.filled_quantity]
    values.extend(r.quantity for r in inputs.requests)
    if inputs.method is AllocationMethod.TARGET_QUANTITY:
        values.extend(r.target for r in inputs.requests if r.target is not None)
    return common_places(values)


def allocate_quantities(inputs: AllocationInputs, ranks: Sequence[int]) -> tuple[Decimal, ...]:
    """Quantity per request (in request order); adds up to ``inputs.filled_quantity``."""
    places = _places(inputs)
    weights, caps = _weights_and_caps(inputs, places)
    shares = apportion(
        to_units(inputs.filled_quantity, places),
        weights,
        caps,
        to_units(inputs.lot_size, places),
        ranks,
    )
    return tuple(from_units(s, places) for s in shares)


def ideal_quantities(inputs: AllocationInputs) -> tuple[Decimal, ...]:
    """The exact (unrounded) share each request would get with no lots: fairness baseline.

    Rounded only by the final Decimal division (context precision), for reporting.
    """
    places = _places(inputs)
    weights, caps = _weights_and_caps(inputs, places)
    room = [c if w > 0 else 0 for w, c in zip(weights, caps, strict=True)]
    numerators, denominator = ideal_shares(to_units(inputs.filled_quantity, places), weights, room)
    scale = Decimal(denominator).scaleb(places)
    return tuple(Decimal(n) / scale for n in numerators)
