"""Repositories: aggregates in and out of one Session. They never commit."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from toms.domain.blocks import Block
from toms.domain.errors import UnknownOrder
from toms.domain.events import DomainEvent
from toms.domain.ids import AccountId, BlockId, RoutedOrderId, Symbol
from toms.domain.orders import OPEN_ORDER_STATUSES, Order
from toms.domain.reference import Account, Security, TaxLot
from toms.domain.routed_order import RoutedOrder
from toms.persistence import mapping as m
from toms.persistence.tables import (
    AccountRow,
    AuditEventRow,
    BlockMemberRow,
    BlockRow,
    ClOrdIdRow,
    ExecutionRow,
    FillRow,
    IdempotencyRow,
    OrderRow,
    OutboxRow,
    RoutedOrderRow,
    SecurityRow,
    TaxLotRow,
)

_Row = TypeVar("_Row", ClOrdIdRow, FillRow)


class SecurityRepository:
    def __init__(self, session: Session) -> None:
        self._s = session

    def get(self, symbol: str) -> Security | None:
        row = self._s.get(SecurityRow, symbol)
        return m.security_from_row(row) if row else None

    def all(self) -> list[Security]:
        rows = self._s.scalars(select(SecurityRow).order_by(SecurityRow.symbol))
        return [m.security_from_row(r) for r in rows]

    def save(self, security: Security, last_price: Decimal | None = None) -> None:
        row = m.security_to_row(security, self._s.get(SecurityRow, security.symbol))
        if last_price is not None:
            row.last_price = last_price
        self._s.add(row)

    def set_price(self, symbol: str, price: Decimal) -> None:
        row = self._s.get(SecurityRow, symbol)
        if row is None:
            raise UnknownOrder(f"unknown security {symbol}")
        row.last_price = price

    def prices(self) -> dict[Symbol, Decimal]:
        rows = self._s.execute(select(SecurityRow.symbol, SecurityRow.last_price))
        return {Symbol(s): p for s, p in rows if p is not None}


class AccountRepository:
    def __init__(self, session: Session) -> None:
        self._s = session

    def get(self, account_id: str) -> Account | None:
        row = self._s.get(AccountRow, account_id)
        return m.account_from_row(row) if row else None

    def all(self) -> list[Account]:
        rows = self._s.scalars(select(AccountRow).order_by(AccountRow.account_id))
        return [m.account_from_row(r) for r in rows]

    def save(self, account: Account) -> None:
        self._s.add(m.account_to_row(account, self._s.get(AccountRow, account.account_id)))


class TaxLotRepository:
    def __init__(self, session: Session) -> None:
        self._s = session

    def for_account(self, account_id: str, symbol: str | None = None) -> list[TaxLot]:
        q = select(TaxLotRow).where(TaxLotRow.account_id == account_id)
        if symbol is not None:
            q = q.where(TaxLotRow.symbol == symbol)
        rows = self._s.scalars(q.order_by(TaxLotRow.trade_date, TaxLotRow.lot_id))
        return [m.lot_from_row(r) for r in rows]

    def all(self) -> list[TaxLot]:
        rows = self._s.scalars(select(TaxLotRow).order_by(TaxLotRow.account_id, TaxLotRow.lot_id))
        return [m.lot_from_row(r) for r in rows]

    def replace(self, account_id: str, symbol: str, lots: Iterable[TaxLot]) -> None:
        """Swap an account's lots in one security for the result of a relief or purchase."""
        self._s.execute(
            delete(TaxLotRow).where(TaxLotRow.account_id == account_id, TaxLotRow.symbol == symbol)
        )
        self._s.add_all(m.lot_to_row(lot) for lot in lots)

    def add(self, lot: TaxLot) -> None:
        self._s.add(m.lot_to_row(lot))


class OrderRepository:
    def __init__(self, session: Session) -> None:
        self._s = session

    def get(self, order_id: str) -> Order | None:
        row = self._s.get(OrderRow, order_id)
        return m.order_from_row(row) if row else None

    def require(self, order_id: str) -> Order:
        order = self.get(order_id)
        if order is None:
            raise UnknownOrder(f"no order {order_id}")
        return order

    def add(self, order: Order) -> None:
        row = m.order_to_row(order)
        self._s.add(row)

    def save(self, order: Order) -> None:
        row = self._s.get(OrderRow, order.order_id)
        if row is None:
            raise UnknownOrder(f"no order {order.order_id}")
        m.order_to_row(order, row)

    def list(
        self,
        *,
        account_id: str | None = None,
        statuses: Sequence[str] | None = None,
        block_id: str | None = None,
    ) -> list[Order]:
        q = select(OrderRow)
        if account_id is not None:
            q = q.where(OrderRow.account_id == account_id)
        if statuses is not None:
            q = q.where(OrderRow.status.in_(list(statuses)))
        if block_id is not None:
            q = q.where(OrderRow.block_id == block_id)
        return [m.order_from_row(r) for r in self._s.scalars(q.order_by(OrderRow.created_at))]

    def open_for_account(self, account_id: AccountId) -> list[Order]:
        return self.list(account_id=account_id, statuses=[s.value for s in OPEN_ORDER_STATUSES])


