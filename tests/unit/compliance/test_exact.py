"""Exact lot arithmetic: floors that a Decimal division would get wrong."""

from __future__ import annotations

from decimal import Decimal

import pytest

from toms.compliance.exact import display_percent, lots_down, max_lots, max_lots_strict


@pytest.mark.parametrize(
    ("a", "b", "lot", "expected"),
    [
        ("33.33", "5000000", "1", 150015),  # 150,015.0015…
        ("100", "50000", "1", 500),  # exactly 500
        ("100", "50000", "100", 5),
        ("100", "49999.99", "100", 4),
        ("3", "1", "1", 0),
        ("3", "-1", "1", -1),
        ("0.3333333333333333333333333333", "0.9999999999999999999999999999", "1", 3),  # exact
        # 8.99…9 / 3 = 2.99…9667: a 28-digit Decimal division rounds that up to 3
        ("3", "8.999999999999999999999999999999", "1", 2),
    ],
)
def test_max_lots(a: str, b: str, lot: str, expected: int) -> None:
    assert max_lots(Decimal(a), Decimal(b), Decimal(lot)) == expected


def test_strict_and_lots_down() -> None:
    assert max_lots_strict(Decimal(100), Decimal(50000), Decimal(1)) == 499  # 500 would be equal
    assert max_lots_strict(Decimal(100), Decimal(50001), Decimal(1)) == 500
    assert lots_down(Decimal(750), Decimal(100)) == 700
    assert lots_down(Decimal(-5), Decimal(1)) == 0


def test_display_percent() -> None:
    assert display_percent(Decimal(1), Decimal(3)) == Decimal("33.3333")
    assert display_percent(Decimal(1), Decimal(0)) is None
