"""Building report frames, and showing them: text tables for the terminal, CSV files.

Every report is a ``pandas.DataFrame`` with one column per figure. Money, prices and
quantities stay ``decimal.Decimal`` (object dtype) from the database to the CSV file:
nothing passes through a float. Only the text table rounds, for the eye (``DISPLAY_PLACES``);
the CSV keeps every digit, in plain notation.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path
from typing import Any

import pandas as pd

ZERO = Decimal(0)

# Decimal places shown in text tables, by column name. Columns not named here show their
# Decimal as stored, or at most ``DEFAULT_PLACES`` places when a division made it long.
_MONEY = (
    "cost_basis",
    "market_value",
    "unrealized_pnl",
    "proceeds",
    "gain",
    "wash_sale_disallowed",
    "wash_sale_adjustment",
    "reportable_gain",
    "charges",
    "gross_amount",
    "net_amount",
    "notional_cost",
)
_PRICE = (
    "last_price",
    "unit_cost",
    "price",
    "avg_px",
    "arrival_price",
    "slippage",
    "average_price",
    "price_vs_average",
)
DISPLAY_PLACES: dict[str, int] = {
    **dict.fromkeys(_MONEY, 2),
    **dict.fromkeys(_PRICE, 4),
    "slippage_bps": 2,
    "fill_rate": 4,
    "block_fill_rate": 4,
    "ideal": 2,
    "deviation": 2,
}
DEFAULT_PLACES = 6


def frame(records: Iterable[Mapping[str, Any]], columns: Sequence[str]) -> pd.DataFrame:
    """A frame with exactly ``columns``, in order, even when there are no records.

    Decimal columns come out as object dtype (pandas has no exact decimal dtype), which keeps
    each value the ``Decimal`` it was.
    """
    rows = [[r.get(c) for c in columns] for r in records]
    if not rows:
        return pd.DataFrame({c: pd.Series([], dtype=object) for c in columns})
    return pd.DataFrame(rows, columns=list(columns))


def dsum(values: Iterable[Decimal | None]) -> Decimal:
    """Exact sum of Decimals (``None`` counts as nothing)."""
    return sum((v for v in values if v is not None), ZERO)


def _is_missing(value: object) -> bool:
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def display(value: object, places: int | None = None) -> str:
    """One cell as text: Decimals rounded half-even to ``places`` with thousands separators."""
    if _is_missing(value):
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Decimal):
        if places is None and value.as_tuple().exponent < -DEFAULT_PLACES:  # type: ignore[operator]
            places = DEFAULT_PLACES
        if places is not None:
            value = value.quantize(Decimal(1).scaleb(-places), ROUND_HALF_EVEN)
        if value.is_zero():
            value = abs(value)  # −0.001 shown to cents is 0.00, not −0.00
        return f"{value:,}"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _numeric(value: object) -> bool:
    return isinstance(value, Decimal | int | float) and not isinstance(value, bool)


def format_frame(
    df: pd.DataFrame, title: str | None = None, places: Mapping[str, int] | None = None
) -> str:
    """A plain aligned text table: numbers right-aligned, a rule under the header."""
    shown = {**DISPLAY_PLACES, **(places or {})}
    headers = [str(c) for c in df.columns]
    head = [title, ""] if title else []
    if df.empty:
        return "\n".join([*head, "(no rows)"])
    columns = [df[c].tolist() for c in df.columns]
    cells = [
        [display(v, shown.get(h)) for v in col] for h, col in zip(headers, columns, strict=True)
    ]
    right = [any(_numeric(v) for v in col) for col in columns]
    widths = [max(len(h), *(len(c) for c in col)) for h, col in zip(headers, cells, strict=True)]

    def line(values: Sequence[str]) -> str:
        return "  ".join(
            v.rjust(w) if r else v.ljust(w) for v, w, r in zip(values, widths, right, strict=True)
        ).rstrip()

    body = [line([col[i] for col in cells]) for i in range(len(df))]
    return "\n".join([*head, line(headers), "  ".join("-" * w for w in widths), *body])


def _plain(value: object) -> object:
    """CSV cell: Decimals in plain notation (never 1E+2), dates ISO, missing empty."""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, date):
        return value.isoformat()
    return value


def to_csv_text(df: pd.DataFrame) -> str:
    """The frame as CSV text, every Decimal digit kept."""
    out = df.copy()
    for c in out.columns:
        if out[c].dtype == object:
            out[c] = out[c].map(_plain).astype(object)
    return str(out.to_csv(index=False))


def to_records(df: pd.DataFrame) -> list[dict[str, object]]:
    """The frame as JSON-ready rows: Decimals as exact strings, missing values as null."""
    return [{str(k): _json_cell(v) for k, v in r.items()} for r in df.to_dict("records")]


def _json_cell(value: object) -> object:
    if _is_missing(value):
        return None
    if hasattr(value, "item"):  # numpy scalars
        value = value.item()
    return _plain(value)


def write_csv(frames: Mapping[str, pd.DataFrame], directory: Path) -> list[Path]:
    """Write each frame to ``<directory>/<name>.csv``; returns the paths written."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, df in frames.items():
        path = directory / f"{name}.csv"
        path.write_text(to_csv_text(df), encoding="utf-8")
        paths.append(path)
    return paths
