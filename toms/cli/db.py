"""``toms db``: create or upgrade the database schema, show its revision."""

from __future__ import annotations

import argparse

from toms.cli._common import add_config_options, settings_from
from toms.persistence.engine import make_engine
from toms.persistence.schema import current_revision, head_revision, upgrade


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser("db", help="create/upgrade the database schema")
    parser.add_argument("action", choices=["upgrade", "status"])
    add_config_options(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    engine = make_engine(settings.database_url)
    try:
        if args.action == "upgrade":
            upgrade(engine)
        current, head = current_revision(engine), head_revision()
        print(f"database {engine.url.render_as_string(hide_password=True)}")
        print(f"revision {current or '(empty)'}; latest {head}")
        return 0 if current == head or args.action == "status" else 1
    finally:
        engine.dispose()
