"""Hostile FIX on both sides of the wire: no crash, no corrupt state, every rejection explained.

Broker side: hypothesis builds garbage with simplefix (bad CheckSum and BodyLength,
truncated frames, binary noise, huge fields, missing or mistyped tags, unknown MsgTypes,
a second Logon for the OMS's own live session) and sends it over raw TCP at the
simulated broker while a real OMS keeps trading with it on another session. The broker
must keep serving: the OMS's orders go on filling, each exactly once.

OMS side: a raw acceptor written here is the OMS's broker. After a proper Logon it sends
execution reports and cancel rejects that are wrong in one known way each (a required
tag missing, a mistyped or negative number, an unknown ClOrdID, quantities that do not
add up, an unknown MsgType). Each must be explained (a session Reject or
BusinessMessageReject back to the sender, or the report stored flagged with its raw
text), the order must be exactly as it was, and a valid fill afterwards must be booked.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import pytest
import simplefix
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.reliability.conftest import (
    WAIT,
    OmsRunner,
    assert_exactly_once,
    broker_config,
    broker_fill_ids,
    oms_settings,
    read_ledger,
)
from tests.reliability.raw_fix import RawSession, connect, frame, timestamp, value
from tests.reliability.test_reconciliation import events, route, status_is
from toms.domain.execution import RoutedStatus as S
from toms.simulator.acceptor import SimulatedBroker

pytestmark = [pytest.mark.fix, pytest.mark.reliability]

LIVE = settings(
    deadline=None,
    database=None,  # examples talk to live sessions: replaying old ones proves nothing new
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
OMS_SESSION = "FIX.4.4:SIMBROKER->TOMS"  # the broker's name for the OMS's live session
ANSWER_WAIT = 5.0

# Field values: anything but SOH (which would end the field and re-frame the message).
fix_text = st.text(
    st.characters(codec="utf-8", exclude_characters="\x01", exclude_categories=["Cs"]),
    min_size=1,
    max_size=40,
)


def not_a_quantity(raw: str) -> bool:
    """True when ``raw`` is not a non-negative finite number: a value no report may carry."""
    try:
        number = Decimal(raw)
    except (InvalidOperation, ValueError):
        return True
    return not number.is_finite() or number < 0


# Tags that frame a message, number it or say how long the next field is: a garbage value
# there re-frames the stream instead of testing how a message is handled.
FRAMING_TAGS = frozenset(
    {8, 9, 10, 34, 35, 43, 49, 52, 56, 89, 90, 91, 93, 95, 96, 97, 122, 123, 212, 213, 369}
    | set(range(348, 366))
    | {445, 446, 618, 619, 621, 622}
)


def not_framing(tag: int) -> bool:
    return tag not in FRAMING_TAGS


bad_number = st.one_of(
    st.sampled_from(["-1", "-0.01", "-100", "NaN", "Infinity", "-1e3", "abc", "1.2.3", "--5"]),
    fix_text.filter(not_a_quantity),
)


# ── the broker side ─────────────────────────────────────────────────────────────────────
def logon(
    begin: str = "FIX.4.2", sender: str = "TOMS", target: str = "SIMBROKER"
) -> list[tuple[int, str]]:
    return [
        (49, sender),
        (56, target),
        (34, "1"),
        (52, timestamp()),
        (98, "0"),
        (108, "30"),
        (141, "Y"),
    ]


@st.composite
def garbage_connection(draw: st.DrawFn) -> bytes:
    """What a hostile or broken client sends on a new connection, before any Logon."""
    kind = draw(
        st.sampled_from(
            [
                "binary",
                "bad_checksum",
                "bad_body_length",
                "truncated",
                "unknown_comp_ids",
                "unknown_begin_string",
                "app_message_first",
                "huge_field",
                "missing_tag",
                "wrong_type",
                "second_logon_for_live_session",
                "soh_storm",
            ]
        )
    )
    good = frame("FIX.4.2", "A", logon())
    if kind == "binary":
        return draw(st.binary(min_size=1, max_size=4096))
    if kind == "bad_checksum":
        return frame("FIX.4.2", "A", logon(), checksum=draw(st.sampled_from(["000", "999", "x"])))
    if kind == "bad_body_length":
        return frame("FIX.4.2", "A", logon(), body_length=draw(st.integers(-10, 1_000_000)))
    if kind == "truncated":
        return good[: draw(st.integers(1, len(good) - 1))]
    if kind == "unknown_comp_ids":
        return frame("FIX.4.2", "A", logon(sender=draw(fix_text), target=draw(fix_text)))
    if kind == "unknown_begin_string":
        begin = draw(st.sampled_from(["FIX.4.0", "FIX.9.9", "FIXT.1.1", "", "X" * 300]))
        return frame(begin, "A", logon())
    if kind == "app_message_first":
        msg_type = draw(st.sampled_from(["D", "F", "8", "ZZ", "0", "5"]))
        return frame("FIX.4.2", msg_type, [*logon()[:4], (11, "X1"), (55, "IBM")])
    if kind == "huge_field":
        size = draw(st.integers(10_000, 2_000_000))
        return frame("FIX.4.2", "A", [*logon(), (58, "x" * size)])
    if kind == "missing_tag":
        dropped = draw(st.sampled_from([49, 56, 34, 52, 98, 108]))
        return frame("FIX.4.2", "A", [f for f in logon() if f[0] != dropped])
    if kind == "wrong_type":
        tag = draw(st.sampled_from([34, 52, 98, 108, 141]))
        junk = draw(bad_number)
        return frame("FIX.4.2", "A", [(t, junk if t == tag else v) for t, v in logon()])
    if kind == "second_logon_for_live_session":
        return frame("FIX.4.4", "A", logon("FIX.4.4"))
    return b"\x01" * draw(st.integers(1, 10_000))


@dataclass
class Trader:
    """Routes market orders through the OMS on a thread until told to stop; each must fill."""

    runner: OmsRunner
    routed: list[str] = field(default_factory=list)
    error: BaseException | None = None
    stop: threading.Event = field(default_factory=threading.Event)
    thread: threading.Thread | None = None

    def start(self) -> Trader:
        self.thread = threading.Thread(target=self.run, name="trader", daemon=True)
        self.thread.start()
        return self

    def finish(self) -> None:
        """Stop routing; return once the order in flight has filled (or failed)."""
        self.stop.set()
        if self.thread is not None:
            self.thread.join(WAIT + 5)
            assert not self.thread.is_alive(), "the trader is stuck"

    def run(self) -> None:
        assert self.runner.oms is not None
        symbols = ["IBM", "MSFT", "AAPL", "NVDA", "JPM"]
        try:
            while not self.stop.is_set():
                order = route(self.runner.oms, symbols[len(self.routed) % 5], 100)
                self.routed.append(order.routed_order_id)
                self.runner.until(status_is(order.routed_order_id, S.FILLED, cum=100))
        except BaseException as exc:
            self.error = exc


@pytest.fixture
def sim(tmp_path: Path) -> Iterator[SimulatedBroker]:
    """Both FIX versions: the OMS trades on 4.4, the fuzzer gets the 4.2 session."""
    broker = SimulatedBroker(broker_config(tmp_path / "sim", begin_strings=("FIX.4.2", "FIX.4.4")))
    broker.start()
    yield broker
    broker.stop()


@pytest.fixture
def trading(tmp_path: Path, sim: SimulatedBroker) -> Iterator[Trader]:
    runner = OmsRunner(oms_settings(tmp_path / "oms", sim.port, brokers=1))
    runner.start()
    trader = Trader(runner).start()
    yield trader
    trader.stop.set()
    if trader.thread is not None:
        trader.thread.join(WAIT + 5)
    runner.stop()


def assert_broker_still_serves(trader: Trader, sim: SimulatedBroker) -> None:
    """Fuzzing is over: the OMS's session never dropped, its orders all filled once."""
    assert trader.error is None, f"trading failed during the fuzzing: {trader.error!r}"
    count = len(trader.routed)
    runner = trader.runner
    assert runner.oms is not None
    runner.until(lambda uow: len(trader.routed) > count + 1 or None)  # still routing, filling
    trader.finish()
    assert trader.error is None, f"trading failed during the fuzzing: {trader.error!r}"
    assert sim.running and OMS_SESSION in sim.logged_on()
    assert len(trader.routed) >= 3, "too few good orders to say trading went on"
    oms_fills = broker_fill_ids([r for r in sim.records if r.session == OMS_SESSION])
    assert_exactly_once(read_ledger(runner.settings.database_url), oms_fills)
    logons = [r for r in sim.records if r.session == OMS_SESSION and r.msg_type == "A"]
    assert len(logons) == 2, "the OMS's session was dropped and logged on again"


