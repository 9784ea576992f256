"""The codec against golden messages built and parsed with simplefix (no QuickFIX needed)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
import simplefix

from tests.factories import make_routed
from toms.domain.execution import CancelRejectTarget, ExecKind, RoutedStatus
from toms.domain.ids import ClOrdId
from toms.domain.routed_order import PendingRequest, RequestKind
from toms.domain.values import OrderType, TimeInForce
from toms.fix import codec
from toms.fix.fields import DictFields, SimplefixFields

NOW = datetime(2026, 11, 21, 14, 30, 5, 250000, tzinfo=UTC)


def parse(pipe_text: str) -> SimplefixFields:
    """Build a real wire message from 'tag=value|...' and parse it back with simplefix."""
    msg = simplefix.FixMessage()
    for pair in pipe_text.strip("|").split("|"):
        tag, value = pair.split("=", 1)
        msg.append_pair(int(tag), value, header=tag in ("8", "35", "49", "56", "34", "43"))
    parser = simplefix.FixParser()
    parser.append_buffer(msg.encode())
    parsed = parser.get_message()
    assert parsed is not None
    return SimplefixFields(parsed)


def test_fix44_partial_fill() -> None:
    f = parse(
        "8=FIX.4.4|35=8|43=Y|37=O1|17=E7|150=F|39=1|11=C1|55=IBM|54=1|38=1000|"
        "32=300|31=180.125|14=300|151=700|6=180.125|60=20261121-14:30:01.123"
    )
    r = codec.execution_report(f, NOW)
    assert (r.kind, r.status) == (ExecKind.TRADE, RoutedStatus.PARTIALLY_FILLED)
    assert (r.last_qty, r.last_px, r.cum_qty, r.leaves_qty) == (
        Decimal(300),
        Decimal("180.125"),
        Decimal(300),
        Decimal(700),
    )
    assert r.transact_time == datetime(2026, 11, 21, 14, 30, 1, 123000, tzinfo=UTC)
    assert r.poss_dup and r.broker_order_id == "O1"


@pytest.mark.parametrize(
    ("begin", "reason", "duplicate"),
    [
        ("FIX.4.4", "6", True),
        ("FIX.4.2", "6", True),
        ("FIX.4.4", "0", False),
        ("FIX.4.4", None, False),
    ],
)
def test_reject_says_whether_the_broker_holds_the_clordid_already(
    begin: str, reason: str | None, duplicate: bool
) -> None:
    text = f"8={begin}|35=8|37=NONE|17=E5|150=8|39=8|11=C1|55=IBM|54=1|14=0|151=0|6=0"
    r = codec.execution_report(parse(text + (f"|103={reason}" if reason else "")), NOW)
    assert (r.kind, r.duplicate_order) == (ExecKind.REJECTED, duplicate)


def test_fix42_fill_uses_exec_type_2_and_last_shares() -> None:
    f = parse(
        "8=FIX.4.2|35=8|37=O1|17=E8|20=0|150=2|39=2|11=C1|55=IBM|54=1|32=1000|31=50|"
        "14=1000|151=0|6=50"
    )
    r = codec.execution_report(f, NOW)
    assert (r.kind, r.status, r.transact_time) == (ExecKind.TRADE, RoutedStatus.FILLED, NOW)


def test_fix42_bust_is_exec_trans_type_1() -> None:
    f = parse("8=FIX.4.2|35=8|37=O1|17=E9|19=E8|20=1|150=2|39=4|11=C1|55=IBM|54=1|14=0|151=0|6=0")
    r = codec.execution_report(f, NOW)
    assert (r.kind, r.exec_ref_id) == (ExecKind.TRADE_CANCEL, "E8")


def test_fix44_replace_ack_carries_new_and_orig_ids() -> None:
    f = parse(
        "8=FIX.4.4|35=8|37=O1|17=E3|150=5|39=0|11=C2|41=C1|55=IBM|54=1|38=900|44=49.5|"
        "14=0|151=900|6=0"
    )
    r = codec.execution_report(f, NOW)
    assert (r.kind, r.cl_ord_id, r.orig_cl_ord_id, r.order_qty, r.limit_price) == (
        ExecKind.REPLACED,
        "C2",
        "C1",
        Decimal(900),
        Decimal("49.5"),
    )


@pytest.mark.parametrize(
    ("text", "tag", "missing"),
    [
        ("8=FIX.4.4|35=8|37=O|150=F|39=1|11=C|14=1|151=1|6=1", 17, True),  # no ExecID
        ("8=FIX.4.4|35=8|37=O|17=E|150=Z|39=1|11=C|14=1|151=1|6=1", 150, False),  # unknown ExecType
        (
            "8=FIX.4.4|35=8|37=O|17=E|150=F|39=1|11=C|14=abc|151=1|6=1",
            14,
            False,
        ),  # CumQty not a number
        ("8=FIX.4.4|35=8|37=O|17=E|150=F|39=1|11=C|14=-5|151=1|6=1", 14, False),  # negative
        ("8=FIX.4.4|35=8|37=O|17=E|150=F|39=1|11=C|14=1|151=1|6=1|60=yesterday", 60, False),
        # IDs wider than the columns that store them: refused here, not by PostgreSQL
        # at commit time (found by tests/reliability/test_fuzz_fix.py)
        ("8=FIX.4.4|35=8|37=O|17=E|150=F|39=1|11=" + "C" * 65 + "|14=1|151=1|6=1", 11, False),
        ("8=FIX.4.4|35=8|37=O|17=" + "E" * 65 + "|150=F|39=1|11=C|14=1|151=1|6=1", 17, False),
        ("8=FIX.4.4|35=8|37=" + "O" * 65 + "|17=E|150=F|39=1|11=C|14=1|151=1|6=1", 37, False),
        ("8=FIX.4.4|35=8|37=O|17=E|150=F|39=1|11=C\x00|14=1|151=1|6=1", 11, False),  # NUL
    ],
)
def test_malformed_reports_name_the_tag(text: str, tag: int, missing: bool) -> None:
    with pytest.raises(codec.FixFieldError) as info:
        codec.execution_report(parse(text), NOW)
    assert (info.value.tag, info.value.missing) == (tag, missing)


def test_ids_of_the_column_width_are_accepted() -> None:
    text = "8=FIX.4.4|35=8|37=O|17=" + "E" * 64 + "|150=F|39=1|11=" + "C" * 64 + "|14=1|151=1|6=1"
    report = codec.execution_report(parse(text), NOW)
    assert (len(report.exec_id), len(report.cl_ord_id)) == (64, 64)


def test_cancel_reject_with_an_over_long_cl_ord_id_names_the_tag() -> None:
    text = "8=FIX.4.4|35=9|37=O|11=" + "C" * 65 + "|41=X|39=0|434=1"
    with pytest.raises(codec.FixFieldError) as info:
        codec.cancel_reject(parse(text), NOW)
    assert info.value.tag == 11


def test_cancel_reject() -> None:
    f = DictFields({11: "C2", 41: "C1", 39: "2", 434: "1", 102: "0", 37: "O1"})
    r = codec.cancel_reject(f, NOW)
    assert (r.response_to, r.status, r.reason) == (
        CancelRejectTarget.CANCEL,
        RoutedStatus.FILLED,
        "too late to cancel",
    )


def test_new_order_single_for_stop_limit_gtd() -> None:
    order = make_routed(
        qty="1500", order_type=OrderType.STOP_LIMIT, limit="101.50", stop="100", tif=TimeInForce.GTC
    )
    fields = dict(codec.new_order_single(order, "BLOCK", NOW))
    assert fields[11] == "X" and fields[21] == "1" and fields[54] == "1"
    assert (fields[38], fields[40], fields[44], fields[99], fields[59]) == (
        "1500",
        "4",
        "101.5",
        "100",
        "1",
    )
    assert fields[60] == "20261121-14:30:05.250"


def test_market_order_has_no_price_fields() -> None:
    fields = dict(
        codec.new_order_single(make_routed(order_type=OrderType.MARKET, limit=None), "BLOCK", NOW)
    )
    assert 44 not in fields and 99 not in fields and fields[40] == "1"


def test_cancel_and_replace_requests() -> None:
    order = make_routed()
    order.broker_order_id = "O1"
    cancel = PendingRequest(RequestKind.CANCEL, ClOrdId("Y"), ClOrdId("X"))
    f = dict(codec.cancel_request(order, cancel, NOW))
    assert (f[41], f[11], f[37], f[38]) == ("X", "Y", "O1", "10000")
    repl = PendingRequest(
        RequestKind.REPLACE, ClOrdId("Z"), ClOrdId("X"), Decimal("12000"), Decimal("50.25")
    )
    g = dict(codec.replace_request(order, repl, "BLOCK", NOW))
    assert (g[41], g[11], g[38], g[44], g[40]) == ("X", "Z", "12000", "50.25", "2")


def test_decimal_format_has_no_exponent() -> None:
    assert codec.fmt(Decimal("1E+3")) == "1000"
    assert codec.fmt(Decimal("0.000001")) == "0.000001"
