"""The ``toms`` command line: one subcommand module per job.

Each subcommand module exposes ``register(subparsers)``, which adds its parser and sets
``handler`` to a function ``(args) -> int`` (the process exit code). Modules are imported
lazily by name so that ``toms fix-log`` never pays for Qt or SQLAlchemy imports.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from toms.domain.errors import TomsError

SUBCOMMAND_MODULES: tuple[str, ...] = (
    "toms.cli.demo",
    "toms.cli.serve",
    "toms.cli.orders",
    "toms.cli.rebalance",
    "toms.cli.blotter",
    "toms.cli.sim_broker",
    "toms.cli.fix_log",
    "toms.cli.db",
    "toms.cli.compliance",
    "toms.cli.reports",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="toms", description="toms: buy-side trade order management system"
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug detail")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in SUBCOMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:  # a real missing dependency inside the module: say so
                raise
            continue
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 2
    try:
        return int(handler(args))
    except TomsError as exc:
        print(f"toms: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
