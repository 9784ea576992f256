"""Intraday allocation: the block's cumulative fill shared out to its PM orders.

The allocation is a pure function of the cumulative filled quantity (``toms.allocation``),
so recomputing it after every report gives the same final answer as allocating once at
completion, and a bust simply lowers every share again.
"""

from __future__ import annotations

from decimal import Decimal

from toms.allocation.instructions import AllocationInputs, requests_from_block
from toms.allocation.record import allocate
from toms.domain.blocks import Block
from toms.domain.ids import OrderId
from toms.domain.orders import Order
from toms.domain.values import ZERO
from toms.services.unit_of_work import UnitOfWork


def intraday_shares(
    uow: UnitOfWork, block: Block, orders: dict[OrderId, Order], filled: Decimal
) -> dict[OrderId, Decimal]:
    if filled == ZERO or not block.members:
        return {}
    security = uow.securities.get(block.symbol)
    inputs = AllocationInputs(
        block_id=block.block_id,
        symbol=block.symbol,
        side=block.side,
        lot_size=security.lot_size,
        filled_quantity=filled,
        average_price=Decimal(1),  # quantities only: the price does not change the split
        requests=requests_from_block(block),
        seed=block.block_id,
    )
    return {a.order_id: a.quantity for a in allocate(inputs).outputs}
