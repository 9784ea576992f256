"""Trader and PM use cases: orders, blocks, routing, cancel and replace.

Each runs as the single writer, in one transaction. A FIX request is written to the
outbox with the state change that causes it and sent after commit, so the broker never
hears of an order toms has not stored.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal

from toms.compliance import BlockCheckResult
from toms.domain.blocks import Block
from toms.domain.errors import InvalidOrder, InvalidTransition, UnknownOrder
from toms.domain.events import DomainEvent, OrderStatusChanged, OrderSubmitted, RoutedOrderSent
from toms.domain.execution import RoutedStatus
from toms.domain.ids import (
    AccountId,
    BlockId,
    BrokerId,
    ClOrdId,
    OrderId,
    RoutedOrderId,
    Symbol,
    UserId,
)
from toms.domain.orders import Order, OrderStatus
from toms.domain.routed_order import RequestKind, RoutedOrder
from toms.domain.values import OrderType, Side, TimeInForce
from toms.services.block_progress import check_compatible, check_route_terms
from toms.services.compliance_gate import override_order
from toms.services.context import Context, Transaction, transaction
from toms.services.ports import BrokerGateway, GatewayUnavailable
from toms.services.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)


def submit_order(
    ctx: Context,
    *,
    account_id: str,
    symbol: str,
    side: Side,
    quantity: Decimal,
    order_type: OrderType,
    user: str,
    limit_price: Decimal | None = None,
    stop_price: Decimal | None = None,
    time_in_force: TimeInForce = TimeInForce.DAY,
    expire_date: date | None = None,
    locate_id: str | None = None,
    specific_lots: tuple[str, ...] = (),
    note: str = "",
) -> Order:
    """Create a PM order and run pre-trade compliance on it."""
    now = ctx.clock.now()
    with transaction(ctx) as tx:
        uow = tx.uow
        if uow.accounts.get(account_id) is None:
            raise UnknownOrder(f"unknown account {account_id!r}")
        if uow.securities.get(symbol) is None:
            raise UnknownOrder(f"unknown security {symbol!r}")
        order = Order(
            order_id=OrderId(ctx.ids.new("ORD")),
            account_id=AccountId(account_id),
            symbol=Symbol(symbol),
            side=side,
            quantity=quantity,
            order_type=order_type,
            created_at=now,
            created_by=UserId(user),
            limit_price=limit_price,
            stop_price=stop_price,
            time_in_force=time_in_force,
            expire_date=expire_date,
            locate_id=locate_id,
            specific_lots=tuple(specific_lots),  # type: ignore[arg-type]
            note=note,
        )
        uow.orders.add(order)
        _audit_order(
            tx,
            OrderSubmitted(now, order.order_id, account_id, symbol, side.value, quantity, user),
            order.order_id,
            user,
        )
        status = OrderStatus.ACCEPTED
        if ctx.compliance is not None:
            status = ctx.compliance.check_new_order(tx, order, user, now)
        order = _set_status(tx, order, status, user, now, "pre-trade compliance")
        tx.commit()
        return order


def override_compliance(
    ctx: Context, order_id: str, user: str, roles: Iterable[str], reason: str
) -> Order:
    """A compliance officer releases a blocked order; the override and reason are audited."""
    if ctx.compliance is None:
        raise InvalidTransition("compliance is not configured, so there is nothing to override")
    now = ctx.clock.now()
    with transaction(ctx) as tx:
        order = tx.uow.orders.require(order_id)
        result = ctx.compliance.check_order(tx.uow, order, now)
        released = override_order(tx, order, user, roles, reason, now, result)
        order = _set_status(tx, order, released.status, user, now, f"compliance override: {reason}")
        tx.commit()
        return order


def create_block(ctx: Context, order_ids: list[str], user: str) -> Block:
    """Group accepted PM orders of one security and side into a new open block."""
    if not order_ids:
        raise InvalidOrder("a block needs at least one order")
    now = ctx.clock.now()
    with transaction(ctx) as tx:
        orders = tx.uow.orders.require_all(order_ids)
        first = orders[0]
        block = Block(BlockId(ctx.ids.new("BLK")), first.symbol, first.side, now, UserId(user))
        for order in orders:
            _join(tx, block, order, user, now)
        tx.uow.blocks.save(block)
        tx.uow.audit.record(
            "BlockCreated",
            {
                "block_id": block.block_id,
                "orders": order_ids,
                "symbol": block.symbol,
                "side": block.side.value,
                "quantity": str(block.quantity),
            },
            entity_type="block",
            entity_id=block.block_id,
            actor=user,
            occurred_at=now,
            recorded_at=now,
        )
        tx.commit()
        return block


def add_to_block(ctx: Context, block_id: str, order_id: str, user: str) -> Block:
    now = ctx.clock.now()
    with transaction(ctx) as tx:
        block: Block = tx.uow.blocks.require(BlockId(block_id))
        _join(tx, block, tx.uow.orders.require(order_id), user, now)
        tx.uow.blocks.save(block)
        _audit_block(tx, block, "OrderAddedToBlock", {"order_id": order_id}, user, now)
        tx.commit()
        return block


def remove_from_block(ctx: Context, block_id: str, order_id: str, user: str) -> Block:
    now = ctx.clock.now()
    with transaction(ctx) as tx:
        block: Block = tx.uow.blocks.require(BlockId(block_id))
        block.remove(OrderId(order_id))
        order = tx.uow.orders.require(order_id)
        _set_status(tx, _with_block(order, None), OrderStatus.ACCEPTED, user, now, "left block")
        tx.uow.blocks.save(block)
        _audit_block(tx, block, "OrderRemovedFromBlock", {"order_id": order_id}, user, now)
        tx.commit()
        return block


def route_block(
    ctx: Context,
    block_id: str,
    *,
    broker: str,
    order_type: OrderType,
    user: str,
    limit_price: Decimal | None = None,
    stop_price: Decimal | None = None,
    time_in_force: TimeInForce = TimeInForce.DAY,
    expire_date: date | None = None,
    quantity: Decimal | None = None,
    acknowledge_warnings: bool = False,
) -> RoutedOrder:
    """Send a block to a broker as one order, after the block-level compliance check."""
    gateway = ctx.gateway(broker)
    now = ctx.clock.now()
    with transaction(ctx) as tx:
        block = tx.uow.blocks.require(BlockId(block_id))
        orders = tx.uow.orders.require_all(block.order_ids)
        routed = _routed_for(
            ctx, block, orders, now, broker, order_type, limit_price, stop_price,
            time_in_force, expire_date, quantity,
        )  # fmt: skip
        if ctx.compliance is not None:
            ctx.compliance.check_block_route(
                tx, block, orders, routed, user, now, acknowledged=acknowledge_warnings
            )
        block.mark_routed(routed.routed_order_id, tx.uow.securities.price(block.symbol))
        tx.uow.routed.add(routed, now)
        tx.uow.blocks.save(block)
        for order in orders:
            _set_status(tx, order, OrderStatus.WORKING, user, now, f"routed to {broker}")
        tx.uow.audit.append(
            RoutedOrderSent(
                now, routed.routed_order_id, routed.cl_ord_id, block.block_id, routed.order_qty
            ),
            entity_type="routed_order",
            entity_id=routed.routed_order_id,
            actor=user,
            recorded_at=now,
        )
        outbox = tx.uow.outbox.add(routed.routed_order_id, routed.cl_ord_id, "new", now)
        tx.commit()
        tx.after_commit.append(lambda: _send(ctx, outbox.id, lambda: gateway.send_new(routed)))
        return routed


def preview_route(
    ctx: Context,
    uow: UnitOfWork,
    block_id: str,
    *,
    broker: str,
    order_type: OrderType,
    limit_price: Decimal | None = None,
    stop_price: Decimal | None = None,
    time_in_force: TimeInForce = TimeInForce.DAY,
    expire_date: date | None = None,
    quantity: Decimal | None = None,
) -> BlockCheckResult | None:
    """The order ticket's what-if: the route's terms checked, compliance run, nothing stored.

    Raises what ``route_block`` would raise for bad terms; None when compliance is off.
    """
    ctx.gateway(broker)
    block = uow.blocks.require(BlockId(block_id))
    orders = uow.orders.require_all(block.order_ids)
    now = ctx.clock.now()
    routed = _routed_for(
        ctx, block, orders, now, broker, order_type, limit_price, stop_price,
        time_in_force, expire_date, quantity,
    )  # fmt: skip
    if ctx.compliance is None:
        return None
    result: BlockCheckResult = ctx.compliance.preview_block_route(uow, orders, routed, now)
    return result


def _routed_for(
    ctx: Context,
    block: Block,
    orders: list[Order],
    now: datetime,
    broker: str,
    order_type: OrderType,
    limit_price: Decimal | None,
    stop_price: Decimal | None,
    time_in_force: TimeInForce,
    expire_date: date | None,
    quantity: Decimal | None,
) -> RoutedOrder:
    """The broker order a route would send, its terms checked against the PM orders."""
    qty = quantity if quantity is not None else block.quantity
    if qty > block.quantity:
        raise InvalidOrder(f"route quantity {qty} exceeds block quantity {block.quantity}")
    routed = RoutedOrder(
        routed_order_id=RoutedOrderId(ctx.ids.new("RO")),
        block_id=block.block_id,
        broker=BrokerId(broker),
        symbol=block.symbol,
        side=block.side,
        order_type=order_type,
        order_qty=qty,
        cl_ord_id=ClOrdId(ctx.ids.new("C")),
        created_at=now,
        limit_price=limit_price,
        stop_price=stop_price,
        time_in_force=time_in_force,
        expire_date=expire_date,
    )
    check_route_terms(orders, routed)
    return routed


def cancel_routed(ctx: Context, routed_order_id: str, user: str) -> RoutedOrder:
    return _request(ctx, routed_order_id, user, RequestKind.CANCEL)


def replace_routed(
    ctx: Context,
    routed_order_id: str,
    user: str,
    *,
    quantity: Decimal | None = None,
    limit_price: Decimal | None = None,
    stop_price: Decimal | None = None,
) -> RoutedOrder:
    return _request(
        ctx, routed_order_id, user, RequestKind.REPLACE, quantity, limit_price, stop_price
    )


def request_status(ctx: Context, routed_order_id: str) -> None:
    """Ask the broker for the order's status (reconciliation); the answer is compared."""
    with transaction(ctx) as tx:
        routed = _require_routed(tx, routed_order_id)
    ctx.gateway(routed.broker).send_status_request(routed)


