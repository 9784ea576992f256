"""Rule book configuration: the example file, every rule type, and every kind of mistake."""

from __future__ import annotations

import tomllib
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from toms.compliance import RULE_TYPES, ComplianceConfigError, Severity, rulebook_from_mapping
from toms.compliance.rules import (
    PositionPctLimit,
    PositionShareLimit,
    PriceCollar,
    RestrictedList,
    Restriction,
    UcitsAggregateLimit,
    WashSale,
)
from toms.domain.values import AssetClass

EXAMPLE = Path(__file__).resolve().parents[3] / "config" / "compliance.toml"


def book(*rules: dict[str, Any], **top: Any):  # type: ignore[no-untyped-def]
    return rulebook_from_mapping({"rules": list(rules), **top}, "test.toml")


def test_example_file_has_every_rule_type() -> None:
    data = tomllib.loads(EXAMPLE.read_text())
    rulebook = rulebook_from_mapping(data, str(EXAMPLE))
    assert {t["type"] for t in data["rules"]} == set(RULE_TYPES)
    assert rulebook.rule_ids == (
        "restricted-list",
        "fat-finger.quantity",
        "fat-finger.notional",
        "fat-finger.collar",
        "position-limit.pct_nav",
        "issuer-concentration",
        "sector-concentration",
        "country-concentration",
        "ica-1940-diversified",
        "ucits-5-10-40.issuer",
        "ucits-5-10-40.aggregate",
        "short-sale",
        "cash",
        "wash-sale",
    )
    limits = {r.rule_id: r.limit for r in rulebook.rules}
    assert limits["fat-finger.quantity"] == 100000
    assert limits["fat-finger.notional"] == 5000000
    assert limits["fat-finger.collar"] == 10
    assert limits["position-limit.pct_nav"] == 10
    assert limits["sector-concentration"] == 35
    assert limits["country-concentration"] == 60
    assert rulebook.rule("ica-1940-diversified").scope.groups == {"diversified_funds"}
    assert rulebook.rule("ucits-5-10-40.issuer").scope.groups == {"ucits"}
    assert rulebook.rule("wash-sale").severity is Severity.WARN
    restricted = rulebook.rule("restricted-list")
    assert isinstance(restricted, RestrictedList)
    assert [e.restriction for e in restricted.entries] == [
        Restriction.FULL,
        Restriction.NO_SELL,
        Restriction.NO_BUY,
    ]


def test_units_parameters_and_defaults() -> None:
    rb = book(
        {
            "id": "pos",
            "type": "position_limit",
            "max_pct_nav": "7.5",
            "max_shares": 1000,
            "exclude_asset_classes": ["cash"],
        },
        {"id": "ff", "type": "fat_finger", "price_collar_pct": 2.5},
        {"id": "u", "type": "ucits_5_10_40", "severity": "warn", "accounts": ["A1"]},
        {"id": "wash", "type": "wash_sale", "window_days": 31},
    )
    shares, pct, collar, issuer, aggregate, wash = rb.rules
    assert isinstance(shares, PositionShareLimit)
    assert shares.max_shares == 1000
    assert isinstance(pct, PositionPctLimit)
    assert pct.max_pct_nav == Decimal("7.5")
    assert pct.excluded == {AssetClass.CASH}
    assert isinstance(collar, PriceCollar)
    assert str(collar.max_deviation_pct) == "2.5"  # a TOML float read as the decimal written
    assert isinstance(aggregate, UcitsAggregateLimit)
    assert (aggregate.large_issuer_pct, aggregate.aggregate_max_pct) == (5, 40)
    assert issuer.severity is aggregate.severity is Severity.WARN
    assert issuer.scope.accounts == {"A1"}
    assert isinstance(wash, WashSale)
    assert wash.window_days == 31
    assert wash.severity is Severity.WARN  # the wash-sale default


def test_empty_configuration_is_an_empty_rule_book() -> None:
    assert rulebook_from_mapping({}, "empty.toml").rules == ()


