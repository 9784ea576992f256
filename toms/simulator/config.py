"""``BrokerConfig``, and ``config/sim_broker.toml`` -> ``BrokerConfig``.

Every problem is a ``ConfigError`` naming the file, the key and what is wrong. Prices and
quantities must be strings or integers (never TOML floats) so they stay exact Decimals.
Relative paths resolve against the configuration file's folder.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Final

from toms.config import ConfigError
from toms.domain.errors import InvalidValue
from toms.domain.values import TimeInForce, to_decimal
from toms.simulator.matching import FillPolicy, MatchingConfig
from toms.simulator.scenarios import SCENARIOS
from toms.simulator.settings import SettingValue

FIX42: Final = "FIX.4.2"
FIX44: Final = "FIX.4.4"
DEFAULT_PRICES: Final[Mapping[str, Decimal]] = {
    "AAPL": Decimal("190.00"),
    "MSFT": Decimal("410.00"),
    "IBM": Decimal("180.00"),
    "NVDA": Decimal("120.00"),
    "SPY": Decimal("520.00"),
    "TLT": Decimal("92.00"),
}


@dataclass(frozen=True, slots=True)
class BrokerConfig:
    """Everything the simulated broker needs. ``port=0`` picks a free port at start."""

    port: int = 9878
    data_dir: Path = Path("var/sim_broker")
    sender_comp_id: str = "SIMBROKER"
    target_comp_id: str = "TOMS"
    begin_strings: tuple[str, ...] = (FIX42, FIX44)
    reset_on_logon: bool = True
    prices: Mapping[str, Decimal] = field(default_factory=lambda: dict(DEFAULT_PRICES))
    matching: MatchingConfig = field(default_factory=MatchingConfig)
    latency_seconds: float = 0.0  # delay before each answer is sent
    tick_interval_seconds: float = 0.0  # random-walk ticker period; 0 = no ticker
    walk_seed: int = 0
    walk_max_step_bps: Decimal = Decimal(10)
    tick_size: Decimal = Decimal("0.01")
    file_log: bool = True
    settings_overrides: Mapping[str, SettingValue] = field(default_factory=dict)
    record_limit: int = 10_000  # FIX messages kept in memory for ``received`` / ``sent``

    def __post_init__(self) -> None:
        if not 0 <= self.port < 65536:
            raise ValueError(f"port must be between 0 and 65535, got {self.port}")
        if self.latency_seconds < 0:
            raise ValueError(f"latency_seconds must not be negative, got {self.latency_seconds}")
        if self.tick_interval_seconds < 0:
            raise ValueError(
                f"tick_interval_seconds must not be negative, got {self.tick_interval_seconds}"
            )
        unknown = set(self.begin_strings) - {FIX42, FIX44}
        if unknown or not self.begin_strings:
            raise ValueError(f"begin_strings must be FIX.4.2 and/or FIX.4.4, got {unknown or '()'}")


DEFAULT_SIM_CONFIG = Path(__file__).resolve().parent.parent.parent / "config" / "sim_broker.toml"

_SECTIONS: dict[str, set[str]] = {
    "broker": {
        "port",
        "data_dir",
        "sender_comp_id",
        "target_comp_id",
        "fix_versions",
        "reset_on_logon",
        "latency_ms",
        "seed",
        "id_prefix",
    },
    "market": {"tick_interval_seconds", "max_step_bps", "tick_size"},
    "fills": {"partial_fills", "clip_size", "clips_per_match"},
    "orders": {
        "lot_size",
        "max_order_qty",
        "time_in_force",
        "reject_rate",
        "send_pending_new",
        "send_pending_acks",
    },
    "symbols": set(),  # any symbol
}


class _Reader:
    def __init__(self, source: str, data: Mapping[str, Any]) -> None:
        self.source, self.data = source, data

    def error(self, key: str, problem: str) -> ConfigError:
        return ConfigError(self.source, key, problem)

    def section(self, name: str) -> Mapping[str, Any]:
        value = self.data.get(name, {})
        if not isinstance(value, Mapping):
            raise self.error(name, "must be a table")
        unknown = set(value) - _SECTIONS[name] if _SECTIONS[name] else set()
        if unknown:
            raise self.error(
                f"{name}.{sorted(unknown)[0]}",
                f"unknown key (known: {', '.join(sorted(_SECTIONS[name]))})",
            )
        return value

    def get(self, section: str, key: str, kind: type | tuple[type, ...], default: Any) -> Any:
        value = self.section(section).get(key, default)
        if value is None:
            return None
        if isinstance(value, bool) and bool not in (kind if isinstance(kind, tuple) else (kind,)):
            raise self.error(f"{section}.{key}", f"{value!r} must be a {_names(kind)}")
        if not isinstance(value, kind):
            raise self.error(f"{section}.{key}", f"{value!r} must be a {_names(kind)}")
        return value

    def decimal(self, key: str, value: Any, positive: bool = True) -> Decimal:
        try:
            result = to_decimal(value, key)
        except InvalidValue as exc:
            raise self.error(key, str(exc).split(": ", 1)[-1]) from None
        if positive and result <= 0:
            raise self.error(key, f"{value!r} must be positive")
        return result


def _names(kind: type | tuple[type, ...]) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join(
        {bool: "boolean", int: "integer", float: "number", str: "string", list: "list"}.get(
            k, k.__name__
        )
        for k in kinds
    )


def load_broker_config(
    path: Path,
    *,
    port: int | None = None,
    data_dir: Path | None = None,
    now: datetime | None = None,
) -> BrokerConfig:
    """Read ``path``; ``port`` / ``data_dir`` (command-line options) win over the file."""
    source = str(path)
    try:
        with path.open("rb") as f:
            data = tomllib.load(f)
    except FileNotFoundError:
        raise ConfigError(source, "-", "file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(source, "-", f"not valid TOML: {exc}") from None
    return broker_config_from_mapping(
        data, source, path.parent, port=port, data_dir=data_dir, now=now
    )


def broker_config_from_mapping(
    data: Mapping[str, Any],
    source: str = "<config>",
    base_dir: Path = Path(),
    *,
    port: int | None = None,
    data_dir: Path | None = None,
    now: datetime | None = None,
) -> BrokerConfig:
    r = _Reader(source, data)
    unknown = set(data) - set(_SECTIONS)
    if unknown:
        raise r.error(sorted(unknown)[0], f"unknown section (known: {', '.join(_SECTIONS)})")

    # [broker]
    file_port = r.get("broker", "port", int, 9878)
    chosen_port = file_port if port is None else port
    if not 0 <= chosen_port < 65536:
        raise r.error("broker.port", f"{chosen_port} is not a TCP port (0-65535)")
    raw_dir = r.get("broker", "data_dir", str, "../var/sim_broker")
    directory = data_dir if data_dir is not None else (base_dir / Path(raw_dir).expanduser())
    versions = tuple(r.get("broker", "fix_versions", list, [FIX42, FIX44]))
    bad = [x for x in versions if x not in (FIX42, FIX44)]
    if bad or not versions:
        raise r.error("broker.fix_versions", f"{bad or '[]'}: use FIX.4.2 and/or FIX.4.4")
    latency_ms = r.get("broker", "latency_ms", int, 0)
    if latency_ms < 0:
        raise r.error("broker.latency_ms", f"{latency_ms} must not be negative")
    seed = r.get("broker", "seed", int, 0)
    stamp = (now or datetime.now(UTC)).strftime("%H%M%S-")
    id_prefix = r.get("broker", "id_prefix", str, stamp)

    # [market]
    interval = r.get("market", "tick_interval_seconds", (int, float), 0)
    if interval < 0:
        raise r.error("market.tick_interval_seconds", f"{interval} must not be negative")
    step_bps = r.decimal(
        "market.max_step_bps", r.get("market", "max_step_bps", (int, str), 10), positive=False
    )
    tick = r.decimal("market.tick_size", r.get("market", "tick_size", (int, str), "0.01"))

    # [fills]
    partials = r.get("fills", "partial_fills", int, 1)
    if partials < 1:
        raise r.error("fills.partial_fills", f"{partials} must be at least 1")
    clip_raw = r.get("fills", "clip_size", (int, str), None)
    clip = r.decimal("fills.clip_size", clip_raw) if clip_raw is not None else None
    per_match = r.get("fills", "clips_per_match", int, None)
    if per_match is not None and per_match < 1:
        raise r.error("fills.clips_per_match", f"{per_match} must be at least 1")

    # [orders]
    lot = r.decimal("orders.lot_size", r.get("orders", "lot_size", (int, str), 1))
    max_raw = r.get("orders", "max_order_qty", (int, str), 1_000_000)
    max_qty = r.decimal("orders.max_order_qty", max_raw) if max_raw is not None else None
    tifs_raw = r.get("orders", "time_in_force", list, ["day", "gtc", "ioc", "fok"])
    try:
        tifs = frozenset(TimeInForce(str(t).lower()) for t in tifs_raw)
    except ValueError:
        raise r.error(
            "orders.time_in_force", f"{tifs_raw}: use {', '.join(t.value for t in TimeInForce)}"
        ) from None
    reject_rate = r.get("orders", "reject_rate", (int, float), 0)
    if not 0 <= reject_rate <= 1:
        raise r.error("orders.reject_rate", f"{reject_rate} must be between 0 and 1")
    pending_new = r.get("orders", "send_pending_new", bool, False)
    pending_acks = r.get("orders", "send_pending_acks", bool, False)

    # [symbols]
    prices: dict[str, Decimal] = {}
    scenarios: dict[str, str] = {}
    for symbol, spec in r.section("symbols").items():
        key = f"symbols.{symbol}"
        if not isinstance(spec, Mapping):
            spec = {"price": spec}
        extra = set(spec) - {"price", "scenario"}
        if extra:
            raise r.error(f"{key}.{sorted(extra)[0]}", "unknown key (known: price, scenario)")
        if "price" not in spec:
            raise r.error(f"{key}.price", "missing")
        prices[symbol] = r.decimal(f"{key}.price", spec["price"])
        if "scenario" in spec:
            name = spec["scenario"]
            if name not in SCENARIOS:
                raise r.error(
                    f"{key}.scenario",
                    f"unknown scenario {name!r} (known: {', '.join(sorted(SCENARIOS))})",
                )
            scenarios[symbol] = name
    if not prices:
        raise r.error("symbols", "no symbols configured")

    matching = MatchingConfig(
        fill_policy=FillPolicy(partials, clip, per_match),
        lot_size=lot,
        max_order_qty=max_qty,
        supported_tifs=tifs,
        reject_rate=float(reject_rate),
        seed=seed,
        send_pending_new=pending_new,
        send_pending_acks=pending_acks,
        symbol_scenarios=scenarios,
        id_prefix=id_prefix,
    )
    return BrokerConfig(
        port=chosen_port,
        data_dir=directory,
        sender_comp_id=r.get("broker", "sender_comp_id", str, "SIMBROKER"),
        target_comp_id=r.get("broker", "target_comp_id", str, "TOMS"),
        begin_strings=versions,
        reset_on_logon=r.get("broker", "reset_on_logon", bool, True),
        prices=prices,
        matching=matching,
        latency_seconds=latency_ms / 1000,
        tick_interval_seconds=float(interval),
        walk_seed=seed,
        walk_max_step_bps=step_bps,
        tick_size=tick,
    )
