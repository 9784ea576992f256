"""``toms serve``: the OMS server (HTTP API, event stream, FIX sessions, one engine)."""

from __future__ import annotations

import argparse
from typing import Any

from toms.cli._common import add_config_options, settings_from


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "serve",
        help="run the OMS server: API, live events, FIX sessions to the configured brokers",
        description=__doc__,
    )
    add_config_options(parser)
    parser.add_argument("--host", default=None, help="interface to listen on (config [server])")
    parser.add_argument("--port", type=int, default=None, help="TCP port (config [server])")
    parser.add_argument(
        "--no-fix", action="store_true", help="do not connect to brokers (API and data only)"
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from toms.server.server import OmsServer

    settings = settings_from(args)
    server = OmsServer(
        settings,
        host=args.host or settings.server_host,
        port=args.port if args.port is not None else settings.server_port,
    )
    server.start(connect_fix=not args.no_fix)
    try:
        brokers = ", ".join(f"{b.broker_id} ({b.host}:{b.port})" for b in settings.brokers)
        print(f"toms server on {server.url}  (API docs: {server.url}/docs)")
        print(f"  database {settings.database_url}")
        print(f"  FIX sessions: {'off' if args.no_fix else brokers or 'none configured'}")
        print(f"  blotter: toms blotter --server {server.url} --token <your token>")
        print("Ctrl-C to stop", flush=True)
        server.serve_forever()
        print("stopping...", flush=True)
    finally:
        server.stop()
    return 0
