"""Wait for committed state without polling or sleeping.

An ``EventSink`` that wakes waiters after every commit; the waiter re-reads the database
through a probe. Scripts (the demo) and tests use it to wait for a broker's answer.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


class CommitWaiter:
    def __init__(self, read: Callable[[Callable[[Any], Any]], Any]) -> None:
        self._read = read
        self.events: list[dict[str, object]] = []
        self._cond = threading.Condition()

    def publish(self, events: list[dict[str, object]]) -> None:
        with self._cond:
            self.events.extend(events)
            self._cond.notify_all()

    def until(self, probe: Callable[[Any], T | None], timeout: float = 20.0) -> T:
        """Re-run ``probe(uow)`` after each commit until it returns something truthy."""
        found: list[T] = []

        def ready() -> bool:
            value = self._read(probe)
            if value:
                found.append(value)
                return True
            return False

        with self._cond:
            if not self._cond.wait_for(ready, timeout):
                recent = [e["type"] for e in self.events[-10:]]
                raise TimeoutError(f"not reached within {timeout}s; last events: {recent}")
        return found[0]
