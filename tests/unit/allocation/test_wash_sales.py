"""Hand-computed wash sales: look-forward, look-back, partial replacement, expiry."""

from __future__ import annotations

from datetime import date

from tests.unit.allocation.helpers import D, lot, trade
from toms.allocation import PendingLoss, apply_trade
from toms.domain.values import Side, TaxLotMethod

FIFO = TaxLotMethod.FIFO


def loss_sale():
    # W1: 100 sh bought 2026-01-05 for 5,000.00; sold 2026-02-02 at 40.00 → proceeds 4,000.00,
    # loss 1,000.00 short-term, held 28 days. No other lot → the whole loss is pending,
    # washable by purchases up to 2026-02-02 + 30 = 2026-03-04.
    book = (lot("W1", date(2026, 1, 5), 100, "5000.00"),)
    return apply_trade(book, trade(Side.SELL, date(2026, 2, 2), 100, 40, trade_id="S1"), FIFO)


def test_loss_without_replacement_is_pending():
    sold = loss_sale()
    assert sold.realized[0].gain == D("-1000.00")
    assert sold.realized[0].wash_sale_disallowed == D(0)
    (pending,) = sold.pending_losses
    assert (pending.quantity, pending.loss, pending.holding_days) == (D(100), D("1000.00"), 28)
    assert pending.window_end == date(2026, 3, 4)


def test_partial_replacement_after_the_sale():
    # Buy 60 sh on 2026-02-20 at 42.00 (18 days after the sale) → basis 2,520.00.
    # Replacement 60 of the 100 loss shares: disallowed 1,000 × 60/100 = 600.00.
    # New basis 2,520 + 600 = 3,120.00; holding start 2026-02-20 − 28 days = 2026-01-23.
    # Still pending: 40 sh, 400.00.
    sold = loss_sale()
    bought = apply_trade(
        sold.lots,
        trade(Side.BUY, date(2026, 2, 20), 60, 42, lot_id="W2"),
        FIFO,
        sold.pending_losses,
    )
    (w2,) = bought.opened
    assert (w2.lot_id, w2.quantity, w2.cost_basis) == ("W2", D(60), D("3120.00"))
    assert (w2.wash_sale_adjustment, w2.holding_start) == (D("600.00"), date(2026, 1, 23))
    (wash,) = bought.wash_sales
    assert (wash.trade_id, wash.loss_lot_id, wash.quantity, wash.disallowed) == (
        "S1",
        "W1",
        D(60),
        D("600.00"),
    )
    (left,) = bought.pending_losses
    assert (left.quantity, left.loss) == (D(40), D("400.00"))

    # A second purchase of 100 sh at 45.00 on 2026-03-01 absorbs the other 40 sh:
    # it splits into W3.w1 (40 sh, 40 × 45 = 1,800 + 400 = 2,200.00, holding start
    # 2026-03-01 − 28 days = 2026-02-01) and W3 (60 sh, 2,700.00, unwashed).
    again = apply_trade(
        bought.lots,
        trade(Side.BUY, date(2026, 3, 1), 100, 45, lot_id="W3"),
        FIFO,
        bought.pending_losses,
    )
    assert [(p.lot_id, p.quantity, p.cost_basis, p.holding_start) for p in again.opened] == [
        ("W3.w1", D(40), D("2200.00"), date(2026, 2, 1)),
        ("W3", D(60), D("2700.00"), None),
    ]
    assert again.pending_losses == ()


def test_purchase_after_the_window_washes_nothing_and_drops_the_loss():
    sold = loss_sale()
    bought = apply_trade(
        sold.lots,
        trade(Side.BUY, date(2026, 3, 5), 100, 45, lot_id="W2"),  # 31 days after the sale
        FIFO,
        sold.pending_losses,
    )
    assert bought.wash_sales == ()
    assert bought.opened[0].cost_basis == D(4500)
    assert bought.pending_losses == ()


def test_purchase_on_the_thirtieth_day_still_washes():
    sold = loss_sale()
    bought = apply_trade(
        sold.lots,
        trade(Side.BUY, date(2026, 3, 4), 100, 45, lot_id="W2"),
        FIFO,
        sold.pending_losses,
    )
    assert bought.wash_sales[0].disallowed == D("1000.00")


def test_replacement_bought_before_the_sale():
    # A: 100 sh bought 2025-06-01 for 5,000.00.  B: 50 sh bought 2026-02-15 for 2,100.00.
    # Sell 100 FIFO on 2026-03-01 at 40.00: A realizes 4,000 − 5,000 = −1,000 (held 273 days).
    # B was bought 14 days before → replaces 50 of the 100 loss shares:
    # disallowed 1,000 × 50/100 = 500.00 → B's basis 2,600.00, holding start
    # 2026-02-15 − 273 days = 2025-05-18.  The other 500.00 stays pending for 30 days.
    book = (
        lot("A", date(2025, 6, 1), 100, "5000.00"),
        lot("B", date(2026, 2, 15), 50, "2100.00"),
    )
    sold = apply_trade(book, trade(Side.SELL, date(2026, 3, 1), 100, 40), FIFO)
    (a,) = sold.realized
    assert (a.gain, a.wash_sale_disallowed, a.reportable_gain) == (
        D("-1000.00"),
        D("500.00"),
        D("-500.00"),
    )
    (b,) = sold.lots
    assert (b.lot_id, b.cost_basis, b.wash_sale_adjustment, b.holding_start) == (
        "B",
        D("2600.00"),
        D("500.00"),
        date(2025, 5, 18),
    )
    (pending,) = sold.pending_losses
    assert (pending.quantity, pending.loss) == (D(50), D("500.00"))


def test_retained_part_of_the_sold_lot_is_not_a_replacement():
    # Bought 100 on 2026-01-05, sold 40 of them at a loss 10 days later: the 60 kept are
    # from the same purchase (Rev. Rul. 56-602), so nothing is washed at the sale.
    book = (lot("K", date(2026, 1, 5), 100, "5000.00"),)
    sold = apply_trade(book, trade(Side.SELL, date(2026, 1, 15), 40, 45), FIFO)
    assert sold.realized[0].gain == D("-200.00")
    assert sold.wash_sales == ()
    assert sold.lots[0].cost_basis == D("3000.00")


def test_gains_and_washed_lots_are_not_matched_twice():
    # A replacement that already carries a wash adjustment is not used again.
    book = (
        lot("A", date(2025, 6, 1), 100, "5000.00"),
        lot(
            "B",
            date(2026, 2, 15),
            50,
            "2600.00",
            holding_start=date(2025, 5, 18),
            adjustment="500.00",
        ),
    )
    sold = apply_trade(book, trade(Side.SELL, date(2026, 3, 1), 100, 40), FIFO)
    assert sold.wash_sales == ()
    assert sold.pending_losses[0].loss == D("1000.00")


def test_pending_losses_of_other_securities_are_kept():
    other = PendingLoss("S0", "Z", "A1", "MSFT", date(2026, 2, 1), D(10), D(5), 3)  # type: ignore[arg-type]
    bought = apply_trade((), trade(Side.BUY, date(2026, 2, 10), 10, 1, lot_id="N"), FIFO, (other,))
    assert bought.pending_losses == (other,)
    assert PendingLoss.from_dict(other.to_dict()) == other
