"""QuickFIX session settings built from ``toms.config`` and written where QuickFIX reads them."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path

from toms.config import BrokerSettings

_DICTIONARY_NAMES = {"FIX.4.2": "FIX42.xml", "FIX.4.4": "FIX44.xml"}


def data_dictionary(fix_version: str) -> Path:
    """The data dictionary the quickfix package installs under ``<prefix>/share/quickfix``."""
    name = _DICTIONARY_NAMES[fix_version]
    candidates = [Path(sys.prefix) / "share" / "quickfix" / name]
    try:
        import quickfix

        candidates.append(Path(quickfix.__file__).resolve().parent / "spec" / name)
    except ImportError:  # pragma: no cover - quickfix is a hard dependency
        pass
    for path in candidates:
        if path.is_file():
            return path
    raise FileNotFoundError(
        f"QuickFIX data dictionary {name} not found (looked in {[str(c) for c in candidates]})"
    )


def initiator_settings(brokers: Iterable[BrokerSettings], data_dir: Path) -> str:
    """Settings text for one SocketInitiator with a session per broker."""
    store, logs = data_dir / "fix" / "store", data_dir / "fix" / "log"
    store.mkdir(parents=True, exist_ok=True)
    logs.mkdir(parents=True, exist_ok=True)
    lines = [
        "[DEFAULT]",
        "ConnectionType=initiator",
        f"FileStorePath={store}",
        f"FileLogPath={logs}",
        "StartTime=00:00:00",
        "EndTime=00:00:00",
        "UseDataDictionary=Y",
        "ValidateUserDefinedFields=N",
        "ValidateFieldsOutOfOrder=N",
        "SocketNodelay=Y",
        "PersistMessages=Y",
        # A report is a fact whatever its SendingTime: an OMS that fell behind must book a
        # late fill, not reject it as stale (QuickFIX's default latency check would send a
        # session Reject and consume the message, losing the fill).
        "CheckLatency=N",
    ]
    for b in brokers:
        lines += [
            "",
            "[SESSION]",
            f"BeginString={b.fix_version}",
            f"SenderCompID={b.sender_comp_id}",
            f"TargetCompID={b.target_comp_id}",
            f"SocketConnectHost={b.host}",
            f"SocketConnectPort={b.port}",
            f"HeartBtInt={b.heartbeat_seconds}",
            f"ReconnectInterval={b.reconnect_seconds}",
            f"DataDictionary={data_dictionary(b.fix_version)}",
            f"ResetOnLogon={'Y' if b.reset_on_logon else 'N'}",
        ]
    return "\n".join(lines) + "\n"


def write_settings(text: str, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def session_key(begin_string: str, sender: str, target: str) -> str:
    return f"{begin_string}:{sender}->{target}"
