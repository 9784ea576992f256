"""``toms report``: end-of-day reports as text tables, optionally saved as CSV.

    toms report {positions,lots,gains,allocations,fairness,tca,all}
                [--account A] [--as-of YYYY-MM-DD] [--csv DIR] [--config F | --database URL]

Reads only. The database must be at the current schema revision (``toms db upgrade``); a
new, empty one is set up first the way the OMS starts one (schema, then securities, prices,
accounts and opening lots from the configuration), so a fresh install has something to show.
An existing database is never written: running beside a live OMS is safe.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from toms.cli._common import add_config_options, settings_from
from toms.config import Settings
from toms.domain.errors import TomsError

if TYPE_CHECKING:
    from toms.persistence.uow import SqlUnitOfWork

KINDS = ("positions", "lots", "gains", "allocations", "fairness", "tca", "all")
# Which frames of ``toms.reports.REPORTS`` each kind shows.
FRAMES = {
    "positions": ("positions",),
    "lots": ("lots",),
    "gains": ("gains", "gains_summary"),
    "allocations": ("allocations",),
    "fairness": ("fairness",),
    "tca": ("tca",),
}


class DatabaseNotReady(TomsError):
    """The database schema is not the one this toms reads."""


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "report",
        help="end-of-day reports: positions, lots, gains, allocations, fairness, TCA",
        description="End-of-day reports as text tables, optionally saved as CSV. Reads only: "
        "safe beside a running OMS. A new, empty database is first set up from the "
        "configuration, as the OMS does when it starts.",
    )
    parser.add_argument("kind", choices=KINDS, help="which report ('all': every one)")
    parser.add_argument("--account", default=None, help="only this account")
    parser.add_argument(
        "--as-of",
        type=parse_date,
        default=None,
        help="date for the lots' holding term (default: today, UTC)",
    )
    parser.add_argument(
        "--csv",
        type=Path,
        default=None,
        metavar="DIR",
        help="also write each report to DIR/<name>.csv (exact decimals)",
    )
    add_config_options(parser)
    parser.set_defaults(handler=run)


def parse_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def today() -> date:
    return datetime.now(UTC).date()


@contextmanager
def reading(settings: Settings) -> Iterator[Callable[[], SqlUnitOfWork]]:
    """Unit-of-work factory on the configured database, for reads only.

    A database with no schema yet is set up as ``Oms.start`` does; one at another revision
    is refused with the command that fixes it.
    """
    from toms.persistence.database import Database
    from toms.persistence.schema import current_revision, head_revision

    database = Database(settings.database_url)
    engine = database.engine
    try:
        current, head = current_revision(engine), head_revision()
        if current is None:
            from toms.app import Oms

            oms = Oms(settings)
            try:
                oms.start(connect_fix=False)
            finally:
                oms.stop()
            print(
                f"toms: new database: schema created, reference data loaded from {settings.source}",
                file=sys.stderr,
            )
        elif current != head:
            where = engine.url.render_as_string(hide_password=True)
            raise DatabaseNotReady(
                f"database {where} is at schema revision {current}, this toms reads {head}: "
                "run `toms db upgrade`"
            )
        yield database.reader
    finally:
        database.dispose()


def run(args: argparse.Namespace) -> int:
    from toms.reports import REPORTS_BY_NAME, format_frame, write_csv

    kinds = list(FRAMES) if args.kind == "all" else [args.kind]
    names = [name for kind in kinds for name in FRAMES[kind]]
    as_of = args.as_of or today()
    with reading(settings_from(args)) as uow_factory, uow_factory() as uow:
        if args.account is not None and uow.accounts.get(args.account) is None:
            raise TomsError(f"unknown account {args.account!r}")
        frames = {n: REPORTS_BY_NAME[n].build(uow, args.account, as_of) for n in names}
    scope = f"account {args.account}" if args.account else "all accounts"
    print(f"toms reports: {scope}, as of {as_of.isoformat()}")
    for name, df in frames.items():
        print()
        print(format_frame(df, REPORTS_BY_NAME[name].title))
    if args.csv is not None:
        paths = write_csv(frames, args.csv)
        print()
        print("CSV: " + ", ".join(str(p) for p in paths))
    return 0
