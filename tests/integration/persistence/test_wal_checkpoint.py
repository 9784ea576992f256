"""The write-ahead log is copied back by a helper thread, not inside the writer's commits."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest

from toms.domain.ids import Symbol
from toms.domain.reference import Security
from toms.domain.values import AssetClass
from toms.persistence.checkpoint import WRITER_AUTOCHECKPOINT_PAGES
from toms.persistence.database import Database
from toms.persistence.schema import upgrade

WAIT = 10.0


@pytest.fixture
def database(sqlite_url: str) -> Iterator[Database]:
    database = Database(sqlite_url)
    upgrade(database.engine)
    yield database
    database.dispose()


def write_prices(database: Database, count: int) -> None:
    for i in range(count):
        with database.unit_of_work() as uow:
            uow.securities.save(
                Security(
                    Symbol(f"S{i % 50}"),
                    f"Security {i % 50}",
                    "Technology",
                    "US",
                    Decimal(100),
                    AssetClass.EQUITY,
                    "USD",
                    Decimal(1_000_000),
                ),
                last_price=Decimal(i),
            )
            uow.commit()


def test_the_writer_checkpoints_only_as_a_fallback(database: Database) -> None:
    with database.unit_of_work() as uow:
        (pages,) = uow.db.one("PRAGMA wal_autocheckpoint") or (None,)
    assert pages == WRITER_AUTOCHECKPOINT_PAGES
    with database.reader() as reader:  # readers keep SQLite's default; they never commit
        (pages,) = reader.db.one("PRAGMA wal_autocheckpoint") or (None,)
    assert pages == 1000


def test_the_helper_copies_the_writers_commits_into_the_database_file(database: Database) -> None:
    write_prices(database, 200)
    checkpointer = database.checkpointer
    assert checkpointer is not None and checkpointer.running
    assert checkpointer.wait_for_pass(WAIT)
    assert checkpointer.last is not None
    busy, logged, copied = checkpointer.last
    assert (busy, copied) == (0, logged) and logged > 0
    with database.reader() as reader:
        prices = reader.db.all("SELECT symbol, last_price FROM securities WHERE symbol = 'S49'")
    assert prices == [("S49", "199")]


def test_dispose_stops_the_helper_and_nothing_committed_is_lost(
    database: Database, sqlite_url: str
) -> None:
    write_prices(database, 120)
    checkpointer = database.checkpointer
    assert checkpointer is not None
    database.dispose()
    assert not checkpointer.running and database.checkpointer is None
    again = Database(sqlite_url)
    try:
        with again.reader() as reader:
            (count,) = reader.db.scalars("SELECT count(*) FROM securities WHERE symbol LIKE 'S%'")
            (price,) = reader.db.scalars("SELECT last_price FROM securities WHERE symbol = 'S19'")
        assert (count, price) == (50, "119")
    finally:
        again.dispose()


def test_no_helper_without_a_log_file() -> None:
    database = Database("sqlite://")
    try:
        upgrade(database.engine)
        write_prices(database, 1)
        assert database.checkpointer is None
    finally:
        database.dispose()
