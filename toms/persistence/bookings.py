"""Allocation records, realized lots, wash sales and pending losses."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from toms.allocation.taxlots import RealizedLot
from toms.allocation.wash_sales import PendingLoss, WashSale
from toms.persistence.tables import (
    AllocationLegRow,
    AllocationRow,
    PendingLossRow,
    RealizedLotRow,
    WashSaleRow,
)


class AllocationRepository:
    def __init__(self, session: Session) -> None:
        self._s = session

    def add(
        self,
        *,
        alloc_id: str,
        block_id: str,
        record: dict[str, Any],
        broker: str | None,
        created_at: datetime,
        created_by: str,
    ) -> None:
        self._s.add(
            AllocationRow(
                alloc_id=alloc_id,
                block_id=block_id,
                record=record,
                status="booked",
                broker=broker,
                broker_text=None,
                created_at=created_at,
                created_by=created_by,
            )
        )

    def add_leg(
        self,
        *,
        alloc_id: str,
        order_id: str,
        account_id: str,
        quantity: Decimal,
        price: Decimal,
        charges: Decimal,
        lots: Sequence[str],
    ) -> None:
        self._s.add(
            AllocationLegRow(
                alloc_id=alloc_id,
                order_id=order_id,
                account_id=account_id,
                quantity=quantity,
                price=price,
                charges=charges,
                lots=list(lots),
            )
        )

    def get(self, alloc_id: str) -> AllocationRow | None:
        return self._s.get(AllocationRow, alloc_id)

    def for_block(self, block_id: str) -> list[AllocationRow]:
        q = select(AllocationRow).where(AllocationRow.block_id == block_id)
        return list(self._s.scalars(q.order_by(AllocationRow.created_at)))

    def all(self) -> list[AllocationRow]:
        return list(self._s.scalars(select(AllocationRow).order_by(AllocationRow.created_at)))

    def legs(self, alloc_id: str | None = None) -> list[AllocationLegRow]:
        q = select(AllocationLegRow)
        if alloc_id is not None:
            q = q.where(AllocationLegRow.alloc_id == alloc_id)
        return list(
            self._s.scalars(q.order_by(AllocationLegRow.alloc_id, AllocationLegRow.account_id))
        )

    def set_status(self, alloc_id: str, status: str, text: str | None = None) -> None:
        row = self._s.get(AllocationRow, alloc_id)
        if row is not None:
            row.status, row.broker_text = status, text


class TaxLedgerRepository:
    def __init__(self, session: Session) -> None:
        self._s = session

    def add_realized(self, alloc_id: str, realized: Iterable[RealizedLot]) -> None:
        for r in realized:
            self._s.add(
                RealizedLotRow(
                    alloc_id=alloc_id,
                    trade_id=r.trade_id,
                    account_id=r.account_id,
                    symbol=r.symbol,
                    lot_id=r.lot_id,
                    quantity=r.quantity,
                    acquired=r.acquired,
                    holding_start=r.holding_start,
                    disposed=r.disposed,
                    proceeds=r.proceeds,
                    cost_basis=r.cost_basis,
                    term=r.term.value,
                    short=r.short,
                    wash_sale_disallowed=r.wash_sale_disallowed,
                )
            )

    def add_wash_sales(self, account_id: str, symbol: str, washes: Iterable[WashSale]) -> None:
        for w in washes:
            self._s.add(WashSaleRow(account_id=account_id, symbol=symbol, record=w.to_dict()))

    def disallow(self, trade_id: str, lot_id: str, amount: Decimal) -> None:
        """A later purchase washed part of an earlier loss: amend that realized lot."""
        q = select(RealizedLotRow).where(
            RealizedLotRow.trade_id == trade_id, RealizedLotRow.lot_id == lot_id
        )
        row = self._s.scalars(q).first()
        if row is None:
            raise LookupError(f"no realized lot {lot_id} of trade {trade_id} to wash")
        row.wash_sale_disallowed += amount

    def realized(self, account_id: str | None = None) -> list[RealizedLotRow]:
        q = select(RealizedLotRow)
        if account_id is not None:
            q = q.where(RealizedLotRow.account_id == account_id)
        return list(self._s.scalars(q.order_by(RealizedLotRow.id)))

    def wash_sales(self) -> list[WashSaleRow]:
        return list(self._s.scalars(select(WashSaleRow).order_by(WashSaleRow.id)))

    def pending_losses(self, account_id: str, symbol: str) -> list[PendingLoss]:
        row = self._s.get(PendingLossRow, (account_id, symbol))
        return [PendingLoss.from_dict(d) for d in row.losses] if row else []

    def set_pending_losses(
        self, account_id: str, symbol: str, losses: Sequence[PendingLoss]
    ) -> None:
        self._s.execute(
            delete(PendingLossRow).where(
                PendingLossRow.account_id == account_id, PendingLossRow.symbol == symbol
            )
        )
        if losses:
            self._s.add(
                PendingLossRow(
                    account_id=account_id, symbol=symbol, losses=[p.to_dict() for p in losses]
                )
            )
