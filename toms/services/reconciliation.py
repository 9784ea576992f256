"""Logon reconciliation: after a session logs on, ask the broker about every open order.

While toms, the link or the broker was down, orders may have moved without toms hearing
of it. The FIX session closes most of that gap by itself (the broker's stored reports are
resent), but only for what the broker sent on this session with these sequence numbers:
a sequence reset, a broker that lost its store, or a request toms never got an answer to
leaves orders pending. So every routed order of the broker that is not terminal gets an
OrderStatusRequest (35=H). The answers come back as ExecutionReports with ExecType I and
go through the normal path (``executions.apply_execution_report``): a difference that
books nothing is applied and audited, anything else (CumQty disagrees, "unknown order")
is stored as a ``StatusMismatch`` for operations, never dropped and never a crash.

Requests toms has not sent yet (the outbox) go first, so the broker never answers
"unknown order" for a NewOrderSingle that is merely about to be resent.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from toms.domain.events import ReconciliationRequested
from toms.domain.execution import RoutedStatus
from toms.domain.ids import RoutedOrderId
from toms.domain.order_state import TERMINAL
from toms.domain.routed_order import RoutedOrder
from toms.services.context import Context, transaction
from toms.services.ports import GatewayUnavailable
from toms.services.trading import flush_outbox

log = logging.getLogger(__name__)

# Every status in which the broker may still act on the order (pending, working, done for
# the day, stopped, suspended...): all but the terminal ones.
OPEN_STATUSES: tuple[str, ...] = tuple(s.value for s in RoutedStatus if s not in TERMINAL)


@dataclass(frozen=True, slots=True)
class Reconciliation:
    """What one logon reconciliation did, for the log and for tests."""

    broker: str
    resent: int  # outbox requests sent before asking
    requested: tuple[RoutedOrderId, ...]  # orders asked about (35=H sent)
    unsent: tuple[RoutedOrderId, ...]  # the session dropped again before these went out


def open_orders(ctx: Context, broker: str) -> list[RoutedOrder]:
    """The broker's routed orders that are not terminal, oldest first."""
    with transaction(ctx) as tx:
        ids = tx.uow.routed.list_ids(statuses=OPEN_STATUSES)
        orders: list[RoutedOrder] = []
        for routed_order_id in ids:
            routed: RoutedOrder | None = tx.uow.routed.get(routed_order_id)
            if routed is not None and routed.broker == broker:
                orders.append(routed)
        return orders


def reconcile_broker(ctx: Context, broker: str) -> Reconciliation:
    """Flush the broker's outbox, then send 35=H for each open order and audit it.

    Runs as the single writer. Sending happens before the audit commit because the
    request is a question, not a change: an order asked about twice (two logons in a
    row) costs one more status answer, never a state change.
    """
    resent = flush_outbox(ctx, broker)
    gateway = ctx.gateway(broker)
    asked: list[RoutedOrder] = []
    unsent: list[RoutedOrderId] = []
    for routed in open_orders(ctx, broker):
        try:
            gateway.send_status_request(routed)
        except GatewayUnavailable as exc:
            log.warning("status request for %s not sent: %s", routed.routed_order_id, exc)
            unsent.append(routed.routed_order_id)
            continue
        asked.append(routed)
    if asked:
        _audit_requests(ctx, broker, asked)
    log.info(
        "reconciliation with %s: %d outbox requests resent, %d orders asked, %d not sent",
        broker,
        resent,
        len(asked),
        len(unsent),
    )
    return Reconciliation(broker, resent, tuple(r.routed_order_id for r in asked), tuple(unsent))


def _audit_requests(ctx: Context, broker: str, asked: list[RoutedOrder]) -> None:
    now = ctx.clock.now()
    with transaction(ctx) as tx:
        for routed in asked:
            tx.uow.audit.append(
                ReconciliationRequested(
                    now,
                    routed.routed_order_id,
                    broker,
                    routed.cl_ord_id,
                    routed.status,
                    routed.cum_qty,
                ),
                entity_type="routed_order",
                entity_id=routed.routed_order_id,
                actor="toms:reconciliation",
                recorded_at=now,
            )
        tx.commit()
