"""A real OMS server (HTTP + WebSocket on a free port, QuickFIX sessions) and the simulated
broker, with one API client per configured user."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from toms.client import ApiClient, EventStream
from toms.config import Settings, load_settings
from toms.demo import demo_settings
from toms.server.server import OmsServer
from toms.simulator.acceptor import BrokerConfig, SimulatedBroker
from toms.simulator.matching import FillPolicy, MatchingConfig

WAIT = 20.0


@dataclass
class Live:
    server: OmsServer
    broker: SimulatedBroker
    settings: Settings
    clients: dict[str, ApiClient]
    stream: EventStream

    @property
    def url(self) -> str:
        return self.server.url

    def client(self, user: str) -> ApiClient:
        return self.clients[user]

    def wait(self, probe, what: str = ""):  # type: ignore[no-untyped-def]
        try:
            return self.stream.wait_until(probe, WAIT, what)
        except TimeoutError as exc:
            raise AssertionError(str(exc)) from None

    def move(self, symbol: str, price: str) -> None:
        self.client("ops1").set_price(symbol, price)
        self.broker.set_price(symbol, Decimal(price))


def start_live(
    tmp_path: Path,
    database_url: str | None = None,
    partial_fills: int = 2,
    matching: MatchingConfig | None = None,
    **settings_changes: Any,
) -> Live:
    """``settings_changes`` replace fields of the demo settings (e.g. ``compliance={}``)."""
    base = load_settings()
    matching = matching or MatchingConfig(fill_policy=FillPolicy(partial_fills=partial_fills))
    broker = SimulatedBroker(
        BrokerConfig(
            port=0,
            data_dir=tmp_path / "sim",
            reset_on_logon=False,  # like a real broker: a restarted OMS resumes its sequences
            prices=dict(base.prices),
            matching=matching,
        )
    )
    broker.start()
    settings = demo_settings(tmp_path / "oms", broker.port, base)
    if database_url:
        settings = replace(settings, database_url=database_url)
    settings = replace(settings, **settings_changes)
    server = OmsServer(settings)
    try:
        server.start()
        for name in ("SIM", "SIM42"):
            assert server.oms.fix.wait_logged_on(name, WAIT), f"{name} did not log on"
    except BaseException:
        server.stop()
        broker.stop()
        raise
    clients = {u.name: ApiClient(server.url, u.token) for u in settings.users}
    stream = EventStream(server.url, "demo-viewer-token").start()
    return Live(server, broker, settings, clients, stream)


def stop_live(live: Live) -> None:
    live.stream.stop()
    for c in live.clients.values():
        c.close()
    live.server.stop()
    live.broker.stop()


@pytest.fixture
def live(tmp_path: Path, db_url: str) -> Iterator[Live]:
    """Parametrised over SQLite and PostgreSQL by ``db_url``."""
    system = start_live(tmp_path, db_url)
    yield system
    stop_live(system)


@pytest.fixture
def live_sqlite(tmp_path: Path) -> Iterator[Live]:
    system = start_live(tmp_path)
    yield system
    stop_live(system)
