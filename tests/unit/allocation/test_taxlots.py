"""Hand-computed lot relief for every method, partial lots, zero-cost lots and shorts.

The book used by most tests (account A1, IBM):
  L1 2024-01-10  100 sh  basis 5,000.00  (50.00/sh)
  L2 2025-06-01  100 sh  basis 7,000.00  (70.00/sh)
  L3 2025-09-15  100 sh  basis 6,000.00  (60.00/sh)
  L4 2025-12-01  100 sh  basis 4,000.00  (40.00/sh)
Sale: 150 sh on 2026-03-02 at 65.00, commission 15.00:
  net proceeds 150 × 65 − 15 = 9,735.00 (64.90/sh); a 100-sh part gets
  9,735 × 100/150 = 6,490.00 and the last 50-sh part the rest, 3,245.00.
On 2026-03-02 only L1 is long-term (L2 becomes long-term on 2026-06-02).
No lot was bought in the 30 days before the sale, so no wash sale at the sale.
"""

from __future__ import annotations

from datetime import date

import pytest

from tests.unit.allocation.helpers import ACCOUNT, D, lot, trade
from toms.allocation import LotTrade, Term, apply_trade, open_lot, relieve
from toms.domain.errors import InsufficientPosition, InvalidOrder, InvalidValue
from toms.domain.ids import AccountId
from toms.domain.values import Side, TaxLotMethod

BOOK = (
    lot("L1", date(2024, 1, 10), 100, "5000.00"),
    lot("L2", date(2025, 6, 1), 100, "7000.00"),
    lot("L3", date(2025, 9, 15), 100, "6000.00"),
    lot("L4", date(2025, 12, 1), 100, "4000.00"),
)
SALE = trade(Side.SELL, date(2026, 3, 2), 150, "65.00", commission="15.00")


def realized(update):
    return [(r.lot_id, str(r.quantity), str(r.gain), r.term) for r in update.realized]


def remaining(update):
    return [(lot.lot_id, str(lot.quantity), str(lot.cost_basis)) for lot in update.lots]


def test_fifo():
    # L1 100: 6,490 − 5,000 = 1,490 LT; L2 50: 3,245 − 7,000 × 50/100 = 3,245 − 3,500 = −255 ST.
    update = apply_trade(BOOK, SALE, TaxLotMethod.FIFO)
    assert realized(update) == [
        ("L1", "100", "1490.00", Term.LONG),
        ("L2", "50", "-255.00", Term.SHORT),
    ]
    assert remaining(update) == [
        ("L2", "50", "3500.00"),
        ("L3", "100", "6000.00"),
        ("L4", "100", "4000.00"),
    ]


def test_lifo():
    # L4 100: 6,490 − 4,000 = 2,490 ST; L3 50: 3,245 − 3,000 = 245 ST.
    update = apply_trade(BOOK, SALE, TaxLotMethod.LIFO)
    assert realized(update) == [
        ("L4", "100", "2490.00", Term.SHORT),
        ("L3", "50", "245.00", Term.SHORT),
    ]


def test_hifo():
    # Highest unit cost first: L2 (70) 100: 6,490 − 7,000 = −510 ST; L3 (60) 50: 245 ST.
    update = apply_trade(BOOK, SALE, TaxLotMethod.HIFO)
    assert realized(update) == [
        ("L2", "100", "-510.00", Term.SHORT),
        ("L3", "50", "245.00", Term.SHORT),
    ]


def test_min_tax():
    # Gain per share vs 64.90 net: L1 +14.90 LT, L2 −5.10 ST, L3 +4.90 ST, L4 +24.90 ST.
    # Losses first (L2), then long-term gains (L1), then short-term gains (L3, L4):
    # L2 100: −510 ST; L1 50: 3,245 − 2,500 = 745 LT (preferred to L3's smaller ST gain).
    update = apply_trade(BOOK, SALE, TaxLotMethod.MIN_TAX)
    assert realized(update) == [
        ("L2", "100", "-510.00", Term.SHORT),
        ("L1", "50", "745.00", Term.LONG),
    ]


