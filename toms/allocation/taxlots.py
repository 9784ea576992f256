"""Tax lots: opening them on buys and short sales, relieving them on sales and covers.

Pure functions over immutable ``TaxLot`` values: they return new lot tuples and never
change the ones given, and a trade that cannot be applied raises before anything is built.

Conventions
-----------
- A long lot's ``cost_basis`` is quantity × price + the allocated commission.
- A short lot has negative quantity and ``cost_basis = −(quantity × price − commission)``,
  i.e. minus the net short-sale proceeds, so ``unit_cost`` is the positive net short price
  and quantities and bases add up with the same sign.
- A sale's proceeds are quantity × price − the allocated commission; a cover's cost is
  quantity × price + commission. Both are split over the relieved lots pro-rata to quantity,
  each part rounded half-even to the cent on the running remainder, so the parts add up to
  the total exactly.
- Relieving part of a lot takes ``basis × relieved / quantity`` (rounded half-even to the
  cent, or to the basis' own precision if finer) and leaves the rest in the lot, so
  relieved + remaining always equals the original basis. Any wash-sale adjustment in the
  lot is relieved the same way.
- Realized gain = proceeds − cost basis. Long lots are short- or long-term by ``holding``;
  closing a short sale is always short-term (IRC §1233: the position closed was acquired
  when covered; the §1233(b)/(d) exceptions for substantially identical property held long
  are not modelled).

Relief order (``relief_order``)
-------------------------------
- FIFO: oldest trade date first; LIFO: newest first. Lots with the same trade date keep the
  order they were given in (FIFO) or the reverse (LIFO): pass lots in booking order.
- HIFO: highest unit cost first (for short lots: the lowest short price first, which is the
  same "smallest gain first" intent). Ties: FIFO.
- MIN_TAX: losses first, largest loss per share first (short-term before long-term on
  equal loss); then lots at no gain; then long-term gains, smallest per share first; then
  short-term gains, smallest per share first. Ties: FIFO. The gain per share is measured
  against this trade's net price (price ∓ commission per share).
- SPECIFIC: the lots the order names, in the order named. A trade that names lots uses them
  whatever the account's method is (the investor's specific identification wins); an
  account on SPECIFIC with a trade that names none is an error.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from operator import attrgetter
from typing import Any

from toms.allocation.holding import Term, last_long_term_start
from toms.allocation.record import AccountAllocation
from toms.allocation.units import proportion, proportion_in, quantum_of
from toms.domain.errors import InsufficientPosition, InvalidOrder, InvalidValue
from toms.domain.ids import AccountId, LotId, Symbol
from toms.domain.reference import TaxLot
from toms.domain.values import ZERO, Side, TaxLotMethod, to_decimal


@dataclass(frozen=True, slots=True)
class LotTrade:
    """One account's share of a trade, as the tax-lot ledger books it.

    ``commission`` is the account's allocated charges. ``lot_id`` names the lot a BUY or
    SELL_SHORT opens; ``specific_lots`` the lots a SELL or BUY_TO_COVER must relieve.
    ``trade_id`` is the caller's reference (e.g. block and order id), carried into the
    realized lots and wash-sale records so they can be traced back.
    """

    account_id: AccountId
    symbol: Symbol
    side: Side
    trade_date: date
    quantity: Decimal
    price: Decimal
    commission: Decimal = ZERO
    lot_id: LotId | None = None
    specific_lots: tuple[LotId, ...] = ()
    trade_id: str = ""

    def __post_init__(self) -> None:
        if self.quantity <= ZERO:
            raise InvalidValue(f"trade {self.trade_id}: quantity must be positive")
        if self.price < ZERO or self.commission < ZERO:
            raise InvalidValue(f"trade {self.trade_id}: price and commission must not be negative")
        if self.side in (Side.BUY, Side.SELL_SHORT) and not self.lot_id:
            raise InvalidValue(
                f"trade {self.trade_id}: a {self.side.value} opens a lot: give lot_id"
            )

    @classmethod
    def from_allocation(
        cls,
        allocation: AccountAllocation,
        symbol: Symbol,
        side: Side,
        trade_date: date,
        *,
        lot_id: LotId | None = None,
        specific_lots: tuple[LotId, ...] = (),
        trade_id: str = "",
    ) -> LotTrade:
        """The booking of one account's allocation: its quantity, the block price, its charges."""
        return cls(
            allocation.account_id,
            symbol,
            side,
            trade_date,
            allocation.quantity,
            allocation.price,
            allocation.total_charges,
            lot_id,
            specific_lots,
            trade_id or allocation.order_id,
        )

    @property
    def net_amount(self) -> Decimal:
        """Net proceeds of a sale or short sale; total cost of a buy or cover."""
        gross = self.quantity * self.price
        return gross + self.commission if self.side.is_buy else gross - self.commission


