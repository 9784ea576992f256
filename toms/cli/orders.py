"""``toms order``: a PM's orders through the OMS server (submit, import a list, list, show).

``import`` reads a CSV with the columns account, symbol, side, quantity and optionally
order_type, limit_price, stop_price, time_in_force, note. Each row is checked here first
(a bad row never reaches the server), then submitted and compliance-checked; the result
table shows each row's outcome. Every row carries an idempotency key made of the file's
hash and the row number, so importing the same file twice never doubles an order.
Exit status: 0 when every order was accepted, 1 otherwise.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from toms.cli._client import add_client_options, client_from, print_json
from toms.cli._common import table
from toms.client import ApiError
from toms.domain.values import OrderType, Side, TimeInForce

REQUIRED = ("account", "symbol", "side", "quantity")
OPTIONAL = ("order_type", "limit_price", "stop_price", "time_in_force", "note")


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "order",
        help="submit, import and list PM orders on the OMS server",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="order_command", metavar="ACTION", required=True)

    submit = sub.add_parser("submit", help="submit one order")
    add_client_options(submit)
    submit.add_argument("--account", required=True)
    submit.add_argument("--symbol", required=True)
    submit.add_argument("--side", required=True, choices=[s.value for s in Side])
    submit.add_argument("--qty", required=True, help="quantity, e.g. 500")
    submit.add_argument(
        "--type", default="market", choices=[t.value for t in OrderType], dest="order_type"
    )
    submit.add_argument("--limit", default=None, help="limit price")
    submit.add_argument("--stop", default=None, help="stop price")
    submit.add_argument("--tif", default="day", choices=[t.value for t in TimeInForce])
    submit.add_argument("--note", default="")
    submit.add_argument("--check", action="store_true", help="what-if only: submit nothing")
    submit.add_argument("--key", default=None, help="idempotency key (default: a new one)")
    submit.set_defaults(handler=run_submit)

    imp = sub.add_parser("import", help="submit every order of a CSV file")
    add_client_options(imp)
    imp.add_argument("file", type=Path)
    imp.set_defaults(handler=run_import)

    ls = sub.add_parser("list", help="list orders")
    add_client_options(ls)
    ls.add_argument("--status", default=None, help="comma-separated statuses")
    ls.add_argument("--account", default=None)
    ls.add_argument("--symbol", default=None)
    ls.set_defaults(handler=run_list)

    show = sub.add_parser("show", help="one order with its compliance history")
    add_client_options(show)
    show.add_argument("order_id")
    show.set_defaults(handler=run_show)


class RowError(ValueError):
    pass


def parse_row(row: dict[str, str]) -> dict[str, Any]:
    """One CSV row -> an order request body, or RowError naming the bad field."""
    clean = {k.strip().lower(): (v or "").strip() for k, v in row.items() if k}
    missing = [c for c in REQUIRED if not clean.get(c)]
    if missing:
        raise RowError(f"missing {', '.join(missing)}")
    unknown = sorted(set(clean) - set(REQUIRED) - set(OPTIONAL))
    if unknown:
        raise RowError(f"unknown column(s) {', '.join(unknown)}")
    body: dict[str, Any] = {
        "account_id": clean["account"],
        "symbol": clean["symbol"].upper(),
        "side": _choice(clean["side"].lower(), Side, "side"),
        "quantity": _decimal(clean["quantity"], "quantity"),
        "order_type": _choice(
            clean.get("order_type", "market").lower() or "market", OrderType, "order_type"
        ),
        "time_in_force": _choice(
            clean.get("time_in_force", "day").lower() or "day", TimeInForce, "time_in_force"
        ),
        "note": clean.get("note", ""),
    }
    for name in ("limit_price", "stop_price"):
        if clean.get(name):
            body[name] = _decimal(clean[name], name)
    needs = {
        "limit": ("limit_price",),
        "stop": ("stop_price",),
        "stop_limit": ("limit_price", "stop_price"),
    }
    for name in needs.get(body["order_type"], ()):
        if name not in body:
            raise RowError(f"a {body['order_type']} order needs {name}")
    return body


def _decimal(text: str, name: str) -> str:
    try:
        value = Decimal(text.replace(",", ""))
    except InvalidOperation:
        raise RowError(f"{name} {text!r} is not a number") from None
    if not value.is_finite() or value <= 0:
        raise RowError(f"{name} must be positive, not {text}")
    return str(value)


def _choice(text: str, enum: Any, name: str) -> str:
    allowed = [e.value for e in enum]
    if text not in allowed:
        raise RowError(f"{name} {text!r} is not one of {', '.join(allowed)}")
    return text


def run_submit(args: argparse.Namespace) -> int:
    body = {
        "account_id": args.account,
        "symbol": args.symbol.upper(),
        "side": args.side,
        "quantity": args.qty,
        "order_type": args.order_type,
        "limit_price": args.limit,
        "stop_price": args.stop,
        "time_in_force": args.tif,
        "note": args.note,
    }
    with client_from(args) as api:
        if args.check:
            result = api.check_order(**body)
            if args.json:
                print_json(result)
            else:
                print(_check_table(result))
            return 0 if result.get("verdict") != "block" else 1
        order = api.submit_order(key=args.key, **body)
    if args.json:
        print_json(order)
    else:
        print(_orders_table([order]))
    return 0 if order["status"] == "accepted" else 1


def run_import(args: argparse.Namespace) -> int:
    try:
        text = args.file.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise SystemExit(f"toms: error: cannot read {args.file}: {exc.strerror}") from None
    digest = hashlib.sha256(text.encode()).hexdigest()[:16]
    reader = csv.DictReader(text.splitlines())
    results: list[dict[str, Any]] = []
    with client_from(args) as api:
        for number, row in enumerate(reader, start=2):  # line 1 is the header
            outcome: dict[str, Any] = {"line": number, **{k: row.get(k, "") for k in REQUIRED}}
            try:
                body = parse_row(row)
                order = api.submit_order(key=f"import-{digest}-{number}", **body)
            except RowError as exc:
                outcome.update(result="invalid", detail=str(exc))
            except ApiError as exc:
                outcome.update(result="refused", detail=str(exc.body.get("message", exc)))
            else:
                outcome.update(result=order["status"], order_id=order["order_id"])
                outcome["detail"] = _compliance_detail(order)
            results.append(outcome)
    if args.json:
        print_json(results)
    else:
        print(
            table(
                ["line", "account", "symbol", "side", "quantity", "result", "order", "detail"],
                [
                    [
                        r["line"],
                        r["account"],
                        r["symbol"],
                        r["side"],
                        r["quantity"],
                        r["result"],
                        r.get("order_id", ""),
                        r.get("detail", ""),
                    ]
                    for r in results
                ],
            )
        )
        counts: dict[str, int] = {}
        for r in results:
            counts[r["result"]] = counts.get(r["result"], 0) + 1
        print(f"\n{len(results)} rows: " + ", ".join(f"{v} {k}" for k, v in sorted(counts.items())))
    return 0 if results and all(r["result"] == "accepted" for r in results) else 1


def run_list(args: argparse.Namespace) -> int:
    with client_from(args) as api:
        orders = api.orders(status=args.status, account_id=args.account, symbol=args.symbol)
    if args.json:
        print_json(orders)
    else:
        print(_orders_table(orders))
    return 0


def run_show(args: argparse.Namespace) -> int:
    with client_from(args) as api:
        order = api.order(args.order_id)
    if args.json:
        print_json(order)
        return 0
    print(_orders_table([order]))
    print()
    for h in order.get("history", []):
        print(f"{h['at'][:19]}  {h['type']:<22} {h['actor']:<10} {h['reason']}")
    return 0


def _orders_table(orders: list[dict[str, Any]]) -> str:
    return table(
        ["order", "account", "symbol", "side", "quantity", "type", "limit", "stop", "status",
         "filled", "compliance"],
        [
            [o["order_id"], o["account_id"], o["symbol"], o["side"], o["quantity"],
             o["order_type"], o["limit_price"], o["stop_price"], o["status"],
             o["filled_quantity"], _compliance_detail(o)]
            for o in orders
        ],
    )  # fmt: skip


def _compliance_detail(order: dict[str, Any]) -> str:
    c = order.get("compliance") or {}
    parts = []
    if c.get("blocking"):
        parts.append("blocked by " + ", ".join(c["blocking"]))
    if c.get("warnings"):
        parts.append("warns " + ", ".join(c["warnings"]))
    if c.get("overridden_by"):
        parts.append(f"overridden by {c['overridden_by']}")
    return "; ".join(parts)


def _check_table(result: dict[str, Any]) -> str:
    rows = [
        [r["rule_id"], r["status"], r["headroom"], r["message"]] for r in result.get("results", [])
    ]
    head = f"verdict {result.get('verdict')}  headroom {result.get('headroom')}\n"
    return head + table(["rule", "status", "headroom", "message"], rows)
