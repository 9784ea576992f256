"""FIX log tool: QuickFIX FileLog lines -> rows, chains, every field by name."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import simplefix

from toms.cli import main
from toms.fix.dictionary import (
    DictionaryNotFound,
    dictionary_path,
    load_dictionary,
    parse_dictionary,
)
from toms.fix.fixlog import (
    chain,
    format_fields,
    format_table,
    owner_comp_id,
    parse_line,
    parse_log_text,
    read_log,
    rows,
)

LOG_NAME = "FIX.4.4-SIMBROKER-TOMS.messages.current.log"


def message(
    sender: str,
    target: str,
    seq: int,
    msg_type: str,
    *fields: tuple[int, str],
    begin: str = "FIX.4.4",
) -> bytes:
    m = simplefix.FixMessage()
    m.append_pair(8, begin, header=True)
    m.append_pair(35, msg_type, header=True)
    m.append_pair(49, sender, header=True)
    m.append_pair(56, target, header=True)
    m.append_pair(34, seq, header=True)
    m.append_pair(52, "20261121-23:12:01.123", header=True)
    for tag, value in fields:
        m.append_pair(tag, value)
    return bytes(m.encode())


def line(data: bytes, stamp: str = "20261121-23:12:01.123456789") -> str:
    return f"{stamp} : {data.decode('latin-1')}"


def client(seq: int, msg_type: str, *fields: tuple[int, str]) -> str:
    return line(message("TOMS", "SIMBROKER", seq, msg_type, *fields))


def broker(seq: int, msg_type: str, *fields: tuple[int, str]) -> str:
    return line(message("SIMBROKER", "TOMS", seq, msg_type, *fields))


SESSION = [
    client(1, "A", (98, "0"), (108, "30")),
    broker(1, "A", (98, "0"), (108, "30")),
    client(2, "D", (11, "A1"), (55, "AAPL"), (54, "1"), (38, "100"), (40, "2"), (44, "189.5")),
    broker(
        2,
        "8",
        (11, "A1"),
        (17, "E1"),
        (150, "0"),
        (39, "0"),
        (55, "AAPL"),
        (54, "1"),
        (151, "100"),
        (14, "0"),
        (6, "0"),
    ),
    client(3, "D", (11, "B1"), (55, "MSFT"), (54, "2"), (38, "10"), (40, "1")),
    client(4, "G", (11, "A2"), (41, "A1"), (55, "AAPL"), (54, "1"), (38, "200"), (40, "2")),
    broker(
        3,
        "8",
        (11, "A2"),
        (41, "A1"),
        (17, "E2"),
        (150, "5"),
        (39, "0"),
        (55, "AAPL"),
        (54, "1"),
        (151, "200"),
        (14, "0"),
        (6, "0"),
    ),
    broker(
        4,
        "8",
        (11, "B1"),
        (17, "E3"),
        (150, "F"),
        (39, "2"),
        (55, "MSFT"),
        (54, "2"),
        (32, "10"),
        (31, "410"),
        (151, "0"),
        (14, "10"),
        (6, "410"),
    ),
    client(5, "F", (11, "A3"), (41, "A2"), (55, "AAPL"), (54, "1")),
    broker(
        5,
        "8",
        (11, "A3"),
        (41, "A2"),
        (17, "E4"),
        (150, "4"),
        (39, "4"),
        (55, "AAPL"),
        (54, "1"),
        (151, "0"),
        (14, "0"),
        (6, "0"),
    ),
]


@pytest.fixture
def log_file(tmp_path: Path) -> Path:
    path = tmp_path / LOG_NAME
    path.write_bytes("\n".join(SESSION).encode("latin-1") + b"\n")
    return path


# ── dictionary ──────────────────────────────────────────────────────────────────────────
def test_dictionaries_ship_with_quickfix() -> None:
    assert dictionary_path("FIX.4.4").name == "FIX44.xml"
    assert dictionary_path("FIX.4.2").is_file()
    d = load_dictionary("FIX.4.4")
    assert (d.field_name(150), d.field_name(11), d.field_name(99999)) == (
        "ExecType",
        "ClOrdID",
        "99999",
    )
    assert d.value_description(150, "F") == "trade"
    assert d.value_description(39, "1") == "partially filled"
    assert d.message_name("8") == "ExecutionReport"
    assert d.tag("OrigClOrdID") == 41
    assert load_dictionary("FIX.4.4") is d  # cached
    assert load_dictionary("FIX.4.2").value_description(150, "1") == "partial fill"
    with pytest.raises(DictionaryNotFound):
        dictionary_path("FIX.9.9")


def test_dictionary_search_dir_override(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "FIX44.xml").write_text(
        '<fix type="FIX" major="4" minor="4" servicepack="0"><messages>'
        '<message name="Heartbeat" msgtype="0" msgcat="admin"/></messages><fields>'
        '<field number="35" name="MsgType" type="STRING"><value enum="0" description="HEART_BEAT"/>'
        "</field></fields></fix>"
    )
    monkeypatch.setenv("TOMS_FIX_SPEC_DIR", str(tmp_path))
    assert dictionary_path("FIX.4.4") == tmp_path / "FIX44.xml"
    d = parse_dictionary(tmp_path / "FIX44.xml")
    assert (d.begin_string, d.value_description(35, "0")) == ("FIX.4.4", "heart beat")


# ── parsing ─────────────────────────────────────────────────────────────────────────────
def test_parse_line_reads_time_and_fields() -> None:
    moment, fields, warning = parse_line(SESSION[2])
    assert moment == datetime(2026, 11, 21, 23, 12, 1, 123456, tzinfo=UTC)
    assert (35, "D") in fields
    assert (44, "189.5") in fields
    assert warning is None


def test_direction_from_the_file_name(log_file: Path) -> None:
    assert owner_comp_id(log_file) == "SIMBROKER"
    entries = read_log(log_file).entries
    assert [e.direction for e in entries[:2]] == ["in", "out"]
    assert [e.direction for e in read_log(log_file, me="TOMS").entries[:2]] == ["out", "in"]
    assert parse_log_text(SESSION[0]).entries[0].direction is None


def test_corrupt_lines_are_reported_not_fatal() -> None:
    good = SESSION[2]
    bad_checksum = good[:-4] + ("000" if not good.endswith("000\x01") else "001") + "\x01"
    text = "\n".join(
        [
            good,
            "garbage that is not a log line",
            "20261121-23:12:01.123 : 35=D\x0111=X\x01",  # no BeginString
            good[: len(good) // 2],  # cut off mid-message
            bad_checksum,
            "",
            SESSION[3],
        ]
    )
    read = parse_log_text(text, "t.log")
    assert [e.line_no for e in read.entries] == [1, 5, 7]
    assert [p.line_no for p in read.problems] == [2, 3, 4, 5]
    assert "CheckSum" in read.problems[-1].reason
    assert read.entries[1].warning is not None
    assert str(read.problems[0]).startswith("t.log:2: not a '<time> : <message>' line")


# ── filtering and output ────────────────────────────────────────────────────────────────
def test_chain_follows_replace_and_cancel(log_file: Path) -> None:
    entries = read_log(log_file).entries
    for start in ("A1", "A2", "A3"):
        got = chain(entries, start)
        assert [(e.msg_type, e.get(11)) for e in got] == [
            ("D", "A1"),
            ("8", "A1"),
            ("G", "A2"),
            ("8", "A2"),
            ("F", "A3"),
            ("8", "A3"),
        ]
    assert [e.get(17) for e in chain(entries, "B1") if e.msg_type == "8"] == ["E3"]
    assert chain(entries, "ZZZ") == []


def test_rows_and_table_describe_codes(log_file: Path) -> None:
    table = rows(chain(read_log(log_file).entries, "A1"))
    assert table[1]["MsgType"] == "ExecutionReport"
    assert (table[1]["ExecType"], table[1]["OrdStatus"], table[1]["Side"]) == ("new", "new", "buy")
    assert table[3]["ExecType"] == "replaced"
    assert table[5]["ExecType"] == "canceled"
    assert (table[0]["Dir"], table[0]["Sender"], table[0]["Seq"]) == ("in", "TOMS", "2")
    text = format_table(table)
    header = text.splitlines()[0]
    assert "ClOrdID" in header
    assert "OrigClOrdID" in header
    assert "LastPx" not in header  # empty columns are left out
    assert len(text.splitlines()) == 2 + 6
    assert format_table([]) == "(no messages)"


def test_all_fields_names_and_descriptions() -> None:
    entry = parse_log_text(SESSION[7]).entries[0]
    text = format_fields(entry)
    assert "ExecType(150)=F (trade)" in text
    assert "OrdStatus(39)=2 (filled)" in text
    assert "LastPx(31)=410" in text
    assert "MsgType(35)=8 (execution report)" in text


def test_fix42_messages_use_the_fix42_dictionary() -> None:
    data = message(
        "SIMBROKER", "TOMS", 2, "8", (11, "X"), (20, "0"), (150, "1"), (39, "1"), begin="FIX.4.2"
    )
    entry = parse_log_text(line(data)).entries[0]
    assert "ExecType(150)=1 (partial fill)" in format_fields(entry)
    assert "ExecTransType(20)=0 (new)" in format_fields(entry)


# ── command line ────────────────────────────────────────────────────────────────────────
def test_cli_table_filtered_by_cl_ord_id(
    log_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["fix-log", str(log_file), "--cl-ord-id", "A2"]) == 0
    out = capsys.readouterr().out
    assert "OrderCancelReplaceRequest" in out
    assert "B1" not in out
    assert len(out.strip().splitlines()) == 8


def test_cli_default_hides_admin_messages(
    log_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["fix-log", str(log_file)])
    out = capsys.readouterr().out
    assert "Logon" not in out
    main(["fix-log", str(log_file), "--admin"])
    assert "Logon" in capsys.readouterr().out


def test_cli_all_fields_and_warnings(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / LOG_NAME
    path.write_text(SESSION[7] + "\nnot fix at all\n", encoding="latin-1")
    assert main(["fix-log", str(path), "--all-fields"]) == 0
    captured = capsys.readouterr()
    assert "CumQty(14)=10" in captured.out
    assert "warning:" in captured.err
    assert ":2: not a" in captured.err


def test_cli_directory_and_missing_file(
    log_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["fix-log", str(log_file.parent), "--cl-ord-id", "B1"]) == 0
    assert "MSFT" in capsys.readouterr().out
    assert main(["fix-log", str(tmp_path / "missing.log")]) == 1
    assert "missing.log" in capsys.readouterr().err