def test_garbage_on_new_connections_never_stops_the_broker(
    sim: SimulatedBroker, trading: Trader
) -> None:
    sent = 0

    @settings(LIVE, max_examples=60)
    @given(garbage_connection())
    def hostile_client(data: bytes) -> None:
        nonlocal sent
        with connect(sim.port) as sock:
            try:
                sock.sendall(data)
                sock.shutdown(socket.SHUT_WR)  # end of input: the broker must close
                sock.settimeout(WAIT)
                while sock.recv(65536):
                    pass
            except (ConnectionResetError, BrokenPipeError):
                pass  # the broker hung up first: fine
        sent += 1

    hostile_client()
    assert sent >= 60
    assert_broker_still_serves(trading, sim)
    print(f"garbage connections: {sent}; good orders filled meanwhile: {len(trading.routed)}")


def new_order_fields(cl_ord_id: str) -> list[tuple[int, str]]:
    return [
        (11, cl_ord_id),
        (21, "1"),
        (55, "IBM"),
        (54, "1"),
        (60, timestamp()),
        (38, "100"),
        (40, "2"),
        (44, "150"),
    ]


@st.composite
def hostile_request(draw: st.DrawFn) -> tuple[str, list[tuple[int, str]]]:
    """An application message to the broker, mangled: (MsgType, body fields)."""
    msg_type = draw(st.sampled_from(["D", "F", "G", "H", "J", "8", "ZZ", "U7", "B"]))
    cl = f"FZ{draw(st.integers(0, 10**9))}"
    base = {
        "D": new_order_fields(cl),
        "F": [(41, "NOPE"), (11, cl), (55, "IBM"), (54, "1"), (60, timestamp()), (38, "100")],
        "G": [(41, "NOPE"), *new_order_fields(cl)],
        "H": [(11, cl), (55, "IBM"), (54, "1")],
        "J": [(70, cl), (71, "0"), (54, "1"), (55, "IBM"), (53, "100"), (6, "150")],
    }.get(msg_type, [(11, cl), (55, "IBM")])
    fields = list(base)
    for _ in range(draw(st.integers(0, 3))):
        action = draw(st.sampled_from(["drop", "garble", "number", "huge", "extra"]))
        i = draw(st.integers(0, len(fields) - 1)) if fields else 0
        if action == "drop" and fields:
            fields.pop(i)
        elif action == "garble" and fields:
            fields[i] = (fields[i][0], draw(fix_text))
        elif action == "number" and fields:
            fields[i] = (fields[i][0], draw(bad_number))
        elif action == "huge" and fields:
            fields[i] = (fields[i][0], "9" * draw(st.integers(100, 100_000)))
        else:
            fields.append((draw(st.integers(1, 20_000).filter(not_framing)), draw(fix_text)))
    return msg_type, fields


