"""Booking one account's trade against its tax lots: the entry point for the service layer.

``apply_trade`` composes opening (``taxlots.open_lot``), relief (``taxlots.relieve``) and
wash sales (``wash_sales``) by side:

- BUY opens a long lot, which absorbs pending wash-sale losses. A plain BUY while the
  account is short the security is refused: closing a short is a BUY_TO_COVER.
- SELL relieves long lots by the account's method (or the lots the trade names); selling
  more than the long lots hold is ``InsufficientPosition``. Losses wash against lots bought
  in the previous 30 days; the rest becomes pending.
- SELL_SHORT opens a short lot (negative quantity), even with long lots held (a deliberate
  short against the box); long lots are untouched.
- BUY_TO_COVER relieves short lots; covering more than is short is ``InsufficientPosition``.

Pure: the lots and pending losses given are never changed; a refused trade raises before
anything is built. Pass the lots of one account and security in booking order (lot ids
unique), and book trades in trade-date order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from toms.allocation.taxlots import LotTrade, RealizedLot, lot_to_dict, open_lot, relieve
from toms.allocation.wash_sales import (
    PendingLoss,
    WashSale,
    drop_expired,
    wash_on_purchase,
    wash_on_sale,
)
from toms.domain.errors import InvalidOrder, InvalidValue
from toms.domain.reference import TaxLot
from toms.domain.values import Side, TaxLotMethod


@dataclass(frozen=True, slots=True)
class LotUpdate:
    """The account's lots in the security after the trade, and what the trade produced.

    ``opened`` are the lots the trade created (a bought lot may come as several pieces when
    it washes several losses). ``pending_losses`` replaces the list passed in.
    """

    lots: tuple[TaxLot, ...]
    realized: tuple[RealizedLot, ...]
    opened: tuple[TaxLot, ...]
    wash_sales: tuple[WashSale, ...]
    pending_losses: tuple[PendingLoss, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "lots": [lot_to_dict(lot) for lot in self.lots],
            "realized": [r.to_dict() for r in self.realized],
            "opened": [lot_to_dict(lot) for lot in self.opened],
            "wash_sales": [w.to_dict() for w in self.wash_sales],
            "pending_losses": [p.to_dict() for p in self.pending_losses],
        }


def _check_lots(lots: Sequence[TaxLot], trade: LotTrade) -> None:
    account, symbol = trade.account_id, trade.symbol
    for lot in lots:
        if lot.account_id != account or lot.symbol != symbol:
            raise InvalidValue(
                f"lot {lot.lot_id} is {lot.account_id} {lot.symbol}; the trade is "
                f"{account} {symbol}"
            )


def apply_trade(
    lots: Sequence[TaxLot],
    trade: LotTrade,
    method: TaxLotMethod,
    pending_losses: Sequence[PendingLoss] = (),
) -> LotUpdate:
    """Book ``trade`` against ``lots`` (one account, one security); see the module doc."""
    _check_lots(lots, trade)
    pending = drop_expired(pending_losses, trade.account_id, trade.symbol, trade.trade_date)

    if trade.side is Side.BUY:
        if any(lot.is_short for lot in lots):
            raise InvalidOrder(
                f"trade {trade.trade_id}: {trade.account_id} is short {trade.symbol}; "
                "a buy that closes a short is a buy_to_cover"
            )
        lot = open_lot(trade)
        taken: set[str] = {existing.lot_id for existing in lots}
        if lot.lot_id in taken:
            raise InvalidValue(f"trade {trade.trade_id}: lot {lot.lot_id} already exists")
        pieces, washes, pending = wash_on_purchase(lot, pending, taken)
        return LotUpdate((*lots, *pieces), (), pieces, washes, pending)

    if trade.side is Side.SELL_SHORT:
        lot = open_lot(trade)
        if any(existing.lot_id == lot.lot_id for existing in lots):
            raise InvalidValue(f"trade {trade.trade_id}: lot {lot.lot_id} already exists")
        return LotUpdate((*lots, lot), (), (lot,), (), pending)

    relief = relieve(lots, trade, method)
    if trade.side is Side.BUY_TO_COVER:
        return LotUpdate(relief.lots, relief.realized, (), (), pending)
    remaining, realized, washes, new_pending = wash_on_sale(
        relief.lots, relief.realized, relief.relieved_ids, trade.trade_date
    )
    return LotUpdate(remaining, realized, (), washes, (*pending, *new_pending))