@dataclass(frozen=True, slots=True)
class RealizedLot:
    """The gain or loss on the part of one lot a trade relieved.

    For a long lot: proceeds are this part's share of the sale's net proceeds and
    ``cost_basis`` the lot basis relieved. For a short lot: proceeds are the short sale's
    net proceeds relieved and ``cost_basis`` this part's share of the cost to cover.
    ``wash_sale_disallowed`` is the loss disallowed by replacement shares already held when
    the sale was booked; later purchases disallow more through ``WashSale`` records.
    The trade's own facts (id, account, security, date, side) are read from ``trade``.
    """

    trade: LotTrade
    lot_id: LotId
    quantity: Decimal
    acquired: date
    holding_start: date
    proceeds: Decimal
    cost_basis: Decimal
    term: Term
    wash_sale_disallowed: Decimal = ZERO

    @property
    def trade_id(self) -> str:
        return self.trade.trade_id

    @property
    def account_id(self) -> AccountId:
        return self.trade.account_id

    @property
    def symbol(self) -> Symbol:
        return self.trade.symbol

    @property
    def disposed(self) -> date:
        return self.trade.trade_date

    @property
    def short(self) -> bool:
        """True when this closed a short lot (the trade was a BUY_TO_COVER)."""
        return self.trade.side is Side.BUY_TO_COVER

    @property
    def gain(self) -> Decimal:
        """Economic gain (negative: loss)."""
        return self.proceeds - self.cost_basis

    @property
    def reportable_gain(self) -> Decimal:
        """Gain after the disallowed wash-sale loss is added back (Form 8949 code W)."""
        return self.gain + self.wash_sale_disallowed

    def to_dict(self) -> dict[str, Any]:
        return {
            "trade_id": self.trade_id,
            "lot_id": self.lot_id,
            "account_id": self.account_id,
            "symbol": self.symbol,
            "quantity": str(self.quantity),
            "acquired": self.acquired.isoformat(),
            "holding_start": self.holding_start.isoformat(),
            "disposed": self.disposed.isoformat(),
            "proceeds": str(self.proceeds),
            "cost_basis": str(self.cost_basis),
            "gain": str(self.gain),
            "term": self.term.value,
            "short": self.short,
            "wash_sale_disallowed": str(self.wash_sale_disallowed),
        }


@dataclass(frozen=True, slots=True)
class Relief:
    """What relieving lots left: the lots (original order), the realized parts, who was hit."""

    lots: tuple[TaxLot, ...]
    realized: tuple[RealizedLot, ...]
    relieved_ids: frozenset[LotId]


def open_lot(trade: LotTrade) -> TaxLot:
    """The lot a BUY (long) or SELL_SHORT (short, negative) opens."""
    if trade.lot_id is None or trade.side not in (Side.BUY, Side.SELL_SHORT):
        raise InvalidValue(f"trade {trade.trade_id}: only a buy or short sale opens a lot")
    sign = 1 if trade.side is Side.BUY else -1
    return TaxLot(
        trade.lot_id,
        trade.account_id,
        trade.symbol,
        trade.trade_date,
        trade.quantity * sign,
        trade.net_amount * sign,
    )


_BY_DATE = attrgetter("trade_date")


