"""QuickFIX session settings, built in code instead of an ini file.

``SessionSettingsBuilder`` collects ``[DEFAULT]`` keys and one set of keys per session,
renders them as ini text (for logs and docs) and builds a ``quickfix.SessionSettings``.
``acceptor_settings`` is the simulated broker's configuration: one acceptor session per FIX
version on one port, FileStore and FileLog under a data directory, the matching QuickFIX
data dictionary for each version.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Self

from toms.fix.dictionary import dictionary_path

SettingValue = str | int | bool | Path

# Lenient towards third-party clients: unknown or user-defined fields and field order do
# not get a message rejected; required fields, types and enum values are still checked.
LENIENT_VALIDATION: Mapping[str, SettingValue] = {
    "ValidateUserDefinedFields": False,
    "AllowUnknownMsgFields": True,
    "ValidateFieldsOutOfOrder": False,
}


def _render(value: SettingValue) -> str:
    if isinstance(value, bool):
        return "Y" if value else "N"
    return str(value)


class SessionSettingsBuilder:
    def __init__(self, defaults: Mapping[str, SettingValue] | None = None) -> None:
        self._defaults: dict[str, str] = {}
        self._sessions: list[tuple[str, str, str, dict[str, str]]] = []
        for key, value in (defaults or {}).items():
            self.default(key, value)

    def default(self, key: str, value: SettingValue) -> Self:
        self._defaults[key] = _render(value)
        return self

    def session(
        self,
        begin_string: str,
        sender_comp_id: str,
        target_comp_id: str,
        **settings: SettingValue,
    ) -> Self:
        if (begin_string, sender_comp_id, target_comp_id) in self.sessions:
            raise ValueError(f"session {begin_string}:{sender_comp_id}->{target_comp_id} twice")
        rendered = {k: _render(v) for k, v in settings.items()}
        self._sessions.append((begin_string, sender_comp_id, target_comp_id, rendered))
        return self

    @property
    def sessions(self) -> list[tuple[str, str, str]]:
        return [(b, s, t) for b, s, t, _ in self._sessions]

    def get(self, key: str, session: int | None = None) -> str | None:
        """A key's effective value: the session's own, else the default."""
        if session is not None and key in self._sessions[session][3]:
            return self._sessions[session][3][key]
        return self._defaults.get(key)

    def to_ini(self) -> str:
        lines = ["[DEFAULT]", *(f"{k}={v}" for k, v in self._defaults.items())]
        for begin, sender, target, keys in self._sessions:
            lines += [
                "",
                "[SESSION]",
                f"BeginString={begin}",
                f"SenderCompID={sender}",
                f"TargetCompID={target}",
                *(f"{k}={v}" for k, v in keys.items()),
            ]
        return "\n".join(lines) + "\n"

    def build(self) -> Any:
        """A ``quickfix.SessionSettings`` holding these settings."""
        import quickfix as fix

        if not self._sessions:
            raise ValueError("no sessions configured")
        settings = fix.SessionSettings()
        defaults = fix.Dictionary()
        for key, value in self._defaults.items():
            defaults.setString(key, value)
        settings.set(defaults)
        for begin, sender, target, keys in self._sessions:
            session = fix.Dictionary()
            for key, value in keys.items():
                session.setString(key, value)
            settings.set(fix.SessionID(begin, sender, target), session)
        return settings


def acceptor_settings(
    *,
    port: int,
    data_dir: Path,
    sender_comp_id: str = "SIMBROKER",
    target_comp_id: str = "TOMS",
    begin_strings: Iterable[str] = ("FIX.4.2", "FIX.4.4"),
    reset_on_logon: bool = True,
    use_data_dictionary: bool = True,
    file_log: bool = True,
    extra: Mapping[str, SettingValue] | None = None,
) -> SessionSettingsBuilder:
    """The simulated broker's acceptor sessions, one per FIX version, all on ``port``.

    FileStore goes to ``data_dir/store`` and FileLog to ``data_dir/log``. ``extra`` keys
    override any default (e.g. ``{"HeartBtInt": 5}`` or validation switches).
    """
    if not 0 < port < 65536:
        raise ValueError(f"port must be between 1 and 65535, got {port}")
    builder = SessionSettingsBuilder(
        {
            "ConnectionType": "acceptor",
            "SocketAcceptPort": port,
            "SocketReuseAddress": True,
            "SocketNodelay": True,
            "StartTime": "00:00:00",
            "EndTime": "00:00:00",  # a 24-hour session: the simulated day ends by end_of_day()
            "FileStorePath": data_dir / "store",
            "ResetOnLogon": reset_on_logon,
            "ResetOnDisconnect": False,
            "UseDataDictionary": use_data_dictionary,
            "CheckLatency": False,
            **LENIENT_VALIDATION,
        }
    )
    if file_log:
        builder.default("FileLogPath", data_dir / "log")
    for begin in begin_strings:
        keys: dict[str, SettingValue] = {}
        if use_data_dictionary:
            keys["DataDictionary"] = dictionary_path(begin)
        builder.session(begin, sender_comp_id, target_comp_id, **keys)
    for key, value in (extra or {}).items():
        builder.default(key, value)
    return builder
