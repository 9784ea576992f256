"""``toms rebalance``: target weights for one account -> whole-lot orders, compliance-checked.

Targets come from ``--target SYMBOL=WEIGHT`` (repeatable; 0.25 means 25% of NAV) or a CSV
file with the columns symbol and weight. The server sizes the orders from the account's
holdings at last price (NAV = cash + holdings), rounds them to whole lots, and submits
each one to pre-trade compliance; ``--dry-run`` only shows the orders. Holdings not named
are left alone; name one with weight 0 to sell it out.
"""

from __future__ import annotations

import argparse
import csv
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from toms.cli._client import add_client_options, client_from, print_json
from toms.cli._common import table
from toms.cli.orders import _compliance_detail


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "rebalance",
        help="turn target weights for an account into compliance-checked orders",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_client_options(parser)
    parser.add_argument("--account", required=True)
    parser.add_argument("--target", action="append", default=[], metavar="SYMBOL=WEIGHT")
    parser.add_argument("--targets", type=Path, default=None, help="CSV: symbol,weight")
    parser.add_argument("--cash-buffer", default="0", help="fraction of NAV kept in cash")
    parser.add_argument("--dry-run", action="store_true", help="show the orders; submit none")
    parser.set_defaults(handler=run)


def targets_from(pairs: list[str], path: Path | None) -> dict[str, str]:
    bad = [pair for pair in pairs if "=" not in pair]
    if bad:
        raise SystemExit(f"toms: error: --target {bad[0]!r}: expected SYMBOL=WEIGHT")
    rows = [(symbol, weight) for symbol, _, weight in (p.partition("=") for p in pairs)]
    if path is not None:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            rows += [(r.get("symbol", ""), r.get("weight", "")) for r in csv.DictReader(fh)]
    targets: dict[str, str] = {}
    for symbol, weight in rows:
        symbol = symbol.strip().upper()
        try:
            value = Decimal(weight.strip().rstrip("%"))
        except InvalidOperation:
            raise SystemExit(
                f"toms: error: weight {weight!r} of {symbol} is not a number"
            ) from None
        if weight.strip().endswith("%"):
            value /= 100
        if not symbol or symbol in targets:
            raise SystemExit(f"toms: error: symbol {symbol!r} is empty or given twice")
        targets[symbol] = str(value)
    if not targets:
        raise SystemExit("toms: error: no targets: use --target SYMBOL=WEIGHT or --targets FILE")
    return targets


def run(args: argparse.Namespace) -> int:
    targets = targets_from(args.target, args.targets)
    with client_from(args) as api:
        result = api.rebalance(
            args.account, targets, dry_run=args.dry_run, cash_buffer=args.cash_buffer
        )
    if args.json:
        print_json(result)
        return 0
    print(f"{args.account}: NAV {result['nav']}, cash {result['cash']}")
    submitted = {o["symbol"]: o for o in result["submitted"]}
    rows = []
    for p in result["proposed"]:
        order = submitted.get(p["symbol"], {})
        rows.append(
            [
                p["symbol"],
                p["side"],
                p["quantity"],
                p["price"],
                p["notional"],
                p["current_weight"],
                p["target_weight"],
                order.get("status", "proposed"),
                order.get("order_id", ""),
                _compliance_detail(order) if order else "",
            ]
        )
    print(
        table(
            [
                "symbol",
                "side",
                "quantity",
                "price",
                "notional",
                "weight now",
                "target",
                "status",
                "order",
                "compliance",
            ],
            rows,
        )
    )
    if not rows:
        print("already at target (within one lot): no orders")
    return 0 if all(o["status"] == "accepted" for o in result["submitted"]) else 1
