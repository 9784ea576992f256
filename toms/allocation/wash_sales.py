"""Wash sales (IRC §1091): a loss is disallowed when the same security is bought back.

Rule as implemented
-------------------
- A sale of long shares at a loss is a wash sale to the extent that shares of the same
  security are acquired by purchase (BUY) in the same account within 30 days before or
  after the sale date (inclusive: sale − 30 ≤ purchase ≤ sale + 30).
- The disallowed loss is added to the replacement shares' basis (``cost_basis`` and
  ``TaxLot.wash_sale_adjustment``), and the sold shares' holding period is tacked on:
  ``holding_start = replacement trade date − (sale date − sold lot's holding start)`` days,
  the "adjusted acquisition date" brokers report.
- Partial replacement: if fewer shares are bought than were sold at a loss, only that
  fraction of the loss is disallowed: ``loss × replacement qty / loss qty``, rounded
  half-even to the cent on the running remainder so the parts add up to the loss. A
  replacement lot absorbing only part of a loss, or parts of several losses, is split into
  pieces (``<lot>.w<n>``, the unwashed rest keeping the original id), because each piece
  has its own basis and holding period.
- Matching: losses in the order the sale relieved them (earlier sales first for later
  purchases); replacement lots in trade-date order. A share is a replacement only once:
  lots that already carry a wash adjustment or a carried holding period are not used again.
- Shares of a lot the loss sale itself relieved are not replacements for it (the retained
  part of one purchase, Rev. Rul. 56-602).

Direction: lots already held when the loss sale is booked (bought up to 30 days before) are
matched at the sale (``wash_on_sale``); the unmatched rest of the loss is returned as a
``PendingLoss`` that a purchase within the following 30 days absorbs (``wash_on_purchase``),
which emits ``WashSale`` records for the service to amend the earlier realized lot. Trades
of one account and security must therefore be booked in trade-date order.

Not modelled: losses on short covers, options and "substantially identical" securities
other than the same symbol, and purchases in other accounts of the same taxpayer (IRAs,
spouse): pass one account's lots only. Every long lot acquired in the window counts as a
purchase; ``TaxLot`` does not record how a lot was acquired, so a lot that arrived by a
spin-off or transfer inside the window would also be treated as a replacement.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from toms.allocation.taxlots import RealizedLot
from toms.allocation.units import proportion
from toms.domain.ids import AccountId, LotId, Symbol
from toms.domain.reference import TaxLot
from toms.domain.values import ZERO, to_decimal

WINDOW = timedelta(days=30)


@dataclass(frozen=True, slots=True)
class PendingLoss:
    """The part of a realized loss no replacement purchase has absorbed yet.

    ``loss`` is positive (the amount still at risk of disallowance) for ``quantity`` shares;
    ``holding_days`` is how long the sold shares had been held, to tack onto replacements.
    """

    trade_id: str
    lot_id: LotId
    account_id: AccountId
    symbol: Symbol
    sale_date: date
    quantity: Decimal
    loss: Decimal
    holding_days: int

    @property
    def window_end(self) -> date:
        """The last purchase date that still washes this loss."""
        return self.sale_date + WINDOW

    def to_dict(self) -> dict[str, Any]:
        return {
            "trade_id": self.trade_id,
            "lot_id": self.lot_id,
            "account_id": self.account_id,
            "symbol": self.symbol,
            "sale_date": self.sale_date.isoformat(),
            "quantity": str(self.quantity),
            "loss": str(self.loss),
            "holding_days": self.holding_days,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PendingLoss:
        return cls(
            str(data["trade_id"]),
            LotId(data["lot_id"]),
            AccountId(data["account_id"]),
            Symbol(data["symbol"]),
            date.fromisoformat(data["sale_date"]),
            to_decimal(data["quantity"], "quantity"),
            to_decimal(data["loss"], "loss"),
            int(data["holding_days"]),
        )


@dataclass(frozen=True, slots=True)
class WashSale:
    """One match of loss shares with replacement shares: what was disallowed and where it went.

    (``trade_id``, ``loss_lot_id``) identify the realized lot whose loss is disallowed.
    """

    trade_id: str
    loss_lot_id: LotId
    sale_date: date
    replacement_lot_id: LotId
    replacement_trade_date: date
    quantity: Decimal
    disallowed: Decimal
    holding_start: date

    def to_dict(self) -> dict[str, Any]:
        return {
            "trade_id": self.trade_id,
            "loss_lot_id": self.loss_lot_id,
            "sale_date": self.sale_date.isoformat(),
            "replacement_lot_id": self.replacement_lot_id,
            "replacement_trade_date": self.replacement_trade_date.isoformat(),
            "quantity": str(self.quantity),
            "disallowed": str(self.disallowed),
            "holding_start": self.holding_start.isoformat(),
        }


def in_window(sale_date: date, purchase_date: date) -> bool:
    return sale_date - WINDOW <= purchase_date <= sale_date + WINDOW


def _replaceable(lot: TaxLot) -> bool:
    return lot.quantity > ZERO and lot.wash_sale_adjustment == ZERO and lot.holding_start is None


def _piece_id(lot_id: LotId, taken: set[str]) -> LotId:
    n = 1
    while f"{lot_id}.w{n}" in taken:
        n += 1
    piece = LotId(f"{lot_id}.w{n}")
    taken.add(piece)
    return piece


def _absorb(
    losses: Sequence[PendingLoss], replacements: Sequence[TaxLot], taken: set[str]
) -> tuple[dict[LotId, list[TaxLot]], list[WashSale], list[PendingLoss]]:
    """Match loss shares to replacement shares in order; see the module doc."""
    left = [(p.quantity, p.loss) for p in losses]
    current = 0
    pieces_of: dict[LotId, list[TaxLot]] = {}
    washes: list[WashSale] = []
    for lot in replacements:
        if current == len(losses):
            break
        qty_left, basis_left = lot.quantity, lot.cost_basis
        matches: list[tuple[Decimal, Decimal, Decimal, date, PendingLoss]] = []
        while qty_left > ZERO and current < len(losses):
            loss = losses[current]
            loss_qty, loss_amount = left[current]
            qty = min(qty_left, loss_qty)
            disallowed = proportion(loss_amount, qty, loss_qty)
            basis = proportion(basis_left, qty, qty_left)
            start = lot.trade_date - timedelta(days=loss.holding_days)
            matches.append((qty, basis, disallowed, start, loss))
            qty_left -= qty
            basis_left -= basis
            left[current] = (loss_qty - qty, loss_amount - disallowed)
            if loss_qty == qty:
                current += 1
        whole = len(matches) == 1 and qty_left == ZERO
        pieces: list[TaxLot] = []
        for qty, basis, disallowed, start, loss in matches:
            piece_id = lot.lot_id if whole else _piece_id(lot.lot_id, taken)
            pieces.append(
                TaxLot(
                    piece_id,
                    lot.account_id,
                    lot.symbol,
                    lot.trade_date,
                    qty,
                    basis + disallowed,
                    holding_start=start,
                    wash_sale_adjustment=disallowed,
                )
            )
            washes.append(
                WashSale(
                    loss.trade_id,
                    loss.lot_id,
                    loss.sale_date,
                    piece_id,
                    lot.trade_date,
                    qty,
                    disallowed,
                    start,
                )
            )
        if qty_left > ZERO:
            pieces.append(replace(lot, quantity=qty_left, cost_basis=basis_left))
        pieces_of[lot.lot_id] = pieces
    leftover = [
        replace(p, quantity=q, loss=amount)
        for p, (q, amount) in zip(losses, left, strict=True)
        if q > ZERO
    ]
    return pieces_of, washes, leftover


def _substitute(
    lots: Iterable[TaxLot], pieces_of: Mapping[LotId, list[TaxLot]]
) -> tuple[TaxLot, ...]:
    result: list[TaxLot] = []
    for lot in lots:
        pieces = pieces_of.get(lot.lot_id)
        if pieces is None:
            result.append(lot)
        else:
            result.extend(pieces)
    return tuple(result)


def loss_of(realized: RealizedLot) -> PendingLoss:
    """A realized long loss as a loss awaiting replacement shares."""
    return PendingLoss(
        realized.trade_id,
        realized.lot_id,
        realized.account_id,
        realized.symbol,
        realized.disposed,
        realized.quantity,
        -realized.gain,
        (realized.disposed - realized.holding_start).days,
    )


def wash_on_sale(
    lots: Sequence[TaxLot],
    realized: Sequence[RealizedLot],
    relieved_ids: frozenset[LotId],
    sale_date: date,
) -> tuple[
    tuple[TaxLot, ...], tuple[RealizedLot, ...], tuple[WashSale, ...], tuple[PendingLoss, ...]
]:
    """Wash the sale's losses against lots bought in the 30 days before it.

    ``lots`` are the lots left after the sale, ``realized`` what it realized. Returns the
    lots (replacements adjusted), the realized lots (``wash_sale_disallowed`` set), the
    matches, and the loss still pending for purchases in the next 30 days.
    """
    if not realized or realized[0].short:
        return tuple(lots), tuple(realized), (), ()  # covers are not washed (module doc)
    trade = realized[0].trade
    losses = tuple(
        PendingLoss(
            trade.trade_id,
            r.lot_id,
            trade.account_id,
            trade.symbol,
            sale_date,
            r.quantity,
            r.cost_basis - r.proceeds,
            (sale_date - r.holding_start).days,
        )
        for r in realized
        if r.proceeds < r.cost_basis
    )
    if not losses:
        return tuple(lots), tuple(realized), (), ()
    earliest = sale_date - WINDOW
    candidates = [
        i
        for i, lot in enumerate(lots)
        if earliest <= lot.trade_date <= sale_date
        and lot.lot_id not in relieved_ids
        and _replaceable(lot)
    ]
    if not candidates:
        return tuple(lots), tuple(realized), (), losses
    candidates.sort(key=lambda i: lots[i].trade_date)
    taken: set[str] = {lot.lot_id for lot in lots} | set(relieved_ids)
    pieces_of, washes, leftover = _absorb(losses, [lots[i] for i in candidates], taken)
    disallowed: dict[LotId, Decimal] = {}
    for wash in washes:
        disallowed[wash.loss_lot_id] = disallowed.get(wash.loss_lot_id, ZERO) + wash.disallowed
    adjusted = tuple(
        replace(r, wash_sale_disallowed=disallowed[r.lot_id]) if r.lot_id in disallowed else r
        for r in realized
    )
    return _substitute(lots, pieces_of), adjusted, tuple(washes), tuple(leftover)


def wash_on_purchase(
    lot: TaxLot, pending: Sequence[PendingLoss], taken: set[str]
) -> tuple[tuple[TaxLot, ...], tuple[WashSale, ...], tuple[PendingLoss, ...]]:
    """Wash pending losses against a newly bought lot.

    Returns the new lot as pieces (one piece, unchanged, when nothing washes), the matches,
    and the pending losses left: losses of this account and security whose window has
    passed by the purchase date are dropped; other accounts' and securities' are kept.
    ``taken`` holds the lot ids in use (piece ids are added to it).
    """
    kept: list[PendingLoss] = []
    eligible: list[PendingLoss] = []
    for loss in pending:
        mine = loss.account_id == lot.account_id and loss.symbol == lot.symbol
        if not mine or lot.trade_date < loss.sale_date:
            kept.append(loss)
        elif lot.trade_date <= loss.window_end:
            eligible.append(loss)
    if not eligible:
        return (lot,), (), tuple(kept)
    eligible.sort(key=lambda p: p.sale_date)
    pieces_of, washes, leftover = _absorb(eligible, [lot], taken)
    return tuple(pieces_of[lot.lot_id]), tuple(washes), (*kept, *leftover)


def drop_expired(
    pending: Iterable[PendingLoss], account_id: str, symbol: str, on: date
) -> tuple[PendingLoss, ...]:
    """Pending losses of this account and security whose window has not passed by ``on``."""
    return tuple(
        p
        for p in pending
        if not (p.account_id == account_id and p.symbol == symbol and on > p.window_end)
    )
