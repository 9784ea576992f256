"""Compliance engine benchmark: prints figures, asserts nothing.

    .venv/bin/python benchmarks/compliance/bench_compliance.py [--quick]

1. Single-order check, full rule set (every rule type, 1940 Act and UCITS included) on an
   account of 500 positions and 20 working orders. Target: ≥ 10,000 checks/s. Measured warm
   (the snapshot's projection memoised, as when one snapshot serves many checks) and cold (a
   fresh snapshot for every check, projection included).
2. Block of 1,000 accounts (one trade each), same rule set. Target: < 50 ms. Measured with
   500 positions per account cold and warm, and with 50 positions per account cold.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from toms.compliance import (
    PortfolioSnapshot,
    ProposedTrade,
    RealizedLoss,
    RuleBook,
    check_block,
    check_trade,
    rulebook_from_mapping,
)
from toms.domain.ids import AccountId, OrderId, Symbol, UserId
from toms.domain.orders import Order, OrderStatus
from toms.domain.reference import Account, Security
from toms.domain.values import AssetClass, OrderType, Side

AS_OF = date(2026, 11, 20)
NOW = datetime(2026, 11, 20, 14, 0, tzinfo=UTC)
SECTORS = [
    "Tech",
    "Health",
    "Financials",
    "Energy",
    "Industrials",
    "Utilities",
    "Materials",
    "Staples",
    "Discretionary",
    "Telecom",
    "RealEstate",
]
COUNTRIES = ["US", "GB", "DE", "FR", "JP", "CA", "CH", "NL"]

FULL_RULES = {
    "rules": [
        {
            "id": "restricted",
            "type": "restricted_list",
            "entries": [
                {"symbol": "S01999", "restriction": "full"},
                {"issuer": "ISS0399", "restriction": "no_buy"},
            ],
        },
        {
            "id": "fat-finger",
            "type": "fat_finger",
            "max_quantity": 100000,
            "max_notional": 5000000,
            "price_collar_pct": 10,
        },
        {"id": "position", "type": "position_limit", "max_pct_nav": 10, "max_shares": 5000000},
        {"id": "issuer", "type": "issuer_concentration", "max_pct_nav": 10},
        {"id": "sector", "type": "sector_concentration", "max_pct_nav": 35},
        {"id": "country", "type": "country_concentration", "max_pct_nav": 60},
        {"id": "ica-1940", "type": "ica_1940_diversified"},
        {"id": "ucits", "type": "ucits_5_10_40"},
        {"id": "short-sale", "type": "short_sale"},
        {"id": "cash", "type": "buying_power"},
        {"id": "wash-sale", "type": "wash_sale"},
    ]
}


def universe(rng: random.Random, size: int = 2000) -> dict[Symbol, Security]:
    out = {}
    for i in range(size):
        symbol = Symbol(f"S{i:05d}")
        if i % 50 == 0:
            asset_class = AssetClass.GOVERNMENT_BOND
        elif i % 37 == 0:
            asset_class = AssetClass.FUND
        else:
            asset_class = AssetClass.EQUITY
        out[symbol] = Security(
            symbol,
            f"ISS{i // 5:04d}",
            rng.choice(SECTORS),
            rng.choice(COUNTRIES),
            lot_size=Decimal(100) if i % 3 == 0 else Decimal(1),
            asset_class=asset_class,
            shares_outstanding=Decimal(rng.randrange(50_000_000, 2_000_000_000)),
        )
    return out


def prices_for(rng: random.Random, securities: dict[Symbol, Security]) -> dict[Symbol, Decimal]:
    return {s: Decimal(rng.randrange(500, 50000)) / 100 for s in securities}


def account_snapshot(
    rng: random.Random,
    n: int,
    securities: dict[Symbol, Security],
    prices: dict[Symbol, Decimal],
    index: int,
    open_orders: int = 20,
) -> PortfolioSnapshot:
    account = Account(AccountId(f"ACC{index:05d}"), f"Fund {index}", cash=Decimal(10_000_000))
    symbols = rng.sample(sorted(securities), n)
    # ~100M NAV spread evenly: each position ~0.2% at 500 positions
    positions = {s: Decimal(int(Decimal(90_000_000 // n) / prices[s]) + 1) for s in symbols}
    orders = []
    for k in range(open_orders):
        s = rng.choice(symbols)
        orders.append(
            Order(
                OrderId(f"O{index}-{k}"),
                account.account_id,
                s,
                Side.BUY if k % 2 else Side.SELL,
                Decimal(100),
                OrderType.LIMIT,
                NOW,
                UserId("pm"),
                limit_price=prices[s],
                status=OrderStatus.WORKING,
            )
        )
    losses = [RealizedLoss(rng.choice(symbols), date(2026, 11, 1)) for _ in range(5)]
    return PortfolioSnapshot(account, positions, securities, prices, AS_OF, orders, losses)


def trade_for(rng: random.Random, snap: PortfolioSnapshot, qty: int = 1000) -> ProposedTrade:
    symbol = rng.choice(sorted(snap.positions))
    price = snap.prices[symbol]
    return ProposedTrade(
        snap.account.account_id,
        symbol,
        Side.BUY,
        Decimal(qty),
        OrderType.LIMIT,
        limit_price=(price * Decimal("1.01")).quantize(Decimal("0.01")),
    )


def timed(fn: Callable[[], object], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def bench_single(rulebook: RuleBook, quick: bool) -> None:
    rng = random.Random(7)
    securities = universe(rng)
    prices = prices_for(rng, securities)
    snap = account_snapshot(rng, 500, securities, prices, 0)
    trades = [trade_for(rng, snap) for _ in range(200)]
    check_trade(trades[0], snap, rulebook)  # memoise the projection and aggregates
    n = 2000 if quick else 20000
    reps = n // len(trades)

    def warm() -> None:
        for _ in range(reps):
            for t in trades:
                check_trade(t, snap, rulebook)

    seconds = timed(warm, 3)
    print(
        f"single order, 500 positions, {len(rulebook.rules)} rule units, warm: "
        f"{n / seconds:,.0f} checks/s ({seconds / n * 1e6:.1f} us/check)  [target >= 10,000/s]"
    )

    def warm_dict() -> None:
        for _ in range(reps):
            for t in trades:
                check_trade(t, snap, rulebook).to_dict()

    seconds = timed(warm_dict, 3)
    print(
        f"single order, warm, with to_dict(): {n / seconds:,.0f} checks/s "
        f"({seconds / n * 1e6:.1f} us/check)"
    )

    fresh = [account_snapshot(rng, 500, securities, prices, i) for i in range(50 if quick else 200)]
    pairs = [(trade_for(rng, s), s) for s in fresh]
    start = time.perf_counter()
    for t, s in pairs:
        check_trade(t, s, rulebook)
    seconds = time.perf_counter() - start
    print(
        f"single order, cold (fresh 500-position snapshot each time): "
        f"{len(pairs) / seconds:,.0f} checks/s ({seconds / len(pairs) * 1e6:.0f} us/check)"
    )

    blocked = ProposedTrade(
        snap.account.account_id,
        trades[0].symbol,
        Side.BUY,
        Decimal(90000),
        OrderType.LIMIT,
        limit_price=trades[0].limit_price,
    )
    m = 200 if quick else 1000
    seconds = timed(lambda: [check_trade(blocked, snap, rulebook) for _ in range(m)], 3)
    verdict = check_trade(blocked, snap, rulebook)
    print(
        f"single order that blocks (headroom solved, {len(verdict.blocking)} blocking rules): "
        f"{m / seconds:,.0f} checks/s ({seconds / m * 1e6:.1f} us/check)"
    )


def bench_block(rulebook: RuleBook, positions: int, accounts: int) -> None:
    rng = random.Random(11)
    securities = universe(rng)
    prices = prices_for(rng, securities)
    snaps = {}
    for i in range(accounts):
        s = account_snapshot(rng, positions, securities, prices, i)
        snaps[s.account.account_id] = s
    symbol = sorted(securities)[3]  # one security for the whole block, as a block is
    price = prices[symbol]
    trades = [
        ProposedTrade(
            a,
            symbol,
            Side.BUY,
            Decimal(rng.randrange(1, 50) * 100),
            OrderType.LIMIT,
            limit_price=price,
        )
        for a in snaps
    ]
    # a few accounts over their cash, so some rows block
    for i in range(0, accounts, 50):
        trades[i] = ProposedTrade(
            trades[i].account_id,
            symbol,
            Side.BUY,
            Decimal(99900),
            OrderType.LIMIT,
            limit_price=price,
        )
    start = time.perf_counter()
    result = check_block(trades, snaps, rulebook)
    cold = time.perf_counter() - start
    warm = timed(lambda: check_block(trades, snaps, rulebook), 5)
    blocked = sum(1 for r in result.rows if r.verdict.value == "block")
    print(
        f"block, {accounts} accounts x {positions} positions: cold {cold * 1e3:.1f} ms "
        f"(projections built), warm {warm * 1e3:.1f} ms  [target < 50 ms]; {blocked} rows "
        f"blocked, {result.exact_rechecks} exact re-checks"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="fewer iterations")
    args = parser.parse_args()
    rulebook = rulebook_from_mapping(FULL_RULES, "benchmark")
    bench_single(rulebook, args.quick)
    bench_block(rulebook, 500, 1000)
    bench_block(rulebook, 50, 1000)


if __name__ == "__main__":
    main()
