"""The append-only records: processed executions, the audit trail, the outbox of FIX
requests, and the idempotency keys of API requests. Read back as plain frozen entries."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from toms.domain.errors import UnknownOrder
from toms.domain.events import DomainEvent
from toms.persistence.sql import Db, placeholders


def fit(value: str, length: int) -> str:
    """A broker's identifier cut to its column, still unique: a longer one keeps its head
    and a hash of the whole (the raw message keeps the full text)."""
    if len(value) <= length:
        return value
    digest = hashlib.sha256(value.encode()).hexdigest()[:16]
    return f"{value[: length - 17]}~{digest}"


def _printable(text: str | None) -> str | None:
    """NUL is legal inside a FIX field but not in a PostgreSQL text: keep it visible."""
    return text.replace("\x00", "\\x00") if text else text


# ── executions ──────────────────────────────────────────────────────────────────────────
@dataclass(frozen=True, slots=True)
class ExecutionEntry:
    """A report received, applied or not, with its raw text (``executions``)."""

    id: int
    session_id: str
    exec_id: str
    cl_ord_id: str
    routed_order_id: str | None
    kind: str
    outcome: str  # applied | rejected | unmatched
    error: str | None
    raw: str | None
    received_at: datetime


_EXECUTION = (
    "SELECT id, session_id, exec_id, cl_ord_id, routed_order_id, kind, outcome, error, raw, "
    "received_at FROM executions"
)


class ExecutionLog:
    """Processed ExecIDs per FIX session, with the outcome and the raw message. The unique
    (session, ExecID) key makes a resend a no-op."""

    def __init__(self, db: Db) -> None:
        self._db = db

    def first(self, session_id: str, exec_id: str) -> ExecutionEntry | None:
        """The report already received with this ExecID on this session, if any."""
        row = self._db.one(
            _EXECUTION + " WHERE session_id = ? AND exec_id = ?",
            (fit(session_id, 128), fit(exec_id, 64)),
        )
        return self._entry(row) if row else None

    @staticmethod
    def is_resend(prior: ExecutionEntry, cl_ord_id: str, kind: str) -> bool:
        """Same ExecID, same order and kind: the report again (PossDup), not a new one."""
        return prior.kind == kind and prior.cl_ord_id == fit(cl_ord_id, 64)

    def record(
        self,
        *,
        session_id: str,
        exec_id: str,
        cl_ord_id: str,
        routed_order_id: str | None,
        kind: str,
        outcome: str,
        received_at: datetime,
        raw: str | None = None,
        error: str | None = None,
    ) -> None:
        self._db.run(
            "INSERT INTO executions (session_id, exec_id, cl_ord_id, routed_order_id, kind, "
            "outcome, error, raw, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                fit(session_id, 128),
                fit(exec_id, 64),
                fit(cl_ord_id, 64),
                routed_order_id,
                kind,
                outcome,
                _printable(error),
                _printable(raw),
                self._db.codec.ts(received_at),
            ),
        )

    def flagged(self) -> list[ExecutionEntry]:
        rows = self._db.all(_EXECUTION + " WHERE outcome <> 'applied' ORDER BY id")
        return [self._entry(r) for r in rows]

    def for_session(self, session_id: str) -> list[ExecutionEntry]:
        rows = self._db.all(_EXECUTION + " WHERE session_id = ? ORDER BY id", (session_id,))
        return [self._entry(r) for r in rows]

    def _entry(self, row: tuple[Any, ...]) -> ExecutionEntry:
        return ExecutionEntry(*row[:-1], received_at=self._db.codec.to_ts(row[-1]))  # type: ignore[arg-type]


# ── audit ───────────────────────────────────────────────────────────────────────────────
@dataclass(frozen=True, slots=True)
class AuditEntry:
    """Who did what, when and why. ``seq`` orders the live event stream."""

    seq: int
    occurred_at: datetime
    recorded_at: datetime
    event_type: str
    entity_type: str
    entity_id: str
    actor: str
    reason: str
    payload: dict[str, Any]


_AUDIT = (
    "SELECT seq, occurred_at, recorded_at, event_type, entity_type, entity_id, actor, reason, "
    "payload FROM audit_events"
)


class AuditLog:
    """The append-only audit trail. Appended entries become the live event stream after
    the commit."""

    def __init__(self, db: Db) -> None:
        self._db = db
        self.appended: list[AuditEntry] = []

    def append(
        self,
        event: DomainEvent,
        *,
        entity_type: str,
        entity_id: str,
        actor: str,
        recorded_at: datetime,
        reason: str = "",
    ) -> None:
        self.record(
            event.event_type,
            event.payload(),
            entity_type=entity_type,
            entity_id=entity_id,
            actor=actor,
            occurred_at=event.at,
            recorded_at=recorded_at,
            reason=reason,
        )

    def record(
        self,
        event_type: str,
        payload: dict[str, Any],
        *,
        entity_type: str,
        entity_id: str,
        actor: str,
        occurred_at: datetime,
        recorded_at: datetime,
        reason: str = "",
    ) -> None:
        c = self._db.codec
        seq = self._db.insert(
            "INSERT INTO audit_events (occurred_at, recorded_at, event_type, entity_type, "
            "entity_id, actor, reason, payload) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING seq",
            (
                c.ts(occurred_at),
                c.ts(recorded_at),
                event_type,
                entity_type,
                entity_id,
                actor,
                reason,
                c.json(payload),
            ),
        )
        self.appended.append(
            AuditEntry(
                seq,
                occurred_at,
                recorded_at,
                event_type,
                entity_type,
                entity_id,
                actor,
                reason,
                payload,
            )
        )

    def for_entity(self, entity_type: str, entity_id: str) -> list[AuditEntry]:
        rows = self._db.all(
            _AUDIT + " WHERE entity_type = ? AND entity_id = ? ORDER BY seq",
            (entity_type, entity_id),
        )
        return [self._entry(r) for r in rows]

    def recent(
        self, entity_type: str, entity_id: str, event_type: str, since: datetime
    ) -> list[AuditEntry]:
        """One entity's events of one type that occurred at or after ``since``, oldest
        first; the entity's older history is filtered out by the database, not decoded."""
        rows = self._db.all(
            _AUDIT + " WHERE entity_type = ? AND entity_id = ? AND event_type = ? "
            "AND occurred_at >= ? ORDER BY seq",
            (entity_type, entity_id, event_type, self._db.codec.ts(since)),
        )
        return [self._entry(r) for r in rows]

    def of_types(
        self, entity_type: str, event_types: Sequence[str], entity_ids: set[str]
    ) -> list[AuditEntry]:
        """Events of these types for these entities, oldest first."""
        if not event_types:
            return []
        sql = (
            _AUDIT + f" WHERE entity_type = ? AND event_type IN ({placeholders(len(event_types))})"
        )
        params: list[Any] = [entity_type, *event_types]
        if len(entity_ids) <= 500:  # beyond that, one scan beats a giant IN list
            if not entity_ids:
                return []
            sql += f" AND entity_id IN ({placeholders(len(entity_ids))})"
            params += sorted(entity_ids)
        rows = self._db.all(sql + " ORDER BY seq", params)
        return [e for e in map(self._entry, rows) if e.entity_id in entity_ids]

    def since(self, seq: int, limit: int = 10_000) -> list[AuditEntry]:
        rows = self._db.all(_AUDIT + " WHERE seq > ? ORDER BY seq LIMIT ?", (seq, limit))
        return [self._entry(r) for r in rows]

    def _entry(self, row: tuple[Any, ...]) -> AuditEntry:
        seq, occurred_at, recorded_at, event_type, entity_type, entity_id, actor, reason, p = row
        c = self._db.codec
        return AuditEntry(
            seq,
            c.to_ts(occurred_at),  # type: ignore[arg-type]
            c.to_ts(recorded_at),  # type: ignore[arg-type]
            event_type,
            entity_type,
            entity_id,
            actor,
            reason,
            c.from_json(p),
        )