def answers(fields: list[tuple[int, str]], seq: int) -> Callable[[simplefix.FixMessage], bool]:
    """A message that answers the request sent as ``seq``: a session or business reject
    naming it, or an execution report, cancel reject or allocation ack naming its IDs."""
    ids = {v for t, v in fields if t in (11, 70)}

    def match(m: simplefix.FixMessage) -> bool:
        kind = m.message_type
        if kind in (b"3", b"j"):
            return value(m, 45) == str(seq)
        if kind in (b"8", b"9"):
            return value(m, 11) in ids
        return kind == b"P" and value(m, 70) in ids

    return match


def test_malformed_messages_in_a_logged_on_session_are_each_answered(
    sim: SimulatedBroker, trading: Trader
) -> None:
    """Every mangled request gets an answer (a reject naming it, or a report), the
    session stays up, and the OMS's session next to it never notices."""
    session: RawSession | None = None
    checked = 0

    def logged_on() -> RawSession:
        nonlocal session
        if session is None or session.closed:
            raw = RawSession(connect(sim.port), "FIX.4.2", "TOMS", "SIMBROKER")
            raw.send("A", [(98, "0"), (108, "30"), (141, "Y")])
            assert raw.wait(lambda m: m.message_type == b"A", WAIT), "fuzz session: no logon"
            session = raw
        return session

    @settings(LIVE, max_examples=100)
    @given(hostile_request())
    def hostile_session(request: tuple[str, list[tuple[int, str]]]) -> None:
        nonlocal checked
        msg_type, fields = request
        raw = logged_on()
        seq = raw.send(msg_type, fields)
        got = raw.wait(answers(fields, seq), ANSWER_WAIT)
        assert got is not None, f"no answer to {msg_type} {fields!r}"
        assert raw.probe(WAIT), "the session stopped answering after a malformed message"
        checked += 1

    try:
        hostile_session()
    finally:
        if session is not None:
            session.close()
    assert checked >= 100
    assert_broker_still_serves(trading, sim)
    print(f"malformed requests answered: {checked}; good orders filled: {len(trading.routed)}")


