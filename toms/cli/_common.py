"""Options and helpers shared by subcommands."""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path

from toms.config import Settings, load_settings


def add_config_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config", type=Path, default=None, help="configuration file (default: config/toms.toml)"
    )
    parser.add_argument(
        "--database", default=None, help="database URL, overriding the configuration"
    )
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="data directory for the database file and FIX logs",
    )


def settings_from(args: argparse.Namespace) -> Settings:
    settings = load_settings(args.config)
    if args.data_dir is not None:
        data_dir = args.data_dir.resolve()
        default_url = f"sqlite:///{settings.data_dir / 'toms.db'}"
        url = settings.database_url
        if url == default_url:
            url = f"sqlite:///{data_dir / 'toms.db'}"
        settings = replace(settings, data_dir=data_dir, database_url=url)
    if args.database:
        settings = replace(settings, database_url=args.database)
    return settings


def table(headers: list[str], rows: list[list[object]]) -> str:
    """A plain aligned text table; numbers right-aligned."""
    cells = [[("" if v is None else str(v)) for v in row] for row in rows]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(headers)]

    def line(values: list[str]) -> str:
        out = []
        for i, v in enumerate(values):
            numeric = v.replace(".", "", 1).replace("-", "", 1).replace(",", "").isdigit()
            out.append(v.rjust(widths[i]) if numeric else v.ljust(widths[i]))
        return "  ".join(out).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(headers), rule, *(line(r) for r in cells)])
