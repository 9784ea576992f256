"""The schema: one table per aggregate plus the append-only audit and execution logs.

These declarations are what Alembic migrates and what the migrations are checked
against; the repositories read and write the tables with plain SQL (``toms.persistence.sql``).
Tables on the path of a fill carry only the indexes a query needs: each index a changed
row is in costs the commit one more page written (see migration 0005).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from toms.persistence.types import ExactDecimal, UtcDateTime

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        Decimal: ExactDecimal(),
        datetime: UtcDateTime(),
    }


class SecurityRow(Base):
    __tablename__ = "securities"
    symbol: Mapped[str] = mapped_column(String(32), primary_key=True)
    issuer: Mapped[str] = mapped_column(String(128))
    sector: Mapped[str] = mapped_column(String(64))
    country: Mapped[str] = mapped_column(String(8))
    lot_size: Mapped[Decimal]
    asset_class: Mapped[str] = mapped_column(String(32))
    currency: Mapped[str] = mapped_column(String(3))
    shares_outstanding: Mapped[Decimal | None]
    last_price: Mapped[Decimal | None]


class AccountRow(Base):
    __tablename__ = "accounts"
    account_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    base_currency: Mapped[str] = mapped_column(String(3))
    tax_lot_method: Mapped[str] = mapped_column(String(16))
    cash: Mapped[Decimal]
    short_allowed: Mapped[bool] = mapped_column(Boolean)
    group: Mapped[str] = mapped_column("account_group", String(64))
    version: Mapped[int] = mapped_column(Integer, default=0)


class TaxLotRow(Base):
    __tablename__ = "tax_lots"
    __table_args__ = (Index("ix_tax_lots_account_symbol", "account_id", "symbol"),)
    lot_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.account_id"))
    symbol: Mapped[str] = mapped_column(ForeignKey("securities.symbol"))
    trade_date: Mapped[date] = mapped_column(Date)
    quantity: Mapped[Decimal]
    cost_basis: Mapped[Decimal]
    holding_start: Mapped[date | None] = mapped_column(Date)
    wash_sale_adjustment: Mapped[Decimal]


class OrderRow(Base):
    """A PM order."""

    __tablename__ = "orders"
    order_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.account_id"), index=True)
    symbol: Mapped[str] = mapped_column(ForeignKey("securities.symbol"))
    side: Mapped[str] = mapped_column(String(16))
    quantity: Mapped[Decimal]
    order_type: Mapped[str] = mapped_column(String(16))
    limit_price: Mapped[Decimal | None]
    stop_price: Mapped[Decimal | None]
    time_in_force: Mapped[str] = mapped_column(String(8))
    expire_date: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(24))
    filled_quantity: Mapped[Decimal]
    avg_price: Mapped[Decimal | None]
    block_id: Mapped[str | None] = mapped_column(String(64), index=True)
    locate_id: Mapped[str | None] = mapped_column(String(64))
    specific_lots: Mapped[list[str]] = mapped_column(JSON)
    note: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    __mapper_args__: ClassVar[dict[str, Any]] = {"version_id_col": version}


class BlockRow(Base):
    __tablename__ = "blocks"
    block_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    symbol: Mapped[str] = mapped_column(ForeignKey("securities.symbol"))
    side: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    arrival_price: Mapped[Decimal | None]
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    __mapper_args__: ClassVar[dict[str, Any]] = {"version_id_col": version}


class BlockMemberRow(Base):
    __tablename__ = "block_members"
    block_id: Mapped[str] = mapped_column(ForeignKey("blocks.block_id"), primary_key=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.order_id"), primary_key=True)
    account_id: Mapped[str] = mapped_column(String(64))
    quantity: Mapped[Decimal]
    position: Mapped[int] = mapped_column(Integer)


class RoutedOrderRow(Base):
    __tablename__ = "routed_orders"
    routed_order_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    block_id: Mapped[str] = mapped_column(ForeignKey("blocks.block_id"), index=True)
    broker: Mapped[str] = mapped_column(String(64))
    symbol: Mapped[str] = mapped_column(String(32))
    side: Mapped[str] = mapped_column(String(16))
    order_type: Mapped[str] = mapped_column(String(16))
    order_qty: Mapped[Decimal]
    limit_price: Mapped[Decimal | None]
    stop_price: Mapped[Decimal | None]
    time_in_force: Mapped[str] = mapped_column(String(8))
    expire_date: Mapped[date | None] = mapped_column(Date)
    cl_ord_id: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(24))
    previous_status: Mapped[str | None] = mapped_column(String(24))
    pending_kind: Mapped[str | None] = mapped_column(String(16))
    pending_cl_ord_id: Mapped[str | None] = mapped_column(String(64))
    pending_orig_cl_ord_id: Mapped[str | None] = mapped_column(String(64))
    pending_quantity: Mapped[Decimal | None]
    pending_limit_price: Mapped[Decimal | None]
    pending_stop_price: Mapped[Decimal | None]
    broker_order_id: Mapped[str | None] = mapped_column(String(64))
    cum_qty: Mapped[Decimal]  # denormalised from fills for queries; the fills are the truth
    avg_px: Mapped[Decimal | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    version: Mapped[int] = mapped_column(Integer)


class ClOrdIdRow(Base):
    """Every ClOrdID ever used, so any report in a cancel/replace chain finds its order."""

    __tablename__ = "cl_ord_ids"
    cl_ord_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    routed_order_id: Mapped[str] = mapped_column(
        ForeignKey("routed_orders.routed_order_id"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    confirmed: Mapped[bool] = mapped_column(Boolean)  # False while only requested


class FillRow(Base):
    __tablename__ = "fills"
    exec_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    routed_order_id: Mapped[str] = mapped_column(
        ForeignKey("routed_orders.routed_order_id"), index=True
    )
    quantity: Mapped[Decimal]
    price: Mapped[Decimal]
    executed_at: Mapped[datetime]
    busted: Mapped[bool] = mapped_column(Boolean)
    seq: Mapped[int] = mapped_column(Integer)


class ExecutionRow(Base):
    """The processed-ExecID table: every report received, applied or not, with its raw text.

    Written in the same transaction as the fill it books, so a report is either fully
    applied and marked, or neither; the unique key makes a resend a no-op.
    """

    __tablename__ = "executions"
    __table_args__ = (UniqueConstraint("session_id", "exec_id", name="uq_executions_session_exec"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    session_id: Mapped[str] = mapped_column(String(128))
    exec_id: Mapped[str] = mapped_column(String(64))
    cl_ord_id: Mapped[str] = mapped_column(String(64))
    routed_order_id: Mapped[str | None] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(24))
    outcome: Mapped[str] = mapped_column(String(16))  # applied | rejected | unmatched
    error: Mapped[str | None] = mapped_column(Text)
    raw: Mapped[str | None] = mapped_column(Text)
    received_at: Mapped[datetime]


class AuditEventRow(Base):
    """Append-only: who did what, when and why. ``seq`` orders the live event stream."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_entity", "entity_type", "entity_id"),)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    occurred_at: Mapped[datetime]
    recorded_at: Mapped[datetime]
    event_type: Mapped[str] = mapped_column(String(64))
    entity_type: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[str] = mapped_column(String(64))
    actor: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text)
    payload: Mapped[dict[str, object]] = mapped_column(JSON)


