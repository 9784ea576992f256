"""Test factories with sensible defaults, so each test states only what it is about."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from itertools import count

from toms.domain.execution import (
    CancelReject,
    CancelRejectTarget,
    ExecKind,
    ExecutionReport,
    RoutedStatus,
)
from toms.domain.ids import BlockId, BrokerId, ClOrdId, ExecId, RoutedOrderId, Symbol
from toms.domain.routed_order import RoutedOrder
from toms.domain.values import OrderType, Side, TimeInForce

T0 = datetime(2026, 11, 20, 14, 30, tzinfo=UTC)
_exec_ids = count(1)


def D(value: str | int) -> Decimal:
    return Decimal(str(value))


def make_routed(
    qty: str | int = 10000,
    order_type: OrderType = OrderType.LIMIT,
    limit: str | None = "50",
    stop: str | None = None,
    cl_ord_id: str = "X",
    tif: TimeInForce = TimeInForce.DAY,
) -> RoutedOrder:
    return RoutedOrder(
        routed_order_id=RoutedOrderId("R1"),
        block_id=BlockId("B1"),
        broker=BrokerId("SIM"),
        symbol=Symbol("IBM"),
        side=Side.BUY,
        order_type=order_type,
        order_qty=D(qty),
        cl_ord_id=ClOrdId(cl_ord_id),
        created_at=T0,
        limit_price=D(limit) if limit is not None else None,
        stop_price=D(stop) if stop is not None else None,
        time_in_force=tif,
    )


class Broker:
    """Writes reports the way Appendix D lays them out: one call per matrix row."""

    def __init__(self, order: RoutedOrder) -> None:
        self.order = order
        self.clock = T0

    def report(
        self,
        kind: ExecKind,
        status: RoutedStatus,
        cum: str | int,
        leaves: str | int,
        *,
        last_qty: str | int = 0,
        last_px: str | None = None,
        avg_px: str | None = None,
        order_qty: str | int | None = None,
        cl_ord_id: str | None = None,
        orig_cl_ord_id: str | None = None,
        exec_id: str | None = None,
        exec_ref_id: str | None = None,
        limit: str | None = None,
        text: str = "",
    ) -> ExecutionReport:
        self.clock += timedelta(seconds=1)
        return ExecutionReport(
            exec_id=ExecId(exec_id or f"E{next(_exec_ids)}"),
            cl_ord_id=ClOrdId(cl_ord_id or self.order.cl_ord_id),
            orig_cl_ord_id=ClOrdId(orig_cl_ord_id) if orig_cl_ord_id else None,
            kind=kind,
            status=status,
            order_qty=D(order_qty) if order_qty is not None else self.order.order_qty,
            cum_qty=D(cum),
            leaves_qty=D(leaves),
            avg_px=D(avg_px) if avg_px is not None else None,
            last_qty=D(last_qty),
            last_px=D(last_px) if last_px is not None else None,
            exec_ref_id=ExecId(exec_ref_id) if exec_ref_id else None,
            limit_price=D(limit) if limit is not None else None,
            transact_time=self.clock,
            text=text,
        )

    def send(self, *args: object, **kwargs: object) -> list[object]:
        return list(self.order.apply_report(self.report(*args, **kwargs)))  # type: ignore[arg-type]

    def cancel_reject(
        self,
        cl_ord_id: str,
        status: RoutedStatus | None,
        *,
        to: str = "cancel",
        reason: str = "too late",
    ) -> list[object]:
        self.clock += timedelta(seconds=1)
        reject = CancelReject(
            cl_ord_id=ClOrdId(cl_ord_id),
            orig_cl_ord_id=None,
            response_to=CancelRejectTarget(to),
            status=status,
            reason=reason,
            transact_time=self.clock,
        )
        return list(self.order.apply_reject(reject))


def snapshot(o: RoutedOrder) -> tuple[object, ...]:
    """Everything a refused report must leave unchanged."""
    return (
        o.status,
        o.order_qty,
        o.cum_qty,
        o.avg_px,
        o.cl_ord_id,
        tuple(o.fills),
        frozenset(o.applied_exec_ids),
        o.pending,
        o.version,
    )
