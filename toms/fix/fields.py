"""Read-only field access shared by the codec, over quickfix and simplefix messages alike.

The codec reads through ``FixFields`` so it is unit-tested with simplefix-built golden
messages and never needs a QuickFIX session.
"""

from __future__ import annotations

from functools import cache
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


class RawFields:
    """Fields read from a message's wire text in one pass.

    One ``split`` of the text QuickFIX already rendered costs a fraction of two SWIG calls
    per tag (``isSetField`` then ``getField``, body then header, in ``QuickfixFields``).
    A tag that occurs more than once (inside repeating groups) keeps its first occurrence;
    the codec reads only tags that the data dictionaries place outside every repeating
    group of the messages it decodes (``tests/unit/fix/test_fields.py`` checks it against
    FIX42.xml and FIX44.xml). A field of type DATA may hold SOH itself, so text that
    carries one is not split: ``of`` returns None for it.
    """

    __slots__ = ("_fields",)

    def __init__(self, fields: dict[int, str]) -> None:
        self._fields = fields

    @classmethod
    def of(cls, raw: str) -> RawFields | None:
        fields: dict[int, str] = {}
        for part in raw.split("\x01"):
            tag, sep, value = part.partition("=")
            if sep and tag.isdigit():
                fields.setdefault(int(tag), value)
        if not fields.keys().isdisjoint(data_tags()):
            return None
        return cls(fields)

    def get(self, tag: int) -> str | None:
        return self._fields.get(tag)


@cache
def data_tags() -> frozenset[int]:
    """Tags of type DATA in FIX 4.2 and 4.4: raw bytes, SOH included, after a length."""
    from toms.fix.dictionary import load_dictionary

    return frozenset(
        f.tag
        for version in ("FIX.4.2", "FIX.4.4")
        for f in load_dictionary(version).fields.values()
        if f.type == "DATA"
    )


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
