"""Orders, fills and reference data round-trip unchanged on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import Engine, text

from tests.factories import Broker, D, make_routed
from toms.domain.blocks import Block
from toms.domain.execution import ExecKind as K
from toms.domain.execution import RoutedStatus as S
from toms.domain.ids import AccountId, BlockId, ClOrdId, LotId, OrderId, Symbol, UserId
from toms.domain.orders import Order, OrderStatus
from toms.domain.reference import Account, Security, TaxLot
from toms.domain.values import AssetClass, OrderType, Side, TaxLotMethod, TimeInForce
from toms.persistence.database import Database
from toms.persistence.schema import current_revision, head_revision, upgrade
from toms.persistence.uow import SqlUnitOfWork

NOW = datetime(2026, 11, 20, 15, 0, 1, 123456, tzinfo=UTC)


@pytest.fixture
def database(db_url: str) -> Iterator[Database]:
    database = Database(db_url)
    upgrade(database.engine)
    yield database
    database.dispose()


@pytest.fixture
def engine(database: Database) -> Engine:
    return database.engine


@pytest.fixture
def uow(database: Database) -> SqlUnitOfWork:
    return database.unit_of_work()


def seed(uow: SqlUnitOfWork) -> None:
    with uow:
        uow.securities.save(
            Security(
                Symbol("IBM"),
                "IBM Corp",
                "Technology",
                "US",
                Decimal("100"),
                AssetClass.EQUITY,
                "USD",
                Decimal("920000000"),
            ),
            last_price=Decimal("180.1234567890123456789"),
        )
        uow.accounts.save(
            Account(
                AccountId("ACC1"),
                "Growth",
                "USD",
                TaxLotMethod.HIFO,
                Decimal("1000000.01"),
                False,
                "ucits",
            )
        )
        uow.commit()


def test_migrations_reach_head(engine: Engine) -> None:
    assert current_revision(engine) == head_revision() is not None


def test_reference_data_and_lots_round_trip(uow: SqlUnitOfWork) -> None:
    seed(uow)
    lot = TaxLot(
        LotId("L1"),
        AccountId("ACC1"),
        Symbol("IBM"),
        date(2024, 2, 29),
        Decimal("150"),
        Decimal("27000.0000000001"),
        date(2023, 1, 3),
        Decimal("12.5"),
    )
    with uow:
        uow.lots.add(lot)
        uow.commit()
    with uow:
        assert uow.lots.for_account("ACC1") == [lot]
        acc = uow.accounts.get("ACC1")
        assert acc is not None and acc.cash == Decimal("1000000.01") and not acc.short_allowed
        sec = uow.securities.get("IBM")
        assert sec is not None and sec.shares_outstanding == Decimal("920000000")
        assert uow.securities.prices()[Symbol("IBM")] == Decimal("180.1234567890123456789")


def test_order_and_fills_round_trip_exactly(uow: SqlUnitOfWork) -> None:
    seed(uow)
    order = Order(
        OrderId("O1"),
        AccountId("ACC1"),
        Symbol("IBM"),
        Side.BUY,
        Decimal("10000"),
        OrderType.STOP_LIMIT,
        NOW,
        UserId("pm1"),
        limit_price=Decimal("50.125"),
        stop_price=Decimal("49.875"),
        time_in_force=TimeInForce.GTD,
        expire_date=date(2026, 12, 31),
        status=OrderStatus.ACCEPTED,
        note="rebalance",
    )
    block = Block(BlockId("B1"), Symbol("IBM"), Side.BUY, NOW, UserId("trader1"))
    block.add(order)
    routed = make_routed(qty=10000)
    b = Broker(routed)
    b.send(K.NEW, S.NEW, 0, 10000)
    b.send(K.TRADE, S.PARTIALLY_FILLED, 3333, 6667, last_qty=3333, last_px="50.0001")
    b.send(K.TRADE, S.PARTIALLY_FILLED, 4000, 6000, last_qty=667, last_px="49.99")
    routed.request_replace(ClOrdId("Y"), b.clock, D(9000), limit_price=D("50.5"))
    with uow:
        uow.orders.add(order)
        uow.blocks.save(block)
        uow.routed.add(routed, NOW)
        for exec_id in routed.applied_exec_ids:
            uow.executions.record(
                session_id="S",
                exec_id=exec_id,
                cl_ord_id="X",
                routed_order_id=routed.routed_order_id,
                kind="trade",
                outcome="applied",
                received_at=NOW,
            )
        uow.commit()
    with uow:
        assert uow.orders.get("O1") == order
        loaded = uow.routed.by_cl_ord_id("Y")  # the pending ClOrdID already finds the order
        assert loaded is not None
        assert loaded.fills == routed.fills
        assert (loaded.cum_qty, loaded.avg_px) == (routed.cum_qty, routed.avg_px)
        assert loaded.pending == routed.pending and loaded.status is S.PENDING_REPLACE
        assert loaded.applied_exec_ids == routed.applied_exec_ids
        assert uow.blocks.require(BlockId("B1")).quantity == Decimal("10000")
        assert loaded.fills[0].executed_at.tzinfo is not None


def test_naive_datetime_and_float_are_refused_and_nothing_is_stored(uow: SqlUnitOfWork) -> None:
    seed(uow)
    with uow:
        bad = make_routed()
        bad.created_at = datetime(2026, 1, 1)  # noqa: DTZ001 - the point of the test
        with pytest.raises(Exception, match="naive datetime"):
            uow.routed.add(bad, NOW)
    with uow, pytest.raises(Exception, match="expected Decimal, got float"):
        uow.securities.set_price("IBM", 180.5)  # type: ignore[arg-type]
    with uow:
        assert uow.routed.get("R1") is None
        assert uow.securities.prices()[Symbol("IBM")] == Decimal("180.1234567890123456789")


def test_uncommitted_work_is_rolled_back(uow: SqlUnitOfWork, engine: Engine) -> None:
    seed(uow)
    with uow:
        uow.securities.set_price("IBM", Decimal("1"))
    with engine.connect() as c:
        assert c.execute(text("select count(*) from securities")).scalar() == 1
    with uow:
        assert uow.securities.prices()[Symbol("IBM")] != Decimal("1")


def test_times_keep_microseconds_in_utc(uow: SqlUnitOfWork) -> None:
    seed(uow)
    order = Order(
        OrderId("O2"),
        AccountId("ACC1"),
        Symbol("IBM"),
        Side.SELL,
        Decimal("1"),
        OrderType.MARKET,
        NOW + timedelta(microseconds=1),
        UserId("pm1"),
    )
    with uow:
        uow.orders.add(order)
        uow.commit()
    with uow:
        got = uow.orders.require("O2")
        assert got.created_at == NOW + timedelta(microseconds=1) and got.created_at.tzinfo == UTC


def test_migrations_match_the_models(engine: Engine) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from toms.persistence.tables import Base

    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == [], f"models changed without a migration: {diff}"
