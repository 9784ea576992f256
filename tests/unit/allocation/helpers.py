"""Builders for allocation and tax-lot tests: each test states only what it is about."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from hashlib import sha256

from toms.allocation import (
    AllocationInputs,
    AllocationMethod,
    AllocationRequest,
    Charge,
    LotTrade,
)
from toms.domain.ids import AccountId, BlockId, LotId, OrderId, Symbol, UserId
from toms.domain.orders import Order, OrderStatus
from toms.domain.reference import TaxLot
from toms.domain.values import ZERO, OrderType, Side, TimeInForce

T0 = datetime(2026, 11, 20, 14, 30, tzinfo=UTC)
IBM = Symbol("IBM")
ACCOUNT = AccountId("A1")


def D(value: str | int) -> Decimal:
    return Decimal(str(value))


def offset_for(seed: str, block_id: str, count: int) -> int:
    """The rotation formula, written out again independently of the code under test."""
    return int(sha256(f"{seed}|{block_id}".encode()).hexdigest()[:16], 16) % count


def inputs(
    quantities: list[str | int],
    filled: str | int,
    *,
    lot: str | int = 100,
    price: str = "50.00",
    seed: str = "2026-11-20",
    method: AllocationMethod = AllocationMethod.PRO_RATA,
    targets: list[str | int] | None = None,
    charges: dict[str, str] | None = None,
    block_id: str = "B1",
) -> AllocationInputs:
    """Orders O1, O2... for accounts A1, A2... with the given quantities."""
    requests = tuple(
        AllocationRequest(
            OrderId(f"O{i + 1}"),
            AccountId(f"A{i + 1}"),
            D(q),
            None if targets is None else D(targets[i]),
        )
        for i, q in enumerate(quantities)
    )
    return AllocationInputs(
        block_id=BlockId(block_id),
        symbol=IBM,
        side=Side.BUY,
        lot_size=D(lot),
        filled_quantity=D(filled),
        average_price=D(price) if D(filled) > 0 else ZERO,
        requests=requests,
        seed=seed,
        method=method,
        charges=tuple(Charge(n, D(a)) for n, a in (charges or {}).items()),
    )


def order(
    order_id: str = "O1",
    *,
    account: str = "A1",
    symbol: str = "IBM",
    side: Side = Side.BUY,
    qty: str | int = 100,
    order_type: OrderType = OrderType.MARKET,
    limit: str | None = None,
    stop: str | None = None,
    tif: TimeInForce = TimeInForce.DAY,
    expire: date | None = None,
    status: OrderStatus = OrderStatus.ACCEPTED,
    minute: int = 0,
) -> Order:
    return Order(
        order_id=OrderId(order_id),
        account_id=AccountId(account),
        symbol=Symbol(symbol),
        side=side,
        quantity=D(qty),
        order_type=order_type,
        created_at=T0.replace(minute=minute),
        created_by=UserId("pm"),
        limit_price=None if limit is None else D(limit),
        stop_price=None if stop is None else D(stop),
        time_in_force=tif,
        expire_date=expire,
        status=status,
    )


def lot(
    lot_id: str,
    bought: date,
    qty: str | int,
    basis: str | int,
    *,
    account: AccountId = ACCOUNT,
    holding_start: date | None = None,
    adjustment: str | int = 0,
) -> TaxLot:
    return TaxLot(
        LotId(lot_id), account, IBM, bought, D(qty), D(basis), holding_start, D(adjustment)
    )


def trade(
    side: Side,
    on: date,
    qty: str | int,
    price: str | int,
    *,
    commission: str | int = 0,
    lot_id: str | None = None,
    specific: tuple[str, ...] = (),
    account: AccountId = ACCOUNT,
    trade_id: str = "T1",
) -> LotTrade:
    return LotTrade(
        account,
        IBM,
        side,
        on,
        D(qty),
        D(price),
        D(commission),
        None if lot_id is None else LotId(lot_id),
        tuple(LotId(s) for s in specific),
        trade_id,
    )
