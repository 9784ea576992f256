"""A raw socket + simplefix client trades against the acceptor, and sends it garbage.

Any QuickFIX callback that let a Python exception escape would end this very process
(Py_Exit), so every test that finishes also shows the broker did not crash.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest

from tests.integration.simulator.conftest import BrokerFactory
from tests.integration.simulator.rawclient import (
    RawFixClient,
    new_order_fields,
    with_bad_checksum,
    with_body_length,
)
from toms.simulator.acceptor import SimulatedBroker
from toms.simulator.matching import SimulatorError

pytestmark = [pytest.mark.fix, pytest.mark.timeout(60)]


@pytest.fixture
def broker(make_broker: BrokerFactory) -> SimulatedBroker:
    return make_broker()


@pytest.fixture
def clients() -> Iterator[list[RawFixClient]]:
    opened: list[RawFixClient] = []
    yield opened
    for c in opened:
        c.logout()
        c.close()


def connect(
    broker: SimulatedBroker, clients: list[RawFixClient], begin: str = "FIX.4.4", logon: bool = True
) -> RawFixClient:
    client = RawFixClient(broker.port, begin)
    clients.append(client)
    if logon:
        client.logon()
    return client


def trade_one(client: RawFixClient, cl_ord_id: str) -> None:
    """A market order that must come back acknowledged and filled."""
    client.send("D", new_order_fields(cl_ord_id, begin_string=client.begin_string))
    ack = client.expect("8", t11=cl_ord_id, t150="0")
    assert ack.get(39) == b"0"
    fill = client.expect("8", t11=cl_ord_id, t39="2")
    assert fill.get(14) == b"100"
    assert fill.get(151) == b"0"
    assert fill.get(31) == b"190"


def test_raw_fix44_client_trades(broker: SimulatedBroker, clients: list[RawFixClient]) -> None:
    client = connect(broker, clients)
    client.send("D", new_order_fields("RAW-1", qty="300", text="hello"))
    new = client.expect("8", t11="RAW-1", t150="0")
    assert (new.get(39), new.get(151), new.get(55), new.get(54)) == (b"0", b"300", b"AAPL", b"1")
    fill = client.expect("8", t11="RAW-1", t150="F")
    assert (fill.get(39), fill.get(32), fill.get(31), fill.get(14), fill.get(6)) == (
        b"2",
        b"300",
        b"190",
        b"300",
        b"190",
    )
    assert fill.get(17) != new.get(17)
    received = broker.wait_received("D")
    assert received[0].get(11) == "RAW-1"
    assert received[0].get(58) == "hello"


def test_raw_fix42_client_trades(broker: SimulatedBroker, clients: list[RawFixClient]) -> None:
    client = connect(broker, clients, "FIX.4.2")
    client.send("D", new_order_fields("RAW42-1", begin_string="FIX.4.2"))
    client.expect("8", t11="RAW42-1", t150="0", t20="0")
    fill = client.expect("8", t11="RAW42-1", t150="2")
    assert (fill.get(20), fill.get(39), fill.get(32)) == (b"0", b"2", b"100")


def test_missing_symbol_fix42_gets_session_reject(
    broker: SimulatedBroker, clients: list[RawFixClient]
) -> None:
    client = connect(broker, clients, "FIX.4.2")
    fields = [f for f in new_order_fields("NOSYM", begin_string="FIX.4.2") if f[0] != 55]
    seq = client.send("D", fields)
    reject = client.expect("3")
    assert (reject.get(45), reject.get(371), reject.get(373)) == (str(seq).encode(), b"55", b"1")
    trade_one(client, "AFTER-NOSYM")


def test_missing_symbol_fix44_gets_business_reject(
    broker: SimulatedBroker, clients: list[RawFixClient]
) -> None:
    client = connect(broker, clients)
    seq = client.send("D", [f for f in new_order_fields("NOSYM44") if f[0] != 55])
    reject = client.expect("j")
    assert (reject.get(45), reject.get(372), reject.get(380)) == (str(seq).encode(), b"D", b"5")
    trade_one(client, "AFTER-NOSYM44")


@pytest.mark.parametrize(
    ("tag", "value", "reason"),
    [("54", "Z", b"5"), ("38", "abc", b"6"), ("40", "", b"4")],
    ids=["bad-side", "non-numeric-qty", "empty-ordtype"],
)
def test_invalid_field_values_get_session_reject(
    broker: SimulatedBroker, clients: list[RawFixClient], tag: str, value: str, reason: bytes
) -> None:
    client = connect(broker, clients)
    fields = [(t, value if t == int(tag) else v) for t, v in new_order_fields("BAD")]
    seq = client.send("D", fields)
    reject = client.expect("3")
    assert (reject.get(45), reject.get(371), reject.get(373)) == (
        str(seq).encode(),
        tag.encode(),
        reason,
    )
    trade_one(client, f"AFTER-{tag}")


def test_unknown_message_type_gets_session_reject(
    broker: SimulatedBroker, clients: list[RawFixClient]
) -> None:
    client = connect(broker, clients)
    client.send("ZZ", [(58, "what is this")])
    reject = client.expect("3")
    assert reject.get(373) == b"11"  # invalid MsgType
    trade_one(client, "AFTER-ZZ")


def test_unsupported_message_type_gets_business_reject(
    broker: SimulatedBroker, clients: list[RawFixClient]
) -> None:
    client = connect(broker, clients)
    client.send("R", [(131, "Q1"), (146, "1"), (55, "AAPL")])  # QuoteRequest
    reject = client.expect("j")
    assert (reject.get(372), reject.get(380)) == (b"R", b"3")
    trade_one(client, "AFTER-R")


def test_bad_checksum_is_ignored_and_the_session_continues(
    broker: SimulatedBroker, clients: list[RawFixClient]
) -> None:
    client = connect(broker, clients)
    seq = client.next_seq
    client.send_raw(with_bad_checksum(client.build("D", new_order_fields("GARBLED"), seq)))
    client.barrier("after-bad-checksum", seq=seq)  # the garbled message never counted
    trade_one(client, "AFTER-CHECKSUM")
    assert not [r for r in broker.received if r.get(11) == "GARBLED"]


def test_garbage_bytes_are_skipped(broker: SimulatedBroker, clients: list[RawFixClient]) -> None:
    client = connect(broker, clients)
    client.send_raw(b"\x00\xff\xfe garbage that is not FIX \r\n\x01\x01=\x01")
    client.barrier("after-garbage")
    trade_one(client, "AFTER-GARBAGE")


def test_garbage_before_logon_then_logon_works(
    broker: SimulatedBroker, clients: list[RawFixClient]
) -> None:
    client = connect(broker, clients, logon=False)
    client.send_raw(b"GET / HTTP/1.1\r\nHost: nowhere\r\n\r\n")
    client.logon()
    trade_one(client, "AFTER-HTTP")


def test_body_length_too_short_is_discarded_and_the_session_continues(
    broker: SimulatedBroker, clients: list[RawFixClient]
) -> None:
    client = connect(broker, clients)
    seq = client.next_seq
    client.send_raw(with_body_length(client.build("D", new_order_fields("SHORT"), seq), -7))
    client.barrier("after-short-length", seq=seq)  # the mis-framed message never counted
    trade_one(client, "AFTER-SHORT")
    assert not [r for r in broker.received if r.get(11) == "SHORT"]


def test_body_length_too_long_then_a_fresh_session_trades(
    broker: SimulatedBroker, clients: list[RawFixClient]
) -> None:
    """A BodyLength past the end makes QuickFIX wait for bytes that never come: the
    connection is useless, the broker is not. A new connection logs on and trades."""
    client = connect(broker, clients)
    client.send_raw(with_body_length(client.build("D", new_order_fields("LONG")), 9))
    client.close()
    fresh = connect(broker, clients)
    trade_one(fresh, "AFTER-LONG")
    assert not [r for r in broker.received if r.get(11) == "LONG"]


def test_first_message_not_logon_is_disconnected(
    broker: SimulatedBroker, clients: list[RawFixClient]
) -> None:
    client = connect(broker, clients, logon=False)
    client.send("D", new_order_fields("NO-LOGON"))
    client.wait_closed()
    fresh = connect(broker, clients)
    trade_one(fresh, "AFTER-NO-LOGON")


def test_wrong_comp_id_is_refused(broker: SimulatedBroker, clients: list[RawFixClient]) -> None:
    stranger = RawFixClient(broker.port, sender="NOBODY")
    clients.append(stranger)
    stranger.send("A", [(98, "0"), (108, "30"), (141, "Y")])
    stranger.wait_closed()
    trade_one(connect(broker, clients), "AFTER-STRANGER")


def test_an_internal_error_in_a_callback_becomes_a_business_reject(
    broker: SimulatedBroker, clients: list[RawFixClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A Python exception escaping fromApp would end the process (Py_Exit in the SWIG
    director): the guard logs it and answers the client instead."""

    def boom(message: object, session_id: object, raw: str) -> None:
        raise RuntimeError("simulated bug")

    client = connect(broker, clients)
    monkeypatch.setattr(broker, "_on_app_message", boom)
    seq = client.send("D", new_order_fields("BOOM"))
    reject = client.expect("j")
    assert (reject.get(45), reject.get(372), reject.get(380)) == (str(seq).encode(), b"D", b"0")
    assert b"simulated bug" in reject.get(58)
    monkeypatch.undo()
    trade_one(client, "AFTER-BOOM")


def test_broker_bust_and_correct_controls(
    broker: SimulatedBroker, clients: list[RawFixClient]
) -> None:
    client = connect(broker, clients)
    client.send("D", new_order_fields("CTL-1"))
    fill = client.expect("8", t11="CTL-1", t39="2")
    exec_id = fill.get(17).decode()
    (corrected,) = broker.correct(exec_id, price=Decimal("189.50"))
    corr = client.expect("8", t11="CTL-1", t150="G")
    assert (corr.get(19), corr.get(31), corr.get(6)) == (fill.get(17), b"189.5", b"189.5")
    broker.bust(corrected.exec_id)
    bust = client.expect("8", t11="CTL-1", t150="H")
    assert (bust.get(19), bust.get(39), bust.get(14), bust.get(151)) == (
        corrected.exec_id.encode(),
        b"0",
        b"0",
        b"100",
    )
    with pytest.raises(SimulatorError, match="already busted"):
        broker.bust(exec_id)
