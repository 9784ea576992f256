"""A QuickFIX initiator trades every order type against the simulated broker, FIX 4.2 and 4.4.

One broker and one initiator (both FIX versions) serve the whole module; each test uses its
own ClOrdIDs and symbols. Every wait is on a condition with a timeout.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import quickfix as fix

from tests.integration.simulator.rawclient import fix_now
from toms.fix.dictionary import dictionary_path
from toms.simulator.acceptor import SimulatedBroker
from toms.simulator.config import BrokerConfig
from toms.simulator.matching import FillPolicy, MatchingConfig
from toms.simulator.settings import SessionSettingsBuilder

pytestmark = [pytest.mark.fix, pytest.mark.timeout(120)]
log = logging.getLogger(__name__)

VERSIONS = ["FIX.4.2", "FIX.4.4"]
SYMBOLS = [
    f"{name}{v}" for name in ("LIM", "STP", "STL", "CXL", "IOC", "EOD", "MKT") for v in ("42", "44")
]


# ── the test client ─────────────────────────────────────────────────────────────────────
@dataclass(frozen=True)
class Received:
    session: str
    raw: str

    @property
    def fields(self) -> list[tuple[int, str]]:
        return [(int(t), v) for t, _, v in (p.partition("=") for p in self.raw.split("\x01")) if t]

    def __getitem__(self, tag: int) -> str:
        value = self.get(tag)
        if value is None:
            raise KeyError(f"tag {tag} not in {self.raw.replace(chr(1), '|')}")
        return value

    def get(self, tag: int) -> str | None:
        return next((v for t, v in self.fields if t == tag), None)


class ClientApp(fix.Application):  # type: ignore[misc]
    """A minimal, guarded QuickFIX application that records what it receives."""

    def __init__(self) -> None:
        super().__init__()
        self.cond = threading.Condition()
        self.messages: list[Received] = []
        self.logged_on: set[str] = set()

    def onCreate(self, session_id: Any) -> None:
        pass

    def onLogon(self, session_id: Any) -> None:
        try:
            with self.cond:
                self.logged_on.add(session_id.toString())
                self.cond.notify_all()
        except Exception:
            log.exception("onLogon")

    def onLogout(self, session_id: Any) -> None:
        try:
            with self.cond:
                self.logged_on.discard(session_id.toString())
                self.cond.notify_all()
        except Exception:
            log.exception("onLogout")

    def toAdmin(self, message: Any, session_id: Any) -> None:
        pass

    def fromAdmin(self, message: Any, session_id: Any) -> None:
        pass

    def toApp(self, message: Any, session_id: Any) -> None:
        pass

    def fromApp(self, message: Any, session_id: Any) -> None:
        try:
            with self.cond:
                self.messages.append(Received(session_id.toString(), message.toString()))
                self.cond.notify_all()
        except Exception:
            log.exception("fromApp")

    def wait(
        self, predicate: Callable[[Received], bool], count: int = 1, timeout: float = 10.0
    ) -> list[Received]:
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                hits = [m for m in self.messages if predicate(m)]
                if len(hits) >= count:
                    return hits
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"{len(hits)} of {count} expected messages")
                self.cond.wait(remaining)


@dataclass
class Client:
    app: ClientApp
    initiator: Any
    broker: SimulatedBroker

    def sid(self, version: str) -> Any:
        return fix.SessionID(version, "TOMS", "SIMBROKER")

    def send(self, version: str, msg_type: str, fields: list[tuple[int, str]]) -> None:
        message = fix.Message()
        message.getHeader().setField(35, msg_type)
        for tag, value in fields:
            message.setField(tag, value)
        assert fix.Session.sendToTarget(message, self.sid(version))

    def send_with_groups(
        self,
        version: str,
        msg_type: str,
        fields: list[tuple[int, str]],
        groups: list[tuple[int, int, list[list[tuple[int, str]]]]],
    ) -> None:
        message = fix.Message()
        message.getHeader().setField(35, msg_type)
        for tag, value in fields:
            message.setField(tag, value)
        for count_tag, delimiter, entries in groups:
            for entry in entries:
                group = fix.Group(count_tag, delimiter)
                for tag, value in entry:
                    group.setField(tag, value)
                message.addGroup(group)
        assert fix.Session.sendToTarget(message, self.sid(version))

    def reports(self, cl_ord_id: str, count: int, msg_type: str = "8") -> list[Received]:
        """The first ``count`` messages about ``cl_ord_id`` (as ClOrdID or OrigClOrdID)."""
        return self.app.wait(
            lambda m: m.get(35) == msg_type and cl_ord_id in (m.get(11), m.get(41)), count
        )[:count]

    def new_order(
        self,
        version: str,
        cl_ord_id: str,
        symbol: str,
        side: str = "1",
        qty: str = "100",
        ord_type: str = "1",
        price: str | None = None,
        stop: str | None = None,
        tif: str | None = None,
        text: str | None = None,
    ) -> None:
        fields = [(11, cl_ord_id), (1, "ACC-1")]
        if version == "FIX.4.2":
            fields.append((21, "1"))
        fields += [(55, symbol), (54, side), (60, fix_now()), (38, qty), (40, ord_type)]
        for tag, value in ((44, price), (99, stop), (59, tif), (58, text)):
            if value is not None:
                fields.append((tag, value))
        self.send(version, "D", fields)

    def cancel(self, version: str, cl_ord_id: str, orig: str, symbol: str) -> None:
        self.send(
            version,
            "F",
            [(41, orig), (11, cl_ord_id), (55, symbol), (54, "1"), (60, fix_now()), (38, "100")],
        )


def initiator_settings(port: int, data_dir: Path) -> SessionSettingsBuilder:
    builder = SessionSettingsBuilder(
        {
            "ConnectionType": "initiator",
            "SocketConnectHost": "127.0.0.1",
            "SocketConnectPort": port,
            "HeartBtInt": 30,
            "ReconnectInterval": 1,
            "StartTime": "00:00:00",
            "EndTime": "00:00:00",
            "FileStorePath": data_dir / "store",
            "FileLogPath": data_dir / "log",
            "UseDataDictionary": True,
            "ResetOnLogon": True,
        }
    )
    for version in VERSIONS:
        builder.session(version, "TOMS", "SIMBROKER", DataDictionary=dictionary_path(version))
    return builder


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Client]:
    root = tmp_path_factory.mktemp("qf")
    prices = {s: Decimal("100.00") for s in SYMBOLS} | {"AAPL": Decimal("190.00")}
    broker = SimulatedBroker(
        BrokerConfig(
            port=0,
            data_dir=root / "broker",
            prices=prices,
            matching=MatchingConfig(fill_policy=FillPolicy(partial_fills=2)),
        )
    )
    broker.start()
    app = ClientApp()
    settings = initiator_settings(broker.port, root / "client").build()
    initiator = fix.SocketInitiator(
        app, fix.FileStoreFactory(settings), settings, fix.FileLogFactory(settings)
    )
    initiator.start()
    try:
        with app.cond:
            ok = app.cond.wait_for(lambda: len(app.logged_on) == 2, timeout=15)
        assert ok, f"logged on: {app.logged_on}"
        yield Client(app, initiator, broker)
    finally:
        initiator.stop()
        broker.stop()


def v(version: str) -> str:
    return version[-3:].replace(".", "")


# ── order types ─────────────────────────────────────────────────────────────────────────
@pytest.mark.parametrize("version", VERSIONS)
def test_market_order_partial_then_full_fill(client: Client, version: str) -> None:
    cl = f"MKT-{v(version)}"
    client.new_order(version, cl, f"MKT{v(version)}", qty="300")
    new, part, full = client.reports(cl, 3)
    assert (new[150], new[39], new[151]) == ("0", "0", "300")
    assert (part[39], part[32], part[31], part[14], part[151]) == ("1", "150", "100", "150", "150")
    assert (full[39], full[14], full[151], full[6]) == ("2", "300", "0", "100")
    assert new[1] == "ACC-1"
    assert len({new[17], part[17], full[17]}) == 3
    if version == "FIX.4.2":
        assert (new[20], part[150], full[150]) == ("0", "1", "2")
    else:
        assert (new.get(20), part[150], full[150]) == (None, "F", "F")


@pytest.mark.parametrize("version", VERSIONS)
def test_limit_order_rests_until_price_crosses(client: Client, version: str) -> None:
    cl, sym = f"LIM-{v(version)}", f"LIM{v(version)}"
    client.new_order(version, cl, sym, ord_type="2", price="99")
    (new,) = client.reports(cl, 1)
    assert (new[150], new[44]) == ("0", "99")
    assert client.broker.set_price(sym, Decimal("99.5")) == []
    assert len(client.broker.set_price(sym, Decimal("98.75"))) == 2
    fills = client.reports(cl, 3)[1:]
    assert [f[31] for f in fills] == ["98.75", "98.75"]
    assert fills[-1][39] == "2"


@pytest.mark.parametrize("version", VERSIONS)
def test_sell_stop_triggers_when_price_falls(client: Client, version: str) -> None:
    cl, sym = f"STP-{v(version)}", f"STP{v(version)}"
    client.new_order(version, cl, sym, side="2", ord_type="3", stop="95", qty="50")
    client.reports(cl, 1)
    assert client.broker.set_price(sym, Decimal("96")) == []
    client.broker.set_price(sym, Decimal("94.9"))
    fills = client.reports(cl, 3)[1:]
    assert [(f[54], f[31], f[32]) for f in fills] == [("2", "94.9", "25"), ("2", "94.9", "25")]


@pytest.mark.parametrize("version", VERSIONS)
def test_buy_stop_limit_triggers_then_waits_for_its_limit(client: Client, version: str) -> None:
    cl, sym = f"STL-{v(version)}", f"STL{v(version)}"
    client.new_order(version, cl, sym, ord_type="4", stop="105", price="106", qty="10")
    client.reports(cl, 1)
    assert client.broker.set_price(sym, Decimal("107")) == []  # triggered, above the limit
    client.broker.set_price(sym, Decimal("105.5"))
    fill = client.reports(cl, 3)[-1]
    assert (fill[39], fill[31], fill[99], fill[44]) == ("2", "105.5", "105", "106")


@pytest.mark.parametrize("version", VERSIONS)
def test_replace_then_cancel_then_cancel_again(client: Client, version: str) -> None:
    cl, sym = f"CXL-{v(version)}", f"CXL{v(version)}"
    client.new_order(version, cl, sym, ord_type="2", price="90")
    client.reports(cl, 1)
    fields = [
        (41, cl),
        (11, f"{cl}-R"),
        (55, sym),
        (54, "1"),
        (60, fix_now()),
        (38, "200"),
        (40, "2"),
        (44, "91"),
    ]
    if version == "FIX.4.2":
        fields.append((21, "1"))
    client.send(version, "G", fields)
    (replaced,) = client.reports(f"{cl}-R", 1)
    assert (replaced[150], replaced[39], replaced[41], replaced[38], replaced[151]) == (
        "5",
        "0",
        cl,
        "200",
        "200",
    )
    client.cancel(version, f"{cl}-X", f"{cl}-R", sym)
    (cancelled,) = client.reports(f"{cl}-X", 1)
    assert (cancelled[150], cancelled[39], cancelled[41], cancelled[151]) == (
        "4",
        "4",
        f"{cl}-R",
        "0",
    )
    client.cancel(version, f"{cl}-X2", f"{cl}-X", sym)
    (rej,) = client.reports(f"{cl}-X2", 1, msg_type="9")
    assert (rej[102], rej[39], rej[434], rej[41]) == ("0", "4", "1", f"{cl}-X")


@pytest.mark.parametrize("version", VERSIONS)
def test_cancel_of_unknown_order_is_rejected(client: Client, version: str) -> None:
    client.cancel(version, f"UNK-X-{v(version)}", "NEVER-SENT", "AAPL")
    (rej,) = client.reports(f"UNK-X-{v(version)}", 1, msg_type="9")
    assert (rej[102], rej[39], rej[37]) == ("1", "8", "NONE")


@pytest.mark.parametrize("version", VERSIONS)
def test_order_status_request(client: Client, version: str) -> None:
    cl = f"STA-{v(version)}"
    client.new_order(version, cl, "AAPL", qty="10")
    client.reports(cl, 3)
    client.send(version, "H", [(11, cl), (55, "AAPL"), (54, "1")])
    status = client.reports(cl, 4)[-1]
    assert (status[39], status[14], status[6]) == ("2", "10", "190")
    if version == "FIX.4.2":
        assert (status[20], status[150]) == ("3", "2")
    else:
        assert status[150] == "I"
    client.send(version, "H", [(11, f"NOPE-{v(version)}"), (55, "AAPL"), (54, "1")])
    (unknown,) = client.reports(f"NOPE-{v(version)}", 1)
    assert (unknown[39], unknown[37]) == ("8", "NONE")


@pytest.mark.parametrize("version", VERSIONS)
def test_ioc_and_fok_that_cannot_fill_are_cancelled(client: Client, version: str) -> None:
    sym = f"IOC{v(version)}"
    client.new_order(version, f"IOC-{v(version)}", sym, ord_type="2", price="50", tif="3")
    assert [r[150] for r in client.reports(f"IOC-{v(version)}", 2)] == ["0", "4"]
    client.new_order(version, f"FOK-{v(version)}", sym, ord_type="2", price="50", tif="4")
    assert [r[150] for r in client.reports(f"FOK-{v(version)}", 2)] == ["0", "4"]


@pytest.mark.parametrize("version", VERSIONS)
def test_unsupported_time_in_force_is_rejected_by_execution_report(
    client: Client, version: str
) -> None:
    cl = f"OPG-{v(version)}"
    client.new_order(version, cl, "AAPL", tif="2")  # at the opening
    (rej,) = client.reports(cl, 1)
    assert (rej[150], rej[39], rej[59]) == ("8", "8", "2")
    assert rej[103] == ("0" if version == "FIX.4.2" else "11")
    assert "TimeInForce" in rej[58]


@pytest.mark.parametrize("version", VERSIONS)
def test_day_order_expires_at_end_of_day(client: Client, version: str) -> None:
    cl = f"EOD-{v(version)}"
    client.new_order(version, cl, f"EOD{v(version)}", ord_type="2", price="1")
    client.reports(cl, 1)
    client.broker.end_of_day()
    expired = client.reports(cl, 2)[-1]
    assert (expired[150], expired[39], expired[151]) == ("C", "C", "0")


@pytest.mark.parametrize("version", VERSIONS)
def test_unsolicited_cancel_by_the_broker(client: Client, version: str) -> None:
    cl = f"UNS-{v(version)}"
    client.new_order(version, cl, "AAPL", ord_type="2", price="1")
    client.reports(cl, 1)
    client.broker.unsolicited_cancel(cl, session=f"{version}:SIMBROKER->TOMS")
    cancelled = client.reports(cl, 2)[-1]
    assert (cancelled[150], cancelled[39], cancelled.get(41)) == ("4", "4", None)


# ── scenarios selected by Text (58) ─────────────────────────────────────────────────────
@pytest.mark.parametrize("version", VERSIONS)
def test_scenario_trade_bust(client: Client, version: str) -> None:
    cl = f"BUST-{v(version)}"
    client.new_order(version, cl, "AAPL", text="SCENARIO=trade_bust")
    _, _, fill, bust = client.reports(cl, 4)
    assert bust[19] == fill[17]
    assert (bust[39], bust[14], bust[151]) == ("1", "50", "50")
    if version == "FIX.4.2":
        assert (bust[20], bust[150]) == ("1", "1")
    else:
        assert bust[150] == "H"


@pytest.mark.parametrize("version", VERSIONS)
def test_scenario_trade_correct(client: Client, version: str) -> None:
    cl = f"CORR-{v(version)}"
    client.new_order(version, cl, "AAPL", qty="10", text="SCENARIO=trade_correct")
    fill, corr = client.reports(cl, 4)[2:]
    assert (corr[19], corr[31], corr[32], corr[6]) == (fill[17], "189.99", "5", "189.995")
    assert (corr[20], corr[150]) == ("2", "2") if version == "FIX.4.2" else corr[150] == "G"


@pytest.mark.parametrize("version", VERSIONS)
def test_scenario_duplicate_report(client: Client, version: str) -> None:
    cl = f"DUP-{v(version)}"
    client.new_order(version, cl, "AAPL", text="SCENARIO=duplicate_report")
    reports = client.reports(cl, 5)
    first, again = reports[1], reports[2]
    assert first[17] == again[17]
    assert (first.get(43), again[43], again[97], again.get(122) is not None) == (
        None,
        "Y",
        "Y",
        True,
    )


@pytest.mark.parametrize("version", VERSIONS)
def test_scenario_fill_during_pending_cancel(client: Client, version: str) -> None:
    cl = f"PCXL-{v(version)}"
    client.new_order(
        version, cl, "AAPL", ord_type="2", price="1", text="SCENARIO=fill_during_pending_cancel"
    )
    client.reports(cl, 1)
    client.cancel(version, f"{cl}-X", cl, "AAPL")
    pending, fill, done = client.reports(cl, 4)[1:]  # the fill still names the order X
    assert (pending[150], pending[39]) == ("6", "6")
    assert (pending[11], pending[41], fill[11], done[11], done[41]) == (
        f"{cl}-X",
        cl,
        cl,
        f"{cl}-X",
        cl,
    )
    assert (fill[39], fill[32], fill[31]) == ("6", "50", "1")
    assert (done[150], done[39], done[14]) == ("4", "4", "50")


@pytest.mark.parametrize("version", VERSIONS)
def test_scenario_pending_new_then_restated(client: Client, version: str) -> None:
    cl = f"PNEW-{v(version)}"
    client.new_order(version, cl, "AAPL", text="SCENARIO=pending_new_first")
    assert [r[150] for r in client.reports(cl, 2)] == ["A", "0"]
    cl = f"REST-{v(version)}"
    client.new_order(version, cl, "AAPL", text="SCENARIO=restated")
    restated = client.reports(cl, 2)[-1]
    assert (restated[150], restated[38], restated[378]) == ("D", "50", "5")


# ── allocation ──────────────────────────────────────────────────────────────────────────
def allocation(
    client: Client,
    version: str,
    alloc_id: str,
    cl: str,
    legs: list[tuple[str, str]],
    qty: str = "100",
    avg_px: str = "190",
) -> None:
    fields = [(70, alloc_id), (71, "0")]
    if version == "FIX.4.4":
        fields += [(626, "1"), (857, "0")]
    fields += [(54, "1"), (55, "AAPL"), (53, qty), (6, avg_px), (75, "20261121")]
    client.send_with_groups(
        version,
        "J",
        fields,
        [(73, 11, [[(11, cl)]]), (78, 79, [[(79, a), (80, q)] for a, q in legs])],
    )


@pytest.mark.parametrize("version", VERSIONS)
def test_allocation_instruction_is_acknowledged(client: Client, version: str) -> None:
    cl = f"ALC-{v(version)}"
    client.new_order(version, cl, "AAPL")
    client.reports(cl, 3)
    allocation(client, version, f"AL-OK-{v(version)}", cl, [("ACC-1", "60"), ("ACC-2", "40")])
    (ack,) = client.app.wait(lambda m: m.get(35) == "P" and m.get(70) == f"AL-OK-{v(version)}")
    assert (ack[87], ack.get(88)) == ("0", None)
    allocation(client, version, f"AL-BAD-{v(version)}", cl, [("ACC-1", "60"), ("ACC-2", "30")])
    (nak,) = client.app.wait(lambda m: m.get(35) == "P" and m.get(70) == f"AL-BAD-{v(version)}")
    assert (nak[87], nak[88]) == ("1", "1" if version == "FIX.4.2" else "8")
    assert "sum to 90" in nak[58]
    allocation(client, version, f"AL-UNK-{v(version)}", "NOT-AN-ORDER", [("ACC-1", "100")])
    (unk,) = client.app.wait(lambda m: m.get(35) == "P" and m.get(70) == f"AL-UNK-{v(version)}")
    assert (unk[87], unk[88]) == ("1", "5" if version == "FIX.4.2" else "12")


def test_unsupported_application_message_gets_business_reject(client: Client) -> None:
    client.send("FIX.4.4", "R", [(131, "QR-1"), (146, "1"), (55, "AAPL")])
    (rej,) = client.app.wait(lambda m: m.get(35) == "j" and m.get(372) == "R")
    assert rej[380] == "3"


def test_broker_records_what_it_received(client: Client) -> None:
    client.new_order("FIX.4.4", "REC-1", "AAPL", text="recorded")
    (record,) = client.broker.wait_for(lambda r: r.direction == "in" and r.get(11) == "REC-1")
    assert (record.msg_type, record.session, record.get(58)) == (
        "D",
        "FIX.4.4:SIMBROKER->TOMS",
        "recorded",
    )
    client.reports("REC-1", 3)
    order = client.broker.order("REC-1")
    assert (order.cum_qty, order.account) == (Decimal(100), "ACC-1")