@pytest.mark.parametrize(
    ("rule", "field", "problem"),
    [
        ({"id": "x", "type": "no_such_rule"}, "type", "unknown rule type 'no_such_rule'"),
        (
            {"id": "x", "type": "sector_concentration", "max_pct_nav": -5},
            "max_pct_nav",
            "must not be negative",
        ),
        ({"id": "x", "type": "sector_concentration"}, "max_pct_nav", "is required"),
        (
            {"id": "x", "type": "sector_concentration", "max_pct_nav": "lots"},
            "max_pct_nav",
            "must be a number",
        ),
        (
            {"id": "x", "type": "sector_concentration", "max_pct_nav": [35]},
            "max_pct_nav",
            "must be a number",
        ),
        (
            {"id": "x", "type": "sector_concentration", "max_pct_nav": True},
            "max_pct_nav",
            "must be a number",
        ),
        (
            {"id": "x", "type": "sector_concentration", "max_pct_nav": 101},
            "max_pct_nav",
            "at most 100",
        ),
        (
            {"id": "x", "type": "fat_finger", "price_collar_pct": 100.5},
            "price_collar_pct",
            "at most 100",
        ),
        (
            {"id": "x", "type": "fat_finger", "max_quantity": -1},
            "max_quantity",
            "must not be negative",
        ),
        ({"id": "x", "type": "fat_finger"}, "max_quantity", "at least one of"),
        (
            {"id": "x", "type": "position_limit", "max_pct_nav": 10, "max_pct": 5},
            "max_pct",
            "unknown field",
        ),
        (
            {"id": "x", "type": "sector_concentration", "max_pct_nav": 35, "severity": "fatal"},
            "severity",
            "'fatal' is not 'block' or 'warn'",
        ),
        (
            {"id": "x", "type": "sector_concentration", "max_pct_nav": 35, "groups": "ucits"},
            "groups",
            "must be a list of strings",
        ),
        (
            {
                "id": "x",
                "type": "issuer_concentration",
                "max_pct_nav": 10,
                "exclude_asset_classes": ["gold"],
            },
            "exclude_asset_classes",
            "unknown asset class",
        ),
        ({"id": "x", "type": "wash_sale", "window_days": 1.5}, "window_days", "whole number"),
        (
            {"id": "x", "type": "short_sale", "require_locate": "yes"},
            "require_locate",
            "true or false",
        ),
        (
            {"id": "x", "type": "ucits_5_10_40", "large_issuer_pct": 12},
            "large_issuer_pct",
            "must not exceed",
        ),
        ({"id": "x", "type": "restricted_list"}, "entries", "is required"),
        (
            {"id": "x", "type": "restricted_list", "entries": [{"symbol": "A"}]},
            "entries[0].restriction",
            "is required",
        ),
        (
            {
                "id": "x",
                "type": "restricted_list",
                "entries": [{"symbol": "A", "restriction": "no_short"}],
            },
            "entries[0].restriction",
            "'no_short' is not one of",
        ),
        (
            {
                "id": "x",
                "type": "restricted_list",
                "entries": [{"symbol": "A", "issuer": "B", "restriction": "full"}],
            },
            "entries[0].symbol",
            "exactly one of symbol or issuer",
        ),
        (
            {
                "id": "x",
                "type": "restricted_list",
                "entries": [{"symbol": "A", "restriction": "full", "why": "?"}],
            },
            "entries[0].why",
            "unknown field",
        ),
    ],
)
def test_errors_name_source_rule_and_field(rule: dict[str, Any], field: str, problem: str) -> None:
    ok = {"id": "fine", "type": "short_sale"}
    with pytest.raises(ComplianceConfigError) as info:
        book(ok, rule)
    err = info.value
    assert (err.source, err.rule, err.field) == ("test.toml", "rules[1] (id 'x')", field)
    assert problem in err.problem
    assert str(err).startswith(f"test.toml: rules[1] (id 'x'): field '{field}': ")


def test_missing_id_is_named_by_index() -> None:
    with pytest.raises(
        ComplianceConfigError, match=r"test.toml: rules\[0\]: field 'id': is required"
    ):
        book({"type": "short_sale"})


def test_duplicate_ids_are_refused() -> None:
    with pytest.raises(ComplianceConfigError, match="'cash' is already used by rules\\[0\\]"):
        book({"id": "cash", "type": "buying_power"}, {"id": "cash", "type": "buying_power"})
    with pytest.raises(ComplianceConfigError, match=r"'ff\.quantity' is already used"):
        book(
            {"id": "ff.quantity", "type": "short_sale"},
            {"id": "ff", "type": "fat_finger", "max_quantity": 1},
        )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"rules": {"id": "x"}}, "field 'rules': must be a list of tables"),
        ({"rules": [], "rule": []}, "field 'rule': unknown field"),
        ({"version": 2}, "unsupported version"),
    ],
)
def test_top_level_errors(data: dict[str, Any], message: str) -> None:
    with pytest.raises(ComplianceConfigError, match=message):
        rulebook_from_mapping(data, "test.toml")
