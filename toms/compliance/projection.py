"""The projected portfolio a check measures against, computed once per snapshot.

How working orders count (the "pre-trade" picture): every other open PM order of the account
is assumed to fill at its execution price (limit, else stop, else last). A buy adds its open
quantity to the projected position and spends cash; a sell (long or short) removes its open
quantity and brings in cash. Holdings are valued at the reference (last) price, so

    NAV = projected cash + Σ projected quantity × last price.

The cash / buying-power rule is stricter on purpose: it counts the cost of open buys but, by
default, not the proceeds of open sells, which may never fill (see ``available_cash``).

Building this is the expensive part of a check (one pass over every position), so it is
memoised on the snapshot; aggregates that only some rules need (sums by issuer, the UCITS and
1940 Act structures) are built on first use and memoised here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Literal, TypeVar

from toms.compliance.errors import ComplianceInputError
from toms.compliance.exact import ZERO, exact
from toms.compliance.snapshot import PortfolioSnapshot
from toms.compliance.trade import execution_price
from toms.domain.ids import OrderId, Symbol
from toms.domain.reference import Account, Security
from toms.domain.values import AssetClass, Side

GroupBy = Literal["issuer", "sector", "country"]
T = TypeVar("T")


class Projection:
    """Projected quantities, market values, cash and NAV of one account. Read-only.

    A plain slotted class rather than a dataclass because it carries a memo of derived
    aggregates; nothing outside this package builds one (use ``projection_of``).
    """

    __slots__ = (
        "_memo",
        "account",
        "as_of",
        "cash",
        "market_values",
        "nav",
        "open_buy_cost",
        "open_order_ids",
        "open_sell_long",
        "open_sell_proceeds",
        "prices",
        "quantities",
        "securities",
        "settled_positions",
        "snapshot",
    )

    def __init__(
        self,
        snapshot: PortfolioSnapshot,
        include_open_orders: bool = True,
        exclude_order: OrderId | None = None,
    ) -> None:
        account = snapshot.account
        self.snapshot = snapshot
        self.account: Account = account
        self.as_of = snapshot.as_of
        self.securities: Mapping[Symbol, Security] = snapshot.securities
        self.prices: Mapping[Symbol, Decimal] = snapshot.prices
        self.settled_positions: Mapping[Symbol, Decimal] = snapshot.positions
        self._memo: dict[object, object] = {}
        quantities = dict(snapshot.positions)
        cash = account.cash
        open_buy_cost = ZERO
        open_sell_proceeds = ZERO
        open_sell_long: dict[Symbol, Decimal] = {}
        ids: set[OrderId] = set()
        if include_open_orders:
            for order in snapshot.open_orders:
                if order.account_id != account.account_id:
                    raise ComplianceInputError(
                        f"snapshot of account {account.account_id} holds order "
                        f"{order.order_id} of account {order.account_id}"
                    )
                if order.order_id == exclude_order:
                    continue
                open_qty = order.open_quantity
                if open_qty <= ZERO:
                    continue
                ids.add(order.order_id)
                symbol = order.symbol
                px = execution_price(order.limit_price, order.stop_price, self.price(symbol))
                amount = open_qty * px
                if order.side.is_buy:
                    quantities[symbol] = quantities.get(symbol, ZERO) + open_qty
                    cash -= amount
                    open_buy_cost += amount
                else:
                    quantities[symbol] = quantities.get(symbol, ZERO) - open_qty
                    cash += amount
                    open_sell_proceeds += amount
                    if order.side is Side.SELL:
                        open_sell_long[symbol] = open_sell_long.get(symbol, ZERO) + open_qty
        self.open_order_ids = frozenset(ids)
        missing = quantities.keys() - self.securities.keys()
        if missing:
            raise ComplianceInputError(
                f"account {account.account_id}: no security reference data for "
                f"{', '.join(sorted(missing))}"
            )
        unpriced = quantities.keys() - self.prices.keys()
        if unpriced:
            raise ComplianceInputError(
                f"account {account.account_id}: no reference price for "
                f"{', '.join(sorted(unpriced))}"
            )
        prices = self.prices
        if any(prices[s] <= ZERO for s in quantities):
            bad = sorted(s for s in quantities if prices[s] <= ZERO)
            raise ComplianceInputError(f"reference prices must be positive: {', '.join(bad)}")
        self.quantities: dict[Symbol, Decimal] = quantities
        self.market_values: dict[Symbol, Decimal] = {
            s: q * prices[s] for s, q in quantities.items()
        }
        self.cash = cash
        self.open_buy_cost = open_buy_cost
        self.open_sell_proceeds = open_sell_proceeds
        self.open_sell_long = open_sell_long
        self.nav: Decimal = cash + sum(self.market_values.values(), ZERO)

    def price(self, symbol: Symbol) -> Decimal:
        try:
            price = self.prices[symbol]
        except KeyError:
            raise ComplianceInputError(
                f"account {self.account.account_id}: no reference price for {symbol}"
            ) from None
        if price <= ZERO:
            raise ComplianceInputError(f"reference price of {symbol} must be positive, got {price}")
        return price

    def security(self, symbol: Symbol) -> Security:
        try:
            return self.securities[symbol]
        except KeyError:
            raise ComplianceInputError(f"no security reference data for {symbol}") from None

    def quantity(self, symbol: Symbol) -> Decimal:
        return self.quantities.get(symbol, ZERO)

    def market_value(self, symbol: Symbol) -> Decimal:
        return self.market_values.get(symbol, ZERO)

    def sellable(self, symbol: Symbol) -> Decimal:
        """Settled long quantity not already promised to a working long sale."""
        held = self.settled_positions.get(symbol, ZERO)
        return max(held, ZERO) - self.open_sell_long.get(symbol, ZERO)

    def available_cash(self, credit_open_sells: bool) -> Decimal:
        """Settled cash less the cost of working buys (plus working sells' proceeds if asked)."""
        cash = self.account.cash - self.open_buy_cost
        return cash + self.open_sell_proceeds if credit_open_sells else cash

    @property
    def gross(self) -> Decimal:
        """|cash| + Σ |market value|: the scale of every figure of this account (block screen)."""
        return self.memo(
            "gross", lambda: abs(self.cash) + sum(map(abs, self.market_values.values()), ZERO)
        )

    def memo(self, key: object, build: Callable[[], T]) -> T:
        """Build an aggregate once per projection (group sums, UCITS / 1940 Act structures)."""
        try:
            return self._memo[key]  # type: ignore[return-value]
        except KeyError:
            with exact():
                value = build()
            self._memo[key] = value
            return value

    def group_exposure(self, by: GroupBy, excluded: frozenset[AssetClass]) -> Mapping[str, Decimal]:
        """Net market value per issuer, sector or country, leaving out ``excluded`` classes."""
        key = ("group", by, excluded)
        found = self._memo.get(key)
        if found is None:
            with exact():
                self._groups(excluded)
            found = self._memo[key]
        return found  # type: ignore[return-value]

    def long_by_issuer(self, excluded: frozenset[AssetClass]) -> tuple[dict[str, Decimal], Decimal]:
        """Long market value per issuer outside ``excluded``, and the long value inside it.

        Shared by the UCITS and 1940 Act tests, which both look at assets held (shorts are
        liabilities) and, by default, leave out the same classes.
        """
        return self.memo(("long", excluded), lambda: self._long(excluded))

    def _long(self, excluded: frozenset[AssetClass]) -> tuple[dict[str, Decimal], Decimal]:
        securities = self.securities
        by_issuer: dict[str, Decimal] = {}
        inside = ZERO
        for symbol, value in self.market_values.items():
            if value <= ZERO:
                continue
            security = securities[symbol]
            if security.asset_class in excluded:
                inside += value
            else:
                by_issuer[security.issuer] = by_issuer.get(security.issuer, ZERO) + value
        return by_issuer, inside

    def _groups(self, excluded: frozenset[AssetClass]) -> None:
        """All three groupings in one pass: sector and country limits usually share their
        exclusions, and one pass over 500 positions is most of a cold check."""
        securities = self.securities
        issuers: dict[str, Decimal] = {}
        sectors: dict[str, Decimal] = {}
        countries: dict[str, Decimal] = {}
        for symbol, value in self.market_values.items():
            security = securities[symbol]
            if security.asset_class in excluded:
                continue
            issuer, sector, country = security.issuer, security.sector, security.country
            issuers[issuer] = issuers.get(issuer, ZERO) + value
            sectors[sector] = sectors.get(sector, ZERO) + value
            countries[country] = countries.get(country, ZERO) + value
        self._memo[("group", "issuer", excluded)] = issuers
        self._memo[("group", "sector", excluded)] = sectors
        self._memo[("group", "country", excluded)] = countries


def projection_of(snapshot: PortfolioSnapshot, exclude_order: OrderId | None = None) -> Projection:
    """The pre-trade projection (holdings + working orders), memoised on the snapshot."""
    memo = snapshot._memo
    key = ("projection", exclude_order)
    cached = memo.get(key)
    if cached is None:
        if exclude_order is not None:
            base = projection_of(snapshot)
            if exclude_order not in base.open_order_ids:
                memo[key] = base
                return base
        with exact():
            cached = Projection(snapshot, exclude_order=exclude_order)
        memo[key] = cached
    return cached  # type: ignore[return-value]


def holdings_of(snapshot: PortfolioSnapshot) -> Projection:
    """Actual holdings only (no working orders), for the end-of-day re-run."""
    memo = snapshot._memo
    cached = memo.get("holdings")
    if cached is None:
        with exact():
            cached = Projection(snapshot, include_open_orders=False)
        memo["holdings"] = cached
    return cached  # type: ignore[return-value]
