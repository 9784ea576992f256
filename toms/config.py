"""Typed, frozen settings loaded from ``config/*.toml``.

One ``Settings`` object is built at start-up and passed down; nothing reads files or the
environment at import. A bad file is rejected with a ``ConfigError`` naming the file, the
key and the problem, because a trader at 7 a.m. needs to know which line to fix.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

from toms.domain.errors import InvalidValue, TomsError
from toms.domain.ids import AccountId, BrokerId, LotId, Symbol
from toms.domain.reference import Account, Security, TaxLot
from toms.domain.values import AssetClass, TaxLotMethod, to_decimal

T = TypeVar("T")
DEFAULT_CONFIG = Path(__file__).resolve().parent.parent / "config" / "toms.toml"
FIX_VERSIONS = ("FIX.4.2", "FIX.4.4")


class ConfigError(TomsError):
    def __init__(self, source: str, key: str, problem: str) -> None:
        super().__init__(f"{source}: {key}: {problem}")
        self.source, self.key, self.problem = source, key, problem


@dataclass(frozen=True, slots=True)
class BrokerSettings:
    broker_id: BrokerId
    fix_version: str
    sender_comp_id: str
    target_comp_id: str
    host: str
    port: int
    heartbeat_seconds: int = 30
    reconnect_seconds: int = 5
    reset_on_logon: bool = False


ROLES = ("pm", "trader", "compliance", "operations", "viewer")


@dataclass(frozen=True, slots=True)
class UserSettings:
    """A user of the OMS server: an API token and roles; a PM's accounts."""

    name: str
    token: str
    roles: tuple[str, ...]
    accounts: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class HoldingSettings:
    account_id: AccountId
    symbol: Symbol
    quantity: Decimal
    unit_cost: Decimal
    trade_date: date


@dataclass(frozen=True, slots=True)
class Settings:
    source: str
    database_url: str
    data_dir: Path
    engine_timeout_seconds: float
    brokers: tuple[BrokerSettings, ...]
    securities: tuple[Security, ...]
    prices: Mapping[Symbol, Decimal]
    accounts: tuple[Account, ...]
    holdings: tuple[HoldingSettings, ...]
    compliance: Mapping[str, Any] = field(default_factory=dict)
    compliance_source: str = ""
    users: tuple[UserSettings, ...] = ()
    server_host: str = "127.0.0.1"
    server_port: int = 8700

    def broker(self, broker_id: str) -> BrokerSettings:
        for b in self.brokers:
            if b.broker_id == broker_id:
                return b
        raise ConfigError(self.source, "brokers", f"no broker {broker_id!r} configured")

    def initial_lots(self) -> list[TaxLot]:
        return [
            TaxLot(
                LotId(f"SEED-{h.account_id}-{h.symbol}-{i}"),
                h.account_id,
                h.symbol,
                h.trade_date,
                h.quantity,
                h.quantity * h.unit_cost,
            )
            for i, h in enumerate(self.holdings, 1)
        ]


class _Reader:
    """Typed access to one table of a TOML document, with the key path for errors."""

    def __init__(self, source: str, data: Mapping[str, Any], path: str = "") -> None:
        self.source, self.data, self.path = source, data, path

    def key(self, name: str) -> str:
        return f"{self.path}.{name}" if self.path else name

    def fail(self, name: str, problem: str) -> ConfigError:
        return ConfigError(self.source, self.key(name), problem)

    def get(self, name: str, kind: type[T], default: T | None = None, required: bool = True) -> T:
        if name not in self.data:
            if default is not None or not required:
                return default  # type: ignore[return-value]
            raise self.fail(name, "is missing")
        value = self.data[name]
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise self.fail(name, f"must be {kind.__name__}, got {type(value).__name__} {value!r}")
        return value

    def decimal(self, name: str, default: str | None = None, positive: bool = False) -> Decimal:
        if name not in self.data:
            if default is None:
                raise self.fail(name, "is missing")
            return Decimal(default)
        raw = self.data[name]
        if isinstance(raw, float):
            raise self.fail(name, f'write {raw!r} as a string ("{raw}") so it stays exact')
        try:
            value = to_decimal(raw, self.key(name))
        except InvalidValue as exc:
            raise self.fail(name, str(exc)) from None
        if positive and value <= 0:
            raise self.fail(name, f"must be positive, got {value}")
        if value < 0:
            raise self.fail(name, f"must not be negative, got {value}")
        return value

    def choice(self, name: str, make: Callable[[str], T], default: str | None = None) -> T:
        raw = self.get(name, str, default)
        try:
            return make(raw)
        except ValueError:
            options = [e.value for e in make] if isinstance(make, type) else []  # type: ignore[attr-defined]
            raise self.fail(name, f"{raw!r} is not one of {options}") from None

    def tables(self, name: str) -> list[_Reader]:
        items = self.data.get(name, [])
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            raise self.fail(name, "must be an array of tables ([[" + name + "]])")
        return [
            _Reader(self.source, item, f"{self.key(name)}[{i}]") for i, item in enumerate(items)
        ]