def test_min_tax_largest_loss_per_share_first():
    # Sell 100 at 60.00 on 2026-03-02: L5 (80.00, long-term) loses 20.00/sh, L2 (70.00,
    # short-term) 10.00/sh → L5 first even though its loss is long-term.
    book = (*BOOK, lot("L5", date(2024, 5, 1), 50, "4000.00"))
    update = apply_trade(
        book, trade(Side.SELL, date(2026, 3, 2), 100, "60.00"), TaxLotMethod.MIN_TAX
    )
    # L5 50: 3,000 − 4,000 = −1,000 LT; L2 50: 3,000 − 3,500 = −500 ST.
    assert realized(update) == [
        ("L5", "50", "-1000.00", Term.LONG),
        ("L2", "50", "-500.00", Term.SHORT),
    ]


def test_specific_lots_in_the_order_named():
    # L3 100: 6,490 − 6,000 = 490 ST; L1 50: 3,245 − 2,500 = 745 LT.
    sale = trade(
        Side.SELL, date(2026, 3, 2), 150, "65.00", commission="15.00", specific=("L3", "L1")
    )
    update = apply_trade(BOOK, sale, TaxLotMethod.FIFO)  # naming lots beats the account method
    assert realized(update) == [
        ("L3", "100", "490.00", Term.SHORT),
        ("L1", "50", "745.00", Term.LONG),
    ]


def test_specific_method_needs_named_lots_that_exist_and_suffice():
    with pytest.raises(InvalidOrder, match="names none"):
        apply_trade(BOOK, SALE, TaxLotMethod.SPECIFIC)
    with pytest.raises(InvalidOrder, match="L9"):
        apply_trade(
            BOOK, trade(Side.SELL, date(2026, 3, 2), 10, 1, specific=("L9",)), TaxLotMethod.SPECIFIC
        )
    with pytest.raises(InsufficientPosition, match="named lots"):
        apply_trade(
            BOOK,
            trade(Side.SELL, date(2026, 3, 2), 150, 1, specific=("L1",)),
            TaxLotMethod.SPECIFIC,
        )


def test_one_year_boundary_on_a_sale():
    book = (lot("Y1", date(2025, 3, 15), 10, "100.00"),)
    on_anniversary = apply_trade(
        book, trade(Side.SELL, date(2026, 3, 15), 10, 20), TaxLotMethod.FIFO
    )
    day_after = apply_trade(book, trade(Side.SELL, date(2026, 3, 16), 10, 20), TaxLotMethod.FIFO)
    assert on_anniversary.realized[0].term is Term.SHORT
    assert day_after.realized[0].term is Term.LONG
    assert day_after.realized[0].gain == D("100.00")  # 10 × 20 − 100


def test_partial_lot_splits_basis_pro_rata():
    # 300 sh with basis 1,000.00; sell 100 at 5.00, commission 1.00 → proceeds 499.00.
    # Relieved basis 1,000 × 100/300 = 333.333… → 333.33 (half-even to the cent);
    # the lot keeps 200 sh and 1,000 − 333.33 = 666.67. Gain 499 − 333.33 = 165.67.
    book = (lot("P1", date(2025, 1, 2), 300, "1000.00"),)
    update = apply_trade(
        book, trade(Side.SELL, date(2025, 6, 2), 100, 5, commission="1.00"), TaxLotMethod.FIFO
    )
    assert realized(update) == [("P1", "100", "165.67", Term.SHORT)]
    assert str(update.realized[0].cost_basis) == "333.33"
    assert remaining(update) == [("P1", "200", "666.67")]


