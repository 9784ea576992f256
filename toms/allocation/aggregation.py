"""Which PM orders may be worked together as one block.

A block is routed as a single order, so every order in it must be content with the exact
terms the broker will see. The compatibility rule is therefore *identical terms*:

- **Same security.**
- **Same side, exactly.** SELL and SELL_SHORT never share a block: a short sale must be
  marked short on the ticket (Reg SHO) and needs a locate, a long sale must not be marked
  short, and one routed order carries one side. BUY and BUY_TO_COVER are likewise kept
  apart: a cover closes short lots and a buy opens long ones, and the block's fills must be
  booked the same way for every account in it. (``toms.domain.blocks.Block`` enforces the
  same.)
- **Same order type and prices.** Market orders with market orders; limit orders only with
  the same limit price; stop orders with the same stop price; stop-limits with the same
  stop and limit. A market order is never put under a limit (the PM asked for a fill, not a
  price), and a tighter limit never under a looser one (it could fill outside its limit).
- **Same time in force** (and the same expire date for GTD): the block lives as long as
  its routed order does. **Fill-or-kill orders are never aggregated**: all-or-none on a
  bigger block is a different instruction from all-or-none on each order.
- **Eligible order.** Only orders that passed compliance and are waiting for a trader
  (``OrderStatus.ACCEPTED``), not already in a block, join a block. Their open quantity is
  what they bring; the block quantity is the sum.

Orders may be added or removed while the block is open (``BlockDraft``); the rules are
checked against the terms of the block, which are the terms of the order that started it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any

from toms.domain.blocks import BlockMember
from toms.domain.errors import InvalidOrder
from toms.domain.ids import OrderId, Symbol
from toms.domain.orders import Order, OrderStatus
from toms.domain.values import ZERO, OrderType, Side, TimeInForce


class RefusalCode(StrEnum):
    NOT_ACCEPTED = "not_accepted"
    ALREADY_IN_BLOCK = "already_in_block"
    NO_OPEN_QUANTITY = "no_open_quantity"
    FILL_OR_KILL = "fill_or_kill"
    DIFFERENT_SECURITY = "different_security"
    DIFFERENT_SIDE = "different_side"
    DIFFERENT_ORDER_TYPE = "different_order_type"
    DIFFERENT_LIMIT_PRICE = "different_limit_price"
    DIFFERENT_STOP_PRICE = "different_stop_price"
    DIFFERENT_TIME_IN_FORCE = "different_time_in_force"
    DUPLICATE_ORDER = "duplicate_order"


@dataclass(frozen=True, slots=True)
class JoinRefusal:
    """Why an order may not join a block: a stable code for programs, a message for people."""

    code: RefusalCode
    message: str

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True, slots=True)
class BlockTerms:
    """The terms a block is routed with; every member order must have exactly these."""

    symbol: Symbol
    side: Side
    order_type: OrderType
    limit_price: Decimal | None
    stop_price: Decimal | None
    time_in_force: TimeInForce
    expire_date: date | None

    @classmethod
    def of(cls, order: Order) -> BlockTerms:
        return cls(
            order.symbol,
            order.side,
            order.order_type,
            order.limit_price,
            order.stop_price,
            order.time_in_force,
            order.expire_date,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "symbol": self.symbol,
            "side": self.side.value,
            "order_type": self.order_type.value,
            "limit_price": None if self.limit_price is None else str(self.limit_price),
            "stop_price": None if self.stop_price is None else str(self.stop_price),
            "time_in_force": self.time_in_force.value,
            "expire_date": None if self.expire_date is None else self.expire_date.isoformat(),
        }


def eligibility(order: Order) -> JoinRefusal | None:
    """Whether ``order`` may be in any block at all (status, open quantity, FOK)."""
    if order.block_id is not None or order.status is OrderStatus.IN_BLOCK:
        return JoinRefusal(
            RefusalCode.ALREADY_IN_BLOCK,
            f"order {order.order_id} is already in block {order.block_id}",
        )
    if order.status is not OrderStatus.ACCEPTED:
        return JoinRefusal(
            RefusalCode.NOT_ACCEPTED,
            f"order {order.order_id} is {order.status.value}; only accepted orders join blocks",
        )
    if order.open_quantity <= ZERO:
        return JoinRefusal(
            RefusalCode.NO_OPEN_QUANTITY, f"order {order.order_id} has no open quantity"
        )
    if order.time_in_force is TimeInForce.FOK:
        return JoinRefusal(
            RefusalCode.FILL_OR_KILL,
            f"order {order.order_id} is fill-or-kill; it is worked on its own",
        )
    return None


def terms_mismatch(terms: BlockTerms, order: Order) -> JoinRefusal | None:
    """The first term of ``order`` that differs from the block's, or None."""
    oid = order.order_id
    if order.symbol != terms.symbol:
        return JoinRefusal(
            RefusalCode.DIFFERENT_SECURITY,
            f"order {oid} is in {order.symbol}; the block is in {terms.symbol}",
        )
    if order.side is not terms.side:
        return JoinRefusal(
            RefusalCode.DIFFERENT_SIDE,
            f"order {oid} is {order.side.value}; the block is {terms.side.value}",
        )
    if order.order_type is not terms.order_type:
        return JoinRefusal(
            RefusalCode.DIFFERENT_ORDER_TYPE,
            f"order {oid} is a {order.order_type.value} order; the block is "
            f"{terms.order_type.value}",
        )
    if order.limit_price != terms.limit_price:
        return JoinRefusal(
            RefusalCode.DIFFERENT_LIMIT_PRICE,
            f"order {oid} has limit {order.limit_price}; the block's limit is {terms.limit_price}",
        )
    if order.stop_price != terms.stop_price:
        return JoinRefusal(
            RefusalCode.DIFFERENT_STOP_PRICE,
            f"order {oid} has stop {order.stop_price}; the block's stop is {terms.stop_price}",
        )
    if order.time_in_force is not terms.time_in_force or order.expire_date != terms.expire_date:
        return JoinRefusal(
            RefusalCode.DIFFERENT_TIME_IN_FORCE,
            f"order {oid} is {order.time_in_force.value} {order.expire_date or ''}".rstrip()
            + f"; the block is {terms.time_in_force.value} {terms.expire_date or ''}".rstrip(),
        )
    return None