def load_settings(path: Path | None = None, overrides: Mapping[str, Any] | None = None) -> Settings:
    """Load and validate the configuration; relative paths resolve against its folder."""
    path = (path or DEFAULT_CONFIG).resolve()
    source = str(path)
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(source, "(file)", "does not exist") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(source, "(syntax)", f"not valid TOML: {exc}") from None
    except OSError as exc:  # a directory, no permission...
        raise ConfigError(source, "(file)", f"cannot be read: {exc.strerror or exc}") from None
    for key, value in (overrides or {}).items():
        section, _, name = key.partition(".")
        data.setdefault(section, {})[name] = value
    return parse_settings(data, source, path.parent)


def parse_settings(data: Mapping[str, Any], source: str, base: Path) -> Settings:
    root = _Reader(source, data)
    known = {
        "database",
        "engine",
        "brokers",
        "securities",
        "accounts",
        "holdings",
        "compliance",
        "users",
        "server",
    }
    for unknown in sorted(set(data) - known):
        raise root.fail(unknown, f"unknown section; expected one of {sorted(known)}")
    db = _Reader(source, root.get("database", dict, {}), "database")
    try:
        data_dir = Path(db.get("data_dir", str, "~/.local/share/toms")).expanduser()
    except RuntimeError as exc:  # "~someone" who is not a user here
        raise db.fail("data_dir", str(exc)) from None
    if not data_dir.is_absolute():
        data_dir = base / data_dir
    url = db.get("url", str, f"sqlite:///{data_dir / 'toms.db'}")
    if not url.startswith(("sqlite", "postgresql")):
        raise db.fail("url", f"{url!r}: toms supports sqlite:/// and postgresql+psycopg:// URLs")
    engine = _Reader(source, root.get("engine", dict, {}), "engine")
    timeout = engine.get("timeout_seconds", float, 10.0)
    if timeout <= 0:
        raise engine.fail("timeout_seconds", "must be positive")

    server = _Reader(source, root.get("server", dict, {}), "server")
    server_host = server.get("host", str, "127.0.0.1")
    server_port = server.get("port", int, 8700)
    if not 0 < server_port < 65536:
        raise server.fail("port", f"{server_port} is not a TCP port (1-65535)")

    brokers = tuple(_broker(r) for r in root.tables("brokers"))
    _unique(root, "brokers", [b.broker_id for b in brokers])
    securities, prices = [], {}
    for r in root.tables("securities"):
        sec = _security(r)
        securities.append(sec)
        if "price" in r.data:
            prices[sec.symbol] = r.decimal("price", positive=True)
    _unique(root, "securities", [s.symbol for s in securities])
    accounts = tuple(_account(r) for r in root.tables("accounts"))
    _unique(root, "accounts", [a.account_id for a in accounts])
    holdings = tuple(
        _holding(r, {a.account_id for a in accounts}, set(prices)) for r in root.tables("holdings")
    )

    users = tuple(_user(r, {a.account_id for a in accounts}) for r in root.tables("users"))
    _unique(root, "users", [u.name for u in users])
    _unique(root, "users (token)", [u.token for u in users])
    compliance: Mapping[str, Any] = {}
    compliance_source = ""
    section = root.get("compliance", dict, {})
    if "file" in section:
        cpath = Path(_Reader(source, section, "compliance").get("file", str))
        cpath = cpath if cpath.is_absolute() else base / cpath
        compliance_source = str(cpath)
        try:
            compliance = tomllib.loads(cpath.read_text())
        except FileNotFoundError:
            raise ConfigError(source, "compliance.file", f"{cpath} does not exist") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(str(cpath), "(syntax)", f"not valid TOML: {exc}") from None
        except (OSError, UnicodeDecodeError) as exc:  # "" names the folder itself
            problem = f"{cpath} cannot be read: {getattr(exc, 'strerror', None) or exc}"
            raise ConfigError(source, "compliance.file", problem) from None
    return Settings(
        source=source,
        database_url=url,
        data_dir=data_dir,
        engine_timeout_seconds=timeout,
        brokers=brokers,
        securities=tuple(securities),
        prices=prices,
        accounts=accounts,
        holdings=holdings,
        compliance=compliance,
        compliance_source=compliance_source,
        users=users,
        server_host=server_host,
        server_port=server_port,
    )


