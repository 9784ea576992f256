"""Fan-out of committed events to WebSocket clients, without ever blocking the engine.

The single writer publishes each committed batch of audit events; the hub hands it to
every subscriber's asyncio queue through its event loop. A subscriber that falls too far
behind is dropped with a reason (its client reconnects with ``since=<last seq>`` and
misses nothing, since every event with a ``seq`` is in the database). FIX session changes
are published too, without a ``seq``: they are live status, not stored history.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)

Batch = list[dict[str, Any]]
MAX_PENDING_BATCHES = 10_000


class SubscriberTooSlow(Exception):
    """The client read too slowly; reconnect with since= to catch up from the database."""


@dataclass(eq=False)
class Subscriber:
    loop: asyncio.AbstractEventLoop
    queue: asyncio.Queue[Batch | SubscriberTooSlow] = field(
        default_factory=lambda: asyncio.Queue(MAX_PENDING_BATCHES + 1)
    )
    dropped: bool = False

    def offer(self, batch: Batch) -> None:
        """On the subscriber's loop."""
        if self.dropped:
            return
        if self.queue.qsize() >= MAX_PENDING_BATCHES:
            self.dropped = True
            self.queue.put_nowait(SubscriberTooSlow("event stream client too slow; reconnect"))
            return
        self.queue.put_nowait(batch)

    async def next(self) -> Batch:
        item = await self.queue.get()
        if isinstance(item, SubscriberTooSlow):
            raise item
        return item


class EventHub:
    """An ``EventSink`` (see ``toms.services.ports``) for live clients."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subscribers: set[Subscriber] = set()

    def subscribe(self) -> Subscriber:
        sub = Subscriber(asyncio.get_running_loop())
        with self._lock:
            self._subscribers.add(sub)
        return sub

    def unsubscribe(self, sub: Subscriber) -> None:
        with self._lock:
            self._subscribers.discard(sub)

    def publish(self, events: Batch) -> None:
        with self._lock:
            subscribers = list(self._subscribers)
        for sub in subscribers:
            try:
                sub.loop.call_soon_threadsafe(sub.offer, events)
            except RuntimeError:  # its loop has closed: the connection is gone
                self.unsubscribe(sub)

    def publish_session(self, status: dict[str, Any]) -> None:
        self.publish(
            [
                {
                    "seq": None,
                    "type": "SessionStatusChanged",
                    "entity_type": "fix_session",
                    "entity_id": status["broker"],
                    "payload": status,
                }
            ]
        )