class OutboxRow(Base):
    """Outbound FIX requests, written with the state change that causes them.

    Sent after commit; a row left unsent by a crash is sent again on start-up with the
    same ClOrdID, so the broker rejects a duplicate instead of toms double-booking.
    """

    __tablename__ = "outbox"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    routed_order_id: Mapped[str] = mapped_column(String(64))
    cl_ord_id: Mapped[str] = mapped_column(String(64))
    request: Mapped[str] = mapped_column(String(16))  # new | cancel | replace | status
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]


class AllocationRow(Base):
    """One allocation of one block: the replayable record and its FIX instruction state."""

    __tablename__ = "allocations"
    alloc_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    block_id: Mapped[str] = mapped_column(ForeignKey("blocks.block_id"), index=True)
    record: Mapped[dict[str, object]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(24))  # booked | instructed | accepted | rejected
    broker: Mapped[str | None] = mapped_column(String(64))
    broker_text: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(64))


class AllocationLegRow(Base):
    __tablename__ = "allocation_legs"
    alloc_id: Mapped[str] = mapped_column(ForeignKey("allocations.alloc_id"), primary_key=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.order_id"), primary_key=True)
    account_id: Mapped[str] = mapped_column(String(64), index=True)
    quantity: Mapped[Decimal]
    price: Mapped[Decimal]
    charges: Mapped[Decimal]
    lots: Mapped[list[str]] = mapped_column(JSON)  # lots opened or relieved by this leg


class RealizedLotRow(Base):
    """A realized gain or loss on part of one lot, as booked (append-only)."""

    __tablename__ = "realized_lots"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    alloc_id: Mapped[str] = mapped_column(String(64), index=True)
    trade_id: Mapped[str] = mapped_column(String(128))
    account_id: Mapped[str] = mapped_column(String(64), index=True)
    symbol: Mapped[str] = mapped_column(String(32))
    lot_id: Mapped[str] = mapped_column(String(96))
    quantity: Mapped[Decimal]
    acquired: Mapped[date] = mapped_column(Date)
    holding_start: Mapped[date] = mapped_column(Date)
    disposed: Mapped[date] = mapped_column(Date)
    proceeds: Mapped[Decimal]
    cost_basis: Mapped[Decimal]
    term: Mapped[str] = mapped_column(String(16))
    short: Mapped[bool] = mapped_column(Boolean)
    wash_sale_disallowed: Mapped[Decimal]


class WashSaleRow(Base):
    __tablename__ = "wash_sales"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(String(64), index=True)
    symbol: Mapped[str] = mapped_column(String(32))
    record: Mapped[dict[str, object]] = mapped_column(JSON)


class PendingLossRow(Base):
    """Losses still inside their 30-day wash-sale window, per account and security."""

    __tablename__ = "pending_losses"
    account_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    symbol: Mapped[str] = mapped_column(String(32), primary_key=True)
    losses: Mapped[list[dict[str, object]]] = mapped_column(JSON)


class IdempotencyRow(Base):
    """An API request that changed state, by the client's idempotency key.

    Claimed in the same transaction as the change it caused, so a retried request can never
    apply twice; the response is stored right after, and replayed to every retry.
    """

    __tablename__ = "idempotency_keys"
    user_name: Mapped[str] = mapped_column(String(64), primary_key=True)
    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))  # sha256 of method, path and body
    created_at: Mapped[datetime]
    status_code: Mapped[int | None] = mapped_column(Integer)
    response: Mapped[dict[str, object] | None] = mapped_column(JSON)
