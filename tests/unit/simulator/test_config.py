"""config/sim_broker.toml -> BrokerConfig, and errors that name file, key and problem."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from toms.config import ConfigError
from toms.domain.values import TimeInForce
from toms.simulator.config import (
    DEFAULT_SIM_CONFIG,
    BrokerConfig,
    broker_config_from_mapping,
    load_broker_config,
)
from toms.simulator.settings import SessionSettingsBuilder, acceptor_settings

NOW = datetime(2026, 11, 21, 9, 30, 5, tzinfo=UTC)


def test_shipped_example_loads() -> None:
    config = load_broker_config(DEFAULT_SIM_CONFIG, now=NOW)
    assert config.port == 9878
    assert config.begin_strings == ("FIX.4.2", "FIX.4.4")
    assert (config.sender_comp_id, config.target_comp_id) == ("SIMBROKER", "TOMS")
    assert config.prices["AAPL"] == Decimal("190.00")
    assert {"AAPL", "MSFT", "IBM", "NVDA", "SPY", "TLT"} <= set(config.prices)
    assert config.matching.symbol_scenarios == {"BUST": "trade_bust", "NOPE": "reject_new"}
    assert config.matching.fill_policy.partial_fills == 3
    assert config.latency_seconds == 0.05
    assert config.matching.id_prefix == "093005-"
    assert config.data_dir == DEFAULT_SIM_CONFIG.parent / "../var/sim_broker"


def test_command_line_overrides_win(tmp_path: Path) -> None:
    config = load_broker_config(DEFAULT_SIM_CONFIG, port=0, data_dir=tmp_path)
    assert (config.port, config.data_dir) == (0, tmp_path)


def test_defaults_from_a_minimal_file() -> None:
    config = broker_config_from_mapping({"symbols": {"AAPL": "190.00", "X": 5}})
    assert config.prices == {"AAPL": Decimal("190.00"), "X": Decimal(5)}
    assert config.matching.supported_tifs == frozenset(
        {TimeInForce.DAY, TimeInForce.GTC, TimeInForce.IOC, TimeInForce.FOK}
    )
    assert config.tick_interval_seconds == 0


@pytest.mark.parametrize(
    ("data", "key", "words"),
    [
        ({"symbols": {"AAPL": {"price": 190.5}}}, "symbols.AAPL.price", "not float"),
        ({"symbols": {"AAPL": {"price": "abc"}}}, "symbols.AAPL.price", "not a number"),
        ({"symbols": {"AAPL": {"price": "-1"}}}, "symbols.AAPL.price", "positive"),
        ({"symbols": {"AAPL": {"scenario": "x"}}}, "symbols.AAPL.price", "missing"),
        ({"symbols": {"A": {"price": "1", "scenario": "nope"}}}, "symbols.A.scenario", "unknown"),
        ({"symbols": {"A": {"price": "1", "colour": "red"}}}, "symbols.A.colour", "unknown key"),
        ({"symbols": {}}, "symbols", "no symbols"),
        ({"broker": {"port": 70000}, "symbols": {"A": "1"}}, "broker.port", "not a TCP port"),
        ({"broker": {"port": "9878"}, "symbols": {"A": "1"}}, "broker.port", "integer"),
        ({"broker": {"prot": 1}, "symbols": {"A": "1"}}, "broker.prot", "unknown key"),
        (
            {"broker": {"fix_versions": ["FIX.5.0"]}, "symbols": {"A": "1"}},
            "broker.fix_versions",
            "FIX.4.2",
        ),
        ({"broker": {"latency_ms": -1}, "symbols": {"A": "1"}}, "broker.latency_ms", "negative"),
        ({"orders": {"reject_rate": 2}, "symbols": {"A": "1"}}, "orders.reject_rate", "between"),
        (
            {"orders": {"time_in_force": ["opg"]}, "symbols": {"A": "1"}},
            "orders.time_in_force",
            "use day",
        ),
        ({"orders": {"lot_size": 0.5}, "symbols": {"A": "1"}}, "orders.lot_size", "integer or"),
        ({"fills": {"partial_fills": 0}, "symbols": {"A": "1"}}, "fills.partial_fills", "least"),
        (
            {"fills": {"clips_per_match": 0}, "symbols": {"A": "1"}},
            "fills.clips_per_match",
            "least",
        ),
        ({"market": {"tick_size": "0"}, "symbols": {"A": "1"}}, "market.tick_size", "positive"),
        ({"markets": {}, "symbols": {"A": "1"}}, "markets", "unknown section"),
        (
            {"orders": {"send_pending_new": "yes"}, "symbols": {"A": "1"}},
            "orders.send_pending_new",
            "boolean",
        ),
    ],
)
def test_config_errors_name_file_key_and_problem(data: dict, key: str, words: str) -> None:  # type: ignore[type-arg]
    with pytest.raises(ConfigError) as info:
        broker_config_from_mapping(data, "sim.toml")
    assert (info.value.source, info.value.key) == ("sim.toml", key)
    assert words in info.value.problem
    assert str(info.value).startswith(f"sim.toml: {key}: ")


def test_missing_and_broken_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="file not found"):
        load_broker_config(tmp_path / "nope.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[broker\nport = 1\n")
    with pytest.raises(ConfigError, match=r"bad\.toml: -: not valid TOML"):
        load_broker_config(bad)


def test_broker_config_validation() -> None:
    with pytest.raises(ValueError, match="begin_strings"):
        BrokerConfig(begin_strings=("FIX.4.3",))
    with pytest.raises(ValueError, match="latency"):
        BrokerConfig(latency_seconds=-1)


# ── settings builder ────────────────────────────────────────────────────────────────────
def test_acceptor_settings_ini(tmp_path: Path) -> None:
    builder = acceptor_settings(
        port=9878, data_dir=tmp_path, reset_on_logon=False, extra={"HeartBtInt": 5}
    )
    ini = builder.to_ini()
    assert "ConnectionType=acceptor" in ini
    assert "SocketAcceptPort=9878" in ini
    assert f"FileStorePath={tmp_path / 'store'}" in ini
    assert f"FileLogPath={tmp_path / 'log'}" in ini
    assert "ResetOnLogon=N" in ini
    assert "UseDataDictionary=Y" in ini
    assert "HeartBtInt=5" in ini
    assert ini.count("[SESSION]") == 2
    assert "FIX42.xml" in ini
    assert "FIX44.xml" in ini
    assert builder.sessions == [("FIX.4.2", "SIMBROKER", "TOMS"), ("FIX.4.4", "SIMBROKER", "TOMS")]
    assert builder.get("DataDictionary", 1).endswith("FIX44.xml")  # type: ignore[union-attr]


def test_builder_rejects_duplicate_sessions_and_bad_ports(tmp_path: Path) -> None:
    builder = SessionSettingsBuilder().session("FIX.4.4", "A", "B")
    with pytest.raises(ValueError, match="twice"):
        builder.session("FIX.4.4", "A", "B")
    with pytest.raises(ValueError, match="port"):
        acceptor_settings(port=0, data_dir=tmp_path)


def test_builder_builds_quickfix_settings(tmp_path: Path) -> None:
    fix = pytest.importorskip("quickfix")
    settings = acceptor_settings(port=9878, data_dir=tmp_path, begin_strings=["FIX.4.4"]).build()
    session = settings.get(fix.SessionID("FIX.4.4", "SIMBROKER", "TOMS"))
    assert session.getString("SocketAcceptPort") == "9878"
    assert session.getString("DataDictionary").endswith("FIX44.xml")
    assert session.getString("ConnectionType") == "acceptor"
