"""Plain SQL on one DB-API connection: the dialect's placeholders and exact value codecs.

Repositories write their statements with ``?`` placeholders and pass values through the
connection's ``Codec``, which stores them exactly as the column types in ``tables`` declare:
Decimals as canonical text on SQLite and ``NUMERIC`` on PostgreSQL, datetimes as UTC (naive
text on SQLite, ``timestamptz`` on PostgreSQL), JSON as text or ``json``. A naive datetime or
a non-finite or non-Decimal amount is refused before anything is written.

Why not the ORM: on the path of an execution report every statement counts. Through the
DB-API an insert costs about 1.5 µs on SQLite; through SQLAlchemy Core about 14 µs, and one
ORM session with a flush and a commit about 300 µs, more than a whole raw QuickFIX round
trip. SQLAlchemy still declares the schema (``tables``), runs the migrations and pools the
connections.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, ClassVar

Params = Sequence[Any]


class Codec:
    """Python values to and from one dialect's columns. SQLite is the base."""

    name = "sqlite"

    @staticmethod
    def sql(text: str) -> str:
        return text

    # ── to the database ────────────────────────────────────────────────────────────
    @staticmethod
    def dec(value: Decimal | None) -> Any:
        return None if value is None else str(_finite(value))

    @staticmethod
    def ts(value: datetime | None) -> Any:
        if value is None:
            return None
        return _utc(value).replace(tzinfo=None).isoformat(" ", "microseconds")

    @staticmethod
    def day(value: date | None) -> Any:
        return None if value is None else value.isoformat()

    @staticmethod
    def json(value: Any) -> Any:
        return None if value is None else json.dumps(value)

    @staticmethod
    def flag(value: bool) -> Any:
        return 1 if value else 0

    # ── from the database ──────────────────────────────────────────────────────────
    @staticmethod
    def to_dec(value: Any) -> Decimal | None:
        return None if value is None else Decimal(value)

    @staticmethod
    def to_ts(value: Any) -> datetime | None:
        return None if value is None else datetime.fromisoformat(value).replace(tzinfo=UTC)

    @staticmethod
    def to_day(value: Any) -> date | None:
        return None if value is None else date.fromisoformat(value)

    @staticmethod
    def from_json(value: Any) -> Any:
        return None if value is None else json.loads(value)

    @staticmethod
    def to_flag(value: Any) -> bool:
        return bool(value)


class PostgresCodec(Codec):
    """psycopg 3 adapts Decimal, aware datetimes, dates and booleans itself."""

    name = "postgresql"
    _converted: ClassVar[dict[str, str]] = {}

    @classmethod
    def sql(cls, text: str) -> str:
        converted = cls._converted.get(text)
        if converted is None:
            if "%" in text:
                raise ValueError(f"a literal % would be read as a placeholder: {text}")
            converted = cls._converted[text] = text.replace("?", "%s")
        return converted

    @staticmethod
    def dec(value: Decimal | None) -> Any:
        return None if value is None else _finite(value)

    @staticmethod
    def ts(value: datetime | None) -> Any:
        return None if value is None else _utc(value)

    @staticmethod
    def day(value: date | None) -> Any:
        return value

    @staticmethod
    def json(value: Any) -> Any:
        from psycopg.types.json import Json

        return None if value is None else Json(value)

    @staticmethod
    def flag(value: bool) -> Any:
        return bool(value)

    @staticmethod
    def to_dec(value: Any) -> Decimal | None:
        return value if value is None or isinstance(value, Decimal) else Decimal(str(value))

    @staticmethod
    def to_ts(value: Any) -> datetime | None:
        return None if value is None else value.astimezone(UTC)

    @staticmethod
    def to_day(value: Any) -> date | None:
        return value  # type: ignore[no-any-return]

    @staticmethod
    def from_json(value: Any) -> Any:
        return value


def codec_for(dialect_name: str) -> type[Codec]:
    if dialect_name == "sqlite":
        return Codec
    if dialect_name == "postgresql":
        return PostgresCodec
    raise ValueError(f"toms stores its data in SQLite or PostgreSQL, not {dialect_name}")


def _finite(value: Decimal) -> Decimal:
    if value.__class__ is not Decimal:
        raise TypeError(f"expected Decimal, got {type(value).__name__} {value!r}")
    if not value.is_finite():
        raise ValueError(f"refusing to store non-finite Decimal {value}")
    return value


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"refusing to store naive datetime {value.isoformat()}")
    return value if value.tzinfo is UTC else value.astimezone(UTC)


def placeholders(count: int) -> str:
    """``?, ?, ?`` for an ``IN (...)`` list of ``count`` values."""
    return ", ".join("?" * count)


class Db:
    """One DB-API connection inside a transaction, with the codec of its dialect.

    Every query's rows are fetched at once, so one cursor serves them all.
    """

    __slots__ = ("_cursor", "_sql", "codec")

    def __init__(self, connection: Any, codec: type[Codec]) -> None:
        self.codec = codec
        self._sql = codec.sql
        self._cursor = connection.cursor()

    def run(self, sql: str, params: Params = ()) -> int:
        """Execute a statement; the number of rows it changed."""
        cursor = self._cursor
        cursor.execute(self._sql(sql), params)
        return int(cursor.rowcount)

    def run_many(self, sql: str, rows: Iterable[Params]) -> None:
        rows = list(rows)
        if rows:
            self._cursor.executemany(self._sql(sql), rows)

    def one(self, sql: str, params: Params = ()) -> tuple[Any, ...] | None:
        """The first row (queries by key have at most one), or None."""
        cursor = self._cursor
        cursor.execute(self._sql(sql), params)
        return cursor.fetchone()  # type: ignore[no-any-return]

    def all(self, sql: str, params: Params = ()) -> list[tuple[Any, ...]]:
        cursor = self._cursor
        cursor.execute(self._sql(sql), params)
        return cursor.fetchall()  # type: ignore[no-any-return]

    def scalars(self, sql: str, params: Params = ()) -> list[Any]:
        return [row[0] for row in self.all(sql, params)]

    def insert(self, sql: str, params: Params) -> int:
        """Run an ``INSERT ... RETURNING <key>`` and give the key the database assigned."""
        cursor = self._cursor
        cursor.execute(self._sql(sql), params)
        return int(cursor.fetchone()[0])