def test_zero_cost_lot_from_a_spin_off():
    # Spin-off shares carry basis 0.  Sell 20 of 50 at 12.50 on 2026-02-01 (held since
    # 2025-01-02: long-term from 2026-01-03): proceeds 250.00, basis 0, gain 250.00 LT;
    # 30 sh remain at basis 0.  HIFO relieves it last (unit cost 0).
    spun = lot("Z1", date(2025, 1, 2), 50, 0)
    update = apply_trade(
        (spun,), trade(Side.SELL, date(2026, 2, 1), 20, "12.50"), TaxLotMethod.FIFO
    )
    assert realized(update) == [("Z1", "20", "250.00", Term.LONG)]
    assert remaining(update) == [("Z1", "30", "0.00")]
    hifo = apply_trade(
        (spun, BOOK[3]), trade(Side.SELL, date(2026, 3, 2), 110, 50), TaxLotMethod.HIFO
    )
    assert [r.lot_id for r in hifo.realized] == ["L4", "Z1"]


def test_selling_more_than_held_changes_nothing():
    with pytest.raises(InsufficientPosition, match="holds 400 long"):
        apply_trade(BOOK, trade(Side.SELL, date(2026, 3, 2), 401, 50), TaxLotMethod.FIFO)
    assert [lot.quantity for lot in BOOK] == [D(100)] * 4  # the input is untouched


def test_buy_opens_a_lot_with_commission_in_basis():
    update = apply_trade(
        BOOK,
        trade(Side.BUY, date(2026, 3, 2), 100, "61.25", commission="7.50", lot_id="L6"),
        TaxLotMethod.FIFO,
    )
    assert update.opened[0].cost_basis == D("6132.50")  # 100 × 61.25 + 7.50
    assert update.lots[:4] == BOOK
    with pytest.raises(InvalidValue, match="already exists"):
        apply_trade(BOOK, trade(Side.BUY, date(2026, 3, 2), 1, 1, lot_id="L1"), TaxLotMethod.FIFO)


def test_short_sale_and_cover():
    # Short 100 at 50.00, commission 10.00 → net proceeds 4,990.00 → lot −100 sh, basis −4,990.
    # Cover 60 at 45.00, commission 6.00 → cost 2,706.00.  Short proceeds relieved:
    # 4,990 × 60/100 = 2,994.00 → gain 2,994 − 2,706 = 288.00, short-term.
    # The short lot keeps −40 sh and basis −1,996.00.
    opened = apply_trade(
        (),
        trade(Side.SELL_SHORT, date(2026, 1, 5), 100, 50, commission=10, lot_id="S1"),
        TaxLotMethod.FIFO,
    )
    assert opened.lots[0].quantity == D(-100)
    assert opened.lots[0].cost_basis == D(-4990)
    assert opened.lots[0].unit_cost == D("49.9")
    covered = apply_trade(
        opened.lots,
        trade(Side.BUY_TO_COVER, date(2026, 2, 1), 60, 45, commission=6),
        TaxLotMethod.FIFO,
    )
    (part,) = covered.realized
    assert (part.proceeds, part.cost_basis, part.gain, part.term, part.short) == (
        D("2994.00"),
        D("2706"),
        D("288.00"),
        Term.SHORT,
        True,
    )
    assert remaining(covered) == [("S1", "-40", "-1996.00")]
    with pytest.raises(InsufficientPosition, match="holds 40 short"):
        apply_trade(
            covered.lots, trade(Side.BUY_TO_COVER, date(2026, 2, 2), 41, 45), TaxLotMethod.FIFO
        )


def test_hifo_on_shorts_covers_the_lowest_short_price_first():
    shorts = (
        lot("S1", date(2026, 1, 5), -100, "-5000.00"),  # shorted at 50
        lot("S2", date(2026, 1, 6), -100, "-4500.00"),  # shorted at 45
    )
    update = apply_trade(
        shorts, trade(Side.BUY_TO_COVER, date(2026, 2, 1), 100, 40), TaxLotMethod.HIFO
    )
    assert [(r.lot_id, str(r.gain)) for r in update.realized] == [("S2", "500.00")]


