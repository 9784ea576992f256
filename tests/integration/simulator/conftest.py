"""Simulated brokers on free 127.0.0.1 ports with temp data dirs, always stopped."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from toms.simulator.acceptor import SimulatedBroker
from toms.simulator.config import BrokerConfig

BrokerFactory = Callable[..., SimulatedBroker]


@pytest.fixture
def make_broker(tmp_path: Path) -> Iterator[BrokerFactory]:
    brokers: list[SimulatedBroker] = []

    def make(**config: object) -> SimulatedBroker:
        config.setdefault("port", 0)
        config.setdefault("data_dir", tmp_path / f"broker{len(brokers)}")
        broker = SimulatedBroker(BrokerConfig(**config))  # type: ignore[arg-type]
        brokers.append(broker)
        broker.start()
        return broker

    yield make
    for broker in brokers:
        broker.stop()