# ── the OMS side ────────────────────────────────────────────────────────────────────────
@dataclass
class RawBroker:
    """A listening socket the OMS connects to; its one session, once logged on."""

    listener: socket.socket
    session: RawSession | None = None
    ready: threading.Event = field(default_factory=threading.Event)

    @property
    def port(self) -> int:
        port: int = self.listener.getsockname()[1]
        return port

    def accept_and_logon(self) -> None:
        conn, _ = self.listener.accept()
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        session = RawSession(conn, "FIX.4.4", "SIMBROKER", "TOMS")
        their_logon = session.wait(lambda m: m.message_type == b"A", WAIT)
        if their_logon is not None and value(their_logon, 34) == "1":
            session.send("A", [(98, "0"), (108, value(their_logon, 108) or "5")])
            self.session = session
        self.ready.set()

    def report(self, fields: list[tuple[int, str]], msg_type: str = "8") -> int:
        assert self.session is not None
        return self.session.send(msg_type, fields)


@pytest.fixture
def raw_broker() -> Iterator[RawBroker]:
    listener = socket.create_server(("127.0.0.1", 0))
    broker = RawBroker(listener)
    threading.Thread(target=broker.accept_and_logon, name="raw-broker", daemon=True).start()
    yield broker
    if broker.session is not None:
        broker.session.close()
    listener.close()


@pytest.fixture
def oms_on_raw_broker(tmp_path: Path, raw_broker: RawBroker, db_url: str) -> Iterator[OmsRunner]:
    runner = OmsRunner(oms_settings(tmp_path / "oms", raw_broker.port, database_url=db_url))
    runner.start()
    assert raw_broker.ready.wait(WAIT) and raw_broker.session is not None
    yield runner
    runner.stop()


@dataclass(frozen=True)
class Working:
    """The order the hostile reports are about, acknowledged by the raw broker."""

    routed_order_id: str
    cl_ord_id: str


def report_fields(order: Working, exec_id: str, **changes: str) -> list[tuple[int, str]]:
    """A partial fill of 10 @ 149 of the 100-share order: valid unless ``changes`` spoil it."""
    fields = {
        37: "BRK-1",
        17: exec_id,
        11: order.cl_ord_id,
        150: "F",
        39: "1",
        55: "IBM",
        54: "1",
        38: "100",
        32: "10",
        31: "149",
        14: "10",
        151: "90",
        6: "149",
        60: timestamp(),
    }
    fields.update({int(k[1:]): v for k, v in changes.items()})
    return [(t, v) for t, v in fields.items() if v != ""]