def relief_order(lots: Sequence[TaxLot], trade: LotTrade, method: TaxLotMethod) -> list[TaxLot]:
    """``lots`` in the order ``trade`` relieves them (lots of the other side are left in
    place for the caller to skip: a SELL never relieves a short lot, nor a cover a long one).
    """
    if trade.specific_lots:
        return _specific(lots, trade)
    if method is TaxLotMethod.FIFO:
        return sorted(lots, key=_BY_DATE)  # stable: same-day lots keep their order
    if method is TaxLotMethod.LIFO:
        # Same-day lots go later-first: reverse the booking order, then a stable sort.
        later_first = list(lots)
        later_first.reverse()
        return sorted(later_first, key=_BY_DATE, reverse=True)
    if method is TaxLotMethod.HIFO:
        # Stable sorts: FIFO first, then by unit cost, so equal costs stay oldest first.
        # (``reverse=True`` keeps equal keys in their original order.)
        fifo = sorted(lots, key=_BY_DATE)
        costs = [lot.cost_basis / lot.quantity for lot in fifo]
        covering = trade.side is Side.BUY_TO_COVER  # covers: lowest short price first
        order = sorted(range(len(fifo)), key=costs.__getitem__, reverse=not covering)
        return [fifo[i] for i in order]
    if method is TaxLotMethod.MIN_TAX:
        return _min_tax_order(lots, trade)
    raise InvalidOrder(
        f"trade {trade.trade_id}: the account relieves specific lots but the order names none"
    )


def _min_tax_order(lots: Sequence[TaxLot], trade: LotTrade) -> list[TaxLot]:
    """MIN_TAX order; see the module doc.

    The gain per share is ``net price − unit cost`` (for a short lot, ``unit cost − net
    cover price``), so "smallest gain first" is "highest unit cost first" (short lots:
    lowest), i.e. HIFO inside each bucket: losses (short-term before long-term on an equal
    loss), no gain, long-term gains, short-term gains. Each bucket starts in FIFO order and
    is sorted stably, so equal gains go oldest first.
    """
    net_unit = trade.net_amount / trade.quantity
    covering = trade.side is Side.BUY_TO_COVER
    cutoff = last_long_term_start(trade.trade_date)
    losses: list[tuple[Decimal, bool, TaxLot]] = []
    even: list[TaxLot] = []
    long_gains: list[tuple[Decimal, TaxLot]] = []
    short_gains: list[tuple[Decimal, TaxLot]] = []
    for lot in sorted(lots, key=_BY_DATE):
        unit = lot.cost_basis / lot.quantity
        gain = unit - net_unit if covering else net_unit - unit
        if gain < ZERO:
            long_term = not covering and (lot.holding_start or lot.trade_date) <= cutoff
            losses.append((gain, long_term, lot))
        elif gain == ZERO:
            even.append(lot)
        elif not covering and (lot.holding_start or lot.trade_date) <= cutoff:
            long_gains.append((gain, lot))
        else:
            short_gains.append((gain, lot))
    losses.sort(key=_gain_and_term)
    long_gains.sort(key=_first)
    short_gains.sort(key=_first)
    return [
        *(lot for _, _, lot in losses),
        *even,
        *(lot for _, lot in long_gains),
        *(lot for _, lot in short_gains),
    ]


def _gain_and_term(item: tuple[Decimal, bool, TaxLot]) -> tuple[Decimal, bool]:
    return item[0], item[1]


def _first(item: tuple[Decimal, TaxLot]) -> Decimal:
    return item[0]


def _specific(lots: Sequence[TaxLot], trade: LotTrade) -> list[TaxLot]:
    by_id = {lot.lot_id: lot for lot in lots}
    if len(set(trade.specific_lots)) != len(trade.specific_lots):
        raise InvalidOrder(f"trade {trade.trade_id}: a specific lot is named twice")
    missing = [lot_id for lot_id in trade.specific_lots if lot_id not in by_id]
    if missing:
        raise InvalidOrder(
            f"trade {trade.trade_id}: {trade.account_id} holds no {trade.symbol} lot "
            f"{', '.join(missing)} to {trade.side.value}"
        )
    return [by_id[lot_id] for lot_id in trade.specific_lots]


