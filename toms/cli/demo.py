"""``toms demo``: the whole system on one machine, one realistic trading day."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "demo", help="run the OMS server and a simulated broker through a trading day"
    )
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="where to keep the database and FIX logs (default: a new temp dir)",
    )
    parser.add_argument("--database", default=None, help="database URL instead of SQLite")
    parser.add_argument(
        "--serve",
        action="store_true",
        help="after the day, keep the server and broker up for the blotter until Ctrl-C",
    )
    parser.add_argument(
        "--port", type=int, default=None, help="server port (default: 8700 with --serve, else free)"
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from toms.demo import run_demo

    port = args.port if args.port is not None else (8700 if args.serve else 0)
    result = run_demo(
        args.data_dir,
        database_url=args.database,
        port=port,
        keep_serving=_serve if args.serve else None,
    )
    if not args.serve:
        print("\nTo trade this day from the blotter, keep the server up:")
        print("  toms demo --serve        then, in another terminal:")
        print("  toms blotter --server http://127.0.0.1:8700 --token demo-trader1-token")
    del result
    return 0


def _serve(server: Any) -> None:
    print(f"\nThe OMS server stays up at {server.url} with the simulated broker.")
    print(f"  blotter: toms blotter --server {server.url} --token demo-trader1-token")
    print(f"  PM:      toms order list --server {server.url} --token demo-pm-growth-token")
    print("Ctrl-C to stop", flush=True)
    server.serve_forever()
