"""The allocation record replays, round-trips and exposes tampering."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from tests.unit.allocation.helpers import D, inputs
from toms.allocation import POLICY, AllocationRecord, allocate, replay, verify
from toms.domain.errors import InvalidValue


def test_replay_reproduces_outputs():
    record = allocate(inputs([400, 400, 400], 1050, charges={"commission": "10.00"}))
    assert replay(record) == record.outputs
    assert verify(record)
    assert record.policy == POLICY
    assert record.allocated_quantity == D(1050)


def test_record_round_trips_through_json():
    record = allocate(
        inputs([400, 400, 400], 1050, price="50.1234", charges={"commission": "10.00"})
    )
    data = json.loads(json.dumps(record.to_dict()))
    # 400 / 350 / 300 allocated; 1,000 cents → 380.95 / 333.33 / 285.71 → floors 380/333/285
    # (998); 2 cents by largest remainder .95, .71 → O1, O3 → 3.81 / 3.33 / 2.86.
    assert [o["charges"] for o in data["outputs"]] == [
        {"commission": "3.81"},
        {"commission": "3.33"},
        {"commission": "2.86"},
    ]
    assert data["outputs"][1]["quantity"] == "350"
    assert data["inputs"]["seed"] == "2026-11-20"
    assert data["rotation_offset"] == 0
    assert AllocationRecord.from_dict(data) == record


def test_a_hand_edited_record_does_not_verify():
    record = allocate(inputs([400, 400, 400], 1000))
    first, second, third = record.outputs
    edited = replace(
        record,
        outputs=(
            replace(first, quantity=first.quantity - 100),
            replace(second, quantity=second.quantity + 100),
            third,
        ),
    )
    assert not verify(edited)
    assert replay(edited) == record.outputs
    assert not verify(replace(record, rotation_offset=1))


def test_a_record_of_another_policy_is_not_replayed():
    record = replace(allocate(inputs([100], 100)), policy="something-else/v0")
    assert not verify(record)
    with pytest.raises(InvalidValue, match="policy"):
        replay(record)


def test_for_order():
    record = allocate(inputs([400, 400, 400], 1000))
    assert record.for_order(record.outputs[1].order_id) is record.outputs[1]
    with pytest.raises(KeyError):
        record.for_order("nope")  # type: ignore[arg-type]
