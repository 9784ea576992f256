"""FIX tag and enum names, read from the QuickFIX data dictionaries (FIX42.xml, FIX44.xml).

The quickfix wheel installs its dictionaries under ``<venv>/share/quickfix/``.
``dictionary_path`` finds them (``TOMS_FIX_SPEC_DIR`` overrides the search) and
``load_dictionary`` parses one, once per process. Only the standard library is used, so
``toms fix-log`` works without importing quickfix.
"""

from __future__ import annotations

import importlib.util
import os
import site
import sys
import sysconfig
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Final

SPEC_DIR_ENV: Final = "TOMS_FIX_SPEC_DIR"
_FILES: Final = {
    "FIX.4.0": "FIX40.xml",
    "FIX.4.1": "FIX41.xml",
    "FIX.4.2": "FIX42.xml",
    "FIX.4.3": "FIX43.xml",
    "FIX.4.4": "FIX44.xml",
    "FIXT.1.1": "FIXT11.xml",
    "FIX.5.0": "FIX50.xml",
    "FIX.5.0SP1": "FIX50SP1.xml",
    "FIX.5.0SP2": "FIX50SP2.xml",
}


class DictionaryNotFound(FileNotFoundError):
    pass


def spec_dirs() -> list[Path]:
    """Where QuickFIX data dictionaries are looked for, in order."""
    dirs: list[Path] = []
    env = os.environ.get(SPEC_DIR_ENV)
    if env:
        dirs.append(Path(env))
    dirs += [
        Path(sys.prefix) / "share" / "quickfix",
        Path(sysconfig.get_path("data")) / "share" / "quickfix",
    ]
    spec = importlib.util.find_spec("quickfix")
    if spec is not None and spec.origin:
        package_dir = Path(spec.origin).parent
        dirs += [
            package_dir / "spec",
            package_dir / "quickfix" / "spec",
            package_dir.parent.parent.parent / "share" / "quickfix",
        ]
    dirs += [
        Path(site.getuserbase()) / "share" / "quickfix",
        Path("/usr/local/share/quickfix"),
        Path("/usr/share/quickfix"),
    ]
    unique: list[Path] = []
    for d in dirs:
        if d not in unique:
            unique.append(d)
    return unique


def dictionary_path(begin_string: str) -> Path:
    """The data dictionary file for a BeginString such as ``FIX.4.4``."""
    try:
        name = _FILES[begin_string]
    except KeyError:
        raise DictionaryNotFound(f"no QuickFIX data dictionary for {begin_string!r}") from None
    searched = spec_dirs()
    for directory in searched:
        candidate = directory / name
        if candidate.is_file():
            return candidate
    raise DictionaryNotFound(
        f"{name} not found; looked in {', '.join(str(d) for d in searched)} "
        f"(set {SPEC_DIR_ENV} to the directory holding the QuickFIX data dictionaries)"
    )


@dataclass(frozen=True, slots=True)
class FieldDef:
    tag: int
    name: str
    type: str
    values: dict[str, str] = field(default_factory=dict)  # enum value -> description


@dataclass(frozen=True, slots=True)
class FixDictionary:
    begin_string: str
    fields: dict[int, FieldDef]
    messages: dict[str, str]  # MsgType -> name

    def field_name(self, tag: int) -> str:
        f = self.fields.get(tag)
        return f.name if f is not None else str(tag)

    def value_description(self, tag: int, value: str) -> str | None:
        f = self.fields.get(tag)
        return f.values.get(value) if f is not None else None

    def message_name(self, msg_type: str) -> str:
        return self.messages.get(msg_type, msg_type)

    def tag(self, name: str) -> int | None:
        for f in self.fields.values():
            if f.name == name:
                return f.tag
        return None


def parse_dictionary(path: Path) -> FixDictionary:
    root = ET.parse(path).getroot()
    begin = f"{root.get('type', 'FIX')}.{root.get('major')}.{root.get('minor')}"
    sp = root.get("servicepack", "0")
    if sp not in ("", "0"):
        begin += f"SP{sp}"
    fields: dict[int, FieldDef] = {}
    for f in root.iterfind("fields/field"):
        tag = int(f.get("number", "0"))
        values = {
            v.get("enum", ""): _humanize(v.get("description", "")) for v in f.iterfind("value")
        }
        fields[tag] = FieldDef(tag, f.get("name", str(tag)), f.get("type", ""), values)
    messages = {m.get("msgtype", ""): m.get("name", "") for m in root.iterfind("messages/message")}
    return FixDictionary(begin, fields, messages)


@cache
def load_dictionary(begin_string: str = "FIX.4.4") -> FixDictionary:
    """The parsed dictionary for a BeginString, cached for the life of the process."""
    return parse_dictionary(dictionary_path(begin_string))


def _humanize(description: str) -> str:
    """QuickFIX writes ``PARTIALLY_FILLED``; people read "partially filled"."""
    return description.replace("_", " ").lower()
