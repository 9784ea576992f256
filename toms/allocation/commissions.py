"""Splitting block commissions and fees over accounts.

Rule: each charge is split pro-rata to the accounts' allocated quantities, rounded down to
the currency's minor unit (cents), and the leftover minor units go one each to the accounts
with the largest remainder, ties broken by the block's seeded rotation (``rotation``).
So $10.00 over three equal allocations is 3.33 each plus one cent to the account that comes
first in the rotation: 3.34 / 3.33 / 3.33, and the parts always add up to the charge.
A charge written with finer precision than the minor unit is split at its own precision so
it still reconciles exactly. Accounts allocated nothing pay nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from toms.allocation.apportion import apportion
from toms.allocation.instructions import Charge
from toms.allocation.units import common_places, from_units, places_of, to_units
from toms.domain.errors import InvalidValue


def split_charge(
    amount: Decimal,
    quantities: Sequence[Decimal],
    ranks: Sequence[int],
    minor_places: int = 2,
) -> list[Decimal]:
    """``amount`` split pro-rata to ``quantities`` (see module doc); adds up exactly."""
    qty_places = common_places(quantities)
    weights = [to_units(q, qty_places) for q in quantities]
    return _split(amount, weights, ranks, minor_places)


def _split(
    amount: Decimal, weights: Sequence[int], ranks: Sequence[int], minor_places: int
) -> list[Decimal]:
    places = max(minor_places, places_of(amount))
    total = to_units(amount, places)
    if total and not any(weights):
        raise InvalidValue("a charge cannot be split over nothing allocated")
    shares = apportion(total, weights, [total] * len(weights), 1, ranks)
    return [from_units(s, places) for s in shares]


def split_charges(
    charges: Sequence[Charge],
    quantities: Sequence[Decimal],
    ranks: Sequence[int],
    minor_places: int = 2,
) -> list[tuple[tuple[str, Decimal], ...]]:
    """Per account (in ``quantities`` order), ``(charge name, amount)`` for every charge."""
    qty_places = common_places(quantities)
    weights = [to_units(q, qty_places) for q in quantities]
    columns = [_split(c.amount, weights, ranks, minor_places) for c in charges]
    names = [c.name for c in charges]
    return [tuple(zip(names, row, strict=True)) for row in zip(*columns, strict=True)]
