"""Observable state of each FIX session, for the blotter's sessions panel and the API."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SessionStatus:
    broker: str
    session_id: str
    logged_on: bool = False
    next_sender_seq: int | None = None
    next_target_seq: int | None = None
    last_heartbeat: datetime | None = None
    last_logon: datetime | None = None
    last_logout: datetime | None = None
    last_error: str = ""


class SessionBoard:
    """Thread-safe: QuickFIX threads write, anyone reads a consistent snapshot."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_broker: dict[str, SessionStatus] = {}
        self._changed = threading.Condition(self._lock)
        self.listeners: list[Callable[[SessionStatus], None]] = []  # e.g. the event stream

    def update(self, broker: str, session_id: str, **changes: object) -> SessionStatus:
        with self._lock:
            current = self._by_broker.get(broker) or SessionStatus(broker, session_id)
            status = replace(current, **changes)  # type: ignore[arg-type]
            self._by_broker[broker] = status
            self._changed.notify_all()
        for listener in self.listeners:
            try:
                listener(status)
            except Exception:
                log.exception("session status listener %r failed", listener)
        return status

    def get(self, broker: str) -> SessionStatus | None:
        with self._lock:
            return self._by_broker.get(broker)

    def all(self) -> list[SessionStatus]:
        with self._lock:
            return sorted(self._by_broker.values(), key=lambda s: s.broker)

    def wait_logged_on(self, broker: str, timeout: float) -> bool:
        with self._lock:
            return self._changed.wait_for(
                lambda: bool(self._by_broker.get(broker) and self._by_broker[broker].logged_on),
                timeout,
            )
