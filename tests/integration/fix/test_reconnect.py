"""A FIX link that fails mid-stream loses no fill and applies none twice.

Real TCP on 127.0.0.1, QuickFIX FileStores on both sides and ``ResetOnLogon=N``, so after
a reconnect the sequence numbers continue and the gap is closed by ResendRequest (2) and
PossDupFlag=Y resends. The OMS dedupes by (session, ExecID) in the ``executions`` table.

The OMS reaches the simulated broker through ``LinkProxy``, a small TCP relay standing in
for the network: it can silently lose what the broker sends (reports the broker believes
delivered) and cut the link without a Logout, while both FIX engines stay up. That makes
the failure deterministic: the broker keeps trading and storing its reports while the OMS
cannot reach it, and nothing depends on timing.

Nothing here sleeps to synchronise: tests wait for committed state (``Waiter``), for
FIX records on the broker (``SimulatedBroker.wait_for``) or for the proxy's counters.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tests.integration.fix.conftest import WAIT, Waiter
from tests.writer_cache import assert_cache_matches_database
from toms.app import Oms
from toms.config import BrokerSettings, load_settings
from toms.domain.blocks import Block
from toms.domain.execution import RoutedStatus as S
from toms.domain.ids import BrokerId
from toms.domain.orders import OrderStatus
from toms.domain.routed_order import RoutedOrder
from toms.domain.values import OrderType, Side
from toms.simulator.acceptor import FixRecord, SimulatedBroker
from toms.simulator.config import BrokerConfig
from toms.simulator.matching import FillPolicy, MatchingConfig

pytestmark = pytest.mark.fix

SESSION = "FIX.4.4:TOMS->SIMBROKER"  # the OMS's side of the FIX.4.4 session
CLIPS = 10  # the order fills in ten clips of 50, one per price update
QTY = Decimal(500)
LIMIT = Decimal("179.00")  # IBM is at 180.00: the order rests until the price comes down


# ── the network ─────────────────────────────────────────────────────────────────────────
class LinkProxy:
    """A TCP relay on 127.0.0.1 between the OMS (client side) and the broker (upstream).

    ``lose_broker_traffic()`` discards, from then on, everything the broker sends (kept for
    ``lost_messages``); ``cut()`` closes every connection at once, no Logout, and
    refuses new ones until ``heal()``; ``close()`` ends it all.
    """

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self._cond = threading.Condition()
        self._up = True
        self._losing = False
        self._lost = bytearray()
        self._sockets: set[socket.socket] = set()
        self._threads: list[threading.Thread] = []
        self.connections = 0
        self._spawn(self._accept_loop)

    # control
    def lose_broker_traffic(self) -> None:
        with self._cond:
            self._losing = True

    def cut(self) -> None:
        with self._cond:
            self._up = False
            live = list(self._sockets)
        for s in live:
            _shutdown(s)

    def heal(self) -> None:
        with self._cond:
            self._up, self._losing = True, False

    def close(self) -> None:
        with self._cond:
            self._up = False
            live = list(self._sockets)
        _shutdown(self._listener)  # wakes accept() on Linux
        self._listener.close()
        for s in live:
            _shutdown(s)
        for t in list(self._threads):
            t.join(5)

    # observation
    def lost_messages(self, msg_type: str) -> int:
        with self._cond:
            return bytes(self._lost).count(f"\x0135={msg_type}\x01".encode())

    def wait_lost(self, msg_type: str, count: int, timeout: float = WAIT) -> None:
        with self._cond:
            if not self._cond.wait_for(lambda: self.lost_messages(msg_type) >= count, timeout):
                raise AssertionError(
                    f"proxy lost {self.lost_messages(msg_type)} of {count} 35={msg_type} messages"
                )

    def wait_disconnected(self, timeout: float = WAIT) -> None:
        with self._cond:
            if not self._cond.wait_for(lambda: not self._sockets, timeout):
                raise AssertionError("proxy connections still open")

    # relay
    def _spawn(self, target: Callable[..., None], *args: object) -> None:
        thread = threading.Thread(target=target, args=args, name="link-proxy", daemon=True)
        self._threads.append(thread)
        thread.start()

    def _accept_loop(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return  # closed
            with self._cond:
                refuse = not self._up
            if refuse:
                _abort(client)
                continue
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target_port), timeout=5)
            except OSError:
                _abort(client)
                continue
            upstream.settimeout(None)
            for s in (client, upstream):
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self._cond:
                registered = self._up  # not if cut() ran while this connection was made
                if registered:
                    self._sockets |= {client, upstream}
                    self.connections += 1
            if not registered:
                _abort(client)
                _abort(upstream)
                continue
            self._spawn(self._pump, client, upstream, False)
            self._spawn(self._pump, upstream, client, True)

    def _pump(self, src: socket.socket, dst: socket.socket, from_broker: bool) -> None:
        try:
            while data := src.recv(65536):
                with self._cond:
                    if from_broker and self._losing:
                        self._lost += data
                        self._cond.notify_all()
                        continue
                dst.sendall(data)
        except OSError:
            pass
        finally:  # one direction ends: the connection ends (the other pump wakes up too)
            _shutdown(src)
            _shutdown(dst)
            with self._cond:
                self._sockets.discard(src)
                self._cond.notify_all()
            src.close()


def _shutdown(s: socket.socket) -> None:
    with contextlib.suppress(OSError):
        s.shutdown(socket.SHUT_RDWR)


def _abort(s: socket.socket) -> None:
    """Close with RST: a connection attempt while the link is down fails at once."""
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()


# ── fixtures ────────────────────────────────────────────────────────────────────────────
@pytest.fixture
def broker(tmp_path: Path) -> Iterator[SimulatedBroker]:
    config = BrokerConfig(
        port=0,
        data_dir=tmp_path / "sim",
        reset_on_logon=False,
        begin_strings=("FIX.4.4",),
        prices={"IBM": Decimal("180.00"), "MSFT": Decimal("410.00")},
        matching=MatchingConfig(
            fill_policy=FillPolicy(partial_fills=CLIPS, clips_per_match=1),
            symbol_scenarios={"MSFT": "duplicate_report"},
        ),
    )
    sim = SimulatedBroker(config)
    sim.start()
    yield sim
    sim.stop()


@pytest.fixture
def proxy(broker: SimulatedBroker) -> Iterator[LinkProxy]:
    link = LinkProxy(broker.port)
    yield link
    link.close()


@pytest.fixture
def oms(proxy: LinkProxy, db_url: str, tmp_path: Path) -> Iterator[Oms]:
    base = load_settings()
    sim = BrokerSettings(
        BrokerId("SIM"),
        "FIX.4.4",
        "TOMS",
        "SIMBROKER",
        "127.0.0.1",
        proxy.port,
        heartbeat_seconds=5,
        reconnect_seconds=1,
    )
    settings = replace(base, database_url=db_url, data_dir=tmp_path / "oms", brokers=(sim,))
    system = Oms(settings).start()
    assert system.fix.wait_logged_on("SIM", WAIT), "SIM did not log on"
    yield system
    assert_cache_matches_database(system)
    system.stop()


@pytest.fixture
def waiter(oms: Oms) -> Waiter:
    w = Waiter(oms)
    oms.subscribe(w)
    return w


# ── helpers ─────────────────────────────────────────────────────────────────────────────
def route(
    oms: Oms, symbol: str, qty: Decimal, order_type: OrderType, limit: Decimal | None = None
) -> tuple[Block, RoutedOrder]:
    order = oms.submit_order(
        account_id="GROWTH",
        symbol=symbol,
        side=Side.BUY,
        quantity=qty,
        order_type=OrderType.MARKET,
        user="pm1",
    )
    block = oms.create_block([order.order_id], "trader1")
    routed = oms.route_block(
        block.block_id, broker="SIM", order_type=order_type, limit_price=limit, user="trader1"
    )
    return block, routed


def with_status(
    routed_id: str, *statuses: S, cum: Decimal | None = None
) -> Callable[[Any], RoutedOrder | None]:
    def probe(uow: Any) -> RoutedOrder | None:
        r: RoutedOrder = uow.routed.get(routed_id)
        ok = r.status in statuses and (cum is None or r.cum_qty == cum)
        return r if ok else None

    return probe


def fill_reports_sent(broker: SimulatedBroker, count: int) -> list[FixRecord]:
    """Wait until the broker has handed ``count`` first-time fill reports to QuickFIX."""
    return broker.wait_for(lambda r: is_fill(r) and r.get(43) != "Y", WAIT, count)


def is_fill(r: FixRecord) -> bool:
    return r.direction == "out" and r.msg_type == "8" and r.get(150) == "F"


def next_clip(broker: SimulatedBroker, clip: int) -> None:
    """One price update below the limit: exactly one clip executes."""
    reports = broker.set_price("IBM", LIMIT - Decimal("0.01") * clip)
    assert [r.last_qty for r in reports] == [QTY / CLIPS], reports


def executions(oms: Oms) -> list[tuple[str, str]]:
    return oms.read(
        lambda uow: [(r.exec_id, r.outcome) for r in uow.executions.for_session(SESSION)]
    )


def assert_exactly_once(oms: Oms, broker: SimulatedBroker, routed_id: str, cl_ord_id: str) -> None:
    """The OMS holds exactly the broker's fills: each once, none missing, none flagged."""
    sim = broker.order(cl_ord_id)
    broker_fills = sorted((f.exec_id, f.quantity, f.price) for f in sim.fills if not f.busted)
    routed = oms.read(lambda uow: uow.routed.get(routed_id))
    oms_fills = sorted((f.exec_id, f.quantity, f.price) for f in routed.fills if not f.busted)
    assert oms_fills == broker_fills
    assert routed.cum_qty == sum(q for _, q, _ in broker_fills) == sim.cum_qty
    seen = executions(oms)
    counts = Counter(exec_id for exec_id, _ in seen)
    assert [e for e, n in counts.items() if n > 1] == []
    assert all(counts[exec_id] == 1 for exec_id, _, _ in broker_fills)
    assert {outcome for _, outcome in seen} == {"applied"}
    assert oms.read(lambda uow: uow.executions.flagged()) == []
    assert oms.fix.dead_letters.read() == []


