"""What every use case runs with, and the transaction that publishes after commit."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from toms.domain.errors import UnknownOrder
from toms.services.ports import BrokerGateway, Clock, EventSink, IdSource
from toms.services.unit_of_work import UnitOfWork, UnitOfWorkFactory

log = logging.getLogger(__name__)


@dataclass
class Context:
    uow: UnitOfWorkFactory
    clock: Clock
    ids: IdSource
    gateways: dict[str, BrokerGateway] = field(default_factory=dict)
    sinks: list[EventSink] = field(default_factory=list)
    compliance: Any = None  # toms.services.compliance_gate.ComplianceGate, set by the app
    # Outbox rows sent since the last commit, with when: recorded by the next commit
    # (``Transaction.commit``) instead of one of their own. Touched only by the writer.
    sent: list[tuple[int, datetime]] = field(default_factory=list)
    _local: threading.local = field(default_factory=threading.local, repr=False)

    @property
    def claim(self) -> RequestClaim | None:
        """The idempotency key the next commit on this thread must record (API requests)."""
        return getattr(self._local, "claim", None)

    @claim.setter
    def claim(self, value: RequestClaim | None) -> None:
        self._local.claim = value

    def gateway(self, broker: str) -> BrokerGateway:
        try:
            return self.gateways[broker]
        except KeyError:
            raise UnknownOrder(
                f"no FIX session for broker {broker!r}; configured: {sorted(self.gateways)}"
            ) from None


@dataclass(frozen=True, slots=True)
class RequestClaim:
    """A client's idempotency key, recorded atomically with the change its request makes."""

    user: str
    key: str
    fingerprint: str
    at: datetime


class Transaction:
    """A unit of work plus actions to run once it is durable (sending FIX, publishing)."""

    def __init__(self, uow: UnitOfWork, ctx: Context | None = None) -> None:
        self.uow = uow
        self.ctx = ctx
        self.after_commit: list[Callable[[], object]] = []
        self.committed = False

    def commit(self) -> None:
        ctx = self.ctx
        claim = ctx.claim if ctx is not None else None
        if claim is not None:
            self.uow.idempotency.claim(claim.user, claim.key, claim.fingerprint, claim.at)
        sent = list(ctx.sent) if ctx is not None else []
        if sent:
            self.uow.outbox.mark_sent(sent)
        self.uow.commit()
        self.committed = True
        if ctx is not None:
            del ctx.sent[: len(sent)]
            if claim is not None:
                ctx.claim = None


@contextmanager
def transaction(ctx: Context) -> Iterator[Transaction]:
    """Commit explicitly inside; on leaving, publish what was committed and run follow-ups.

    Follow-ups run only after a successful commit, so a FIX request never leaves for an
    order that is not stored, and the event stream never shows an uncommitted change.
    """
    with ctx.uow() as uow:
        tx = Transaction(uow, ctx)
        yield tx
    events = [event_dict(row) for row in uow.committed_events]
    uow.committed_events.clear()
    if events:
        for sink in ctx.sinks:
            try:
                sink.publish(events)
            except Exception:
                log.exception("event sink %r failed; the database still has the events", sink)
    if tx.committed:
        for action in tx.after_commit:
            action()


def event_dict(row: Any) -> dict[str, object]:
    """An audit row as the event stream and the API show it."""
    return {
        "seq": row.seq,
        "type": row.event_type,
        "entity_type": row.entity_type,
        "entity_id": row.entity_id,
        "actor": row.actor,
        "reason": row.reason,
        "occurred_at": row.occurred_at.isoformat(),
        "payload": row.payload,
    }