def test_sell_ignores_short_lots_and_buy_refuses_to_cover():
    mixed = (BOOK[0], lot("S1", date(2026, 1, 5), -100, "-5000.00"))
    with pytest.raises(InsufficientPosition):
        apply_trade(mixed, trade(Side.SELL, date(2026, 3, 2), 101, 50), TaxLotMethod.FIFO)
    with pytest.raises(InvalidOrder, match="buy_to_cover"):
        apply_trade(mixed, trade(Side.BUY, date(2026, 3, 2), 1, 50, lot_id="N1"), TaxLotMethod.FIFO)


def test_short_against_the_box_leaves_long_lots_alone():
    update = apply_trade(
        BOOK, trade(Side.SELL_SHORT, date(2026, 3, 2), 50, 60, lot_id="S9"), TaxLotMethod.FIFO
    )
    assert update.lots[:4] == BOOK
    assert update.lots[4].quantity == D(-50)


def test_lots_of_another_account_are_refused():
    other = lot("X1", date(2025, 1, 2), 10, 10, account=AccountId("A2"))
    with pytest.raises(InvalidValue, match="A2"):
        apply_trade((other,), trade(Side.SELL, date(2026, 1, 2), 1, 1), TaxLotMethod.FIFO)


def test_open_lot_and_relieve_refuse_the_wrong_side():
    with pytest.raises(InvalidValue):
        open_lot(trade(Side.SELL, date(2026, 1, 2), 1, 1))
    with pytest.raises(InvalidValue):
        relieve(BOOK, trade(Side.BUY, date(2026, 1, 2), 1, 1, lot_id="Q"), TaxLotMethod.FIFO)
    with pytest.raises(InvalidValue, match="lot_id"):
        LotTrade(ACCOUNT, BOOK[0].symbol, Side.BUY, date(2026, 1, 2), D(1), D(1))


def test_proceeds_split_reconciles_to_the_cent():
    # 3 lots of 1 sh; sell 3 at 10.00, commission 0.01 → 29.99 split 1/3 each:
    # running remainder: 29.99 × 1/3 = 9.9967 → 10.00; 19.99 × 1/2 = 9.995 → 10.00 (half-even
    # rounds 9.995 to 10.00); last part 9.99.
    book = tuple(lot(f"R{i}", date(2025, 1, i + 1), 1, 5) for i in range(3))
    update = apply_trade(
        book, trade(Side.SELL, date(2025, 6, 1), 3, 10, commission="0.01"), TaxLotMethod.FIFO
    )
    assert [str(r.proceeds) for r in update.realized] == ["10.00", "10.00", "9.99"]


def test_same_day_lots_fifo_in_booking_order_lifo_reversed():
    same_day = (
        lot("D1", date(2025, 5, 1), 10, 100),
        lot("D2", date(2025, 5, 1), 10, 100),
        lot("D0", date(2025, 4, 1), 10, 100),
    )
    sale = trade(Side.SELL, date(2025, 6, 1), 15, 10)
    fifo = apply_trade(same_day, sale, TaxLotMethod.FIFO)
    lifo = apply_trade(same_day, sale, TaxLotMethod.LIFO)
    assert [r.lot_id for r in fifo.realized] == ["D0", "D1"]
    assert [r.lot_id for r in lifo.realized] == ["D2", "D1"]


def test_hifo_ties_go_oldest_first():
    # H1 and H2 both cost 50.00/sh; H2 is older → H3 (60.00), then H2, then H1.
    book = (
        lot("H1", date(2025, 2, 1), 10, "500.00"),
        lot("H2", date(2025, 1, 1), 10, "500.00"),
        lot("H3", date(2025, 3, 1), 10, "600.00"),
    )
    update = apply_trade(book, trade(Side.SELL, date(2025, 6, 1), 25, 55), TaxLotMethod.HIFO)
    assert [r.lot_id for r in update.realized] == ["H3", "H2", "H1"]