# ── tests ───────────────────────────────────────────────────────────────────────────────
def test_link_lost_mid_stream_then_resend_fills_the_gap(
    oms: Oms, waiter: Waiter, broker: SimulatedBroker, proxy: LinkProxy
) -> None:
    block, routed = route(oms, "IBM", QTY, OrderType.LIMIT, LIMIT)
    rid = routed.routed_order_id
    waiter.until(with_status(rid, S.NEW))

    # 1. three fills arrive and are committed
    for clip in range(1, 4):
        next_clip(broker, clip)
    waiter.until(with_status(rid, S.PARTIALLY_FILLED, cum=Decimal(150)))

    # 2. the network starts losing what the broker sends: two fills leave the broker (it
    #    counts them as sent, their sequence numbers are used) and never reach the OMS
    proxy.lose_broker_traffic()
    for clip in (4, 5):
        next_clip(broker, clip)
    fill_reports_sent(broker, 5)
    proxy.wait_lost("8", 2)

    # 3. the link goes down without a Logout; the broker keeps trading and stores reports
    proxy.cut()
    proxy.wait_disconnected()
    for clip in (6, 7, 8):
        next_clip(broker, clip)
    fill_reports_sent(broker, 8)
    assert oms.read(lambda uow: uow.routed.get(rid)).cum_qty == Decimal(150)

    # 4. the link comes back: the OMS reconnects by itself (ReconnectInterval=1), sees the
    #    sequence gap in the broker's Logon and asks for a resend of fills 4-8
    proxy.heal()
    resent = broker.wait_for(lambda r: is_fill(r) and r.get(43) == "Y", WAIT, 5)
    waiter.until(with_status(rid, S.PARTIALLY_FILLED, cum=Decimal(400)))
    for clip in (9, 10):  # the rest trades live on the new connection
        next_clip(broker, clip)
    waiter.until(with_status(rid, S.FILLED, cum=QTY))

    assert proxy.connections >= 2
    broker.wait_for(lambda r: r.direction == "in" and r.msg_type == "2", WAIT)  # ResendRequest
    sent = [r for r in broker.sent if is_fill(r) and r.get(43) != "Y"]
    assert len(sent) == CLIPS
    gap = {r.get(17) for r in sent[3:8]}  # ExecIDs of the fills the OMS missed
    assert gap <= {r.get(17) for r in resent}
    assert_exactly_once(oms, broker, rid, routed.cl_ord_id)
    orders = oms.read(lambda uow: uow.orders.list(block_id=block.block_id))
    assert [(o.status, o.filled_quantity) for o in orders] == [(OrderStatus.FILLED, QTY)]


