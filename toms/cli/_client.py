"""Options and output shared by the commands that talk to a running OMS server."""

from __future__ import annotations

import argparse
import json
import os
from typing import Any

from toms.client import ApiClient

DEFAULT_SERVER = "http://127.0.0.1:8700"


def add_client_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--server",
        default=os.environ.get("TOMS_SERVER", DEFAULT_SERVER),
        help=f"OMS server URL (env TOMS_SERVER, default {DEFAULT_SERVER})",
    )
    parser.add_argument(
        "--token",
        default=os.environ.get("TOMS_TOKEN"),
        help="your API token (env TOMS_TOKEN)",
    )
    parser.add_argument("--json", action="store_true", help="print JSON for scripts")


def client_from(args: argparse.Namespace) -> ApiClient:
    if not args.token:
        raise SystemExit("toms: error: an API token is needed: --token T or TOMS_TOKEN=T")
    return ApiClient(args.server, args.token)


def print_json(value: Any) -> None:
    print(json.dumps(value, indent=2, sort_keys=True))
