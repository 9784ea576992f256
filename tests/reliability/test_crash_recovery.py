"""Kill things in the middle of a stream of fills; prove no fill is lost or doubled.

The OMS is ``toms serve`` in a child process (real HTTP API, real QuickFIX initiator,
SQLite in WAL mode); the simulated broker runs in this process so the test sees every
message it sent. Orders are market orders cut into many clips: one clip executes on
arrival and one per price update, and a driver thread keeps moving prices, so fills flow
continuously while the fault happens:

- the OMS gets SIGKILL (no Logout, no shutdown code), the broker keeps trading and
  storing its reports, the OMS restarts on the same data directory;
- the broker dies with its link (no Logout) and comes back on the same store;
- the TCP link drops reports on the floor, then breaks.

Afterwards, read straight from the database: every fill the broker sent is stored exactly
once, every routed order's CumQty is the sum of its fills, and nothing is flagged. Waiting
is on the event stream (``EventStream.wait_until``) and on the broker's message records.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tests.integration.fix.test_reconnect import LinkProxy
from tests.reliability.conftest import (
    PRICES,
    WAIT,
    assert_exactly_once,
    broker_config,
    broker_fill_ids,
    is_fill,
    read_ledger,
)
from tests.reliability.server_process import ServerProcess, route_market, write_config
from toms.simulator.acceptor import SimulatedBroker
from toms.simulator.matching import FillPolicy, MatchingConfig

pytestmark = [pytest.mark.fix, pytest.mark.reliability]

CLIPS = 20  # each order fills in 20 clips: one on arrival, then one per price update
QTY = 2000
SYMBOLS = ("IBM", "MSFT", "AAPL")


@dataclass
class Rig:
    broker: SimulatedBroker
    proxy: LinkProxy
    server: ServerProcess


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    matching = MatchingConfig(fill_policy=FillPolicy(partial_fills=CLIPS, clips_per_match=1))
    broker = SimulatedBroker(broker_config(tmp_path / "sim", matching=matching))
    broker.start()
    proxy = LinkProxy(broker.port)
    server = ServerProcess(write_config(tmp_path / "toms.toml", proxy.port), tmp_path / "oms")
    try:
        server.start()
        broker.wait_for_logon(timeout=WAIT)
        yield Rig(broker, proxy, server)
    finally:
        server.stop()
        proxy.close()
        broker.stop()


class PriceDriver:
    """Moves every symbol one tick at a time, so each open order gets one clip per round."""

    def __init__(self, broker: SimulatedBroker, rounds: int) -> None:
        self._broker = broker
        self._rounds = rounds
        self._thread = threading.Thread(target=self._run, name="price-driver", daemon=True)
        self.error: BaseException | None = None

    def start(self) -> PriceDriver:
        self._thread.start()
        return self

    def join(self) -> None:
        self._thread.join(WAIT * 3)
        assert not self._thread.is_alive(), "price driver stuck"
        if self.error is not None:
            raise self.error

    def _run(self) -> None:
        try:
            for tick in range(1, self._rounds + 1):
                for symbol in SYMBOLS:
                    self._broker.set_price(symbol, PRICES[symbol] + Decimal("0.01") * tick)
        except BaseException as exc:
            self.error = exc


def route_all(rig: Rig) -> list[str]:
    """One market order per symbol, returned once the broker has acknowledged them all.

    A route returns when the order is stored and handed to QuickFIX, not when the broker
    has it, and a price tick only fills orders already in the broker's book: on a loaded
    machine the driver could otherwise finish before the last order arrives, leaving it
    with one clip."""
    routed = [route_market(rig.server, symbol, QTY) for symbol in SYMBOLS]
    cl_ord_ids = {r["cl_ord_id"] for r in routed}
    rig.broker.wait_for(
        lambda r: r.direction == "out" and r.get(150) == "0" and r.get(11) in cl_ord_ids,
        WAIT,
        len(cl_ord_ids),
    )
    return [r["routed_order_id"] for r in routed]


def wait_all_filled(server: ServerProcess, routed_ids: list[str]) -> None:
    def done() -> bool:
        with server.client() as trader:
            rows = [trader.routed(rid) for rid in routed_ids]
        return all(r["status"] == "filled" and Decimal(r["filled_quantity"]) == QTY for r in rows)

    with server.stream() as stream:
        stream.wait_until(done, WAIT * 2, "every routed order filled")


def fills_sent(broker: SimulatedBroker, count: int) -> None:
    broker.wait_for(lambda r: is_fill(r) and r.get(43) != "Y", WAIT, count)


def ledger_of(rig: Rig) -> Any:
    return read_ledger(rig.server.database_url)


def test_oms_killed_mid_stream_recovers_every_fill_exactly_once(rig: Rig) -> None:
    routed = route_all(rig)
    driver = PriceDriver(rig.broker, CLIPS - 1).start()
    fills_sent(rig.broker, 3 * CLIPS // 3)  # a third of the fills are out: kill now
    rig.server.kill()
    at_kill = ledger_of(rig)
    driver.join()  # the broker finishes trading while the OMS is dead
    fills_sent(rig.broker, 3 * CLIPS)
    assert sum(at_kill.fills_by_exec_id.values()) < 3 * CLIPS, "killed after the stream"

    rig.server.start()
    wait_all_filled(rig.server, routed)
    rig.server.stop()
    ledger = ledger_of(rig)
    assert_exactly_once(ledger, broker_fill_ids(rig.broker.records))
    assert sum(ledger.fills_by_exec_id.values()) == 3 * CLIPS
    resent = [r for r in rig.broker.sent if is_fill(r) and r.get(43) == "Y"]
    assert resent, "the fills missed while dead came back by resend (PossDupFlag=Y)"


def test_oms_killed_twice_in_a_row_still_loses_nothing(rig: Rig) -> None:
    routed = route_all(rig)
    driver = PriceDriver(rig.broker, CLIPS - 1).start()
    fills_sent(rig.broker, CLIPS // 2)
    rig.server.kill()
    rig.server.start()  # restarts while fills are still flowing...
    fills_sent(rig.broker, 2 * CLIPS)
    rig.server.kill()  # ...and dies again in the middle of its resend
    driver.join()
    rig.server.start()
    wait_all_filled(rig.server, routed)
    rig.server.stop()
    assert rig.server.kills == 2
    assert_exactly_once(ledger_of(rig), broker_fill_ids(rig.broker.records))


def test_broker_killed_mid_stream_resumes_its_sequence_and_loses_nothing(rig: Rig) -> None:
    """The broker dies with its link (no Logout reaches the OMS) and starts again on the
    same FileStore: sequence numbers continue, the OMS asks for what it missed."""
    routed = route_all(rig)
    driver = PriceDriver(rig.broker, CLIPS // 2).start()
    driver.join()
    rig.proxy.cut()  # the process and its sockets are gone at once
    rig.proxy.wait_disconnected()
    logons = len([r for r in rig.broker.received if r.msg_type == "A"])
    rig.broker.stop()
    rig.broker.config = replace(rig.broker.config, port=rig.broker.port)
    rig.broker.start()
    rig.proxy.heal()
    rig.broker.wait_for(lambda r: r.direction == "in" and r.msg_type == "A", WAIT, logons + 1)
    rest = PriceDriver(rig.broker, CLIPS)
    rest.start().join()
    wait_all_filled(rig.server, routed)
    rig.server.stop()
    assert_exactly_once(ledger_of(rig), broker_fill_ids(rig.broker.records))


def test_dropped_tcp_link_mid_stream_loses_nothing(rig: Rig) -> None:
    """The network swallows reports the broker believes delivered, then breaks; the broker
    keeps trading. On reconnect the sequence gap brings everything back."""
    routed = route_all(rig)
    fills_sent(rig.broker, 3)
    rig.proxy.lose_broker_traffic()
    driver = PriceDriver(rig.broker, CLIPS // 2).start()
    rig.proxy.wait_lost("8", 5)
    rig.proxy.cut()
    rig.proxy.wait_disconnected()
    driver.join()
    rig.proxy.heal()
    rest = PriceDriver(rig.broker, CLIPS)
    rest.start().join()
    wait_all_filled(rig.server, routed)
    rig.server.stop()
    assert rig.proxy.connections >= 2
    assert_exactly_once(ledger_of(rig), broker_fill_ids(rig.broker.records))
