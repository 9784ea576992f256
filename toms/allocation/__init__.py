"""Block aggregation, fair allocation of block fills, and tax lots.

Pure code: no I/O, no clock, no randomness. Dates, prices, seeds and ids are passed in, so
every result can be recomputed from its inputs (see ``record.replay``).

Modules, and what each owns:

- ``aggregation``: which PM orders may share a block (``can_join``, ``group_orders``,
  ``BlockDraft``).
- ``instructions``: the inputs of an allocation (``AllocationInputs``, methods, charges).
- ``apportion``: the largest-remainder / min-lot engine and its ``POLICY``.
- ``rotation``: the seeded tie-break rotation (sha256 of seed and block id).
- ``prorata``: quantities by pro-rata, target quantities or percentages.
- ``commissions``: charges split pro-rata to allocated quantity, cents reconciled.
- ``record``: ``allocate``, the replayable ``AllocationRecord``, ``replay``, ``verify``.
- ``intraday``: cumulative re-allocation as fills arrive (``reallocate``).
- ``fairness``: fill rate and price per account against the block.
- ``holding``: short- or long-term (the one-year rule, Feb 29).
- ``taxlots``: opening and relieving lots (FIFO, LIFO, HIFO, MIN_TAX, SPECIFIC).
- ``wash_sales``: disallowed losses, basis adjustment and holding-period carry-over.
- ``ledger``: ``apply_trade``, booking one account's trade against its lots.
"""

from toms.allocation.aggregation import (
    BlockDraft,
    BlockTerms,
    Grouping,
    JoinRefusal,
    OrderGroup,
    RefusalCode,
    can_join,
    eligibility,
    group_orders,
)
from toms.allocation.apportion import POLICY
from toms.allocation.commissions import split_charge
from toms.allocation.fairness import FairnessReport, FairnessRow, fairness_report
from toms.allocation.holding import Term, long_term_from, term_of
from toms.allocation.instructions import (
    AllocationInputs,
    AllocationMethod,
    AllocationRequest,
    Charge,
    average_price,
    requests_from_block,
    requests_from_orders,
)
from toms.allocation.intraday import (
    AllocationChange,
    IntradayUpdate,
    reallocate,
    starting_allocation,
)
from toms.allocation.ledger import LotUpdate, apply_trade
from toms.allocation.record import AccountAllocation, AllocationRecord, allocate, replay, verify
from toms.allocation.rotation import rotation_offset
from toms.allocation.taxlots import (
    LotTrade,
    RealizedLot,
    Relief,
    lot_from_dict,
    lot_to_dict,
    open_lot,
    relief_order,
    relieve,
)
from toms.allocation.wash_sales import PendingLoss, WashSale

__all__ = [
    "POLICY",
    "AccountAllocation",
    "AllocationChange",
    "AllocationInputs",
    "AllocationMethod",
    "AllocationRecord",
    "AllocationRequest",
    "BlockDraft",
    "BlockTerms",
    "Charge",
    "FairnessReport",
    "FairnessRow",
    "Grouping",
    "IntradayUpdate",
    "JoinRefusal",
    "LotTrade",
    "LotUpdate",
    "OrderGroup",
    "PendingLoss",
    "RealizedLot",
    "RefusalCode",
    "Relief",
    "Term",
    "WashSale",
    "allocate",
    "apply_trade",
    "average_price",
    "can_join",
    "eligibility",
    "fairness_report",
    "group_orders",
    "long_term_from",
    "lot_from_dict",
    "lot_to_dict",
    "open_lot",
    "reallocate",
    "relief_order",
    "relieve",
    "replay",
    "requests_from_block",
    "requests_from_orders",
    "rotation_offset",
    "split_charge",
    "starting_allocation",
    "term_of",
    "verify",
]
