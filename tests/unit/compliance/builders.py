"""Small builders so each compliance test states only the figures it is about."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from itertools import count

from toms.compliance import (
    CheckResult,
    PortfolioSnapshot,
    ProposedTrade,
    RealizedLoss,
    RuleBook,
    RuleResult,
    check_trade,
)
from toms.compliance.rules import Rule
from toms.domain.ids import AccountId, OrderId, Symbol, UserId
from toms.domain.orders import Order, OrderStatus
from toms.domain.reference import Account, Security
from toms.domain.values import AssetClass, OrderType, Side

AS_OF = date(2026, 11, 20)
NOW = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)
_order_ids = count(1)


def D(value: str | int) -> Decimal:
    return Decimal(str(value))


def sec(
    symbol: str,
    issuer: str | None = None,
    sector: str = "Tech",
    country: str = "US",
    lot: str | int = 1,
    asset_class: AssetClass = AssetClass.EQUITY,
    outstanding: str | int | None = None,
) -> Security:
    return Security(
        Symbol(symbol),
        issuer or f"{symbol} Inc",
        sector,
        country,
        lot_size=D(lot),
        asset_class=asset_class,
        shares_outstanding=None if outstanding is None else D(outstanding),
    )


def account(
    cash: str | int = 0, account_id: str = "A1", group: str = "default", short_allowed: bool = True
) -> Account:
    return Account(
        AccountId(account_id),
        f"Fund {account_id}",
        cash=D(cash),
        group=group,
        short_allowed=short_allowed,
    )


def snap(
    cash: str | int,
    holdings: Mapping[str, str | int] | None = None,
    prices: Mapping[str, str | int] | None = None,
    securities: Iterable[Security] = (),
    *,
    open_orders: Sequence[Order] = (),
    losses: Sequence[tuple[str, date]] = (),
    account_id: str = "A1",
    group: str = "default",
    short_allowed: bool = True,
    default_price: str | int = 100,
) -> PortfolioSnapshot:
    """A snapshot; every security in ``securities`` (plus any held one) gets a price, 100 by
    default, so tests only name the prices they are about."""
    secs = {s.symbol: s for s in securities}
    held = {Symbol(k): D(v) for k, v in (holdings or {}).items()}
    for symbol in (*held, "IBM", "AAPL", "MSFT"):  # a few names every test may trade
        secs.setdefault(Symbol(symbol), sec(symbol))
    px = {s: D(default_price) for s in secs}
    px.update({Symbol(k): D(v) for k, v in (prices or {}).items()})
    return PortfolioSnapshot(
        account(cash, account_id, group, short_allowed),
        held,
        secs,
        px,
        AS_OF,
        tuple(open_orders),
        tuple(RealizedLoss(Symbol(s), d) for s, d in losses),
    )


def trade(
    symbol: str,
    qty: str | int,
    side: Side = Side.BUY,
    *,
    limit: str | int | None = None,
    stop: str | int | None = None,
    locate: str | None = None,
    account_id: str = "A1",
) -> ProposedTrade:
    if limit is not None and stop is not None:
        order_type = OrderType.STOP_LIMIT
    elif limit is not None:
        order_type = OrderType.LIMIT
    elif stop is not None:
        order_type = OrderType.STOP
    else:
        order_type = OrderType.MARKET
    return ProposedTrade(
        AccountId(account_id),
        Symbol(symbol),
        side,
        D(qty),
        order_type,
        limit_price=None if limit is None else D(limit),
        stop_price=None if stop is None else D(stop),
        locate_id=locate,
    )


def order(
    symbol: str,
    qty: str | int,
    side: Side = Side.BUY,
    *,
    limit: str | int | None = None,
    filled: str | int = 0,
    status: OrderStatus = OrderStatus.WORKING,
    account_id: str = "A1",
    order_id: str | None = None,
) -> Order:
    """A working PM order of the account (an 'open order' in the snapshot)."""
    return Order(
        OrderId(order_id or f"O{next(_order_ids)}"),
        AccountId(account_id),
        Symbol(symbol),
        side,
        D(qty),
        OrderType.LIMIT if limit is not None else OrderType.MARKET,
        NOW,
        UserId("pm"),
        limit_price=None if limit is None else D(limit),
        status=status,
        filled_quantity=D(filled),
    )


def check(rule: Rule, proposed: ProposedTrade, snapshot: PortfolioSnapshot) -> RuleResult:
    """The one result of a rule book holding only ``rule``."""
    (result,) = check_trade(proposed, snapshot, RuleBook((rule,))).results
    return result


def run(rules: Sequence[Rule], proposed: ProposedTrade, snapshot: PortfolioSnapshot) -> CheckResult:
    return check_trade(proposed, snapshot, RuleBook(tuple(rules)))
