"""Acknowledgements and overrides: when a WARN or BLOCK result may still proceed."""

from __future__ import annotations

from datetime import datetime

import pytest

from tests.unit.compliance.builders import AS_OF, NOW, D, run, snap, trade
from toms.compliance import Acknowledgement, Override, Status, clearance, may_proceed
from toms.compliance.rules import BuyingPower, MaxOrderQuantity, WashSale
from toms.domain.errors import InvalidValue
from toms.domain.ids import UserId

TRADER, COMPLIANCE = UserId("trader"), UserId("compliance")
RULES = [
    MaxOrderQuantity(rule_id="qty", max_quantity=D(100)),
    BuyingPower(rule_id="cash"),
    WashSale(rule_id="wash"),
]
S = snap(5000, losses=[("IBM", AS_OF)])  # cash for 50 IBM at 100; IBM sold at a loss today


def is_compliance(user: UserId) -> bool:
    return user == COMPLIANCE


def ack(*ids: str) -> Acknowledgement:
    return Acknowledgement(TRADER, frozenset(ids), NOW)


def override(*ids: str, user: UserId = COMPLIANCE) -> Override:
    return Override(user, "client instruction, approved by CCO", frozenset(ids), NOW)


def test_pass_proceeds() -> None:
    result = run(RULES[:2], trade("IBM", 10), S)
    assert result.verdict is Status.PASS
    assert may_proceed(result, is_compliance_user=is_compliance)


def test_warn_needs_each_warning_acknowledged() -> None:
    result = run(RULES, trade("IBM", 10), S)
    assert result.verdict is Status.WARN
    assert clearance(result, is_compliance_user=is_compliance).unacknowledged == ("wash",)
    assert may_proceed(result, [ack("wash")], is_compliance_user=is_compliance)
    assert not may_proceed(result, [ack("qty")], is_compliance_user=is_compliance)


def test_block_needs_an_override_by_a_compliance_user_for_each_blocking_rule() -> None:
    result = run(RULES, trade("IBM", 200), S)  # qty and cash block, wash warns
    c = clearance(result, [ack("wash", "qty", "cash")], is_compliance_user=is_compliance)
    assert not c.may_proceed  # a trader's acknowledgement cannot clear a block
    assert c.unoverridden == ("qty", "cash")
    partial = clearance(result, [ack("wash")], [override("qty")], is_compliance_user=is_compliance)
    assert partial.unoverridden == ("cash",)
    full = clearance(
        result, [ack("wash")], [override("qty", "cash")], is_compliance_user=is_compliance
    )
    assert full.may_proceed
    # an override of a warning rule also clears it
    assert may_proceed(
        result, (), [override("qty", "cash", "wash")], is_compliance_user=is_compliance
    )


def test_overrides_by_other_users_are_ignored_and_reported() -> None:
    result = run(RULES[:1], trade("IBM", 200), S)
    c = clearance(
        result, overrides=[override("qty", user=TRADER)], is_compliance_user=is_compliance
    )
    assert not c.may_proceed
    assert c.ignored_overrides == ("trader: qty",)
    assert c.to_dict()["unoverridden"] == ["qty"]


def test_values_are_validated() -> None:
    with pytest.raises(InvalidValue, match="reason"):
        Override(COMPLIANCE, "  ", frozenset({"qty"}), NOW)
    with pytest.raises(InvalidValue, match="at least one rule"):
        Override(COMPLIANCE, "ok", frozenset(), NOW)
    with pytest.raises(InvalidValue, match="timezone-aware"):
        Acknowledgement(TRADER, frozenset({"wash"}), datetime(2026, 11, 20, 15))  # noqa: DTZ001
    assert override("qty").to_dict()["rule_ids"] == ["qty"]


def test_swapped_arguments_are_refused_not_misread() -> None:
    # Override(user, reason, rule_ids, at): a rule-id set where the reason goes is an error,
    # and so is a bare string as rule ids (it would otherwise become a set of characters)
    with pytest.raises(InvalidValue, match="reason must be a string"):
        Override(COMPLIANCE, frozenset({"qty"}), "why", NOW)  # type: ignore[arg-type]
    with pytest.raises(InvalidValue, match="rule_ids must be a collection"):
        Override(COMPLIANCE, "why", "qty", NOW)  # type: ignore[arg-type]
