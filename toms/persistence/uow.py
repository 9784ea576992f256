"""Unit of work: one transaction, rolled back unless committed."""

from __future__ import annotations

from types import TracebackType

from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

from toms.persistence.bookings import AllocationRepository, TaxLedgerRepository
from toms.persistence.repositories import (
    AccountRepository,
    AuditLog,
    BlockRepository,
    ExecutionLog,
    IdempotencyKeys,
    OrderRepository,
    Outbox,
    RoutedOrderRepository,
    SecurityRepository,
    TaxLotRepository,
)
from toms.persistence.tables import AuditEventRow


def _keep_loaded(session: Session, row: object) -> None:
    session.info["loaded"].append(row)


def _keep_loaded_rows(factory: sessionmaker[Session]) -> None:
    """Listen once per session factory (a listener per session costs every transaction)."""
    if not event.contains(factory, "loaded_as_persistent", _keep_loaded):
        event.listen(factory, "loaded_as_persistent", _keep_loaded)


class SqlUnitOfWork:
    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._factory = session_factory
        self.committed_events: list[AuditEventRow] = []

    def __enter__(self) -> SqlUnitOfWork:
        self.session = self._factory()
        s = self.session
        # The identity map holds rows weakly and repositories hand out domain copies, so
        # rows would be dropped and re-read on the next get(); keep them for the transaction.
        s.info["loaded"] = []
        _keep_loaded_rows(self._factory)
        self.securities = SecurityRepository(s)
        self.accounts = AccountRepository(s)
        self.lots = TaxLotRepository(s)
        self.orders = OrderRepository(s)
        self.blocks = BlockRepository(s)
        self.routed = RoutedOrderRepository(s)
        self.executions = ExecutionLog(s)
        self.audit = AuditLog(s)
        self.outbox = Outbox(s)
        self.allocations = AllocationRepository(s)
        self.ledger = TaxLedgerRepository(s)
        self.idempotency = IdempotencyKeys(s)
        return self

    def commit(self) -> None:
        self.session.commit()
        self.committed_events.extend(self.audit.appended)
        self.audit.appended = []

    def rollback(self) -> None:
        self.session.rollback()
        self.audit.appended = []

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            self.rollback()
        finally:
            self.session.close()
