"""Charges split pro-rata to allocated quantity, cents by largest remainder + rotation."""

from __future__ import annotations

import pytest

from tests.unit.allocation.helpers import D, inputs
from toms.allocation import allocate, split_charge


def charges_of(record, name: str = "commission") -> list[str]:
    return [str(dict(a.charges)[name]) for a in record.outputs]


@pytest.mark.parametrize(
    ("seed", "expected"),
    [
        ("2026-11-20", ["3.34", "3.33", "3.33"]),  # offset 0: O1 has rank 0
        ("2026-11-21", ["3.33", "3.34", "3.33"]),  # offset 1: O2 has rank 0
        ("2026-11-23", ["3.33", "3.33", "3.34"]),  # offset 2: O3 has rank 0
    ],
)
def test_ten_dollars_over_three_equal_accounts(seed, expected):
    # $10.00 = 1,000 cents over 300/300/300: 333.33 cents each → floor 333 (3.33) each,
    # 999 allocated; 1 cent left; equal remainders → the rank-0 order of the rotation.
    record = allocate(inputs([300, 300, 300], 900, seed=seed, charges={"commission": "10.00"}))
    assert charges_of(record) == expected
    assert sum(a.total_charges for a in record.outputs) == D("10.00")


def test_largest_remainder_decides_before_rotation():
    # $1.00 = 100 cents over 500/300/200 → exact 50 / 30 / 20 cents.
    # $0.10 = 10 cents over 600/300/100 allocated → 6 / 3 / 1 cents.
    # $0.07 = 7 cents over 600/300/100 → ideal 4.2 / 2.1 / 0.7 → floors 4/2/0 (6);
    #   1 cent left: remainders .2 / .1 / .7 → O3 → 0.04 / 0.02 / 0.01.
    record = allocate(
        inputs(
            [600, 300, 100],
            1000,
            lot=1,
            charges={"commission": "0.10", "sec_fee": "0.07"},
        )
    )
    assert charges_of(record) == ["0.06", "0.03", "0.01"]
    assert charges_of(record, "sec_fee") == ["0.04", "0.02", "0.01"]


def test_accounts_allocated_nothing_pay_nothing():
    # 100/100/100 lot 100, 200 filled (offset 0): 100 / 100 / 0 → $5.00 → 2.50 / 2.50 / 0.
    record = allocate(inputs([100, 100, 100], 200, charges={"commission": "5.00"}))
    assert charges_of(record) == ["2.50", "2.50", "0.00"]


def test_sub_cent_charge_splits_at_its_own_precision():
    # 0.005 = 5 thousandths over two equal accounts: 2 each, 1 left → rank 0.
    assert split_charge(D("0.005"), [D(1), D(1)], [0, 1]) == [D("0.003"), D("0.002")]


def test_charges_need_a_fill():
    with pytest.raises(ValueError, match="nothing filled"):
        inputs([100], 0, charges={"commission": "1.00"})