def flush_outbox(ctx: Context, broker: str | None = None) -> int:
    """Send requests left unsent: the session was down, or the process died before the
    sending was recorded. Same ClOrdID, with PossResend=Y, since the broker may have it."""
    recorded = {outbox_id for outbox_id, _ in ctx.sent}
    with transaction(ctx) as tx:
        rows = [
            (row.id, row.request, _require_routed(tx, row.routed_order_id))
            for row in tx.uow.outbox.unsent()
            if row.id not in recorded
        ]
    sent = 0
    for outbox_id, request, routed in rows:
        if broker is not None and routed.broker != broker:
            continue
        action = _resend_action(ctx.gateway(routed.broker), request, routed)
        if action is None:  # the broker has answered it already: nothing to send
            _note_sent(ctx, outbox_id)
        elif _send(ctx, outbox_id, action):
            sent += 1
    return sent


def record_sent(ctx: Context) -> None:
    """Commit what ``_note_sent`` holds (on a clean stop), so no restart resends it."""
    if ctx.sent:
        with transaction(ctx) as tx:
            tx.commit()


def _resend_action(
    gateway: BrokerGateway, request: str, routed: RoutedOrder
) -> Callable[[], None] | None:
    if request == "new":
        # Only an order the broker never answered; anything else was evidently received.
        unanswered = routed.status is RoutedStatus.PENDING_NEW and not routed.applied_exec_ids
        return (lambda: gateway.send_new(routed, poss_resend=True)) if unanswered else None
    pending = routed.pending
    if pending is None or pending.kind.value != request:
        return None
    if pending.kind is RequestKind.CANCEL:
        return lambda: gateway.send_cancel(routed, pending, poss_resend=True)
    return lambda: gateway.send_replace(routed, pending, poss_resend=True)


