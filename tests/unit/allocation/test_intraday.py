"""Intraday allocation is a function of the cumulative fill (toms.allocation.intraday)."""

from __future__ import annotations

from tests.unit.allocation.helpers import D, inputs
from toms.allocation import allocate, reallocate, starting_allocation


def test_cumulative_reallocation_and_changes():
    # 400/400/400, lot 100, seed offset 0 (ties O1, O2, O3):
    #   300 filled @ 50.00: ideal 100 each → 100 / 100 / 100
    #   700 filled @ 50.10: ideal 233.3 → floors 200 each + 1 lot to O1 → 300 / 200 / 200
    #  1000 filled @ 50.20: ideal 333.3 → floors 300 each + 1 lot to O1 → 400 / 300 / 300
    start = starting_allocation(inputs([400, 400, 400], 0))
    first = reallocate(start, D(300), D("50.00"))
    second = reallocate(first.record, D(700), D("50.10"))
    third = reallocate(second.record, D(1000), D("50.20"))
    assert [str(c.quantity) for c in first.record.outputs] == ["100", "100", "100"]
    assert [str(c.delta) for c in second.changes] == ["200", "100", "100"]
    assert [str(c.quantity) for c in third.changes] == ["400", "300", "300"]
    assert {c.price for c in third.changes} == {D("50.20")}
    assert {c.previous_price for c in third.changes} == {D("50.10")}
    # Final intraday == one-shot allocation of the total.
    assert third.record == allocate(inputs([400, 400, 400], 1000, price="50.20"))


def test_a_growing_fill_can_take_a_provisional_lot_back():
    # The Alabama paradox, which largest remainder allows and intraday reports honestly.
    # 100/300/500 (Σ 900), lot 100.
    # 400 filled: ideal 44.4 / 133.3 / 222.2 → floors 0/100/200; 1 lot: remainders
    #   44.4 / 33.3 / 22.2 → O1 → 100 / 100 / 200.
    # 500 filled: ideal 55.6 / 166.7 / 277.8 → floors 0/100/200; 2 lots: remainders
    #   55.6 / 66.7 / 77.8 → O3, O2 → 0 / 200 / 300.   O1's delta is −100.
    before = allocate(inputs([100, 300, 500], 400))
    after = reallocate(before, D(500), D("50.00"))
    assert [str(c.delta) for c in after.changes] == ["-100", "100", "100"]
    assert sum(c.delta for c in after.changes) == D(100)


def test_a_bust_is_just_a_smaller_cumulative_fill():
    full = allocate(inputs([400, 400, 400], 1000))
    busted = reallocate(full, D(700), D("50.00"))
    assert busted.record == allocate(inputs([400, 400, 400], 700))


def test_charges_default_to_the_previous_ones():
    before = allocate(inputs([100, 100], 100, charges={"commission": "1.00"}))
    after = reallocate(before, D(200), D("50.00"))
    assert after.record.inputs.charges == before.inputs.charges
    assert sum(a.total_charges for a in after.record.outputs) == D("1.00")
