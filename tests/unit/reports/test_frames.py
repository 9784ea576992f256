"""Text tables round for the eye; CSV keeps every digit."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

from toms.reports.frames import display, format_frame, frame, to_csv_text, write_csv

D = Decimal


def sample():  # type: ignore[no-untyped-def]
    return frame(
        [
            {
                "account": "GROWTH",
                "quantity": D(1500),
                "cost_basis": D("271234.5"),
                "slippage_bps": D(6000) / D(180),
                "traded": date(2026, 11, 20),
                "short": False,
            },
            {
                "account": "ALPHA",
                "quantity": D("-200"),
                "cost_basis": D("-26000.005"),
                "slippage_bps": None,
                "traded": None,
                "short": True,
            },
        ],
        ["account", "quantity", "cost_basis", "slippage_bps", "traded", "short"],
    )


def test_display_rounds_half_even_by_column_kind() -> None:
    assert display(D("271234.5"), 2) == "271,234.50"
    assert display(D("-26000.005"), 2) == "-26,000.00"  # half-even: .005 -> .00
    assert display(D("-26000.015"), 2) == "-26,000.02"
    assert display(D(1) / D(3)) == "0.333333"  # long quotients: 6 places
    assert display(D("1.5")) == "1.5"
    assert display(D("-0.001"), 2) == "0.00" and display(D("-0")) == "0"
    assert display(None) == "" and display(date(2026, 1, 2)) == "2026-01-02"


def test_format_frame_aligns_numbers_right() -> None:
    text = format_frame(sample(), "Sample")
    lines = text.splitlines()
    assert lines[0] == "Sample"
    header, _rule, growth, alpha = lines[2:]
    assert header.split() == [
        "account",
        "quantity",
        "cost_basis",
        "slippage_bps",
        "traded",
        "short",
    ]
    assert "271,234.50" in growth and "33.33" in growth and "2026-11-20" in growth
    assert growth.index("1,500") + len("1,500") == header.index("quantity") + len("quantity")
    assert "-26,000.00" in alpha and alpha.rstrip().endswith("yes")


def test_empty_frame_says_so() -> None:
    assert format_frame(frame([], ["a", "b"]), "Nothing") == "Nothing\n\n(no rows)"


def test_csv_is_exact_and_plain(tmp_path: Path) -> None:
    df = sample()
    df.loc[0, "quantity"] = D("1.5E+3")  # plain notation, never scientific
    text = to_csv_text(df)
    lines = text.splitlines()
    assert lines[0] == "account,quantity,cost_basis,slippage_bps,traded,short"
    assert lines[1].startswith("GROWTH,1500,271234.5,33.33333333333333333333333333,2026-11-20,")
    assert lines[2] == "ALPHA,-200,-26000.005,,,True"
    (path,) = write_csv({"sample": df}, tmp_path / "out")
    assert path == tmp_path / "out" / "sample.csv"
    assert path.read_text() == text
    assert df.loc[0, "quantity"] == D("1.5E+3")  # the frame itself is untouched
