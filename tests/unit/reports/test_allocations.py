"""Allocations and fairness frames from an allocation record and hand-built legs."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from toms.allocation.instructions import AllocationInputs, AllocationRequest, Charge
from toms.allocation.record import allocate
from toms.domain.ids import AccountId, BlockId, OrderId, Symbol
from toms.domain.values import Side
from toms.reports.allocations import allocations_frame, fairness_frame

D = Decimal


@dataclass
class Header:
    alloc_id: str
    block_id: str
    record: dict[str, Any]
    status: str = "accepted"
    broker: str | None = "SIM"
    created_at: datetime = datetime(2026, 11, 20, 16, tzinfo=UTC)


@dataclass
class Leg:
    alloc_id: str
    order_id: str
    account_id: str
    quantity: Decimal
    price: Decimal
    charges: Decimal
    lots: list[str] = field(default_factory=list)


def sell_block() -> Header:
    # A sale of 300 IBM (lot 100) of a 400-share block: GROWTH asked 300, INCOME 100.
    # Ideal shares 300 × 300/400 = 225 and 75. Whole lots: GROWTH 2 (200, remainder 25),
    # INCOME 0 (remainder 75); the last lot goes to the largest remainder: INCOME.
    # Commission 30.00 pro-rata to the allocation: 20.00 and 10.00.
    inputs = AllocationInputs(
        block_id=BlockId("B1"),
        symbol=Symbol("IBM"),
        side=Side.SELL,
        lot_size=D(100),
        filled_quantity=D(300),
        average_price=D("180.60"),
        requests=(
            AllocationRequest(OrderId("O1"), AccountId("GROWTH"), D(300)),
            AllocationRequest(OrderId("O2"), AccountId("INCOME"), D(100)),
        ),
        seed="B1",
        charges=(Charge("commission", D("30.00")),),
    )
    return Header("ALC-1", "B1", allocate(inputs).to_dict())


LEGS = [
    Leg("ALC-1", "O1", "GROWTH", D(200), D("180.60"), D("20.00"), ["SEED-1"]),
    Leg("ALC-1", "O2", "INCOME", D(100), D("180.60"), D("10.00"), ["SEED-2", "SEED-3"]),
]


def test_one_row_per_leg_with_net_amounts() -> None:
    df = allocations_frame([sell_block()], LEGS)
    assert list(df["account"]) == ["GROWTH", "INCOME"]
    growth = df.iloc[0]
    # a sale: gross 200 × 180.60 = 36120.00; net proceeds 36120.00 − 20.00 = 36100.00
    assert (growth["block_id"], growth["symbol"], growth["side"]) == ("B1", "IBM", "sell")
    assert growth["gross_amount"] == D("36120.00")
    assert growth["net_amount"] == D("36100.00")
    assert growth["status"] == "accepted"
    assert df.iloc[1]["lots"] == "SEED-2, SEED-3"
    # 100 × 180.60 = 18060.00 − 10.00
    assert df.iloc[1]["net_amount"] == D("18050.00")


def test_buy_adds_charges_to_the_cost() -> None:
    header = sell_block()
    header.record["inputs"]["side"] = "buy"
    df = allocations_frame([header], LEGS)
    assert df.iloc[0]["net_amount"] == D("36140.00")  # 36120.00 + 20.00


def test_account_filter() -> None:
    df = allocations_frame([sell_block()], LEGS, account="INCOME")
    assert list(df["order_id"]) == ["O2"]


def test_fairness_fill_rates_and_price_against_average() -> None:
    df = fairness_frame([sell_block()]).set_index("account")
    # block fill rate 300 / 400 = 0.75; GROWTH 200 / 300, INCOME 100 / 100
    assert (df["block_fill_rate"] == D("0.75")).all()
    assert df.loc["GROWTH", "allocated"] == D(200)
    assert df.loc["GROWTH", "ideal"] == D(225)
    assert df.loc["GROWTH", "deviation"] == D(-25)
    assert df.loc["INCOME", "deviation"] == D(25)
    assert df.loc["GROWTH", "fill_rate"] == D(200) / D(300)
    assert df.loc["INCOME", "fill_rate"] == D(1)
    assert (df["price_vs_average"] == D(0)).all()
    assert (df["average_price"] == D("180.60")).all()


def test_nothing_allocated_yet() -> None:
    assert allocations_frame([], []).empty and fairness_frame([]).empty
