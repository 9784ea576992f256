"""Properties of lot relief and wash sales (hypothesis):

- lots never go negative (long lots stay positive, short lots negative, none is zero);
- quantity is conserved: held − sold = remaining; realized quantities add up to the trade;
- proceeds accounting: Σ proceeds = the trade's net proceeds, and
  Σ (proceeds − gain) + remaining basis = original basis + wash-sale adjustments added,
  i.e. every cent of basis is either realized or still in a lot;
- selling or covering more than held raises InsufficientPosition and changes nothing;
- a chain of buys and sells keeps the same accounting across wash sales.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.unit.allocation.helpers import ACCOUNT, IBM
from toms.allocation import LotTrade, Term, apply_trade, relief_order, term_of
from toms.domain.errors import InsufficientPosition
from toms.domain.ids import LotId
from toms.domain.reference import TaxLot
from toms.domain.values import ZERO, Side, TaxLotMethod

START = date(2024, 1, 1)
METHODS = st.sampled_from(
    [TaxLotMethod.FIFO, TaxLotMethod.LIFO, TaxLotMethod.HIFO, TaxLotMethod.MIN_TAX]
)
MONEY = st.decimals(min_value=Decimal(0), max_value=Decimal("50"), places=2)
PRICE = st.decimals(min_value=Decimal(0), max_value=Decimal("200"), places=4)


@st.composite
def books(draw: st.DrawFn, short: bool = False) -> tuple[TaxLot, ...]:
    count = draw(st.integers(min_value=1, max_value=10))
    lots = []
    for i in range(count):
        qty = Decimal(draw(st.integers(min_value=1, max_value=500)))
        unit = draw(st.decimals(min_value=Decimal(0), max_value=Decimal("150"), places=3))
        basis = (qty * unit).quantize(Decimal("0.01"))
        day = START + timedelta(days=draw(st.integers(min_value=0, max_value=800)))
        sign = -1 if short else 1
        lots.append(TaxLot(LotId(f"L{i}"), ACCOUNT, IBM, day, qty * sign, basis * sign))
    return tuple(lots)


def held(lots: tuple[TaxLot, ...], short: bool) -> Decimal:
    return sum((abs(lot.quantity) for lot in lots if lot.is_short is short), ZERO)


def check_lots(lots: tuple[TaxLot, ...]) -> None:
    for lot in lots:
        assert lot.quantity != ZERO
        if not lot.is_short:
            assert lot.cost_basis >= ZERO
    assert len({lot.lot_id for lot in lots}) == len(lots)


@settings(max_examples=200, deadline=None)
@given(books(), METHODS, st.data(), PRICE, MONEY)
def test_sale_accounting(lots, method, data, price, commission) -> None:
    total = held(lots, short=False)
    qty = Decimal(data.draw(st.integers(min_value=1, max_value=int(total))))
    on = START + timedelta(days=data.draw(st.integers(min_value=800, max_value=1200)))
    trade = LotTrade(ACCOUNT, IBM, Side.SELL, on, qty, price, commission)
    update = apply_trade(lots, trade, method)
    check_lots(update.lots)
    assert held(update.lots, short=False) == total - qty
    assert sum((r.quantity for r in update.realized), ZERO) == qty
    assert sum((r.proceeds for r in update.realized), ZERO) == qty * price - commission
    for r in update.realized:
        assert r.gain == r.proceeds - r.cost_basis
    relieved = sum((r.proceeds - r.gain for r in update.realized), ZERO)
    washed = sum((w.disallowed for w in update.wash_sales), ZERO)
    before = sum((lot.cost_basis for lot in lots), ZERO)
    after = sum((lot.cost_basis for lot in update.lots), ZERO)
    assert relieved + after == before + washed
    assert washed == sum((r.wash_sale_disallowed for r in update.realized), ZERO)


@settings(max_examples=100, deadline=None)
@given(books(short=True), METHODS, st.data(), PRICE, MONEY)
def test_cover_accounting(lots, method, data, price, commission) -> None:
    total = held(lots, short=True)
    qty = Decimal(data.draw(st.integers(min_value=1, max_value=int(total))))
    on = START + timedelta(days=900)
    update = apply_trade(
        lots, LotTrade(ACCOUNT, IBM, Side.BUY_TO_COVER, on, qty, price, commission), method
    )
    check_lots(update.lots)
    assert all(lot.is_short for lot in update.lots)
    assert held(update.lots, short=True) == total - qty
    assert sum((r.cost_basis for r in update.realized), ZERO) == qty * price + commission
    # Short basis is minus the proceeds: relieved proceeds + what the lots still hold = before.
    relieved = sum((r.proceeds for r in update.realized), ZERO)
    assert -relieved + sum((lot.cost_basis for lot in update.lots), ZERO) == sum(
        (lot.cost_basis for lot in lots), ZERO
    )


@settings(max_examples=100, deadline=None)
@given(books(), METHODS, st.integers(min_value=1, max_value=100))
def test_overselling_changes_nothing(lots, method, extra) -> None:
    snapshot = tuple(lots)
    qty = held(lots, short=False) + extra
    with pytest.raises(InsufficientPosition):
        apply_trade(
            lots, LotTrade(ACCOUNT, IBM, Side.SELL, date(2027, 1, 1), qty, Decimal(1)), method
        )
    assert lots == snapshot


@settings(max_examples=100, deadline=None)
@given(
    METHODS,
    st.lists(
        st.tuples(
            st.booleans(),
            st.integers(min_value=1, max_value=300),
            st.decimals(min_value=Decimal(1), max_value=Decimal(100), places=2),
            st.integers(min_value=0, max_value=20),
        ),
        min_size=1,
        max_size=25,
    ),
)
def test_trade_sequences_keep_every_cent(method, steps) -> None:
    """Buys add cost, sells realize it; wash sales move it from a loss to a lot."""
    lots: tuple[TaxLot, ...] = ()
    pending: tuple = ()  # type: ignore[type-arg]
    day = START
    cost_in = ZERO  # every buy's cost
    realized_basis = ZERO
    washed = ZERO
    for n, (buy, qty, price, gap) in enumerate(steps):
        day += timedelta(days=gap)
        quantity = Decimal(qty)
        if buy:
            trade = LotTrade(
                ACCOUNT, IBM, Side.BUY, day, quantity, price, Decimal("1.00"), LotId(f"N{n}")
            )
            cost_in += trade.net_amount
        else:
            quantity = min(quantity, held(lots, short=False))
            if quantity == ZERO:
                continue
            trade = LotTrade(ACCOUNT, IBM, Side.SELL, day, quantity, price, Decimal("1.00"))
        update = apply_trade(lots, trade, method, pending)
        check_lots(update.lots)
        realized_basis += sum((r.cost_basis for r in update.realized), ZERO)
        washed += sum((w.disallowed for w in update.wash_sales), ZERO)
        for p in update.pending_losses:
            assert p.quantity > ZERO
            assert p.loss > ZERO
            assert day <= p.window_end
        lots, pending = update.lots, update.pending_losses
    remaining = sum((lot.cost_basis for lot in lots), ZERO)
    assert realized_basis + remaining == cost_in + washed
    assert sum((lot.wash_sale_adjustment for lot in lots), ZERO) <= washed


def min_tax_reference(lots: tuple[TaxLot, ...], trade: LotTrade) -> list[str]:
    """The MIN_TAX rule written literally as one sort key per lot (the spec, not the code)."""
    net = trade.net_amount / trade.quantity
    keys = []
    for index, lot in enumerate(lots):
        gain = net - lot.cost_basis / lot.quantity
        long_term = term_of(lot.holding_period_start, trade.trade_date) is Term.LONG
        if gain < ZERO:
            category, term_rank = 0, (1 if long_term else 0)  # short-term loss first
        elif gain == ZERO:
            category, term_rank = 1, 0
        else:
            category, term_rank = (2 if long_term else 3), 0
        keys.append(((category, gain, term_rank, lot.trade_date, index), lot.lot_id))
    return [lot_id for _, lot_id in sorted(keys)]


@settings(max_examples=200, deadline=None)
@given(books(), PRICE, MONEY, st.integers(min_value=0, max_value=900))
def test_min_tax_order_matches_the_rule(lots, price, commission, days) -> None:
    on = START + timedelta(days=400 + days)
    trade = LotTrade(ACCOUNT, IBM, Side.SELL, on, Decimal(1), price, commission)
    order = [lot.lot_id for lot in relief_order(lots, trade, TaxLotMethod.MIN_TAX)]
    assert order == min_tax_reference(lots, trade)


@settings(max_examples=100, deadline=None)
@given(books(), books(short=True))
def test_hifo_order_matches_the_rule(longs, shorts) -> None:
    sale = LotTrade(ACCOUNT, IBM, Side.SELL, date(2027, 1, 1), Decimal(1), Decimal(1))
    expected = sorted(
        range(len(longs)), key=lambda i: (-longs[i].unit_cost, longs[i].trade_date, i)
    )
    got = relief_order(longs, sale, TaxLotMethod.HIFO)
    assert [lot.lot_id for lot in got] == [longs[i].lot_id for i in expected]
    cover = LotTrade(ACCOUNT, IBM, Side.BUY_TO_COVER, date(2027, 1, 1), Decimal(1), Decimal(1))
    expected = sorted(
        range(len(shorts)), key=lambda i: (shorts[i].unit_cost, shorts[i].trade_date, i)
    )
    got = relief_order(shorts, cover, TaxLotMethod.HIFO)
    assert [lot.lot_id for lot in got] == [shorts[i].lot_id for i in expected]
