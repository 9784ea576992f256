"""``toms blotter``: the trader's desktop blotter (PyQt6), a client of the OMS server."""

from __future__ import annotations

import argparse
import os
from typing import Any


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "blotter",
        help="the trader's blotter: orders, blocks, routing, fills, FIX sessions (PyQt6)",
        description=__doc__,
    )
    parser.add_argument(
        "--server",
        default=os.environ.get("TOMS_SERVER", "http://127.0.0.1:8700"),
        help="OMS server URL (default $TOMS_SERVER or http://127.0.0.1:8700)",
    )
    parser.add_argument(
        "--token",
        default=os.environ.get("TOMS_TOKEN"),
        help="your API token (default $TOMS_TOKEN)",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    if not args.token:
        print("toms blotter: give your API token with --token or $TOMS_TOKEN")
        return 2
    from toms.blotter.app import run as run_blotter

    return run_blotter(args.server, args.token)
