"""``toms demo``: the whole system on one machine, one realistic trading day."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "demo", help="run the OMS and a simulated broker through a trading day"
    )
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="where to keep the database and FIX logs (default: a new temp dir)",
    )
    parser.add_argument("--database", default=None, help="database URL instead of SQLite")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from toms.demo import run_demo

    run_demo(args.data_dir, database_url=args.database)
    return 0
