"""Properties of every allocation (hypothesis):

- allocated quantities add up to the filled quantity, exactly;
- no order gets more than its quantity (or its target), none gets a negative quantity;
- every account gets the block average price;
- charges add up to each charge exactly;
- replay reproduces the outputs, and the record survives to_dict/from_dict;
- the allocation does not depend on the order the requests are listed in;
- with lot-multiple orders and fill, no account is a lot or more away from its ideal share;
- intraday: re-allocating cumulative fills in any steps ends at the one-shot allocation.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import ROUND_DOWN, Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from toms.allocation import (
    AllocationInputs,
    AllocationMethod,
    AllocationRecord,
    AllocationRequest,
    Charge,
    allocate,
    fairness_report,
    reallocate,
    replay,
    starting_allocation,
    verify,
)
from toms.domain.ids import AccountId, BlockId, OrderId, Symbol
from toms.domain.values import ZERO, Side

LOTS = st.sampled_from([Decimal(1), Decimal(10), Decimal(100), Decimal("0.5"), Decimal("0.001")])
SEEDS = st.text(min_size=0, max_size=12)
PRICES = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("5000"), places=4)
CHARGES = st.decimals(min_value=Decimal(0), max_value=Decimal("1000"), places=2)


@st.composite
def block_inputs(
    draw: st.DrawFn, method: AllocationMethod = AllocationMethod.PRO_RATA
) -> AllocationInputs:
    lot = draw(LOTS)
    count = draw(st.integers(min_value=1, max_value=25))
    quantities = [
        Decimal(draw(st.integers(min_value=1, max_value=2000))) * lot
        + draw(st.sampled_from([ZERO, ZERO, lot / 2]))
        for _ in range(count)
    ]
    ids = draw(st.permutations([f"O{i:02d}" for i in range(count)]))
    total = sum(quantities, ZERO)
    targets: list[Decimal | None] = [None] * count
    if method is AllocationMethod.TARGET_QUANTITY:
        targets = [
            Decimal(draw(st.integers(min_value=0, max_value=int(q / lot)))) * lot
            for q in quantities
        ]
        total = min(total, sum((t for t in targets if t is not None), ZERO))
    elif method is AllocationMethod.PERCENTAGE:
        cuts = sorted(draw(st.lists(st.integers(0, 10000), min_size=count - 1, max_size=count - 1)))
        bounds = [0, *cuts, 10000]
        targets = [Decimal(bounds[i + 1] - bounds[i]) / 100 for i in range(count)]
        # The fill must fit the orders that have a percentage: Σ their quantities.
        total = sum((q for q, t in zip(quantities, targets, strict=True) if t), ZERO)
    steps = int(total / lot)
    filled = Decimal(draw(st.integers(min_value=0, max_value=steps))) * lot
    if draw(st.booleans()) and filled + lot / 2 <= total:
        filled += lot / 2  # a fill that is not a multiple of the lot
    requests = tuple(
        AllocationRequest(OrderId(ids[i]), AccountId(f"A{i}"), q, targets[i])
        for i, q in enumerate(quantities)
    )
    charges: tuple[Charge, ...] = ()
    if filled > ZERO:
        charges = (Charge("commission", draw(CHARGES)), Charge("fee", draw(CHARGES)))
    return AllocationInputs(
        block_id=BlockId(draw(st.sampled_from(["B1", "B2", "BLK-77"]))),
        symbol=Symbol("IBM"),
        side=Side.BUY,
        lot_size=lot,
        filled_quantity=filled,
        average_price=draw(PRICES) if filled > ZERO else ZERO,
        requests=requests,
        seed=draw(SEEDS),
        method=method,
        charges=charges,
    )


def check_invariants(record: AllocationRecord) -> None:
    inputs = record.inputs
    assert sum((a.quantity for a in record.outputs), ZERO) == inputs.filled_quantity
    for request, allocation in zip(inputs.requests, record.outputs, strict=True):
        assert allocation.order_id == request.order_id
        assert ZERO <= allocation.quantity <= request.quantity
        if inputs.method is AllocationMethod.TARGET_QUANTITY:
            assert request.target is not None
            assert allocation.quantity <= request.target
        if inputs.method is AllocationMethod.PERCENTAGE and request.target == ZERO:
            assert allocation.quantity == ZERO
        assert allocation.price == inputs.average_price
    for i, charge in enumerate(inputs.charges):
        assert sum((a.charges[i][1] for a in record.outputs), ZERO) == charge.amount


@settings(max_examples=200, deadline=None)
@given(block_inputs())
def test_pro_rata_invariants(inputs: AllocationInputs) -> None:
    record = allocate(inputs)
    check_invariants(record)
    assert replay(record) == record.outputs
    assert verify(record)
    assert AllocationRecord.from_dict(record.to_dict()) == record
    assert fairness_report(record).all_at_average_price


@settings(max_examples=100, deadline=None)
@given(block_inputs(AllocationMethod.TARGET_QUANTITY))
def test_target_invariants(inputs: AllocationInputs) -> None:
    record = allocate(inputs)
    check_invariants(record)
    assert replay(record) == record.outputs


@settings(max_examples=100, deadline=None)
@given(block_inputs(AllocationMethod.PERCENTAGE))
def test_percentage_invariants(inputs: AllocationInputs) -> None:
    record = allocate(inputs)
    check_invariants(record)
    assert replay(record) == record.outputs


@settings(max_examples=100, deadline=None)
@given(block_inputs(), st.randoms(use_true_random=False))
def test_listing_order_does_not_matter(inputs: AllocationInputs, rnd) -> None:
    shuffled = list(inputs.requests)
    rnd.shuffle(shuffled)
    a = {x.order_id: x for x in allocate(inputs).outputs}
    b = {x.order_id: x for x in allocate(replace(inputs, requests=tuple(shuffled))).outputs}
    assert a == b


@settings(max_examples=100, deadline=None)
@given(
    lot=st.sampled_from([Decimal(1), Decimal(100)]),
    lots_ordered=st.lists(st.integers(1, 50), min_size=1, max_size=20),
    fraction=st.fractions(min_value=0, max_value=1),
    seed=SEEDS,
)
def test_lot_multiples_stay_within_one_lot_of_the_ideal(lot, lots_ordered, fraction, seed) -> None:
    quantities = [Decimal(n) * lot for n in lots_ordered]
    filled = Decimal(int(fraction * sum(lots_ordered))) * lot
    requests = tuple(
        AllocationRequest(OrderId(f"O{i}"), AccountId(f"A{i}"), q) for i, q in enumerate(quantities)
    )
    record = allocate(
        AllocationInputs(
            BlockId("B"), Symbol("X"), Side.SELL, lot, filled, Decimal(10), requests, seed
        )
    )
    report = fairness_report(record)
    assert report.max_abs_deviation < lot
    assert all(a.quantity % lot == ZERO for a in record.outputs)


@settings(max_examples=100, deadline=None)
@given(block_inputs(), st.lists(st.fractions(min_value=0, max_value=1), max_size=6), PRICES)
def test_intraday_ends_at_the_one_shot_allocation(
    inputs: AllocationInputs, cuts, last_price
) -> None:
    final = inputs.filled_quantity
    steps = sorted(
        {
            (final * Decimal(c.numerator) / Decimal(c.denominator)).quantize(
                Decimal("0.0001"), rounding=ROUND_DOWN
            )
            for c in cuts
        }
    )
    record = starting_allocation(inputs)
    for cumulative in steps:
        if cumulative > ZERO:
            update = reallocate(record, cumulative, last_price, charges=())
            check_invariants(update.record)
            assert (
                sum((c.delta for c in update.changes), ZERO)
                == cumulative - record.allocated_quantity
            )
            record = update.record
    done = reallocate(record, final, inputs.average_price, charges=inputs.charges).record
    assert done == allocate(inputs)
