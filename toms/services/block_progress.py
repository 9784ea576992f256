"""Keep blocks and their PM orders in step with the routed orders' executions.

After every applied report the block's filled quantity is shared out to its PM orders
(intraday allocation, all at the block's average price) and, once nothing is left
working at the broker, the block is done and each PM order gets its final status.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from decimal import Decimal

from toms.allocation.aggregation import BlockTerms, eligibility, terms_mismatch
from toms.domain.blocks import Block, BlockStatus
from toms.domain.errors import InvalidOrder
from toms.domain.events import OrderStatusChanged
from toms.domain.orders import Order, OrderStatus
from toms.domain.routed_order import RoutedOrder
from toms.domain.values import ZERO
from toms.services.allocation_sync import intraday_shares
from toms.services.context import Context, Transaction


def check_compatible(tx: Transaction, block: Block, order: Order) -> None:
    """Orders share a block only on identical terms (``toms.allocation.aggregation``)."""
    refusal: object = eligibility(order)
    if refusal is None and block.members:
        first = tx.uow.orders.require(block.members[0].order_id)
        refusal = terms_mismatch(BlockTerms.of(first), order)
    if refusal is None and any(m.account_id == order.account_id for m in block.members):
        # One routed order is checked and allocated per account: two orders of one account
        # in one block would be double-counted by the block check.
        refusal = f"account {order.account_id} already has an order in this block"
    if refusal is not None:
        raise InvalidOrder(f"order {order.order_id} cannot join block {block.block_id}: {refusal}")


def check_route_terms(orders: list[Order], routed: RoutedOrder) -> None:
    """A trader may work a block more tightly than the PMs asked, never more loosely.

    A PM limit binds the route: it must carry a limit at least as good (buy: not higher;
    sell: not lower). A PM stop is a trigger the PM chose: the route keeps it.
    """
    for order in orders:
        if order.limit_price is not None:
            if routed.limit_price is None:
                raise InvalidOrder(
                    f"order {order.order_id} has a limit of {order.limit_price}: the route "
                    f"must be a limit or stop-limit order, not {routed.order_type.value}"
                )
            looser = (
                (routed.limit_price > order.limit_price)
                if order.side.is_buy
                else (routed.limit_price < order.limit_price)
            )
            if looser:
                raise InvalidOrder(
                    f"route limit {routed.limit_price} is looser than order {order.order_id}'s "
                    f"limit {order.limit_price}"
                )
        if order.stop_price is not None and routed.stop_price != order.stop_price:
            raise InvalidOrder(
                f"order {order.order_id} has a stop at {order.stop_price}: route it with that stop"
            )


def block_fill(routed_orders: list[RoutedOrder]) -> tuple[Decimal, Decimal | None]:
    """Filled quantity and average price of a block across all its routed orders."""
    qty = sum((r.cum_qty for r in routed_orders), ZERO)
    if qty == ZERO:
        return ZERO, None
    notional = sum((f.notional for r in routed_orders for f in r.fills if not f.busted), ZERO)
    return qty, notional / qty


def after_routed_change(ctx: Context, tx: Transaction, routed: RoutedOrder, now: datetime) -> None:
    uow = tx.uow
    block: Block = uow.blocks.require(routed.block_id)
    # The block lists its routed orders; only the others need loading.
    routed_orders = [
        routed if rid == routed.routed_order_id else uow.routed.get(rid)
        for rid in block.routed_order_ids
    ]
    filled, avg_px = block_fill(routed_orders)
    orders = {o.order_id: o for o in uow.orders.require_all(block.order_ids)}
    shares = intraday_shares(uow, block, orders, filled)
    working = any(not r.is_terminal for r in routed_orders)
    if not working and block.status is BlockStatus.ROUTED:
        block.status = BlockStatus.DONE
        block.version += 1
        uow.blocks.save(block)
        uow.audit.record(
            "BlockDone",
            {
                "block_id": block.block_id,
                "filled": str(filled),
                "avg_px": str(avg_px) if avg_px is not None else None,
            },
            entity_type="block",
            entity_id=block.block_id,
            actor="system",
            occurred_at=now,
            recorded_at=now,
        )
    for order_id, order in orders.items():
        share = shares.get(order_id, ZERO)
        status = _status_for(order, share, working)
        updated = replace(
            order, filled_quantity=share, avg_price=avg_px if share else None, status=status
        )
        if updated != order:
            uow.orders.save(updated)
            if status is not order.status:
                uow.audit.append(
                    OrderStatusChanged(
                        now,
                        order.order_id,
                        order.status.value,
                        status.value,
                        f"block {block.block_id} filled {filled}",
                    ),
                    entity_type="order",
                    entity_id=order.order_id,
                    actor="system",
                    recorded_at=now,
                )


def _status_for(order: Order, share: Decimal, working: bool) -> OrderStatus:
    if share >= order.quantity:
        return OrderStatus.FILLED
    if working:
        return OrderStatus.PARTIALLY_FILLED if share > ZERO else OrderStatus.WORKING
    return OrderStatus.DONE if share > ZERO else OrderStatus.CANCELED
