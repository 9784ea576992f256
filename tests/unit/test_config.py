"""A bad configuration is rejected with the file, the key and the problem."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from toms.config import ConfigError, load_settings

GOOD = """
[database]
data_dir = "data"
[[brokers]]
id = "SIM"
target_comp_id = "SIMBROKER"
port = 9878
[[securities]]
symbol = "IBM"
issuer = "IBM"
price = "180.25"
lot_size = "100"
[[accounts]]
id = "A1"
name = "Fund"
cash = "1000000.005"
[[holdings]]
account = "A1"
symbol = "IBM"
quantity = "100"
unit_cost = "150"
trade_date = 2025-01-02
[[users]]
name = "pm1"
token = "secret-token-1"
roles = ["pm"]
accounts = ["A1"]
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "toms.toml"
    path.write_text(text)
    return path


def test_good_file_loads_exact_values(tmp_path: Path) -> None:
    s = load_settings(write(tmp_path, GOOD))
    assert s.accounts[0].cash == Decimal("1000000.005")
    assert s.prices["IBM"] == Decimal("180.25")
    assert s.data_dir == tmp_path / "data"
    assert s.database_url == f"sqlite:///{tmp_path / 'data' / 'toms.db'}"
    assert s.broker("SIM").fix_version == "FIX.4.4"
    assert s.initial_lots()[0].cost_basis == Decimal("15000")
    assert (s.users[0].name, s.users[0].roles, s.users[0].accounts) == ("pm1", ("pm",), ("A1",))


def test_shipped_example_config_loads() -> None:
    s = load_settings()
    assert {b.broker_id for b in s.brokers} == {"SIM", "SIM42"}
    assert s.compliance  # the example rule book is wired in


@pytest.mark.parametrize(
    ("edit", "key", "problem"),
    [
        (
            lambda t: t.replace('cash = "1000000.005"', "cash = 1000000.5"),
            "accounts[0].cash",
            "as a string",
        ),
        (
            lambda t: t.replace('cash = "1000000.005"', 'cash = "-5"'),
            "accounts[0].cash",
            "must not be negative",
        ),
        (
            lambda t: t.replace('lot_size = "100"', 'lot_size = "0"'),
            "securities[0].lot_size",
            "must be positive",
        ),
        (lambda t: t.replace('name = "Fund"\n', ""), "accounts[0].name", "is missing"),
        (
            lambda t: t.replace('id = "A1"', 'id = " "').replace('account = "A1"', 'account = " "'),
            "accounts[0]",
            "account id must not be empty",
        ),
        (lambda t: t.replace("port = 9878", 'port = "x"'), "brokers[0].port", "must be int"),
        (lambda t: t.replace("port = 9878", "port = 70000"), "brokers[0].port", "not a TCP port"),
        (
            lambda t: t + '\n[[brokers]]\nid = "SIM"\ntarget_comp_id = "B"\nport = 1\n',
            "brokers",
            "defined twice",
        ),
        (
            lambda t: t.replace('account = "A1"', 'account = "NOPE"'),
            "holdings[0].account",
            "not a configured account",
        ),
        (lambda t: t + "\n[surprise]\nx = 1\n", "surprise", "unknown section"),
        (
            lambda t: t.replace("[[brokers]]\n", '[[brokers]]\nfix_version = "FIX.5.0"\n'),
            "brokers[0].fix_version",
            "is not one of",
        ),
        (
            lambda t: t.replace("[[accounts]]\n", '[[accounts]]\ntax_lot_method = "random"\n'),
            "accounts[0].tax_lot_method",
            "is not one of",
        ),
        (
            lambda t: t.replace('roles = ["pm"]', 'roles = ["admin"]'),
            "users[0].roles",
            "is not one of",
        ),
        (lambda t: t.replace('"secret-token-1"', '"short"'), "users[0].token", "at least 8"),
        (
            lambda t: t.replace('accounts = ["A1"]', "accounts = []"),
            "users[0].accounts",
            "a PM needs",
        ),
        (
            lambda t: t.replace('accounts = ["A1"]', 'accounts = ["ZZ"]'),
            "users[0].accounts",
            "not a configured",
        ),
        # found by tests/reliability/test_fuzz_config.py: these raised RuntimeError and
        # IsADirectoryError instead of naming the key
        (
            lambda t: t.replace('data_dir = "data"', 'data_dir = "~no-such-user-here/x"'),
            "database.data_dir",
            "home directory",
        ),
        (
            lambda t: t + '[compliance]\nfile = ""\n',
            "compliance.file",
            "cannot be read",
        ),
    ],
)
def test_bad_values_name_the_key(tmp_path: Path, edit, key: str, problem: str) -> None:  # type: ignore[no-untyped-def]
    path = write(tmp_path, edit(GOOD))
    with pytest.raises(ConfigError) as info:
        load_settings(path)
    assert info.value.key == key
    assert problem in info.value.problem
    assert str(path) in str(info.value)


def test_corrupt_file_is_a_syntax_error(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD + "\n[[accounts]\nid = ")
    with pytest.raises(ConfigError, match=r"\(syntax\): not valid TOML"):
        load_settings(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(tmp_path / "nope.toml")
