"""Read-only field access shared by the codec, over quickfix and simplefix messages alike.

The codec reads through ``FixFields`` so it is unit-tested with simplefix-built golden
messages and never needs a QuickFIX session.
"""

from __future__ import annotations

from typing import Any, Protocol


class FixFields(Protocol):
    def get(self, tag: int) -> str | None: ...


class DictFields:
    """Fields from a plain mapping (tests, the simulator's own records)."""

    def __init__(self, fields: dict[int, str]) -> None:
        self._fields = fields

    def get(self, tag: int) -> str | None:
        return self._fields.get(tag)


class SimplefixFields:
    def __init__(self, message: Any) -> None:
        self._m = message

    def get(self, tag: int) -> str | None:
        value = self._m.get(tag)
        return value.decode("ascii", "replace") if value is not None else None


class QuickfixFields:
    """Body first, then header (PossDupFlag and SendingTime live in the header)."""

    def __init__(self, message: Any) -> None:
        self._m = message
        self._header = message.getHeader()

    def get(self, tag: int) -> str | None:
        if self._m.isSetField(tag):
            return str(self._m.getField(tag))
        if self._header.isSetField(tag):
            return str(self._header.getField(tag))
        return None