def test_broker_restart_keeps_sequence_numbers_and_loses_nothing(
    oms: Oms, waiter: Waiter, broker: SimulatedBroker, proxy: LinkProxy
) -> None:
    """The broker's FIX engine stops (Logout) and starts again on the same port with the
    same store: sequence numbers continue and fills keep their ExecIDs.

    No fill is generated while the broker is stopped: the simulator has no session to
    hand the report to then and drops it (it logs "could not send"), which would be a
    simulator artefact, not something the OMS could recover by resend."""
    block, routed = route(oms, "IBM", QTY, OrderType.LIMIT, LIMIT)
    rid = routed.routed_order_id
    waiter.until(with_status(rid, S.NEW))
    for clip in range(1, 4):
        next_clip(broker, clip)
    waiter.until(with_status(rid, S.PARTIALLY_FILLED, cum=Decimal(150)))
    for clip in (4, 5):  # in flight while the broker shuts down
        next_clip(broker, clip)
    logons_before = len([r for r in broker.sent if r.msg_type == "A"])

    broker.stop()
    broker.config = replace(broker.config, port=broker.port)  # the same port again
    broker.start()
    assert proxy.target_port == broker.port
    # Fills before the OMS has logged on again are stored by the broker's session and
    # reach the OMS through the sequence gap; later ones are sent live.
    for clip in range(6, CLIPS + 1):
        next_clip(broker, clip)
    waiter.until(with_status(rid, S.FILLED, cum=QTY))

    logons = [r for r in broker.sent if r.msg_type == "A"]
    assert len(logons) > logons_before
    assert int(logons[-1].get(34) or 0) > 1, "the broker's sequence numbers were reset"
    assert_exactly_once(oms, broker, rid, routed.cl_ord_id)
    orders = oms.read(lambda uow: uow.orders.list(block_id=block.block_id))
    assert [o.status for o in orders] == [OrderStatus.FILLED]


