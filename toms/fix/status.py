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


Sequences = Callable[[str], tuple[int | None, int | None]]


class SessionBoard:
    """Thread-safe: QuickFIX threads write, anyone reads a consistent snapshot.

    The events of a session (logon, logout, heartbeat, error) are recorded as they happen
    and reach the listeners; the sequence numbers, which move with every message, are
    read from the FIX engine when someone looks (``sequences``: session id -> next
    sender and target numbers), so no message pays for them.
    """

    def __init__(self, sequences: Sequences | None = None) -> None:
        self._lock = threading.Lock()
        self._by_broker: dict[str, SessionStatus] = {}
        self._changed = threading.Condition(self._lock)
        self._sequences = sequences
        self.listeners: list[Callable[[SessionStatus], None]] = []  # e.g. the event stream

    def update(self, broker: str, session_id: str, **changes: object) -> SessionStatus:
        with self._lock:
            current = self._by_broker.get(broker) or SessionStatus(broker, session_id)
            status = replace(current, **changes)  # type: ignore[arg-type]
            self._by_broker[broker] = status
            self._changed.notify_all()
        status = self._live(status)
        for listener in self.listeners:
            try:
                listener(status)
            except Exception:
                log.exception("session status listener %r failed", listener)
        return status

    def get(self, broker: str) -> SessionStatus | None:
        with self._lock:
            status = self._by_broker.get(broker)
        return self._live(status) if status is not None else None

    def all(self) -> list[SessionStatus]:
        with self._lock:
            statuses = sorted(self._by_broker.values(), key=lambda s: s.broker)
        return [self._live(s) for s in statuses]

    def logged_on(self, broker: str) -> bool:
        status = self._by_broker.get(broker)
        return status is not None and status.logged_on

    def _live(self, status: SessionStatus) -> SessionStatus:
        if self._sequences is None:
            return status
        sender, target = self._sequences(status.session_id)
        return replace(status, next_sender_seq=sender, next_target_seq=target)

    def wait_logged_on(self, broker: str, timeout: float) -> bool:
        return self.wait_for(broker, lambda status: status.logged_on, timeout)

    def wait_for(
        self, broker: str, predicate: Callable[[SessionStatus], bool], timeout: float
    ) -> bool:
        """Wait until ``predicate`` holds for the broker's session status (its events;
        sequence numbers are not waited on)."""
        with self._lock:
            return self._changed.wait_for(
                lambda: (status := self._by_broker.get(broker)) is not None and predicate(status),
                timeout,
            )
