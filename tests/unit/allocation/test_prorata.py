"""Hand-computed pro-rata, target and percentage allocations (policy: toms.allocation.apportion).

Rotation offsets used below, from offset = sha256("<seed>|B1")[:8 bytes] mod 3 and the
orders in id order O1, O2, O3 (rank 0 = the order at position ``offset``):
  seed 2026-11-20 → offset 0 → tie order O1, O2, O3
  seed 2026-11-21 → offset 1 → tie order O2, O3, O1
  seed 2026-11-23 → offset 2 → tie order O3, O1, O2
"""

from __future__ import annotations

import pytest

from tests.unit.allocation.helpers import D, inputs, offset_for
from toms.allocation import AllocationMethod, allocate
from toms.domain.errors import InvalidValue, Overfill


def quantities(record) -> list[str]:
    return [str(a.quantity) for a in record.outputs]


def test_rotation_offsets_used_in_this_module():
    assert offset_for("2026-11-20", "B1", 3) == 0
    assert offset_for("2026-11-21", "B1", 3) == 1
    assert offset_for("2026-11-23", "B1", 3) == 2


@pytest.mark.parametrize(
    ("seed", "expected"),
    [
        ("2026-11-20", ["100", "100", "0"]),  # ties → O1, O2
        ("2026-11-21", ["0", "100", "100"]),  # ties → O2, O3
        ("2026-11-23", ["100", "0", "100"]),  # ties → O3, O1
    ],
)
def test_three_equal_orders_two_lots_filled(seed, expected):
    # Ordered 100/100/100, lot 100, 200 filled. Ideal 200 × 100/300 = 66.67 each.
    # Min-lot rule: floor(66.67 / 100) = 0 lots each; 2 lots left over.
    # Remainders 66.67 / 66.67 / 66.67 all tie → the first two in rotation get a lot.
    record = allocate(inputs([100, 100, 100], 200, seed=seed))
    assert quantities(record) == expected
    assert record.inputs.seed == seed
    assert record.rotation_offset == offset_for(seed, "B1", 3)


def test_thousand_in_lots_of_hundred_over_three_orders_of_four_hundred():
    # Ordered 400/400/400, lot 100, 1,000 filled. Ideal 1000 × 400/1200 = 333.33 each.
    # Floors: 3 lots = 300 each, 900 allocated, 1 lot left.
    # Remainders 33.33 each tie; seed 2026-11-23 → offset 2 → O3 has rank 0 → 400.
    record = allocate(inputs([400, 400, 400], 1000, seed="2026-11-23"))
    assert quantities(record) == ["300", "300", "400"]
    assert record.inputs.seed == "2026-11-23"  # the seed is recorded with the result
    assert record.rotation_offset == 2


def test_odd_lot_residual_goes_to_largest_remaining_remainder():
    # 400/400/400, lot 100, 1,050 filled: ideal 350 each; floors 300 each (900).
    # 150 left = 1 whole lot + 50 odd.  The lot: remainders 50/50/50 tie → O1 (offset 0).
    # Residual 50: remaining remainders O1 350−400 = −50, O2 +50, O3 +50; tie → O2.
    record = allocate(inputs([400, 400, 400], 1050))
    assert quantities(record) == ["400", "350", "300"]


def test_unequal_orders_largest_remainder():
    # 500/300/200, lot 100, 700 filled: ideal 350 / 210 / 140.
    # Floors 300 / 200 / 100 = 600; one lot left; remainders 50 / 10 / 40 → O1.
    record = allocate(inputs([500, 300, 200], 700))
    assert quantities(record) == ["400", "200", "100"]


def test_small_account_competes_for_remainder_lots():
    # 300/300/300/100, lot 100, 400 filled: ideal 133.3 / 133.3 / 133.3 / 44.4.
    # Floors 100/100/100/0 (O4 is under one lot: nothing in the first pass).
    # One lot left: remainders 33.3 / 33.3 / 33.3 / 44.4 → O4, the largest.
    record = allocate(inputs([300, 300, 300, 100], 400))
    assert quantities(record) == ["100", "100", "100", "100"]


