"""Booking writes only the lots a trade changed, and the writer's memory of an account's
lots follows the database through commits and rollbacks (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import pytest

from tests.integration.persistence.test_roundtrip import seed
from toms.domain.ids import AccountId, LotId, Symbol
from toms.domain.reference import TaxLot
from toms.persistence.database import Database
from toms.persistence.schema import upgrade
from toms.persistence.uow import SqlUnitOfWork

ACCOUNT, SYMBOL = "ACC1", "IBM"


def lot(n: int, quantity: int = 100) -> TaxLot:
    day = date(2025, 1, 2) + timedelta(days=n // 3)  # three lots a day: ties by lot id
    return TaxLot(
        LotId(f"L{n:04d}"),
        AccountId(ACCOUNT),
        Symbol(SYMBOL),
        day,
        Decimal(quantity),
        Decimal(quantity * 150),
        day,
    )


@pytest.fixture
def database(db_url: str) -> Iterator[Database]:
    database = Database(db_url)
    upgrade(database.engine)
    seed(database.unit_of_work())
    with database.unit_of_work() as uow:
        for n in range(300):
            uow.lots.add(lot(n))
        uow.commit()
    yield database
    database.dispose()


def stored(database: Database) -> tuple[TaxLot, ...]:
    with database.reader() as uow:
        return uow.lots.holding(ACCOUNT, SYMBOL)


def book(uow: SqlUnitOfWork) -> tuple[TaxLot, ...]:
    """A sale that closes the two oldest lots and part of the third, and a new purchase."""
    before = uow.lots.holding(ACCOUNT, SYMBOL)
    after = (replace(before[2], quantity=Decimal(40), cost_basis=Decimal(6000)), *before[3:])
    after += (lot(900, quantity=25),)
    uow.lots.rebook(ACCOUNT, SYMBOL, before, after)
    return after


def test_rebook_stores_the_booked_lots(database: Database) -> None:
    with database.unit_of_work() as uow:
        after = book(uow)
        uow.commit()
    assert stored(database) == after
    assert len(after) == 299 and after[0].quantity == Decimal(40)


def test_rebook_leaves_the_lots_the_trade_did_not_touch_alone(database: Database) -> None:
    with database.unit_of_work() as uow:
        uow.lots.holding(ACCOUNT, SYMBOL)  # what ``book`` will start from
        # Then mark an untouched lot behind the repository's back: rewriting every lot of
        # the holding (delete and insert them all) would wipe the mark out.
        uow.db.run("UPDATE tax_lots SET wash_sale_adjustment = '7' WHERE lot_id = 'L0150'")
        book(uow)
        uow.commit()
    (marked,) = [x for x in stored(database) if x.lot_id == "L0150"]
    assert marked.wash_sale_adjustment == Decimal(7)


def test_the_writer_remembers_the_booked_lots_only_once_committed(database: Database) -> None:
    original = stored(database)
    with database.unit_of_work() as uow:
        book(uow)
        uow.rollback()
    with database.unit_of_work() as uow:
        assert uow.lots.holding(ACCOUNT, SYMBOL) == original
        after = book(uow)
        uow.commit()
    with database.unit_of_work() as uow:
        assert uow.lots.holding(ACCOUNT, SYMBOL) == after == stored(database)


def test_a_lot_added_directly_is_seen_by_the_next_booking(database: Database) -> None:
    with database.unit_of_work() as uow:
        uow.lots.holding(ACCOUNT, SYMBOL)  # remembered
        uow.lots.add(lot(901))
        uow.commit()
    with database.unit_of_work() as uow:
        assert lot(901) in uow.lots.holding(ACCOUNT, SYMBOL)


def test_positions_follow_bookings_and_forget_rollbacks(database: Database) -> None:
    with database.unit_of_work() as uow:
        assert uow.lots.positions(ACCOUNT) == {SYMBOL: Decimal(30000)}  # remembered
        book(uow)  # 260 shares of the three oldest lots sold, 25 bought
        assert uow.lots.positions(ACCOUNT) == {SYMBOL: Decimal(30000 - 260 + 25)}
        uow.rollback()
    with database.unit_of_work() as uow:
        assert uow.lots.positions(ACCOUNT) == {SYMBOL: Decimal(30000)}
        before = uow.lots.holding(ACCOUNT, SYMBOL)
        uow.lots.rebook(ACCOUNT, SYMBOL, before, ())  # sold out
        uow.commit()
    with database.unit_of_work() as uow:
        assert uow.lots.positions(ACCOUNT) == {}
    with database.reader() as uow:
        assert uow.lots.positions(ACCOUNT) == {}