def can_join(terms: BlockTerms, order: Order) -> JoinRefusal | None:
    """None if ``order`` may join a block with ``terms``, else the reason it may not."""
    return eligibility(order) or terms_mismatch(terms, order)


@dataclass(frozen=True, slots=True)
class BlockDraft:
    """A block being built before routing. Immutable: ``add``/``remove`` return a new draft.

    Members carry the order's open quantity when it joined; ``quantity`` is their sum.
    """

    terms: BlockTerms
    members: tuple[BlockMember, ...]

    @classmethod
    def start(cls, order: Order) -> BlockDraft:
        refusal = eligibility(order)
        if refusal is not None:
            raise InvalidOrder(refusal.message)
        return cls(BlockTerms.of(order), (_member(order),))

    @property
    def quantity(self) -> Decimal:
        return sum((m.quantity for m in self.members), ZERO)

    @property
    def order_ids(self) -> tuple[OrderId, ...]:
        return tuple(m.order_id for m in self.members)

    def refusal(self, order: Order) -> JoinRefusal | None:
        """``can_join`` plus the duplicate check against this draft's members."""
        if order.order_id in self.order_ids:
            return JoinRefusal(
                RefusalCode.DUPLICATE_ORDER, f"order {order.order_id} is already in this block"
            )
        return can_join(self.terms, order)

    def add(self, order: Order) -> BlockDraft:
        refusal = self.refusal(order)
        if refusal is not None:
            raise InvalidOrder(refusal.message)
        return BlockDraft(self.terms, (*self.members, _member(order)))

    def remove(self, order_id: OrderId) -> BlockDraft:
        """The draft without ``order_id``. Removing the last order leaves an empty draft,
        which keeps its terms (the caller dissolves it or adds another order)."""
        if order_id not in self.order_ids:
            raise InvalidOrder(f"order {order_id} is not in this block")
        return BlockDraft(self.terms, tuple(m for m in self.members if m.order_id != order_id))

    def to_dict(self) -> dict[str, Any]:
        return {
            "terms": self.terms.to_dict(),
            "quantity": str(self.quantity),
            "members": [
                {"order_id": m.order_id, "account_id": m.account_id, "quantity": str(m.quantity)}
                for m in self.members
            ],
        }


def _member(order: Order) -> BlockMember:
    return BlockMember(order.order_id, order.account_id, order.open_quantity)


@dataclass(frozen=True, slots=True)
class OrderGroup:
    """Orders that may form one block, oldest first."""

    terms: BlockTerms
    orders: tuple[Order, ...]

    @property
    def quantity(self) -> Decimal:
        return sum((o.open_quantity for o in self.orders), ZERO)

    def draft(self) -> BlockDraft:
        return BlockDraft(self.terms, tuple(_member(o) for o in self.orders))


@dataclass(frozen=True, slots=True)
class Grouping:
    """``group_orders``' answer: the groups, and the orders left out with their reasons."""

    groups: tuple[OrderGroup, ...]
    excluded: tuple[tuple[Order, JoinRefusal], ...]


def group_orders(orders: Iterable[Order]) -> Grouping:
    """Partition orders into compatible groups (identical terms), deterministically.

    Orders are taken oldest first (created_at, then order id); groups come in the order
    their first order appears, and each group lists its orders oldest first. Ineligible
    orders are returned in ``excluded`` with the reason, never silently dropped.
    """
    groups: dict[BlockTerms, list[Order]] = {}
    excluded: list[tuple[Order, JoinRefusal]] = []
    seen: set[OrderId] = set()
    for order in sorted(orders, key=lambda o: (o.created_at, o.order_id)):
        if order.order_id in seen:
            excluded.append(
                (
                    order,
                    JoinRefusal(
                        RefusalCode.DUPLICATE_ORDER, f"order {order.order_id} is listed twice"
                    ),
                )
            )
            continue
        seen.add(order.order_id)
        refusal = eligibility(order)
        if refusal is not None:
            excluded.append((order, refusal))
            continue
        groups.setdefault(BlockTerms.of(order), []).append(order)
    return Grouping(
        tuple(OrderGroup(terms, tuple(members)) for terms, members in groups.items()),
        tuple(excluded),
    )
