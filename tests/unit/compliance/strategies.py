"""Hypothesis strategies: small random portfolios and orders over a fixed universe.

The universe mixes what the rules care about: two securities of one issuer, a government
bond, a fund, lot sizes of 1, 10 and 100, known and unknown voting shares, three sectors and
two countries. Quantities are integers and prices have two decimals, so exact boundaries
(exactly 5%, exactly 40%) come up, and the tests add orders sized at the engine's own headroom
and one lot past it to be sure they do.
"""

from __future__ import annotations

from decimal import Decimal

from hypothesis import strategies as st

from tests.unit.compliance.builders import AS_OF, NOW, D
from toms.compliance import (
    PortfolioSnapshot,
    ProposedTrade,
    RealizedLoss,
    RuleBook,
    rulebook_from_mapping,
)
from toms.domain.ids import AccountId, OrderId, Symbol, UserId
from toms.domain.orders import Order, OrderStatus
from toms.domain.reference import Account, Security
from toms.domain.values import AssetClass, OrderType, Side

UNIVERSE = {
    s.symbol: s
    for s in (
        Security(Symbol("AAA"), "Alpha", "Tech", "US", D(1), shares_outstanding=D(200000)),
        Security(Symbol("AAB"), "Alpha", "Tech", "US", D(100)),
        Security(Symbol("BBB"), "Beta", "Health", "US", D(10), shares_outstanding=D(50000)),
        Security(Symbol("CCC"), "Gamma", "Energy", "GB", D(1)),
        Security(Symbol("DDD"), "Delta", "Tech", "GB", D(100), shares_outstanding=D(1000000)),
        Security(Symbol("EEE"), "Epsilon", "Health", "GB", D(1)),
        Security(
            Symbol("UST"),
            "US Treasury",
            "Government",
            "US",
            D(1),
            asset_class=AssetClass.GOVERNMENT_BOND,
        ),
        Security(Symbol("FND"), "Fund Co", "Funds", "US", D(1), asset_class=AssetClass.FUND),
    )
}
SYMBOLS = sorted(UNIVERSE)
GROUPS = ("default", "ucits", "diversified_funds")

RULES = rulebook_from_mapping(
    {
        "rules": [
            {
                "id": "restricted",
                "type": "restricted_list",
                "entries": [{"symbol": "EEE", "restriction": "no_buy"}],
            },
            {
                "id": "ff",
                "type": "fat_finger",
                "max_quantity": 15000,
                "max_notional": 1500000,
                "price_collar_pct": 10,
            },
            {"id": "position", "type": "position_limit", "max_pct_nav": 10, "max_shares": 8000},
            {"id": "issuer", "type": "issuer_concentration", "max_pct_nav": 15},
            {"id": "sector", "type": "sector_concentration", "max_pct_nav": 40},
            {"id": "country", "type": "country_concentration", "max_pct_nav": 70},
            {"id": "ica", "type": "ica_1940_diversified", "groups": ["diversified_funds"]},
            {"id": "ucits", "type": "ucits_5_10_40", "groups": ["ucits"]},
            {
                "id": "ucits-all",
                "type": "ucits_5_10_40",
                "severity": "warn",
                "exclude_groups": ["ucits"],
                "issuer_max_pct": 20,
                "large_issuer_pct": 8,
            },
            {
                "id": "ica-all",
                "type": "ica_1940_diversified",
                "severity": "warn",
                "exclude_groups": ["diversified_funds"],
            },
            {"id": "short", "type": "short_sale"},
            {"id": "cash", "type": "buying_power"},
            {"id": "wash", "type": "wash_sale"},
        ]
    },
    "property-test rules",
)

prices = st.fixed_dictionaries(
    {s: st.decimals(Decimal("1"), Decimal("200"), places=2) for s in SYMBOLS}
)


@st.composite
def snapshots(draw: st.DrawFn, account_id: str = "A1") -> PortfolioSnapshot:
    px = draw(prices)
    held = draw(st.dictionaries(st.sampled_from(SYMBOLS), st.integers(-2000, 20000), max_size=6))
    account = Account(
        AccountId(account_id),
        account_id,
        cash=D(draw(st.integers(-50000, 2000000))),
        short_allowed=draw(st.booleans()),
        group=draw(st.sampled_from(GROUPS)),
    )
    orders = []
    for k in range(draw(st.integers(0, 3))):
        symbol = draw(st.sampled_from(SYMBOLS))
        limit = draw(
            st.none() | st.just(px[symbol]) | st.decimals(Decimal("1"), Decimal("250"), places=2)
        )
        orders.append(
            Order(
                OrderId(f"{account_id}-O{k}"),
                account.account_id,
                symbol,
                draw(st.sampled_from(list(Side))),
                D(draw(st.integers(1, 3000))),
                OrderType.LIMIT if limit is not None else OrderType.MARKET,
                NOW,
                UserId("pm"),
                limit_price=limit,
                status=OrderStatus.WORKING,
            )
        )
    losses = [RealizedLoss(s, AS_OF) for s in draw(st.lists(st.sampled_from(SYMBOLS), max_size=1))]
    return PortfolioSnapshot(
        account, {Symbol(k): D(v) for k, v in held.items()}, UNIVERSE, px, AS_OF, orders, losses
    )


@st.composite
def trades(draw: st.DrawFn, snapshot: PortfolioSnapshot) -> ProposedTrade:
    symbol = draw(st.sampled_from(SYMBOLS))
    side = draw(st.sampled_from(list(Side)))
    last = snapshot.prices[symbol]
    limit = draw(
        st.none()
        | st.just(last)
        | st.decimals(last * Decimal("0.85"), last * Decimal("1.15"), places=2).filter(
            lambda v: v > 0
        )
    )
    return ProposedTrade(
        snapshot.account.account_id,
        symbol,
        side,
        D(draw(st.integers(1, 20000))),
        OrderType.LIMIT if limit is not None else OrderType.MARKET,
        limit_price=limit,
        locate_id=draw(st.none() | st.just("LOC-1")),
    )


def rulebook() -> RuleBook:
    return RULES