@st.composite
def bad_report(draw: st.DrawFn) -> tuple[str, dict[str, str]]:
    """(MsgType, changes to the valid fill): each wrong in a way no OMS may book."""
    kind = draw(
        st.sampled_from(
            [
                "missing_tag",
                "bad_number",
                "bad_code",
                "unknown_cl_ord_id",
                "huge_cl_ord_id",
                "cum_qty_wrong",
                "overfill",
                "bad_time",
                "cancel_reject",
                "unknown_type",
            ]
        )
    )
    if kind == "missing_tag":
        tag = draw(st.sampled_from([37, 17, 11, 150, 39, 151, 14, 6]))
        return "8", {f"t{tag}": ""}
    if kind == "bad_number":
        tag = draw(st.sampled_from([14, 151, 6, 31, 32, 38]))
        return "8", {f"t{tag}": draw(bad_number)}
    if kind == "bad_code":
        tag = draw(st.sampled_from([150, 39, 54]))
        return "8", {f"t{tag}": draw(fix_text.filter(lambda v: v not in "0123456789ABCDEFGHI"))}
    if kind == "unknown_cl_ord_id":
        return "8", {"t11": "NOPE-" + draw(fix_text)}
    if kind == "huge_cl_ord_id":
        return "8", {"t11": "N" * draw(st.integers(65, 20_000))}
    if kind == "cum_qty_wrong":
        cum = draw(st.integers(0, 100).filter(lambda q: q != 10))
        return "8", {"t14": str(cum), "t151": str(100 - cum)}
    if kind == "overfill":
        qty = str(draw(st.integers(101, 10**9)))
        return "8", {"t32": qty, "t14": qty, "t151": "0", "t39": "2"}
    if kind == "bad_time":
        return "8", {"t60": draw(fix_text)}
    if kind == "cancel_reject":  # nothing of the order is pending cancel or replace
        changes = draw(
            st.sampled_from(
                [
                    {"t434": ""},
                    {"t434": "7"},
                    {"t434": "1", "t11": "NOPE-CXL"},
                    {"t434": "1", "t39": "4"},
                    {"t434": "2", "t39": "0"},
                ]
            )
        )
        return "9", {"t41": "ORIG-X", "t434": "1", "t39": "0", **changes}
    return draw(st.sampled_from(["ZZ", "U7", "D", "B"])), {}


def cancel_reject_fields(order: Working, changes: dict[str, str]) -> list[tuple[int, str]]:
    fields = {37: "BRK-1", 11: order.cl_ord_id, 60: timestamp()}
    fields.update({int(k[1:]): v for k, v in changes.items()})
    return [(t, v) for t, v in fields.items() if v != ""]


def order_state(runner: OmsRunner, routed_order_id: str) -> tuple[Any, ...]:
    assert runner.oms is not None

    def read(uow: Any) -> tuple[Any, ...]:
        r = uow.routed.get(routed_order_id)
        return (r.status, r.cum_qty, r.leaves_qty, r.avg_px, len(r.fills), r.order_qty)

    return runner.oms.read(read)  # type: ignore[no-any-return]


def flags(runner: OmsRunner) -> tuple[dict[str, Any], int]:
    """Flagged executions by ExecID (outcome, raw text), and flag events in the audit."""
    assert runner.oms is not None
    executions = runner.oms.read(
        lambda uow: {e.exec_id: (e.outcome, e.raw) for e in uow.executions.flagged()}
    )
    audit = events(runner.oms, "UnmatchedCancelReject", "CancelRejectNotApplied")
    return executions, len(audit)


def test_malformed_reports_are_explained_and_never_change_the_order(
    oms_on_raw_broker: OmsRunner, raw_broker: RawBroker
) -> None:
    runner, broker = oms_on_raw_broker, raw_broker
    assert runner.oms is not None and broker.session is not None
    session = broker.session
    routed = route(runner.oms, "IBM", 100, "150")
    new_order = session.wait(lambda m: m.message_type == b"D", WAIT)
    assert new_order is not None and value(new_order, 11) == routed.cl_ord_id
    order = Working(routed.routed_order_id, routed.cl_ord_id)
    ack = {"t150": "0", "t39": "0", "t32": "", "t31": "", "t14": "0", "t151": "100", "t6": "0"}
    broker.report(report_fields(order, "ACK-1", **ack))
    runner.until(status_is(order.routed_order_id, S.NEW))
    before = order_state(runner, order.routed_order_id)
    explained = {"session reject": 0, "business reject": 0, "stored flagged": 0, "audited": 0}

    @settings(LIVE, max_examples=80)
    @given(bad_report())
    def hostile_report(report: tuple[str, dict[str, str]]) -> None:
        msg_type, changes = report
        flagged_before, audited_before = flags(runner)
        exec_id = f"BAD-{session.next_seq}"
        if msg_type == "8":
            fields = report_fields(order, exec_id, **changes)
        elif msg_type == "9":
            fields = cancel_reject_fields(order, changes)
        else:
            fields = [(11, order.cl_ord_id), (55, "IBM")]
        seq = broker.report(fields, msg_type)
        assert session.probe(WAIT), f"the OMS stopped answering after {msg_type} {changes}"
        reject = session.wait(
            lambda m: m.message_type in (b"3", b"j") and value(m, 45) == str(seq), 0
        )
        flagged_after, audited_after = flags(runner)
        if reject is not None:
            explained["session reject" if reject.message_type == b"3" else "business reject"] += 1
            assert exec_id not in flagged_after  # refused by QuickFIX, so never stored
        elif exec_id in flagged_after:
            outcome, raw = flagged_after[exec_id]
            assert outcome in ("rejected", "unmatched") and raw and exec_id in raw
            explained["stored flagged"] += 1
        else:
            assert audited_after > audited_before, f"{msg_type} {changes}: not explained"
            explained["audited"] += 1
        assert set(flagged_before) <= set(flagged_after)
        assert order_state(runner, order.routed_order_id) == before, f"{msg_type} {changes}"
        assert runner.oms is not None and runner.oms.fix.board.get("SIM").logged_on
        assert runner.oms.fix.dead_letters.read() == []

    hostile_report()
    assert sum(explained.values()) >= 80
    assert explained["session reject"] and explained["stored flagged"], explained
    print(f"hostile reports to the OMS: {explained}")

    broker.report(report_fields(order, "GOOD-1"))  # the valid fill still gets booked
    runner.until(status_is(order.routed_order_id, S.PARTIALLY_FILLED, cum=10))
    ledger = read_ledger(runner.settings.database_url)
    assert ledger.fills_by_exec_id["GOOD-1"] == 1 and ledger.integrity == "ok"
    assert ledger.cum_by_order[order.routed_order_id] == Decimal(10)


