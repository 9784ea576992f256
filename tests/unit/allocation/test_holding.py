"""The one-year rule: held more than a year, counting from the day after acquisition."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from toms.allocation import Term, long_term_from, term_of
from toms.allocation.holding import last_long_term_start


@pytest.mark.parametrize(
    ("bought", "sold", "term"),
    [
        # Period starts 2025-03-16; one year ends 2026-03-15.
        (date(2025, 3, 15), date(2026, 3, 15), Term.SHORT),
        (date(2025, 3, 15), date(2026, 3, 16), Term.LONG),
        (date(2025, 3, 15), date(2025, 3, 15), Term.SHORT),
        # Bought Feb 29: period starts Mar 1 2024 → one year ends Feb 28 2025.
        (date(2024, 2, 29), date(2025, 2, 28), Term.SHORT),
        (date(2024, 2, 29), date(2025, 3, 1), Term.LONG),
        # Bought Feb 28 2024: period starts Feb 29 2024 → the year ends Feb 28 2025.
        (date(2024, 2, 28), date(2025, 2, 28), Term.SHORT),
        (date(2024, 2, 28), date(2025, 3, 1), Term.LONG),
        # Bought Feb 28 2023: period starts Mar 1 2023 → the year ends Feb 29 2024.
        (date(2023, 2, 28), date(2024, 2, 29), Term.SHORT),
        (date(2023, 2, 28), date(2024, 3, 1), Term.LONG),
        # Bought Dec 31: period starts Jan 1 → the year ends Dec 31.
        (date(2025, 12, 31), date(2026, 12, 31), Term.SHORT),
        (date(2025, 12, 31), date(2027, 1, 1), Term.LONG),
    ],
)
def test_term(bought, sold, term):
    assert term_of(bought, sold) is term


def test_first_long_term_day():
    assert long_term_from(date(2025, 3, 15)) == date(2026, 3, 16)
    assert long_term_from(date(2024, 2, 29)) == date(2025, 3, 1)


@given(
    st.dates(min_value=date(1999, 1, 1), max_value=date(2060, 12, 31)),
    st.integers(min_value=0, max_value=800),
)
def test_cutoff_agrees_with_the_rule(start, days_held):
    sale = start + timedelta(days=days_held)
    assert (start <= last_long_term_start(sale)) == (term_of(start, sale) is Term.LONG)
