"""Restricted list: no_buy, no_sell and full, by symbol or by issuer."""

from __future__ import annotations

import pytest

from tests.unit.compliance.builders import check, sec, snap, trade
from toms.compliance import Severity, Status
from toms.compliance.rules import RestrictedEntry, RestrictedList, Restriction
from toms.domain.values import Side

LIST = RestrictedList(
    rule_id="restricted",
    entries=(
        RestrictedEntry(Restriction.NO_BUY, symbol="NOBUY", reason="ESG exclusion"),
        RestrictedEntry(Restriction.NO_SELL, symbol="NOSELL"),
        RestrictedEntry(Restriction.FULL, symbol="FULL", reason="MNPI"),
        RestrictedEntry(Restriction.FULL, issuer="Acme Corp"),
    ),
)
S = snap(
    10**9,
    securities=[
        sec("NOBUY"),
        sec("NOSELL"),
        sec("FULL"),
        sec("FREE"),
        sec("ACME.B", issuer="Acme Corp"),
    ],
)
LOCATE = {Side.SELL_SHORT: "L1"}


@pytest.mark.parametrize(
    ("symbol", "side", "status"),
    [
        ("NOBUY", Side.BUY, Status.BLOCK),
        ("NOBUY", Side.BUY_TO_COVER, Status.BLOCK),
        ("NOBUY", Side.SELL, Status.PASS),
        ("NOBUY", Side.SELL_SHORT, Status.PASS),
        ("NOSELL", Side.BUY, Status.PASS),
        ("NOSELL", Side.SELL, Status.BLOCK),
        ("NOSELL", Side.SELL_SHORT, Status.BLOCK),
        ("FULL", Side.BUY, Status.BLOCK),
        ("FULL", Side.SELL, Status.BLOCK),
        ("ACME.B", Side.BUY, Status.BLOCK),  # covered by its issuer's entry
        ("ACME.B", Side.SELL_SHORT, Status.BLOCK),
        ("FREE", Side.BUY, Status.PASS),
    ],
)
def test_restriction_by_side(symbol: str, side: Side, status: Status) -> None:
    r = check(LIST, trade(symbol, 100, side, locate=LOCATE.get(side)), S)
    assert r.status is status
    assert r.headroom == (0 if status is Status.BLOCK else 100)


def test_message_names_entry_and_reason() -> None:
    r = check(LIST, trade("FULL", 1), S)
    assert r.message == "FULL buy is restricted: FULL is full (MNPI)"
    assert check(LIST, trade("ACME.B", 1), S).subject == "issuer Acme Corp"


def test_warn_severity_warns_and_keeps_headroom() -> None:
    rule = RestrictedList(rule_id="watch", severity=Severity.WARN, entries=LIST.entries)
    r = check(rule, trade("NOBUY", 100), S)
    assert (r.status, r.headroom) == (Status.WARN, 100)


def test_entry_names_exactly_one_of_symbol_or_issuer() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        RestrictedEntry(Restriction.FULL, symbol="X", issuer="Y")
    with pytest.raises(ValueError, match="exactly one"):
        RestrictedEntry(Restriction.FULL)