class BlockRepository:
    def __init__(self, session: Session) -> None:
        self._s = session
        # Member rows as loaded or last saved in this unit of work, by block: save() rewrites
        # them only when the membership changed.
        self._members: dict[str, list[tuple[str, str, Decimal, int]]] = {}

    def get(self, block_id: str) -> Block | None:
        found = self._s.execute(
            select(BlockRow, BlockMemberRow)
            .outerjoin(BlockMemberRow, BlockMemberRow.block_id == BlockRow.block_id)
            .where(BlockRow.block_id == block_id)
        ).all()
        if not found:
            return None
        row = found[0][0]
        members = [member for _, member in found if member is not None]
        routed = list(
            self._s.scalars(
                select(RoutedOrderRow.routed_order_id)
                .where(RoutedOrderRow.block_id == block_id)
                .order_by(RoutedOrderRow.created_at)
            )
        )
        self._members[block_id] = sorted(
            ((m.order_id, m.account_id, m.quantity, m.position) for m in members),
            key=lambda t: t[3],
        )
        return m.block_from_rows(row, members, routed)

    def require(self, block_id: BlockId) -> Block:
        block = self.get(block_id)
        if block is None:
            raise UnknownOrder(f"no block {block_id}")
        return block

    def save(self, block: Block) -> None:
        row, members = m.block_to_rows(block, self._s.get(BlockRow, block.block_id))
        row.version = block.version
        self._s.add(row)
        wanted = [(r.order_id, r.account_id, r.quantity, r.position) for r in members]
        if self._members.get(block.block_id) == wanted:
            return  # same members as stored: nothing to rewrite
        self._s.flush()
        self._s.execute(delete(BlockMemberRow).where(BlockMemberRow.block_id == block.block_id))
        self._s.add_all(members)
        self._members[block.block_id] = wanted

    def list(self, statuses: Sequence[str] | None = None) -> list[Block]:
        q = select(BlockRow.block_id).order_by(BlockRow.created_at)
        if statuses is not None:
            q = q.where(BlockRow.status.in_(list(statuses)))
        return [b for b in (self.get(i) for i in self._s.scalars(q)) if b is not None]


class _StoredChildren:
    """A routed order's ClOrdID and fill rows as stored, kept for the unit of work so
    save() writes only what changed instead of reading them again."""

    __slots__ = ("cl_ord_ids", "fills", "row")

    def __init__(
        self, row: RoutedOrderRow, cl_ord_ids: Iterable[ClOrdIdRow], fills: Iterable[FillRow]
    ) -> None:
        self.row = row
        self.cl_ord_ids = {r.cl_ord_id: r for r in cl_ord_ids}
        self.fills = {r.exec_id: r for r in fills}


