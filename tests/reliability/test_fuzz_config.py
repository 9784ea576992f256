"""Random damage to config/toms.toml: ``load_settings`` answers with a ``ConfigError``
naming the file, the key and the problem, never with any other exception.

A trader at 7 a.m. with a broken config needs the line to fix, not a traceback. Hypothesis
takes the shipped config apart and puts it back wrong: keys deleted, values of the wrong
TOML type, out-of-range numbers, unknown keys and sections, whole sections replaced.
"""

from __future__ import annotations

import datetime as dt
import math
import shutil
import tomllib
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from toms.config import DEFAULT_CONFIG, ConfigError, Settings, load_settings

pytestmark = pytest.mark.reliability

BASE: dict[str, Any] = tomllib.loads(DEFAULT_CONFIG.read_text())


# ── a TOML writer for what the config uses (tomllib only reads) ──────────────────────────
def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return '"' + "".join(_escape(c) for c in value) + '"'
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_key(k)} = {toml_value(v)}" for k, v in value.items()) + "}"
    raise TypeError(type(value))


def _escape(c: str) -> str:
    if c in '"\\':
        return "\\" + c
    return c if c.isprintable() else f"\\U{ord(c):08x}"


def _key(name: str) -> str:
    bare = name and all(c.isascii() and (c.isalnum() or c in "-_") for c in name)
    return name if bare else toml_value(name)


def to_toml(doc: dict[str, Any]) -> str:
    lines = [f"{_key(k)} = {toml_value(v)}" for k, v in doc.items() if not _is_table(v)]
    for name, section in doc.items():
        if isinstance(section, dict):
            lines.append(f"[{_key(name)}]")
            lines += [f"{_key(k)} = {toml_value(v)}" for k, v in section.items()]
        elif _is_table(section):
            for row in section:
                lines.append(f"[[{_key(name)}]]")
                lines += [f"{_key(k)} = {toml_value(v)}" for k, v in row.items()]
    return "\n".join(lines) + "\n"


def _is_table(value: Any) -> bool:
    return isinstance(value, dict) or (
        isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)
    )


# ── damage ──────────────────────────────────────────────────────────────────────────────
scalars = st.one_of(
    st.integers(-(2**63), 2**63 - 1),
    st.sampled_from([0, -1, 65536, 10**12]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.text(max_size=30),
    st.sampled_from(["", "-5", "abc", "1e999", "NaN", "FIX.9.9", "~nosuchuser/x", "mysql://x"]),
    st.dates(),
)
toml_values = st.one_of(
    scalars,
    st.lists(scalars, max_size=3),
    st.dictionaries(st.text(min_size=1, max_size=8), scalars, max_size=2),
)


@st.composite
def damaged_config(draw: st.DrawFn) -> dict[str, Any]:
    doc: dict[str, Any] = tomllib.loads(DEFAULT_CONFIG.read_text())  # a fresh, deep copy
    for _ in range(draw(st.integers(1, 3))):
        section = draw(st.sampled_from([*sorted(doc), "nonsense"]))
        target = doc.get(section)
        if isinstance(target, list) and target and all(isinstance(r, dict) for r in target):
            target = target[draw(st.integers(0, len(target) - 1))]
        action = draw(st.sampled_from(["set", "delete", "unknown_key", "replace_section"]))
        if action == "replace_section" or not isinstance(target, dict):
            if draw(st.booleans()):
                doc.pop(section, None)
            else:
                doc[section] = draw(toml_values)
        elif action == "unknown_key":
            target[draw(st.text(min_size=1, max_size=10))] = draw(toml_values)
        elif target:
            key = draw(st.sampled_from(sorted(target)))
            if action == "delete":
                del target[key]
            else:
                target[key] = draw(toml_values)
    return doc


def test_the_shipped_config_round_trips_through_the_writer(tmp_path: Path) -> None:
    """The damage below is to this config and only what it says."""
    path = tmp_path / "toms.toml"
    path.write_text(to_toml(BASE))
    shutil.copy(DEFAULT_CONFIG.parent / "compliance.toml", tmp_path)
    assert tomllib.loads(path.read_text()) == BASE
    assert isinstance(load_settings(path), Settings)


def test_damaged_configs_are_refused_with_file_key_and_problem(tmp_path: Path) -> None:
    shutil.copy(DEFAULT_CONFIG.parent / "compliance.toml", tmp_path)
    path = tmp_path / "toms.toml"
    outcomes = {"loaded": 0, "refused": 0}

    @settings(
        max_examples=300,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture],
    )
    @given(damaged_config())
    def load(doc: dict[str, Any]) -> None:
        path.write_text(to_toml(doc))
        try:
            load_settings(path)
            outcomes["loaded"] += 1  # the damage happened to be harmless (e.g. a name)
        except ConfigError as exc:
            refused = exc
        else:
            return
        assert refused.source == str(path.resolve()), refused
        assert refused.key.strip() and refused.problem.strip(), refused
        outcomes["refused"] += 1

    load()
    assert outcomes["refused"] > outcomes["loaded"], outcomes
    print(f"config fuzz: {outcomes}")
