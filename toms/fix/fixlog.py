"""Read QuickFIX FileLog message logs and show them to people.

A FileLog ``*.messages.*.log`` holds one message per line, both directions::

    20261121-23:56:43.375015000 : 8=FIX.4.4<SOH>9=74<SOH>35=A<SOH>...<SOH>10=035<SOH>

``read_log`` parses every line with simplefix into ``LogEntry`` objects and reports the
lines it cannot use as ``LogProblem`` (never fatal). ``chain`` keeps the messages of one
order's ClOrdID chain (ClOrdID or OrigClOrdID, followed through cancels and replaces).
``rows`` / ``format_table`` summarise, ``format_fields`` shows every tag as
``Name(tag)=value (description)`` with names from the QuickFIX data dictionary.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

import simplefix

from toms.domain.errors import TomsError
from toms.fix.dictionary import DictionaryNotFound, FixDictionary, load_dictionary

SOH: Final = "\x01"
_LINE: Final = re.compile(r"^(\d{8}-\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))? : (.*)$", re.DOTALL)
_FILE_NAME: Final = re.compile(r"^(FIXT?\.\d+\.\d+(?:SP\d)?)-(.+)-(.+?)\.messages\b")
# Tags the summary table shows, in order, and their column titles.
SUMMARY_TAGS: Final = (
    (11, "ClOrdID"),
    (41, "OrigClOrdID"),
    (150, "ExecType"),
    (20, "ExecTransType"),
    (39, "OrdStatus"),
    (55, "Symbol"),
    (54, "Side"),
    (38, "OrderQty"),
    (44, "Price"),
    (32, "LastQty"),
    (31, "LastPx"),
    (14, "CumQty"),
    (151, "LeavesQty"),
    (6, "AvgPx"),
    (58, "Text"),
)
_DESCRIBED: Final = frozenset({150, 39, 54, 102, 434, 87, 88, 20})


class FixLogError(TomsError):
    """The log cannot be read at all (missing file, unreadable directory)."""


@dataclass(frozen=True, slots=True)
class LogEntry:
    source: str
    line_no: int
    time: datetime | None
    fields: tuple[tuple[int, str], ...]
    direction: str | None = None  # "in" / "out" as seen by the log's owner, when known
    warning: str | None = None  # e.g. a checksum that does not add up

    def get(self, tag: int) -> str | None:
        for t, v in self.fields:
            if t == tag:
                return v
        return None

    @property
    def msg_type(self) -> str:
        return self.get(35) or "?"

    @property
    def begin_string(self) -> str:
        return self.get(8) or "FIX.4.4"


@dataclass(frozen=True, slots=True)
class LogProblem:
    source: str
    line_no: int
    reason: str
    text: str

    def __str__(self) -> str:
        shown = self.text.replace(SOH, "|")
        if len(shown) > 80:
            shown = shown[:77] + "..."
        return f"{self.source}:{self.line_no}: {self.reason}: {shown}"


@dataclass(slots=True)
class LogRead:
    entries: list[LogEntry] = field(default_factory=list)
    problems: list[LogProblem] = field(default_factory=list)


# ── reading ─────────────────────────────────────────────────────────────────────────────
def owner_comp_id(path: Path) -> str | None:
    """The SenderCompID of the session that wrote a FileLog, read from its file name."""
    match = _FILE_NAME.match(path.name)
    return match.group(2) if match else None


def parse_line(line: str) -> tuple[datetime | None, tuple[tuple[int, str], ...], str | None]:
    """(time, fields, warning) of one FileLog line; ValueError when it is not a message."""
    match = _LINE.match(line)
    if match is None:
        raise ValueError("not a '<time> : <message>' line")
    stamp, fraction, body = match.groups()
    moment = datetime.strptime(stamp, "%Y%m%d-%H:%M:%S").replace(tzinfo=UTC)
    if fraction:
        moment = moment.replace(microsecond=int(fraction[:6].ljust(6, "0")))
    if not body.startswith("8="):
        raise ValueError("message does not start with BeginString (8)")
    if not body.endswith(SOH):
        raise ValueError("message is cut off (no final SOH)")
    parser = simplefix.FixParser()
    parser.append_buffer(body.encode("latin-1"))
    message = parser.get_message()
    if message is None:
        raise ValueError("incomplete message (no CheckSum (10))")
    fields = tuple((int(tag), value.decode("latin-1")) for tag, value in message.pairs)
    return moment, fields, _check_framing(body)


def _check_framing(body: str) -> str | None:
    raw = body.encode("latin-1")
    trailer = raw.rfind(b"\x0110=")
    if trailer < 0:
        return "no CheckSum (10)"
    declared = raw[trailer + 4 : -1]
    checksum = sum(raw[: trailer + 1]) % 256
    if declared != b"%03d" % checksum:
        return f"CheckSum is {declared.decode()}, computed {checksum:03d}"
    length = re.match(rb"8=[^\x01]*\x019=(\d+)\x01", raw)
    if length is None:
        return "no BodyLength (9)"
    start = length.end()
    if int(length.group(1)) != trailer + 1 - start:
        return f"BodyLength is {length.group(1).decode()}, counted {trailer + 1 - start}"
    return None


def read_log(path: Path, me: str | None = None) -> LogRead:
    """Every message in a FileLog file (or every ``*.messages*.log`` in a directory)."""
    if path.is_dir():
        files = sorted(p for p in path.glob("*.messages*.log") if p.is_file())
        if not files:
            raise FixLogError(f"{path}: no QuickFIX message logs (*.messages*.log) in it")
        result = LogRead()
        for f in files:
            part = read_log(f, me)
            result.entries += part.entries
            result.problems += part.problems
        result.entries.sort(key=lambda e: e.time or datetime.min.replace(tzinfo=UTC))
        return result
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise FixLogError(f"{path}: {exc.strerror or exc}") from None
    return parse_log_text(data.decode("latin-1"), str(path), me or owner_comp_id(path))


def parse_log_text(text: str, source: str = "<log>", me: str | None = None) -> LogRead:
    result = LogRead()
    for line_no, line in enumerate(text.split("\n"), 1):
        line = line.rstrip("\r")
        if not line.strip():
            continue
        try:
            moment, fields, warning = parse_line(line)
        except ValueError as exc:
            result.problems.append(LogProblem(source, line_no, str(exc), line))
            continue
        entry = LogEntry(source, line_no, moment, fields, _direction(fields, me), warning)
        if warning:
            result.problems.append(LogProblem(source, line_no, warning, line))
        result.entries.append(entry)
    return result


def _direction(fields: Sequence[tuple[int, str]], me: str | None) -> str | None:
    if me is None:
        return None
    sender = next((v for t, v in fields if t == 49), None)
    target = next((v for t, v in fields if t == 56), None)
    if sender == me:
        return "out"
    if target == me:
        return "in"
    return None


# ── filtering ───────────────────────────────────────────────────────────────────────────
def chain(entries: Iterable[LogEntry], cl_ord_id: str) -> list[LogEntry]:
    """Messages whose ClOrdID or OrigClOrdID belongs to ``cl_ord_id``'s chain: a replace
    ``41=A 11=B`` links A and B, so filtering by either shows the whole order."""
    items = list(entries)
    ids = {cl_ord_id}
    grown = True
    while grown:
        grown = False
        for e in items:
            linked = {v for v in (e.get(11), e.get(41)) if v}
            if linked & ids and not linked <= ids:
                ids |= linked
                grown = True
    return [e for e in items if {e.get(11), e.get(41)} & ids]


# ── presentation ────────────────────────────────────────────────────────────────────────
def _dictionary(begin_string: str) -> FixDictionary | None:
    for candidate in (begin_string, "FIX.4.4"):
        try:
            return load_dictionary(candidate)
        except (DictionaryNotFound, OSError):
            continue
    return None


def describe(entry: LogEntry, tag: int, value: str) -> str | None:
    d = _dictionary(entry.begin_string)
    return d.value_description(tag, value) if d is not None else None


def message_name(entry: LogEntry) -> str:
    d = _dictionary(entry.begin_string)
    return d.message_name(entry.msg_type) if d is not None else entry.msg_type


def rows(entries: Iterable[LogEntry]) -> list[dict[str, str]]:
    """One summary row per message, keyed by column title."""
    out = []
    for e in entries:
        row = {
            "Time": e.time.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3] if e.time else "",
            "Dir": e.direction or "",
            "MsgType": message_name(e),
            "Sender": e.get(49) or "",
            "Target": e.get(56) or "",
            "Seq": e.get(34) or "",
        }
        for tag, title in SUMMARY_TAGS:
            value = e.get(tag)
            if value is None:
                row[title] = ""
            elif tag in _DESCRIBED:
                row[title] = describe(e, tag, value) or value
            else:
                row[title] = value
        if e.warning:
            row["Text"] = f"[{e.warning}] {row['Text']}".strip()
        out.append(row)
    return out


def format_table(table: Sequence[dict[str, str]], max_width: int = 40) -> str:
    """A plain-text table; columns that are empty in every row are left out."""
    if not table:
        return "(no messages)"
    columns = [c for c in table[0] if any(r.get(c) for r in table)]
    cells = [[_clip(r.get(c, ""), max_width) for c in columns] for r in table]
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += [
        "  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip() for row in cells
    ]
    return "\n".join(lines)


def format_fields(entry: LogEntry) -> str:
    """Every field of a message as ``Name(tag)=value (description)``, one per line."""
    d = _dictionary(entry.begin_string)
    head = f"{entry.time.isoformat() if entry.time else '?'} {entry.direction or ''} " + (
        f"{message_name(entry)} ({entry.source}:{entry.line_no})"
    )
    lines = [" ".join(head.split())]
    for tag, value in entry.fields:
        name = d.field_name(tag) if d is not None else str(tag)
        text = f"  {name}({tag})={value}"
        description = d.value_description(tag, value) if d is not None else None
        if description:
            text += f" ({description})"
        lines.append(text)
    if entry.warning:
        lines.append(f"  ! {entry.warning}")
    return "\n".join(lines)


def _clip(value: str, width: int) -> str:
    return value if len(value) <= width else value[: width - 1] + "…"
