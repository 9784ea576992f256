"""Composition root: the one place that knows every adapter.

``Oms`` owns the database, the single writer (``Engine``) and the FIX initiator. Its
methods are the OMS's whole API for callers in this process (CLI, demo, tests); each
runs as the single writer (``Engine.call``) and returns a committed result.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

from toms.config import Settings
from toms.domain.ids import Symbol
from toms.persistence.database import Database
from toms.persistence.schema import upgrade
from toms.services import booking, executions, trading
from toms.services.context import Context, transaction
from toms.services.engine import Engine
from toms.services.ports import Clock, EventSink, IdSource, SystemClock, UuidIds

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass
class Oms:
    settings: Settings
    clock: Clock = field(default_factory=SystemClock)
    ids: IdSource = field(default_factory=UuidIds)

    def __post_init__(self) -> None:
        self.database = Database(self.settings.database_url)
        self.engine = Engine()
        self.ctx = Context(uow=self.database.unit_of_work, clock=self.clock, ids=self.ids)
        self.fix: Any = None  # toms.fix.initiator.FixInitiator once started

    # ── lifecycle ──────────────────────────────────────────────────────────────────
    def start(self, *, connect_fix: bool = True) -> Oms:
        upgrade(self.database.engine)
        self.engine.start()
        self.call(seed_reference_data, self.ctx, self.settings)
        self._install_compliance()
        if connect_fix and self.settings.brokers:
            from toms.fix.initiator import FixInitiator

            self.fix = FixInitiator(self.settings, self.ctx, self.engine)
            self.fix.start()
        return self

    def stop(self) -> None:
        if self.fix is not None:
            self.fix.stop()
            self.fix = None
        if self.engine.running:
            try:
                self.call(trading.record_sent, self.ctx)
            except Exception:  # they are resent with PossResend=Y at the next logon
                log.exception("could not record the requests sent since the last commit")
        self.engine.stop()
        self.database.dispose()

    def __enter__(self) -> Oms:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        return self.engine.call(fn, *args, timeout=self.settings.engine_timeout_seconds, **kwargs)

    def subscribe(self, sink: EventSink) -> None:
        self.ctx.sinks.append(sink)

    def _install_compliance(self) -> None:
        if not self.settings.compliance:
            return
        from toms.services.compliance_gate import ComplianceGate

        self.ctx.compliance = ComplianceGate.from_settings(self.settings)

    # ── use cases (each run as the single writer) ─────────────────────────────────
    def submit_order(self, **kwargs: Any) -> Any:
        return self.call(trading.submit_order, self.ctx, **kwargs)

    def create_block(self, order_ids: list[str], user: str) -> Any:
        return self.call(trading.create_block, self.ctx, order_ids, user)

    def route_block(self, block_id: str, **kwargs: Any) -> Any:
        return self.call(trading.route_block, self.ctx, block_id, **kwargs)

    def cancel(self, routed_order_id: str, user: str) -> Any:
        return self.call(trading.cancel_routed, self.ctx, routed_order_id, user)

    def replace(self, routed_order_id: str, user: str, **kwargs: Any) -> Any:
        return self.call(trading.replace_routed, self.ctx, routed_order_id, user, **kwargs)

    def override(self, order_id: str, user: str, roles: list[str], reason: str) -> Any:
        return self.call(trading.override_compliance, self.ctx, order_id, user, roles, reason)

    def allocate(self, block_id: str, user: str, roles: list[str], **kwargs: Any) -> Any:
        return self.call(booking.allocate_block, self.ctx, block_id, user, roles, **kwargs)

    def apply_report(self, session_id: str, report: Any, raw: str | None = None) -> Any:
        return self.call(executions.apply_execution_report, self.ctx, session_id, report, raw)

    def read(self, fn: Callable[..., T], *args: Any) -> T:
        """Run a read-only query in its own transaction (any thread)."""
        with self.database.reader() as uow:
            return fn(uow, *args)


def seed_reference_data(ctx: Context, settings: Settings) -> None:
    """Load configured securities and accounts; seed prices, cash and lots only when new."""
    with transaction(ctx) as tx:
        uow = tx.uow
        fresh = not uow.accounts.all()
        known_prices = uow.securities.prices()
        for sec in settings.securities:
            # Reference data follows the config; a stored last price is market data from
            # the running day and survives a restart.
            uow.securities.save(
                sec, known_prices.get(sec.symbol) or settings.prices.get(sec.symbol)
            )
        for account in settings.accounts:
            if fresh or uow.accounts.get(account.account_id) is None:
                uow.accounts.save(account)
        if fresh:
            for lot in settings.initial_lots():
                uow.lots.add(lot)
        tx.commit()


def set_price(ctx: Context, symbol: str, price: Decimal) -> None:
    with transaction(ctx) as tx:
        tx.uow.securities.set_price(Symbol(symbol), price)
        tx.commit()


def data_path(settings: Settings, *parts: str) -> Path:
    return settings.data_dir.joinpath(*parts)