def test_possible_duplicate_report_is_recorded_once(
    oms: Oms, waiter: Waiter, broker: SimulatedBroker
) -> None:
    """The OMS cannot set Text (58) on an order, so the scenario comes from the broker's
    per-symbol configuration: every MSFT fill report is sent twice, the second time with
    PossDupFlag=Y and the same ExecID."""
    _, routed = route(oms, "MSFT", Decimal(200), OrderType.MARKET)
    rid = routed.routed_order_id
    broker.wait_for(lambda r: is_fill(r) and r.get(43) == "Y", WAIT)
    # The broker sends each duplicate right after its original, and the OMS's session
    # processes messages in order: once the answer to a later order is committed (the
    # barrier below), every duplicate before it has been through the OMS.
    for clip in range(2, CLIPS + 1):
        broker.set_price("MSFT", Decimal("410.00") + Decimal("0.01") * clip)
    done = waiter.until(with_status(rid, S.FILLED, cum=Decimal(200)))
    _, barrier = route(oms, "IBM", Decimal(100), OrderType.LIMIT, Decimal("170.00"))
    waiter.until(with_status(barrier.routed_order_id, S.NEW))

    fills = [r for r in broker.sent if is_fill(r) and r.get(11) == routed.cl_ord_id]
    originals = [r.get(17) for r in fills if r.get(43) != "Y"]
    duplicates = [r.get(17) for r in fills if r.get(43) == "Y"]
    assert len(originals) == CLIPS and sorted(duplicates) == sorted(originals)
    assert all(r.get(97) == "Y" and r.get(122) for r in fills if r.get(43) == "Y")
    assert len(done.fills) == CLIPS
    assert_exactly_once(oms, broker, rid, routed.cl_ord_id)


def test_order_routed_while_the_link_is_down_goes_out_at_logon_as_a_possible_resend(
    oms: Oms, waiter: Waiter, broker: SimulatedBroker, proxy: LinkProxy
) -> None:
    """Routed while the session is down, the order waits in the outbox and leaves at the
    next logon with PossResend=Y (toms cannot always know whether a request in its outbox
    went out). The broker has not seen the ClOrdID, so it trades it; the same request
    again is ignored, as FIX asks of a possible resend the receiver already has."""
    proxy.cut()
    proxy.wait_disconnected()
    assert oms.fix.board.wait_for("SIM", lambda s: not s.logged_on, WAIT)
    _, routed = route(oms, "IBM", QTY, OrderType.LIMIT, LIMIT)
    assert oms.read(lambda uow: [r.cl_ord_id for r in uow.outbox.unsent()]) == [routed.cl_ord_id]

    proxy.heal()
    waiter.until(with_status(routed.routed_order_id, S.NEW))
    (resend,) = broker.wait_for(lambda r: r.direction == "in" and r.msg_type == "D", WAIT)
    assert (resend.get(11), resend.get(97)) == (routed.cl_ord_id, "Y")

    oms.ctx.gateway("SIM").send_new(routed, poss_resend=True)  # as after a crash
    _, later = route(oms, "IBM", QTY, OrderType.LIMIT, LIMIT)
    waiter.until(with_status(later.routed_order_id, S.NEW))  # the broker is past the resend
    answers = [r.get(150) for r in broker.sent if r.get(11) == routed.cl_ord_id]
    # One New, and the status answer to the logon's reconciliation; no duplicate reject.
    assert sorted(answers) == ["0", "I"], answers
    received = [
        r.get(97) for r in broker.received if r.msg_type == "D" and r.get(11) == routed.cl_ord_id
    ]
    assert received == ["Y", "Y"]
    assert oms.read(lambda uow: uow.routed.get(routed.routed_order_id)).status is S.NEW
    assert all(outcome == "applied" for _, outcome in executions(oms))
