"""Reading fields from a message's wire text gives what QuickFIX's own accessors give."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from toms.fix import codec
from toms.fix.dictionary import dictionary_path
from toms.fix.fields import DictFields, RawFields

NOW = datetime(2026, 12, 7, 9, 30, tzinfo=UTC)
SOH = "\x01"


def wire(pipe_text: str) -> str:
    return pipe_text.replace("|", SOH)


def test_header_and_body_fields_first_occurrence() -> None:
    raw = wire("8=FIX.4.4|9=99|35=8|43=Y|11=C1|382=2|375=B1|375=B2|10=123|")
    fields = RawFields.of(raw)
    assert fields is not None
    assert (fields.get(35), fields.get(43), fields.get(11), fields.get(375)) == (
        "8",
        "Y",
        "C1",
        "B1",
    )
    assert fields.get(58) is None


def test_a_data_field_that_may_hold_soh_is_not_split() -> None:
    raw = wire("8=FIX.4.4|9=99|35=8|11=C1|354=7|355=a|58=b|c|10=123|")
    assert RawFields.of(raw) is None


class Recording(DictFields):
    """Fields that remember which tags the codec asked for."""

    def __init__(self, fields: dict[int, str]) -> None:
        super().__init__(fields)
        self.asked: set[int] = set()

    def get(self, tag: int) -> str | None:
        self.asked.add(tag)
        return super().get(tag)


def tags_read_by_simulator() -> dict[str, set[int]]:
    """Every tag the simulated broker reads from the requests it parses from wire text."""
    from toms.simulator import acceptor

    order = {35: "D", 11: "C1", 55: "IBM", 54: "1", 40: "4", 59: "6", 38: "10", 44: "1",
             99: "1", 432: "20261231", 1: "A", 58: "t"}  # fmt: skip
    change = {**order, 41: "C0", 37: "O1"}
    asked: dict[str, set[int]] = {}
    for msg_type, fields, parse in (
        ("D", order, acceptor._parse_new_order),
        ("F", change, acceptor._parse_cancel),
        ("G", change, acceptor._parse_replace),
        ("H", change, acceptor._parse_status),
    ):
        recording = Recording(fields)
        parse(recording, "S")
        asked[msg_type] = recording.asked
    return asked


def tags_read_by_codec() -> dict[str, set[int]]:
    """Every tag the codec reads from each message type it decodes."""
    report = Recording(
        {35: "8", 150: "F", 20: "0", 39: "1", 11: "C2", 41: "C1", 17: "E1", 19: "E0",
         37: "O1", 38: "10", 14: "5", 151: "5", 6: "1", 32: "5", 31: "1", 44: "1",
         99: "1", 60: "20261207-09:30:00", 58: "t", 43: "Y", 55: "IBM", 54: "1"}
    )  # fmt: skip
    codec.execution_report(report, NOW)
    reject = Recording({35: "9", 11: "C2", 41: "C1", 434: "1", 39: "0", 102: "0", 37: "O1"})
    codec.cancel_reject(reject, NOW)
    ack = Recording({35: "P", 70: "A1", 87: "1", 88: "0"})
    codec.allocation_ack(ack)
    return {"8": report.asked, "9": reject.asked, "P": ack.asked}


def tags_inside_groups(begin_string: str, msg_type: str) -> set[int]:
    """Tags the data dictionary places inside a repeating group of ``msg_type``."""
    root = ET.parse(dictionary_path(begin_string)).getroot()
    numbers = {f.get("name"): int(f.get("number", "0")) for f in root.iterfind("fields/field")}
    components = {c.get("name"): c for c in root.iterfind("components/component")}
    found: set[int] = set()

    def walk(node: ET.Element, in_group: bool) -> None:
        for child in node:
            if child.tag == "field" and in_group:
                found.add(numbers[child.get("name")])
            elif child.tag == "group":
                walk(child, True)
            elif child.tag == "component":
                walk(components[child.get("name")], in_group)

    (message,) = [m for m in root.iterfind("messages/message") if m.get("msgtype") == msg_type]
    walk(message, False)
    return found


@pytest.mark.parametrize("begin_string", ["FIX.4.2", "FIX.4.4"])
@pytest.mark.parametrize("reader", [tags_read_by_codec, tags_read_by_simulator])
def test_no_tag_read_from_wire_text_is_in_a_repeating_group(
    begin_string: str, reader: Callable[[], dict[str, set[int]]]
) -> None:
    for msg_type, tags in reader().items():
        assert tags, msg_type
        assert not tags & tags_inside_groups(begin_string, msg_type), msg_type


def test_the_group_walk_finds_groups() -> None:
    assert {375, 437} <= tags_inside_groups("FIX.4.2", "8")  # NoContraBrokers
    assert {448, 452} <= tags_inside_groups("FIX.4.4", "8")  # Parties
