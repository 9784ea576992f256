"""A real OMS (QuickFIX initiator, SQLite or PostgreSQL) trading with the simulated broker."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import pytest

from tests.writer_cache import assert_cache_matches_database
from toms.app import Oms
from toms.config import BrokerSettings, load_settings
from toms.domain.ids import BrokerId
from toms.services.waiting import CommitWaiter
from toms.simulator.acceptor import BrokerConfig, SimulatedBroker
from toms.simulator.matching import FillPolicy, MatchingConfig

T = TypeVar("T")
WAIT = 20.0


class Waiter(CommitWaiter):
    """The OMS's commit waiter, failing the test instead of timing out."""

    def __init__(self, oms: Oms) -> None:
        super().__init__(oms.read)

    def until(self, probe: Callable[[Any], T | None], timeout: float = WAIT) -> T:
        try:
            return super().until(probe, timeout)
        except TimeoutError as exc:
            raise AssertionError(str(exc)) from None


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[SimulatedBroker]:
    config = BrokerConfig(
        port=0,
        data_dir=tmp_path / "sim",
        reset_on_logon=False,
        prices={
            "IBM": Decimal("180.00"),
            "AAPL": Decimal("190.00"),
            "MSFT": Decimal("410.00"),
            "NVDA": Decimal("120.00"),
            "JPM": Decimal("200.00"),
        },
        matching=MatchingConfig(fill_policy=FillPolicy(partial_fills=2)),
    )
    sim = SimulatedBroker(config)
    sim.start()
    yield sim
    sim.stop()


@pytest.fixture
def oms(broker: SimulatedBroker, db_url: str, tmp_path: Path) -> Iterator[Oms]:
    base = load_settings()
    brokers = tuple(
        BrokerSettings(
            BrokerId(name),
            version,
            "TOMS",
            "SIMBROKER",
            "127.0.0.1",
            broker.port,
            heartbeat_seconds=5,
            reconnect_seconds=1,
        )
        for name, version in (("SIM", "FIX.4.4"), ("SIM42", "FIX.4.2"))
    )
    settings = replace(base, database_url=db_url, data_dir=tmp_path / "oms", brokers=brokers)
    system = Oms(settings).start()
    for name in ("SIM", "SIM42"):
        assert system.fix.wait_logged_on(name, WAIT), f"{name} did not log on"
    yield system
    assert_cache_matches_database(system)
    system.stop()


@pytest.fixture
def waiter(oms: Oms) -> Waiter:
    w = Waiter(oms)
    oms.subscribe(w)
    return w