def relieve(lots: Sequence[TaxLot], trade: LotTrade, method: TaxLotMethod) -> Relief:
    """Relieve ``trade.quantity`` from the long lots (SELL) or short lots (BUY_TO_COVER).

    Raises ``InsufficientPosition`` if the lots the trade may relieve hold less than it
    asks for; nothing is changed then (nothing ever is: the result is new values).
    """
    if trade.side is Side.SELL:
        closing_short = False
    elif trade.side is Side.BUY_TO_COVER:
        closing_short = True
    else:
        raise InvalidValue(f"trade {trade.trade_id}: a {trade.side.value} relieves no lots")

    replaced: dict[LotId, TaxLot | None] = {}
    realized: list[RealizedLot] = []
    to_relieve = trade.quantity
    amount_left = trade.net_amount  # proceeds of a sale, cost of a cover
    quantum = quantum_of(amount_left)
    sold = trade.trade_date
    cutoff = last_long_term_start(sold)
    for lot in relief_order(lots, trade, method):
        if (lot.quantity < ZERO) is not closing_short:
            continue  # the other side's lots are never relieved
        size = -lot.quantity if closing_short else lot.quantity
        take = to_relieve if to_relieve < size else size
        amount = proportion_in(amount_left, take, to_relieve, quantum)
        amount_left -= amount
        to_relieve -= take
        if take == size:
            basis = lot.cost_basis
            replaced[lot.lot_id] = None
        else:
            basis = proportion(lot.cost_basis, take, size)
            adjustment = lot.wash_sale_adjustment
            if adjustment:
                adjustment -= proportion(adjustment, take, size)
            replaced[lot.lot_id] = TaxLot(
                lot.lot_id,
                lot.account_id,
                lot.symbol,
                lot.trade_date,
                lot.quantity + take if closing_short else lot.quantity - take,
                lot.cost_basis - basis,
                lot.holding_start,
                adjustment,
            )
        start = lot.holding_start or lot.trade_date
        if closing_short:
            term, proceeds, cost = Term.SHORT, -basis, amount
        else:
            term = Term.LONG if start <= cutoff else Term.SHORT
            proceeds, cost = amount, basis
        realized.append(
            RealizedLot(trade, lot.lot_id, take, lot.trade_date, start, proceeds, cost, term)
        )
        if not to_relieve:
            break
    if to_relieve:
        what = "short" if closing_short else "long"
        if trade.specific_lots:
            held = trade.quantity - to_relieve
        else:
            held = sum(
                (
                    -lot.quantity if closing_short else lot.quantity
                    for lot in lots
                    if (lot.quantity < ZERO) is closing_short
                ),
                ZERO,
            )
        raise InsufficientPosition(
            f"trade {trade.trade_id}: {trade.side.value} {trade.quantity} {trade.symbol} but "
            f"{trade.account_id} holds {held} {what}"
            + (" in the named lots" if trade.specific_lots else "")
        )

    remaining: list[TaxLot] = []
    for lot in lots:
        if lot.lot_id in replaced:
            new = replaced[lot.lot_id]
            if new is not None:
                remaining.append(new)
        else:
            remaining.append(lot)
    return Relief(tuple(remaining), tuple(realized), frozenset(replaced))


def lot_to_dict(lot: TaxLot) -> dict[str, Any]:
    return {
        "lot_id": lot.lot_id,
        "account_id": lot.account_id,
        "symbol": lot.symbol,
        "trade_date": lot.trade_date.isoformat(),
        "quantity": str(lot.quantity),
        "cost_basis": str(lot.cost_basis),
        "holding_start": None if lot.holding_start is None else lot.holding_start.isoformat(),
        "wash_sale_adjustment": str(lot.wash_sale_adjustment),
    }


def lot_from_dict(data: Mapping[str, Any]) -> TaxLot:
    start = data.get("holding_start")
    return TaxLot(
        LotId(data["lot_id"]),
        AccountId(data["account_id"]),
        Symbol(data["symbol"]),
        date.fromisoformat(data["trade_date"]),
        to_decimal(data["quantity"], "quantity"),
        to_decimal(data["cost_basis"], "cost_basis"),
        None if start is None else date.fromisoformat(start),
        to_decimal(data.get("wash_sale_adjustment", "0"), "wash_sale_adjustment"),
    )