class RoutedOrderRepository:
    def __init__(self, session: Session) -> None:
        self._s = session
        self._children: dict[str, _StoredChildren] = {}

    def get(self, routed_order_id: str) -> RoutedOrder | None:
        row = self._s.get(RoutedOrderRow, routed_order_id)
        return self._assemble(row) if row is not None else None

    def by_cl_ord_id(self, cl_ord_id: str) -> RoutedOrder | None:
        """Any ClOrdID of the chain, including one only requested, finds the order."""
        row = self._s.scalar(
            select(RoutedOrderRow)
            .join(ClOrdIdRow, ClOrdIdRow.routed_order_id == RoutedOrderRow.routed_order_id)
            .where(ClOrdIdRow.cl_ord_id == cl_ord_id)
        )
        return self._assemble(row) if row is not None else None

    def _assemble(self, row: RoutedOrderRow) -> RoutedOrder:
        routed_order_id = row.routed_order_id
        stored = self._load_children(row)
        chain = [
            r.cl_ord_id
            for r in sorted(stored.cl_ord_ids.values(), key=lambda r: r.position)
            if r.confirmed
        ]
        applied = set(
            self._s.scalars(
                select(ExecutionRow.exec_id).where(
                    ExecutionRow.routed_order_id == routed_order_id,
                    ExecutionRow.outcome == "applied",
                )
            )
        )
        return m.routed_from_rows(row, chain, list(stored.fills.values()), applied)

    def _load_children(self, row: RoutedOrderRow) -> _StoredChildren:
        routed_order_id = row.routed_order_id
        stored = _StoredChildren(
            row,
            self._s.scalars(
                select(ClOrdIdRow).where(ClOrdIdRow.routed_order_id == routed_order_id)
            ),
            self._s.scalars(select(FillRow).where(FillRow.routed_order_id == routed_order_id)),
        )
        self._children[routed_order_id] = stored
        return stored

    def has_siblings(self, routed_order_id: str, block_id: str) -> bool:
        """True when the block has routed orders other than this one."""
        other = self._s.scalar(
            select(RoutedOrderRow.routed_order_id)
            .where(
                RoutedOrderRow.block_id == block_id,
                RoutedOrderRow.routed_order_id != routed_order_id,
            )
            .limit(1)
        )
        return other is not None

    def for_block(self, block_id: str) -> list[RoutedOrder]:
        ids = self._s.scalars(
            select(RoutedOrderRow.routed_order_id)
            .where(RoutedOrderRow.block_id == block_id)
            .order_by(RoutedOrderRow.created_at)
        )
        return [o for o in (self.get(i) for i in ids) if o is not None]

    def list_ids(self, statuses: Sequence[str] | None = None) -> list[RoutedOrderId]:
        q = select(RoutedOrderRow.routed_order_id).order_by(RoutedOrderRow.created_at)
        if statuses is not None:
            q = q.where(RoutedOrderRow.status.in_(list(statuses)))
        return [RoutedOrderId(i) for i in self._s.scalars(q)]

    def save(self, order: RoutedOrder, updated_at: datetime) -> None:
        """Write the order row, and insert only the ClOrdIDs and fills not stored yet.

        The rows already stored were loaded by get() in this unit of work (or are read
        now, for an order saved without being loaded). A new order's row is flushed at once,
        since the unit of work does not order the children's inserts after it by itself.
        """
        rid = order.routed_order_id
        stored = self._children.get(rid)
        if stored is None:
            existing = self._s.get(RoutedOrderRow, rid)
            if existing is None:
                new_row = m.routed_to_row(order, None)
                new_row.updated_at = updated_at
                self._s.add(new_row)
                self._s.flush()  # the children's foreign key needs the row first
                stored = self._children[rid] = _StoredChildren(new_row, (), ())
            else:
                stored = self._load_children(existing)
        m.routed_to_row(order, stored.row).updated_at = updated_at
        known = stored.cl_ord_ids
        for position, cl in enumerate(order.cl_ord_ids):
            cl_row = known.get(cl)
            if cl_row is not None:
                cl_row.confirmed, cl_row.position = True, position
            else:
                known[cl] = self._add(
                    ClOrdIdRow(cl_ord_id=cl, routed_order_id=rid, position=position, confirmed=True)
                )
        if order.pending and order.pending.cl_ord_id not in known:
            known[order.pending.cl_ord_id] = self._add(
                ClOrdIdRow(
                    cl_ord_id=order.pending.cl_ord_id,
                    routed_order_id=rid,
                    position=len(order.cl_ord_ids),
                    confirmed=False,
                )
            )
        for seq, fill in enumerate(order.fills):
            fill_row = stored.fills.get(fill.exec_id)
            if fill_row is None:
                stored.fills[fill.exec_id] = self._add(
                    FillRow(
                        exec_id=fill.exec_id,
                        routed_order_id=rid,
                        quantity=fill.quantity,
                        price=fill.price,
                        executed_at=fill.executed_at,
                        busted=fill.busted,
                        seq=seq,
                    )
                )
            else:
                fill_row.busted = fill.busted

    def _add(self, row: _Row) -> _Row:
        self._s.add(row)
        return row


def fit(value: str, length: int) -> str:
    """A broker's identifier cut to its column, still unique: a longer one keeps its head
    and a hash of the whole (the raw message keeps the full text)."""
    if len(value) <= length:
        return value
    digest = hashlib.sha256(value.encode()).hexdigest()[:16]
    return f"{value[: length - 17]}~{digest}"


def _printable(text: str | None) -> str | None:
    """NUL is legal inside a FIX field but not in a PostgreSQL text: keep it visible."""
    return text.replace("\x00", "\\x00") if text else text


class ExecutionLog:
    """Processed ExecIDs per FIX session, with the outcome and the raw message."""

    def __init__(self, session: Session) -> None:
        self._s = session

    def first(self, session_id: str, exec_id: str) -> ExecutionRow | None:
        """The report already received with this ExecID on this session, if any."""
        return self._s.scalar(
            select(ExecutionRow).where(
                ExecutionRow.session_id == fit(session_id, 128),
                ExecutionRow.exec_id == fit(exec_id, 64),
            )
        )

    @staticmethod
    def is_resend(prior: ExecutionRow, cl_ord_id: str, kind: str) -> bool:
        """Same ExecID, same order and kind: the report again (PossDup), not a new one."""
        return prior.kind == kind and prior.cl_ord_id == fit(cl_ord_id, 64)

    def record(
        self,
        *,
        session_id: str,
        exec_id: str,
        cl_ord_id: str,
        routed_order_id: str | None,
        kind: str,
        outcome: str,
        received_at: datetime,
        raw: str | None = None,
        error: str | None = None,
    ) -> None:
        self._s.add(
            ExecutionRow(
                session_id=fit(session_id, 128),
                exec_id=fit(exec_id, 64),
                cl_ord_id=fit(cl_ord_id, 64),
                routed_order_id=routed_order_id,
                kind=kind,
                outcome=outcome,
                error=_printable(error),
                raw=_printable(raw),
                received_at=received_at,
            )
        )

    def flagged(self) -> list[ExecutionRow]:
        q = select(ExecutionRow).where(ExecutionRow.outcome != "applied").order_by(ExecutionRow.id)
        return list(self._s.scalars(q))


