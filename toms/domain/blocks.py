"""Blocks: PM orders of one security and side, worked by a trader as one.

A block is open while the trader builds it, and is routed as one ``RoutedOrder``. Which
orders may share a block (compatible order type and limit) is decided in
``toms.allocation.aggregation``; this module keeps the block's own invariants.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from toms.domain.errors import InvalidOrder, InvalidTransition
from toms.domain.ids import BlockId, OrderId, RoutedOrderId, Symbol, UserId
from toms.domain.orders import Order
from toms.domain.values import ZERO, Side


class BlockStatus(StrEnum):
    OPEN = "open"  # being built: orders may join or leave
    ROUTED = "routed"  # at a broker
    DONE = "done"  # the routed order finished; waiting for (or done with) allocation
    ALLOCATED = "allocated"
    CANCELED = "canceled"  # dissolved before routing


@dataclass(frozen=True, slots=True)
class BlockMember:
    order_id: OrderId
    account_id: str
    quantity: Decimal


@dataclass(slots=True)
class Block:
    block_id: BlockId
    symbol: Symbol
    side: Side
    created_at: datetime
    created_by: UserId
    members: list[BlockMember] = field(default_factory=list)
    status: BlockStatus = BlockStatus.OPEN
    routed_order_ids: list[RoutedOrderId] = field(default_factory=list)
    arrival_price: Decimal | None = None  # reference price when routed: the TCA benchmark
    version: int = 0

    def copy(self) -> Block:
        """An equal block that can be changed without changing this one."""
        return Block(
            self.block_id,
            self.symbol,
            self.side,
            self.created_at,
            self.created_by,
            list(self.members),
            self.status,
            list(self.routed_order_ids),
            self.arrival_price,
            self.version,
        )

    @property
    def quantity(self) -> Decimal:
        return sum((m.quantity for m in self.members), ZERO)

    @property
    def order_ids(self) -> list[OrderId]:
        return [m.order_id for m in self.members]

    def add(self, order: Order) -> None:
        self._require_open("add an order to")
        if order.symbol != self.symbol or order.side is not self.side:
            raise InvalidOrder(
                f"order {order.order_id} is {order.side.value} {order.symbol}; block "
                f"{self.block_id} is {self.side.value} {self.symbol}"
            )
        if order.order_id in self.order_ids:
            raise InvalidOrder(f"order {order.order_id} is already in block {self.block_id}")
        self.members.append(BlockMember(order.order_id, order.account_id, order.open_quantity))
        self.version += 1

    def remove(self, order_id: OrderId) -> None:
        self._require_open("remove an order from")
        if order_id not in self.order_ids:
            raise InvalidOrder(f"order {order_id} is not in block {self.block_id}")
        self.members = [m for m in self.members if m.order_id != order_id]
        self.version += 1

    def mark_routed(self, routed_order_id: RoutedOrderId, arrival_price: Decimal | None) -> None:
        if self.status not in (BlockStatus.OPEN, BlockStatus.DONE):
            raise InvalidTransition(f"block {self.block_id} is {self.status.value}: cannot route")
        if not self.members:
            raise InvalidOrder(f"block {self.block_id} has no orders to route")
        self.status = BlockStatus.ROUTED
        self.routed_order_ids.append(routed_order_id)
        if self.arrival_price is None:
            self.arrival_price = arrival_price
        self.version += 1

    def _require_open(self, action: str) -> None:
        if self.status is not BlockStatus.OPEN:
            raise InvalidTransition(
                f"block {self.block_id} is {self.status.value}: cannot {action} it"
            )
