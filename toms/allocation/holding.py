"""Short-term or long-term: the US holding-period rule.

A gain is long-term when the asset was held *more than one year*. The holding period starts
the day after acquisition and includes the day of sale (IRS Pub. 544), so it is more than a
year once the sale date reaches the first day after acquisition moved on one calendar year:

    long-term  ⇔  sale_date ≥ add_one_year(holding_start + 1 day)

A lot bought 2025-03-15 starts its holding period 2025-03-16; sold 2026-03-15 it was held
exactly one year (short-term), sold 2026-03-16 more than a year (long-term).

February 29: a year that starts on Feb 29 ends on Feb 28, so the first long-term day is
March 1. A lot bought 2024-02-28 (period starts 2024-02-29) or 2024-02-29 (starts
2024-03-01) is long-term from 2025-03-01; a lot bought 2023-02-28 (starts 2023-03-01) is
long-term from 2024-03-01, so a sale on 2024-02-29 is still short-term.
"""

from __future__ import annotations

from datetime import date, timedelta
from enum import StrEnum
from functools import lru_cache


class Term(StrEnum):
    SHORT = "short_term"
    LONG = "long_term"


def _one_year_later(day: date) -> date:
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # February 29 in a non-leap year: the year ended on Feb 28
        return date(day.year + 1, 3, 1)


@lru_cache(maxsize=8192)
def long_term_from(holding_start: date) -> date:
    """The first sale date on which a lot with this holding start is long-term.

    Cached: it is pure, and a book of many lots asks it about the same dates again and again.
    """
    return _one_year_later(holding_start + timedelta(days=1))


@lru_cache(maxsize=1024)
def last_long_term_start(sale_date: date) -> date:
    """The latest holding start that is long-term on ``sale_date``.

    ``long_term_from`` never decreases as the start moves later, so the long-term starts
    for one sale date are exactly those on or before this date: one date comparison per
    lot instead of a calendar computation per lot.
    """
    year_before = _one_year_earlier(sale_date)
    start = year_before + timedelta(days=3)
    while long_term_from(start) > sale_date:
        start -= timedelta(days=1)
    return start


def _one_year_earlier(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # February 29
        return date(day.year - 1, 2, 28)


def term_of(holding_start: date, sale_date: date) -> Term:
    return Term.LONG if sale_date >= long_term_from(holding_start) else Term.SHORT