class AuditLog:
    """The append-only audit trail. Appended rows become the live event stream after commit."""

    def __init__(self, session: Session) -> None:
        self._s = session
        self.appended: list[AuditEventRow] = []

    def append(
        self,
        event: DomainEvent,
        *,
        entity_type: str,
        entity_id: str,
        actor: str,
        recorded_at: datetime,
        reason: str = "",
    ) -> None:
        self.record(
            event.event_type,
            event.payload(),
            entity_type=entity_type,
            entity_id=entity_id,
            actor=actor,
            occurred_at=event.at,
            recorded_at=recorded_at,
            reason=reason,
        )

    def record(
        self,
        event_type: str,
        payload: dict[str, Any],
        *,
        entity_type: str,
        entity_id: str,
        actor: str,
        occurred_at: datetime,
        recorded_at: datetime,
        reason: str = "",
    ) -> None:
        row = AuditEventRow(
            occurred_at=occurred_at,
            recorded_at=recorded_at,
            event_type=event_type,
            entity_type=entity_type,
            entity_id=entity_id,
            actor=actor,
            reason=reason,
            payload=payload,
        )
        self._s.add(row)
        self.appended.append(row)

    def for_entity(self, entity_type: str, entity_id: str) -> list[AuditEventRow]:
        q = (
            select(AuditEventRow)
            .where(AuditEventRow.entity_type == entity_type, AuditEventRow.entity_id == entity_id)
            .order_by(AuditEventRow.seq)
        )
        return list(self._s.scalars(q))

    def of_types(
        self, entity_type: str, event_types: Sequence[str], entity_ids: set[str]
    ) -> list[AuditEventRow]:
        """Events of these types for these entities, oldest first."""
        q = select(AuditEventRow).where(
            AuditEventRow.entity_type == entity_type,
            AuditEventRow.event_type.in_(list(event_types)),
        )
        if len(entity_ids) <= 500:  # beyond that, one scan beats a giant IN list
            q = q.where(AuditEventRow.entity_id.in_(sorted(entity_ids)))
        rows = self._s.scalars(q.order_by(AuditEventRow.seq))
        return [r for r in rows if r.entity_id in entity_ids]

    def since(self, seq: int, limit: int = 10_000) -> list[AuditEventRow]:
        q = select(AuditEventRow).where(AuditEventRow.seq > seq).order_by(AuditEventRow.seq)
        return list(self._s.scalars(q.limit(limit)))


class Outbox:
    def __init__(self, session: Session) -> None:
        self._s = session

    def add(self, routed_order_id: str, cl_ord_id: str, request: str, at: datetime) -> OutboxRow:
        row = OutboxRow(
            routed_order_id=routed_order_id,
            cl_ord_id=cl_ord_id,
            request=request,
            created_at=at,
            sent_at=None,
        )
        self._s.add(row)
        return row

    def unsent(self) -> list[OutboxRow]:
        return list(
            self._s.scalars(
                select(OutboxRow).where(OutboxRow.sent_at.is_(None)).order_by(OutboxRow.id)
            )
        )

    def mark_sent(self, outbox_id: int, at: datetime) -> None:
        self._s.execute(update(OutboxRow).where(OutboxRow.id == outbox_id).values(sent_at=at))


class IdempotencyKeys:
    """Idempotency keys of API requests, per user (see ``IdempotencyRow``)."""

    def __init__(self, session: Session) -> None:
        self._s = session

    def get(self, user: str, key: str) -> IdempotencyRow | None:
        return self._s.get(IdempotencyRow, (user, key))

    def claim(self, user: str, key: str, fingerprint: str, at: datetime) -> None:
        self._s.add(IdempotencyRow(user_name=user, key=key, fingerprint=fingerprint, created_at=at))

    def answer(self, user: str, key: str, status_code: int, response: dict[str, Any]) -> None:
        row = self._s.get(IdempotencyRow, (user, key))
        if row is None:
            raise UnknownOrder(f"no idempotency key {key!r} for {user}")
        row.status_code, row.response = status_code, response