def _request(
    ctx: Context,
    routed_order_id: str,
    user: str,
    kind: RequestKind,
    quantity: Decimal | None = None,
    limit_price: Decimal | None = None,
    stop_price: Decimal | None = None,
) -> RoutedOrder:
    now = ctx.clock.now()
    with transaction(ctx) as tx:
        routed = _require_routed(tx, routed_order_id)
        gateway = ctx.gateway(routed.broker)
        cl = ClOrdId(ctx.ids.new("C"))
        events: list[DomainEvent]
        if kind is RequestKind.CANCEL:
            events = routed.request_cancel(cl, now)
        else:
            if quantity is not None:
                _check_replace_quantity(tx, routed, quantity)
            events = routed.request_replace(
                cl,
                now,
                quantity if quantity is not None else routed.order_qty,
                limit_price if limit_price is not None else routed.limit_price,
                stop_price if stop_price is not None else routed.stop_price,
            )
        tx.uow.routed.save(routed, now)
        for event in events:
            tx.uow.audit.append(
                event,
                entity_type="routed_order",
                entity_id=routed_order_id,
                actor=user,
                recorded_at=now,
            )
        outbox = tx.uow.outbox.add(routed_order_id, cl, kind.value, now)
        tx.commit()
        request = routed.pending
        assert request is not None
        send = gateway.send_cancel if kind is RequestKind.CANCEL else gateway.send_replace
        tx.after_commit.append(lambda: _send(ctx, outbox.id, lambda: send(routed, request)))
        return routed


