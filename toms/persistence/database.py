"""The OMS's database: its connection pool, and the connection the single writer keeps.

Every change is made by one writer at a time (``toms.services.engine``), so the writer
keeps one connection for its whole life instead of taking one from the pool for each
transaction (a check-out, a reset and a check-in cost more than the statements of a fill),
and remembers the aggregates it wrote (``toms.persistence.cache``). On SQLite, a helper
thread copies the write-ahead log into the database file (``toms.persistence.checkpoint``)
so that no commit of the writer waits for it. Readers (API queries, reports, tests) take
pooled connections on any thread and read the database.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from toms.persistence.cache import WriterCache
from toms.persistence.checkpoint import WalCheckpointer, configure_writer
from toms.persistence.engine import make_engine, sqlite_file
from toms.persistence.sql import Codec, codec_for
from toms.persistence.uow import SqlUnitOfWork

log = logging.getLogger(__name__)


class Database:
    def __init__(self, url: str, **engine_kwargs: Any) -> None:
        self.engine = make_engine(url, **engine_kwargs)
        self.codec: type[Codec] = codec_for(self.engine.dialect.name)
        self.cache = WriterCache()
        self._writer: Any = None  # a pooled DB-API connection, kept
        self._writer_owner: int | None = None
        self._checkpointer: WalCheckpointer | None = None

    def unit_of_work(self) -> SqlUnitOfWork:
        """A transaction on the writer's connection. Only the single writer may use it."""
        return SqlUnitOfWork(self, writer=True)

    def reader(self) -> SqlUnitOfWork:
        """A transaction on a pooled connection, for reading from any thread."""
        return SqlUnitOfWork(self, writer=False)

    @property
    def checkpointer(self) -> WalCheckpointer | None:
        """The WAL helper, running from the writer's first transaction on an SQLite file."""
        return self._checkpointer

    def dispose(self) -> None:
        checkpointer, self._checkpointer = self._checkpointer, None
        if checkpointer is not None:
            checkpointer.stop()
        writer, self._writer = self._writer, None
        if writer is not None:
            writer.close()
        self.engine.dispose()

    # ── connections, for SqlUnitOfWork ─────────────────────────────────────────────
    def checkout(self, writer: bool) -> Any:
        if not writer:
            return self.engine.raw_connection()
        me = threading.get_ident()
        if self._writer_owner is not None:
            raise RuntimeError(
                "the writer's connection is already in a transaction"
                + (" on this thread: units of work do not nest" if self._writer_owner == me else "")
            )
        if self._writer is None:
            self._writer = self._open_writer()
        self._writer_owner = me
        return self._writer

    def _open_writer(self) -> Any:
        connection = self.engine.raw_connection()
        if sqlite_file(self.engine.url) is not None:  # in-memory databases have no log
            configure_writer(connection)
            if self._checkpointer is None:
                self._checkpointer = WalCheckpointer(self.engine)
                self._checkpointer.start()
        return connection

    def checkin(self, connection: Any, writer: bool, broken: bool) -> None:
        if writer:
            self._writer_owner = None
            if broken:
                self._writer = None
                _invalidate(connection)
            return
        if broken:
            _invalidate(connection)
        else:
            connection.close()


def _invalidate(connection: Any) -> None:
    """A connection whose rollback failed is closed and never handed out again."""
    try:
        connection.invalidate()
    except Exception:
        log.exception("could not invalidate a broken database connection")