def test_share_under_a_lot_without_room_for_a_lot_gets_nothing():
    # 900/60/40, lot 100, 500 filled: ideal 450 / 30 / 20.  Floors 400 / 0 / 0.
    # One lot left: O1 remainder 50 with room 500; O2, O3 have room < one lot (60, 40).
    # The lot goes to O1; no odd residual is left, so the small orders get nothing.
    record = allocate(inputs([900, 60, 40], 500))
    assert quantities(record) == ["500", "0", "0"]


def test_orders_not_multiple_of_lot_take_residual_up_to_their_order():
    # 150/150/150, lot 100, 400 filled: ideal 133.33 each; floors 100 each (300).
    # One lot left but no order has room for a whole lot (room 50 each) → residual 100.
    # Remaining remainders 33.33 each tie → O1 takes 50 (its cap), then O2 takes 50.
    record = allocate(inputs([150, 150, 150], 400))
    assert quantities(record) == ["150", "150", "100"]


def test_complete_fill_gives_every_order_its_quantity():
    record = allocate(inputs([137, 250, 13], 400))
    assert quantities(record) == ["137", "250", "13"]


def test_nothing_filled_gives_nothing():
    record = allocate(inputs([100, 200], 0))
    assert quantities(record) == ["0", "0"]


def test_every_account_gets_the_block_average_price():
    record = allocate(inputs([100, 200, 300], 500, price="50.123456"))
    assert {a.price for a in record.outputs} == {D("50.123456")}


def test_fractional_lot_sizes_are_exact():
    # Bonds in 0.5 units: 2.5 filled over 1 / 1 / 1: ideal 0.8333 each, floors 0.5 each
    # (1.5); two lots of 0.5 left → remainders 0.3333 tie → O1, O2 (offset 0).
    record = allocate(inputs(["1", "1", "1"], "2.5", lot="0.5"))
    assert quantities(record) == ["1.0", "1.0", "0.5"]


def test_overfill_is_refused():
    with pytest.raises(Overfill):
        inputs([100, 100], 300)


def test_targets_adding_up_to_the_fill_are_exact():
    record = allocate(
        inputs([500, 500], 500, method=AllocationMethod.TARGET_QUANTITY, targets=[300, 200])
    )
    assert quantities(record) == ["300", "200"]


def test_targets_on_a_partial_fill_are_shared_pro_rata_to_the_targets():
    # Targets 300/200, 250 filled: ideal 150 / 100; floors 100 / 100; 50 residual.
    # Remaining remainders 50 / 0 → O1.
    record = allocate(
        inputs([500, 500], 250, method=AllocationMethod.TARGET_QUANTITY, targets=[300, 200])
    )
    assert quantities(record) == ["150", "100"]


def test_targets_must_cover_the_fill_and_fit_the_orders():
    with pytest.raises(InvalidValue, match="less than the filled"):
        inputs([500, 500], 600, method=AllocationMethod.TARGET_QUANTITY, targets=[300, 200])
    with pytest.raises(InvalidValue, match="exceeds its order"):
        inputs([500, 500], 500, method=AllocationMethod.TARGET_QUANTITY, targets=[600, 0])


def test_percentages():
    # 50% / 30% / 20% of 1,000: 500 / 300 / 200.
    record = allocate(
        inputs([1000, 1000, 1000], 1000, method=AllocationMethod.PERCENTAGE, targets=[50, 30, 20])
    )
    assert quantities(record) == ["500", "300", "200"]


def test_percentage_above_an_order_is_capped_and_re_shared():
    # 50 / 25 / 25 % of 1,000 but O1 ordered only 200: O1 fixed at 200, the other 800
    # re-shared 25:25 → 400 / 400.
    record = allocate(
        inputs([200, 1000, 1000], 1000, method=AllocationMethod.PERCENTAGE, targets=[50, 25, 25])
    )
    assert quantities(record) == ["200", "400", "400"]


def test_percentages_must_add_up_to_a_hundred():
    with pytest.raises(InvalidValue, match="not 100"):
        inputs([100, 100], 100, method=AllocationMethod.PERCENTAGE, targets=[50, 40])


def test_pro_rata_takes_no_targets():
    with pytest.raises(InvalidValue, match="no targets"):
        inputs([100, 100], 100, targets=[50, 50])