def _unique(root: _Reader, name: str, ids: list[str]) -> None:
    seen: set[str] = set()
    for i in ids:
        if i in seen:
            raise root.fail(name, f"{i!r} is defined twice")
        seen.add(i)


def _broker(r: _Reader) -> BrokerSettings:
    version = r.get("fix_version", str, "FIX.4.4")
    if version not in FIX_VERSIONS:
        raise r.fail("fix_version", f"{version!r} is not one of {list(FIX_VERSIONS)}")
    port = r.get("port", int)
    if not 0 < port < 65536:
        raise r.fail("port", f"{port} is not a TCP port")
    heartbeat = r.get("heartbeat_seconds", int, 30)
    if heartbeat <= 0:
        raise r.fail("heartbeat_seconds", "must be positive")
    return BrokerSettings(
        broker_id=BrokerId(r.get("id", str)),
        fix_version=version,
        sender_comp_id=r.get("sender_comp_id", str, "TOMS"),
        target_comp_id=r.get("target_comp_id", str),
        host=r.get("host", str, "127.0.0.1"),
        port=port,
        heartbeat_seconds=heartbeat,
        reconnect_seconds=r.get("reconnect_seconds", int, 5),
        reset_on_logon=r.get("reset_on_logon", bool, False),
    )


def _security(r: _Reader) -> Security:
    try:
        return Security(
            symbol=Symbol(r.get("symbol", str)),
            issuer=r.get("issuer", str),
            sector=r.get("sector", str, "Unclassified"),
            country=r.get("country", str, "US"),
            lot_size=r.decimal("lot_size", "1", positive=True),
            asset_class=r.choice("asset_class", AssetClass, "equity"),
            currency=r.get("currency", str, "USD"),
            shares_outstanding=(
                r.decimal("shares_outstanding", positive=True)
                if "shares_outstanding" in r.data
                else None
            ),
        )
    except InvalidValue as exc:
        raise ConfigError(r.source, r.path, str(exc)) from None


def _account(r: _Reader) -> Account:
    try:
        return Account(
            account_id=AccountId(r.get("id", str)),
            name=r.get("name", str),
            base_currency=r.get("base_currency", str, "USD"),
            tax_lot_method=r.choice("tax_lot_method", TaxLotMethod, "fifo"),
            cash=r.decimal("cash", "0"),
            short_allowed=r.get("short_allowed", bool, True),
            group=r.get("group", str, "default"),
        )
    except InvalidValue as exc:
        raise ConfigError(r.source, r.path, str(exc)) from None


def _holding(r: _Reader, accounts: set[str], symbols: set[str]) -> HoldingSettings:
    account = r.get("account", str)
    if account not in accounts:
        raise r.fail("account", f"{account!r} is not a configured account")
    symbol = r.get("symbol", str)
    if symbol not in symbols:
        raise r.fail("symbol", f"{symbol!r} is not a configured security with a price")
    trade_date = r.data.get("trade_date")
    if not isinstance(trade_date, date):
        raise r.fail("trade_date", "must be a TOML date like 2025-03-14")
    return HoldingSettings(
        AccountId(account),
        Symbol(symbol),
        r.decimal("quantity", positive=True),
        r.decimal("unit_cost"),
        trade_date,
    )


def _user(r: _Reader, accounts: set[str]) -> UserSettings:
    roles = r.get("roles", list)
    for role in roles:
        if role not in ROLES:
            raise r.fail("roles", f"{role!r} is not one of {list(ROLES)}")
    token = r.get("token", str)
    if len(token) < 8:
        raise r.fail("token", "must be at least 8 characters")
    owned = r.get("accounts", list, [])
    for account in owned:
        if account not in accounts:
            raise r.fail("accounts", f"{account!r} is not a configured account")
    if "pm" in roles and not owned:
        raise r.fail("accounts", "a PM needs the accounts they manage")
    return UserSettings(r.get("name", str), token, tuple(roles), tuple(owned))
