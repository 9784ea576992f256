"""``toms fix-log FILE``: a QuickFIX message log as a readable table.

FILE is a FileLog ``*.messages.*.log`` (or a directory of them). ``--cl-ord-id`` keeps one
order's ClOrdID chain (cancels and replaces included); ``--all-fields`` prints every field
as ``Name(tag)=value (description)``. Lines that are not FIX messages are reported on
stderr and skipped.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from toms.fix.fixlog import chain, format_fields, format_table, read_log, rows


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "fix-log",
        help="show a QuickFIX message log as a table",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("file", type=Path, help="a *.messages.*.log file or a directory of them")
    parser.add_argument("--cl-ord-id", help="only this order's ClOrdID / OrigClOrdID chain")
    parser.add_argument(
        "--all-fields", action="store_true", help="every field, as Name(tag)=value (meaning)"
    )
    parser.add_argument(
        "--me",
        metavar="COMPID",
        help="whose log it is, to mark messages in/out (default: from the file name)",
    )
    parser.add_argument("--admin", action="store_true", help="include heartbeats and logons")
    parser.set_defaults(handler=run)


ADMIN_TYPES = frozenset({"0", "1", "2", "4", "5", "A"})


def run(args: argparse.Namespace) -> int:
    log = read_log(args.file, args.me)
    entries = log.entries
    if args.cl_ord_id:
        entries = chain(entries, args.cl_ord_id)
    elif not args.admin:
        entries = [e for e in entries if e.msg_type not in ADMIN_TYPES]
    text = (
        "\n\n".join(format_fields(e) for e in entries) or "(no messages)"
        if args.all_fields
        else format_table(rows(entries))
    )
    try:
        print(text)
    except BrokenPipeError:  # `toms fix-log ... | head`
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - stdout must stay open until exit
        return 0
    for problem in log.problems:
        print(f"warning: {problem}", file=sys.stderr)
    return 0