# ── outbox ──────────────────────────────────────────────────────────────────────────────
@dataclass(frozen=True, slots=True)
class OutboxEntry:
    """An outbound FIX request, written with the state change that causes it."""

    id: int
    routed_order_id: str
    cl_ord_id: str
    request: str  # new | cancel | replace | status
    created_at: datetime
    sent_at: datetime | None


class Outbox:
    def __init__(self, db: Db) -> None:
        self._db = db

    def add(self, routed_order_id: str, cl_ord_id: str, request: str, at: datetime) -> OutboxEntry:
        outbox_id = self._db.insert(
            "INSERT INTO outbox (routed_order_id, cl_ord_id, request, created_at, sent_at) "
            "VALUES (?, ?, ?, ?, NULL) RETURNING id",
            (routed_order_id, cl_ord_id, request, self._db.codec.ts(at)),
        )
        return OutboxEntry(outbox_id, routed_order_id, cl_ord_id, request, at, None)

    def unsent(self) -> list[OutboxEntry]:
        c = self._db.codec
        rows = self._db.all(
            "SELECT id, routed_order_id, cl_ord_id, request, created_at FROM outbox "
            "WHERE sent_at IS NULL ORDER BY id"
        )
        return [OutboxEntry(*r[:4], created_at=c.to_ts(r[4]), sent_at=None) for r in rows]  # type: ignore[arg-type]

    def mark_sent(self, sent: Iterable[tuple[int, datetime]]) -> None:
        """Record when requests left: (outbox id, time sent) pairs."""
        ts = self._db.codec.ts
        self._db.run_many(
            "UPDATE outbox SET sent_at = ? WHERE id = ?", ((ts(at), i) for i, at in sent)
        )


# ── idempotency keys ────────────────────────────────────────────────────────────────────
@dataclass(frozen=True, slots=True)
class IdempotencyEntry:
    """An API request that changed state, by the client's key; its answer once stored."""

    user_name: str
    key: str
    fingerprint: str  # sha256 of method, path and body
    created_at: datetime
    status_code: int | None
    response: dict[str, Any] | None


class IdempotencyKeys:
    def __init__(self, db: Db) -> None:
        self._db = db

    def get(self, user: str, key: str) -> IdempotencyEntry | None:
        row = self._db.one(
            "SELECT user_name, key, fingerprint, created_at, status_code, response "
            "FROM idempotency_keys WHERE user_name = ? AND key = ?",
            (user, key),
        )
        if row is None:
            return None
        c = self._db.codec
        return IdempotencyEntry(
            *row[:3],
            created_at=c.to_ts(row[3]),  # type: ignore[arg-type]
            status_code=row[4],
            response=c.from_json(row[5]),
        )

    def claim(self, user: str, key: str, fingerprint: str, at: datetime) -> None:
        self._db.run(
            "INSERT INTO idempotency_keys (user_name, key, fingerprint, created_at) "
            "VALUES (?, ?, ?, ?)",
            (user, key, fingerprint, self._db.codec.ts(at)),
        )

    def answer(self, user: str, key: str, status_code: int, response: dict[str, Any]) -> None:
        changed = self._db.run(
            "UPDATE idempotency_keys SET status_code = ?, response = ? "
            "WHERE user_name = ? AND key = ?",
            (status_code, self._db.codec.json(response), user, key),
        )
        if not changed:
            raise UnknownOrder(f"no idempotency key {key!r} for {user}")
