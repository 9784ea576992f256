"""Transaction cost analysis per block: the fills against the arrival price.

The arrival price is the last price when the block was routed (``Block.arrival_price``).
Slippage is signed so that positive is a cost to the fund:

    buy, buy_to_cover:   slippage = avg px − arrival     (paid more than arrival)
    sell, sell_short:    slippage = arrival − avg px     (received less than arrival)
    slippage_bps   = slippage × 10,000 / arrival
    notional_cost  = slippage × filled quantity          (in the security's currency)

e.g. a buy filled at 180.60 against an arrival of 180 costs 0.60 a share, 33.33 bps; a sale
filled at 180.60 against 180 gained 0.60 a share: slippage −0.60, −33.33 bps.

The average price and filled quantity are the block's live (unbusted) fills over all its
routed orders (``toms.services.block_progress.block_fill``), the same figures allocation
uses. Blocks never routed are left out; a routed block with no fills shows no slippage.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal

import pandas as pd

from toms.domain.blocks import Block
from toms.domain.routed_order import RoutedOrder
from toms.domain.values import ZERO, Side
from toms.reports.frames import frame
from toms.services.block_progress import block_fill
from toms.services.unit_of_work import UnitOfWork

TCA_COLUMNS = (
    "block_id",
    "symbol",
    "side",
    "status",
    "quantity",
    "filled_qty",
    "avg_px",
    "arrival_price",
    "slippage",
    "slippage_bps",
    "notional_cost",
)
BPS = Decimal(10_000)


def slippage(
    side: Side, avg_px: Decimal | None, arrival: Decimal | None
) -> tuple[Decimal | None, Decimal | None]:
    """(slippage per share, slippage in bps), positive = cost; ``None`` when not measurable."""
    if avg_px is None or arrival is None:
        return None, None
    per_share = avg_px - arrival if side.is_buy else arrival - avg_px  # no −0 for a sell
    return per_share, (per_share * BPS / arrival if arrival != ZERO else None)


def tca_frame(blocks: Iterable[Block], routed: Mapping[str, Sequence[RoutedOrder]]) -> pd.DataFrame:
    """One row per routed block, in the order given. ``routed`` maps block id to its orders."""
    records = []
    for block in blocks:
        if not block.routed_order_ids:
            continue
        filled, avg_px = block_fill(list(routed.get(block.block_id, ())))
        per_share, bps = slippage(block.side, avg_px, block.arrival_price)
        records.append(
            {
                "block_id": block.block_id,
                "symbol": block.symbol,
                "side": block.side.value,
                "status": block.status.value,
                "quantity": block.quantity,
                "filled_qty": filled,
                "avg_px": avg_px,
                "arrival_price": block.arrival_price,
                "slippage": per_share,
                "slippage_bps": bps,
                "notional_cost": per_share * filled if per_share is not None else None,
            }
        )
    return frame(records, TCA_COLUMNS)


def tca_report(uow: UnitOfWork, account: str | None = None) -> pd.DataFrame:
    """TCA of every routed block; with ``account``, of the blocks that hold an order of it."""
    blocks = [
        b
        for b in uow.blocks.list()
        if account is None or any(m.account_id == account for m in b.members)
    ]
    routed = {b.block_id: uow.routed.for_block(b.block_id) for b in blocks if b.routed_order_ids}
    return tca_frame(blocks, routed)
