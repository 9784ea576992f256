"""Shared pieces of the reliability tests: brokers, in-process OMSes, the ledger checks.

The checks here are the guarantees RELIABILITY.md states: every fill the broker sent is
in the OMS exactly once, every routed order's CumQty is the sum of its fills, and nothing
was flagged for operations (inconsistent reports, status mismatches, dead letters).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from tests.integration.fix.conftest import WAIT, Waiter
from tests.writer_cache import assert_cache_matches_database
from toms.app import Oms
from toms.config import BrokerSettings, Settings, load_settings
from toms.domain.ids import BrokerId
from toms.simulator.acceptor import FixRecord, SimulatedBroker
from toms.simulator.config import BrokerConfig
from toms.simulator.matching import FillPolicy, MatchingConfig

PRICES = {
    "IBM": Decimal("180.00"),
    "AAPL": Decimal("190.00"),
    "MSFT": Decimal("410.00"),
    "NVDA": Decimal("120.00"),
    "JPM": Decimal("200.00"),
}
# Audit events that mean "a human must look at this": the opposite of a clean recovery.
FLAG_EVENTS = (
    "ExecutionRejected",
    "StatusMismatch",
    "UnmatchedCancelReject",
    "CancelRejectNotApplied",
    "SessionRejectReceived",
    "BusinessRejectReceived",
)

__all__ = ["WAIT", "Waiter"]


def broker_config(data_dir: Path, **changes: Any) -> BrokerConfig:
    """A FIX 4.4 broker that keeps sequence numbers across logons (ResetOnLogon=N)."""
    base = BrokerConfig(
        port=0,
        data_dir=data_dir,
        reset_on_logon=False,
        begin_strings=("FIX.4.4",),
        prices=dict(PRICES),
        matching=MatchingConfig(fill_policy=FillPolicy(partial_fills=2)),
    )
    return replace(base, **changes)


def oms_settings(
    data_dir: Path, port: int, database_url: str | None = None, brokers: int = 1
) -> Settings:
    base = load_settings()
    versions = (("SIM", "FIX.4.4"), ("SIM42", "FIX.4.2"))[:brokers]
    sims = tuple(
        BrokerSettings(
            BrokerId(name),
            version,
            "TOMS",
            "SIMBROKER",
            "127.0.0.1",
            port,
            heartbeat_seconds=5,
            reconnect_seconds=1,
        )
        for name, version in versions
    )
    return replace(
        base,
        database_url=database_url or f"sqlite:///{data_dir / 'toms.db'}",
        data_dir=data_dir,
        brokers=sims,
        compliance={},  # these tests are about the FIX path; limits sit far from the market
    )


@pytest.fixture
def sim(tmp_path: Path) -> Iterator[SimulatedBroker]:
    broker = SimulatedBroker(broker_config(tmp_path / "sim"))
    broker.start()
    yield broker
    broker.stop()


@dataclass
class OmsRunner:
    """Starts and restarts an in-process OMS on one data directory."""

    settings: Settings
    oms: Oms | None = None
    waiter: Waiter | None = None

    def start(self) -> Oms:
        self.oms = Oms(self.settings).start()
        self.waiter = Waiter(self.oms)
        self.oms.subscribe(self.waiter)
        for b in self.settings.brokers:
            assert self.oms.fix.wait_logged_on(b.broker_id, WAIT), f"{b.broker_id} no logon"
        return self.oms

    def stop(self) -> None:
        if self.oms is not None:
            assert_cache_matches_database(self.oms)
            self.oms.stop()
            self.oms = None

    def until(self, probe: Callable[[Any], Any], timeout: float = WAIT) -> Any:
        assert self.waiter is not None
        return self.waiter.until(probe, timeout)


def is_fill(r: FixRecord) -> bool:
    return r.direction == "out" and r.msg_type == "8" and r.get(150) in ("F", "1", "2")


def broker_fill_ids(records: list[FixRecord]) -> set[str]:
    """ExecIDs of every fill the broker sent (first sends and resends alike)."""
    return {r.get(17) or "" for r in records if is_fill(r)}


@dataclass(frozen=True)
class Ledger:
    """What the OMS database holds, read straight from the tables (no OMS code)."""

    fills_by_exec_id: Counter[str]
    trade_executions: Counter[str]
    cum_by_order: dict[str, Decimal]
    fills_by_order: dict[str, Decimal]
    flags: list[tuple[str, str]]
    flagged_executions: list[tuple[str, str, str]]
    integrity: str


def read_ledger(database_url: str) -> Ledger:
    """Read the database of a (possibly killed) OMS. Quantities are exact text: Decimal."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as c:
            fills = c.execute(
                text("SELECT exec_id, routed_order_id, quantity, busted FROM fills")
            ).all()
            trades = c.execute(text("SELECT exec_id FROM executions WHERE kind = 'trade'")).all()
            routed = c.execute(text("SELECT routed_order_id, cum_qty FROM routed_orders")).all()
            flags = c.execute(
                text(
                    "SELECT event_type, entity_id FROM audit_events WHERE event_type IN "
                    f"({', '.join(repr(t) for t in FLAG_EVENTS)})"
                )
            ).all()
            bad = c.execute(
                text(
                    "SELECT exec_id, outcome, coalesce(error, '') FROM executions "
                    "WHERE outcome NOT IN ('applied', 'duplicate')"
                )
            ).all()
            integrity = (
                str(c.execute(text("PRAGMA integrity_check")).scalar())
                if engine.dialect.name == "sqlite"
                else "ok"
            )
    finally:
        engine.dispose()
    by_order: dict[str, Decimal] = {}
    for _, order_id, qty, busted in fills:
        if not busted:
            by_order[order_id] = by_order.get(order_id, Decimal(0)) + Decimal(str(qty))
    return Ledger(
        fills_by_exec_id=Counter(f[0] for f in fills),
        trade_executions=Counter(t[0] for t in trades),
        cum_by_order={r[0]: Decimal(str(r[1])) for r in routed},
        fills_by_order=by_order,
        flags=[(f[0], f[1]) for f in flags],
        flagged_executions=[(b[0], b[1], b[2]) for b in bad],
        integrity=integrity,
    )


def assert_exactly_once(ledger: Ledger, sent_fill_ids: set[str]) -> None:
    """Every fill the broker sent is stored once; CumQty adds up; nothing flagged."""
    assert sent_fill_ids, "the broker sent no fills: the test proves nothing"
    missing = sent_fill_ids - set(ledger.fills_by_exec_id)
    assert not missing, f"fills the broker sent and the OMS does not hold: {sorted(missing)}"
    extra = set(ledger.fills_by_exec_id) - sent_fill_ids
    assert not extra, f"fills the OMS holds that the broker never sent: {sorted(extra)}"
    doubled = {k: n for k, n in ledger.fills_by_exec_id.items() if n != 1}
    assert not doubled, f"fills stored more than once: {doubled}"
    doubled_exec = {k: n for k, n in ledger.trade_executions.items() if n != 1}
    assert not doubled_exec, f"ExecIDs processed more than once: {doubled_exec}"
    for order_id, cum in ledger.cum_by_order.items():
        assert cum == ledger.fills_by_order.get(order_id, Decimal(0)), order_id
    assert ledger.flags == [], f"flagged for operations: {ledger.flags}"
    assert ledger.flagged_executions == []
    assert ledger.integrity == "ok"