def _check_replace_quantity(tx: Transaction, routed: RoutedOrder, quantity: Decimal) -> None:
    """A replace may not ask the broker for more than the block's PM orders hold, as a
    route may not: the fills of the excess could never be booked to them (the fill would
    fail its commit and only reach the dead letters)."""
    block = tx.uow.blocks.require(routed.block_id)
    if quantity > block.quantity:
        raise InvalidOrder(f"replace quantity {quantity} exceeds block quantity {block.quantity}")


def _send(ctx: Context, outbox_id: int, action: Callable[[], None]) -> bool:
    try:
        action()
    except GatewayUnavailable as exc:
        log.warning("request %s stays in the outbox: %s", outbox_id, exc)
        return False
    _note_sent(ctx, outbox_id)
    return True


def _note_sent(ctx: Context, outbox_id: int) -> None:
    """The row is marked sent by the writer's next commit, not by one of its own: a commit
    is most of what a request costs. Until then it looks unsent in the database, and if
    the process dies first the next logon sends it again (``flush_outbox``): with the same
    ClOrdID and PossResend=Y, which a broker that has it ignores, and only if the broker
    has not answered it, which it usually has."""
    ctx.sent.append((outbox_id, ctx.clock.now()))


def _require_routed(tx: Transaction, routed_order_id: str) -> RoutedOrder:
    routed: RoutedOrder | None = tx.uow.routed.get(routed_order_id)
    if routed is None:
        raise UnknownOrder(f"no routed order {routed_order_id}")
    return routed


def _join(tx: Transaction, block: Block, order: Order, user: str, now: datetime) -> None:
    check_compatible(tx, block, order)
    block.add(order)
    _set_status(
        tx,
        _with_block(order, block.block_id),
        OrderStatus.IN_BLOCK,
        user,
        now,
        f"joined block {block.block_id}",
    )


def _with_block(order: Order, block_id: BlockId | None) -> Order:
    return replace(order, block_id=block_id)


def _set_status(
    tx: Transaction, order: Order, status: OrderStatus, actor: str, now: datetime, reason: str
) -> Order:
    updated = order.with_status(status)
    tx.uow.orders.save(updated)
    if order.status is not status:
        _audit_order(
            tx,
            OrderStatusChanged(now, order.order_id, order.status.value, status.value, reason),
            order.order_id,
            actor,
        )
    return updated


def _audit_order(tx: Transaction, event: DomainEvent, order_id: str, actor: str) -> None:
    tx.uow.audit.append(
        event, entity_type="order", entity_id=order_id, actor=actor, recorded_at=event.at
    )


def _audit_block(
    tx: Transaction,
    block: Block,
    event_type: str,
    payload: dict[str, object],
    user: str,
    now: datetime,
) -> None:
    tx.uow.audit.record(
        event_type,
        {"block_id": block.block_id, **payload},
        entity_type="block",
        entity_id=block.block_id,
        actor=user,
        occurred_at=now,
        recorded_at=now,
    )
