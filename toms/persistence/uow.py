"""Unit of work: one transaction on one connection, rolled back unless committed."""

from __future__ import annotations

import logging
from types import TracebackType
from typing import TYPE_CHECKING, Any

from toms.persistence.bookings import AllocationRepository, TaxLedgerRepository
from toms.persistence.logs import AuditEntry, AuditLog, ExecutionLog, IdempotencyKeys, Outbox
from toms.persistence.orders import BlockRepository, OrderRepository
from toms.persistence.reference import AccountRepository, SecurityRepository, TaxLotRepository
from toms.persistence.routed import RoutedOrderRepository
from toms.persistence.sql import Db

if TYPE_CHECKING:
    from toms.persistence.database import Database

log = logging.getLogger(__name__)


class SqlUnitOfWork:
    """Re-enterable: each ``with`` block is a new transaction."""

    def __init__(self, database: Database, writer: bool = False) -> None:
        self._database = database
        self._writer = writer
        self._connection: Any = None
        self.committed_events: list[AuditEntry] = []

    def __enter__(self) -> SqlUnitOfWork:
        connection = self._database.checkout(self._writer)
        raw = connection.driver_connection
        codec = self._database.codec
        try:
            if codec.name == "sqlite":
                raw.execute("BEGIN")  # one snapshot for every read of this unit of work
        except BaseException:
            self._database.checkin(connection, self._writer, broken=True)
            raise
        self._connection, self._raw, self._open = connection, raw, True
        self.db = db = Db(raw, codec)
        cache = self._database.cache if self._writer else None
        self.securities = SecurityRepository(db, cache)
        self.accounts = AccountRepository(db)
        self.lots = TaxLotRepository(db, cache)
        self.orders = OrderRepository(db, cache)
        self.blocks = BlockRepository(db, cache)
        self.routed = RoutedOrderRepository(db, cache)
        self.executions = ExecutionLog(db)
        self.audit = AuditLog(db)
        self.outbox = Outbox(db)
        self.allocations = AllocationRepository(db)
        self.ledger = TaxLedgerRepository(db)
        self.idempotency = IdempotencyKeys(db)
        return self

    def commit(self) -> None:
        self._raw.commit()
        self._open = False
        if self._writer:
            self._database.cache.committed()
        self.committed_events.extend(self.audit.appended)
        self.audit.appended = []

    def rollback(self) -> None:
        if self._writer:
            self._database.cache.rolled_back()
        self.audit.appended = []
        self._raw.rollback()
        self._open = False

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        connection, self._connection = self._connection, None
        broken = False
        if self._open:
            try:
                self.rollback()
            except Exception:  # the connection is gone; whatever was not committed with it
                log.exception("rollback failed; the connection is discarded")
                broken = True
        self._database.checkin(connection, self._writer, broken)
