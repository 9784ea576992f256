"""``toms compliance``: what-if pre-trade checks and the end-of-day post-trade check.

    toms compliance check --account A --symbol S --side buy --qty 100
                          [--type limit --limit 181 | --stop 170 ...] [--locate ID] [--json]
    toms compliance report [--account A] [--json]

``check`` runs the configured rule book on a proposed order against the account as stored
(lots, cash, working orders, realized losses, last prices), exactly as ``submit_order``
would, and creates nothing: no order, no audit event. ``report`` re-runs every
holding-based rule on every account's actual holdings (passive breaches). Both read the
database like ``toms report`` (``toms.cli.reports.reading``).

Exit codes: ``check``: 0 PASS or WARN (a warning may go ahead once acknowledged), 3 BLOCK.
``report``: 0 no breach or only warn-severity ones, 3 a block-severity breach.
Either: 1 an error (unknown account or security, invalid order terms), 2 a usage error.
"""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime, time
from decimal import Decimal

from toms.cli._common import add_config_options, settings_from
from toms.cli.reports import parse_date, reading
from toms.config import Settings
from toms.domain.errors import TomsError, UnknownOrder
from toms.domain.values import OrderType, Side, to_decimal

EXIT_OK = 0
EXIT_BLOCK = 3


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "compliance", help="what-if pre-trade check, end-of-day post-trade check"
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)

    check = actions.add_parser(
        "check",
        help="check a proposed order against the stored portfolio (creates nothing)",
        description="Exit code: 0 pass or warn, 3 block, 1 error.",
    )
    check.add_argument("--account", required=True)
    check.add_argument("--symbol", required=True)
    check.add_argument("--side", required=True, choices=[s.value for s in Side])
    check.add_argument("--qty", required=True, type=_decimal, help="quantity (shares)")
    check.add_argument(
        "--type",
        dest="order_type",
        choices=[t.value for t in OrderType],
        default=None,
        help="order type (default: from the prices given: limit, stop, stop_limit or market)",
    )
    check.add_argument("--limit", type=_decimal, default=None, help="limit price")
    check.add_argument("--stop", type=_decimal, default=None, help="stop price")
    check.add_argument("--locate", default=None, help="locate id (short sales)")
    _common_options(check)
    check.set_defaults(handler=run_check)

    report = actions.add_parser(
        "report",
        help="post-trade check of every account's holdings",
        description="Exit code: 0 no block-severity breach, 3 otherwise, 1 error.",
    )
    report.add_argument("--account", default=None, help="only this account")
    _common_options(report)
    report.set_defaults(handler=run_report)


def _common_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--as-of",
        type=parse_date,
        default=None,
        help="date of the check (wash-sale window; default: today, UTC)",
    )
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    add_config_options(parser)


def _decimal(text: str) -> Decimal:
    """An exact Decimal from the command line, in plain notation (``1.5e3`` -> ``1500``)."""
    try:
        value = to_decimal(text, "value")
    except TomsError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    exponent = value.as_tuple().exponent
    return value.quantize(Decimal(1)) if isinstance(exponent, int) and exponent > 0 else value


def order_type_of(args: argparse.Namespace) -> OrderType:
    """The type given, or the one the prices imply."""
    if args.order_type is not None:
        return OrderType(args.order_type)
    if args.limit is not None and args.stop is not None:
        return OrderType.STOP_LIMIT
    if args.limit is not None:
        return OrderType.LIMIT
    if args.stop is not None:
        return OrderType.STOP
    return OrderType.MARKET


def _gate(settings: Settings):  # type: ignore[no-untyped-def]
    from toms.services.compliance_gate import ComplianceGate

    if not settings.compliance:
        raise TomsError(f"{settings.source}: no compliance rule book configured ([compliance])")
    return ComplianceGate.from_settings(settings)


def _moment(args: argparse.Namespace) -> datetime:
    if args.as_of is None:
        return datetime.now(UTC)
    return datetime.combine(args.as_of, time(12), tzinfo=UTC)


def run_check(args: argparse.Namespace) -> int:
    from toms.compliance import ProposedTrade, Status, check_trade, format_result
    from toms.domain.ids import AccountId, Symbol

    settings = settings_from(args)
    gate = _gate(settings)
    trade = ProposedTrade(
        account_id=AccountId(args.account),
        symbol=Symbol(args.symbol),
        side=Side(args.side),
        quantity=args.qty,
        order_type=order_type_of(args),
        limit_price=args.limit,
        stop_price=args.stop,
        locate_id=args.locate,
    )
    with reading(settings) as uow_factory, uow_factory() as uow:
        if uow.accounts.get(args.account) is None:
            raise UnknownOrder(f"unknown account {args.account!r}")
        if uow.securities.get(args.symbol) is None:
            raise UnknownOrder(f"unknown security {args.symbol!r}")
        result = check_trade(trade, gate.snapshot(uow, args.account, _moment(args)), gate.rulebook)
    if args.json:
        print(json.dumps(result.to_dict(), indent=2))
    else:
        print(format_result(result))
    return EXIT_BLOCK if result.verdict is Status.BLOCK else EXIT_OK


def run_report(args: argparse.Namespace) -> int:
    from toms.compliance import Severity, format_breaches, post_trade_check

    settings = settings_from(args)
    gate = _gate(settings)
    now = _moment(args)
    with reading(settings) as uow_factory, uow_factory() as uow:
        if args.account is not None:
            if uow.accounts.get(args.account) is None:
                raise UnknownOrder(f"unknown account {args.account!r}")
            accounts = [args.account]
        else:
            accounts = [a.account_id for a in uow.accounts.all()]
        report = post_trade_check((gate.snapshot(uow, a, now) for a in accounts), gate.rulebook)
    if args.json:
        print(json.dumps(report.to_dict(), indent=2))
    else:
        print(format_breaches(report))
    blocking = any(b.severity is Severity.BLOCK for b in report.breaches)
    return EXIT_BLOCK if blocking else EXIT_OK
