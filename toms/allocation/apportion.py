"""Largest-remainder apportionment of whole units, in lots, under caps.

This is the one engine behind every split in the package: quantities to orders (in lots of
the security's lot size) and charges to accounts (in cents). It works in exact integers
(see ``units``). The policy, which the allocation record names as ``POLICY``:

1. **Ideal shares.** Each claim's ideal share is ``total × weight / Σ weights``. If that
   exceeds the claim's cap (its order quantity), the claim is fixed at its cap and the rest
   is re-shared among the others by weight, repeatedly ("water-filling"). Zero-weight claims
   take nothing. Pro-rata by order quantity never hits a cap; percentages can.
2. **Whole lots, rounded down.** Each claim gets ``floor(ideal / lot)`` lots. This is the
   *min-lot rule*: a claim whose ideal share is under one lot gets nothing here and competes
   for the leftover lots by its remainder like everyone else.
3. **Leftover lots by largest remainder.** The whole lots still unallocated go one each to
   the claims with the largest remainder (ideal − allocated) among those with a positive
   remainder and room for a whole lot under their cap. Ties go to the lower rank of the
   seeded rotation (``rotation``).
4. **Residual.** Whatever is still left — the odd-lot part of a fill that is not a multiple
   of the lot, and any lot nobody had room for whole — goes to the claims in order of
   largest remaining remainder (ties by rotation), each taking as much as its cap allows,
   until nothing is left. So the parts always add up to the total exactly, and no claim
   ever exceeds its cap.
"""

from __future__ import annotations

from collections.abc import Sequence

from toms.domain.errors import InvalidValue

POLICY = "largest-remainder/min-lot/sha256-rotation/v1"


def ideal_shares(total: int, weights: Sequence[int], caps: Sequence[int]) -> tuple[list[int], int]:
    """Water-filled ideal shares as numerators over one common denominator.

    Returns ``(numerators, denominator)``: claim i's ideal share is numerators[i] / denominator,
    never above its cap, and the shares add up to ``total`` (given Σ caps ≥ total).
    """
    active = [i for i, w in enumerate(weights) if w > 0 and caps[i] > 0]
    fixed: dict[int, int] = {}
    remaining = total
    weight_sum = sum(weights[i] for i in active)
    while active:
        over = [i for i in active if remaining * weights[i] > caps[i] * weight_sum]
        if not over:
            break
        for i in over:
            fixed[i] = caps[i]
            remaining -= caps[i]
        over_set = set(over)
        active = [i for i in active if i not in over_set]
        weight_sum = sum(weights[i] for i in active)
    denominator = weight_sum if active else 1
    numerators = [0] * len(weights)
    for i in active:
        numerators[i] = remaining * weights[i]
    for i, cap in fixed.items():
        numerators[i] = cap * denominator
    return numerators, denominator


def apportion(
    total: int,
    weights: Sequence[int],
    caps: Sequence[int],
    lot: int,
    ranks: Sequence[int],
) -> list[int]:
    """Split ``total`` units by ``weights`` in multiples of ``lot``, capped; see module doc."""
    count = len(weights)
    if not (len(caps) == len(ranks) == count):
        raise InvalidValue("weights, caps and ranks must have one entry per claim")
    if total < 0 or lot <= 0:
        raise InvalidValue("total must not be negative and the lot must be positive")
    if any(w < 0 for w in weights) or any(c < 0 for c in caps):
        raise InvalidValue("weights and caps must not be negative")
    room = [c if w > 0 else 0 for w, c in zip(weights, caps, strict=True)]
    if sum(room) < total:
        raise InvalidValue(f"{total} units exceed what the claims can take ({sum(room)})")
    if total == 0:
        return [0] * count

    numerators, denominator = ideal_shares(total, weights, room)
    unit = denominator * lot
    allocated = [(n // unit) * lot for n in numerators]

    remaining = total - sum(allocated)
    whole_lots = remaining // lot
    if whole_lots:
        candidates = [
            i
            for i in range(count)
            if numerators[i] > allocated[i] * denominator and room[i] - allocated[i] >= lot
        ]
        candidates.sort(key=lambda i: (allocated[i] * denominator - numerators[i], ranks[i]))
        for i in candidates[:whole_lots]:
            allocated[i] += lot
        remaining = total - sum(allocated)

    if remaining:
        takers = [i for i in range(count) if room[i] > allocated[i]]
        takers.sort(key=lambda i: (allocated[i] * denominator - numerators[i], ranks[i]))
        for i in takers:
            take = min(remaining, room[i] - allocated[i])
            allocated[i] += take
            remaining -= take
            if not remaining:
                break
    return allocated