@pytest.mark.parametrize("contradiction", [{"t55": "MSFT"}, {"t54": "2"}], ids=["symbol", "side"])
def test_report_contradicting_the_orders_symbol_or_side_is_not_booked(
    oms_on_raw_broker: OmsRunner, raw_broker: RawBroker, contradiction: dict[str, str]
) -> None:
    runner, broker = oms_on_raw_broker, raw_broker
    assert runner.oms is not None and broker.session is not None
    routed = route(runner.oms, "IBM", 100, "150")
    assert broker.session.wait(lambda m: m.message_type == b"D", WAIT) is not None
    order = Working(routed.routed_order_id, routed.cl_ord_id)
    broker.report(report_fields(order, "WRONG-1", **contradiction))
    assert broker.session.probe(WAIT)
    assert order_state(runner, order.routed_order_id)[1] == Decimal(0)


def test_valid_fill_with_a_nul_in_a_free_text_field_is_booked(
    oms_on_raw_broker: OmsRunner, raw_broker: RawBroker
) -> None:
    """A NUL in Text (58) says nothing about the fill, which must still be booked."""
    runner, broker = oms_on_raw_broker, raw_broker
    assert runner.oms is not None and broker.session is not None
    routed = route(runner.oms, "IBM", 100, "150")
    assert broker.session.wait(lambda m: m.message_type == b"D", WAIT) is not None
    order = Working(routed.routed_order_id, routed.cl_ord_id)
    broker.report(report_fields(order, "NUL-1", t58="see\x00here"))
    assert broker.session.probe(WAIT)
    assert order_state(runner, order.routed_order_id)[1] == Decimal(10)


def test_a_late_report_is_booked_whatever_its_sending_time(
    oms_on_raw_broker: OmsRunner, raw_broker: RawBroker
) -> None:
    """An OMS that fell minutes behind (found by the soak) must book the fill it reads
    late; QuickFIX's default latency check would reject it as stale and consume it."""
    runner, broker = oms_on_raw_broker, raw_broker
    session = broker.session
    assert runner.oms is not None and session is not None
    routed = route(runner.oms, "IBM", 100, "150")
    assert session.wait(lambda m: m.message_type == b"D", WAIT) is not None
    order = Working(routed.routed_order_id, routed.cl_ord_id)
    stale = (datetime.now(UTC) - timedelta(minutes=10)).strftime("%Y%m%d-%H:%M:%S.%f")[:-3]
    fresh_header = session.header
    session.header = lambda seq: [*fresh_header(seq)[:3], (52, stale)]  # type: ignore[method-assign]
    broker.report(report_fields(order, "LATE-1", t60=stale))
    assert session.probe(WAIT)
    assert order_state(runner, order.routed_order_id)[1] == Decimal(10)
    assert not any(m.message_type == b"3" for m in session.received)  # no session Reject
