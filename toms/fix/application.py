"""The QuickFIX Application of the OMS: thin, guarded, and waiting for the commit.

Every callback is wrapped: with the SWIG director, any Python exception other than the
four FIX exceptions ends the whole process. ``fromApp`` applies the translated report as
the single writer and commits it before returning, because QuickFIX counts an
inbound message as consumed only when the callback returns: a crash before the commit
costs a resend, never a fill. What cannot be processed (engine down, database down) is
written to a dead-letter file with the raw message, so it can be replayed.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import quickfix as fix

from toms.fix import codec
from toms.fix.fields import FixFields, QuickfixFields, RawFields
from toms.fix.status import SessionBoard
from toms.services.booking import apply_allocation_ack
from toms.services.context import Context
from toms.services.engine import Engine
from toms.services.executions import (
    apply_cancel_reject,
    apply_execution_report,
    record_session_message,
)

log = logging.getLogger(__name__)


_FIX_ERRORS = (
    fix.FieldNotFound,
    fix.IncorrectDataFormat,
    fix.IncorrectTagValue,
    fix.UnsupportedMessageType,
)


class DeadLetters:
    """Append-only JSON lines on local disk: works when the database does not."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def write(self, session: str, raw: str, error: str) -> None:
        record = {
            "at": datetime.now(UTC).isoformat(),
            "session": session,
            "error": error,
            "raw": raw,
        }
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as fh:
                fh.write(json.dumps(record) + "\n")
                fh.flush()
                os.fsync(fh.fileno())

    def read(self) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        return [json.loads(line) for line in self.path.read_text().splitlines() if line.strip()]


class OmsApplication(fix.Application):  # type: ignore[misc]
    def __init__(
        self,
        ctx: Context,
        engine: Engine,
        board: SessionBoard,
        brokers_by_session: dict[str, str],
        dead_letters: DeadLetters,
        timeout_seconds: float,
        on_logon: Callable[[str], None] | None = None,
    ) -> None:
        super().__init__()
        self._ctx = ctx
        self._engine = engine
        self._board = board
        self._brokers = brokers_by_session
        self._dead = dead_letters
        self._timeout = timeout_seconds
        self._on_logon = on_logon

    # ── session events ─────────────────────────────────────────────────────────────
    def onCreate(self, session_id: fix.SessionID) -> None:
        self._guard("onCreate", session_id, lambda: self._status(session_id))

    def onLogon(self, session_id: fix.SessionID) -> None:
        def logon() -> None:
            broker = self._status(session_id, logged_on=True, last_logon=datetime.now(UTC))
            if self._on_logon is not None and broker:
                self._on_logon(broker)

        self._guard("onLogon", session_id, logon)

    def onLogout(self, session_id: fix.SessionID) -> None:
        self._guard(
            "onLogout",
            session_id,
            lambda: self._status(session_id, logged_on=False, last_logout=datetime.now(UTC)),
        )

    def toAdmin(self, message: fix.Message, session_id: fix.SessionID) -> None:
        pass

    def toApp(self, message: fix.Message, session_id: fix.SessionID) -> None:
        pass

    def fromAdmin(self, message: fix.Message, session_id: fix.SessionID) -> None:
        def admin() -> None:
            msg_type = message.getHeader().getField(35)
            if msg_type == "0":
                self._status(session_id, last_heartbeat=datetime.now(UTC))
            elif msg_type == "3":  # session-level Reject of something we sent
                self._record(session_id, "SessionRejectReceived", message)

        self._guard("fromAdmin", session_id, admin)

    # ── application messages ───────────────────────────────────────────────────────
    def fromApp(self, message: fix.Message, session_id: fix.SessionID) -> None:
        raw = message.toString()
        session = session_id.toString()
        try:
            self._dispatch(message, session_id, session, raw)
        except _FIX_ERRORS:
            raise  # QuickFIX answers with a reject and the message is consumed
        except codec.FixFieldError as exc:
            log.warning("malformed message from %s: %s", session, exc)
            if exc.missing:
                raise fix.FieldNotFound(exc.tag) from None
            raise fix.IncorrectTagValue(exc.tag) from None
        except Exception as exc:  # anything else would exit the process: keep it, loudly
            log.exception("fromApp could not process a message from %s; dead-lettered", session)
            try:
                self._dead.write(session, raw, f"{type(exc).__name__}: {exc}")
            except Exception:
                log.critical("DEAD LETTER WRITE FAILED; raw message follows: %s", raw)

    def _dispatch(
        self, message: fix.Message, session_id: fix.SessionID, session: str, raw: str
    ) -> None:
        fields: FixFields | None = RawFields.of(raw)
        if fields is None:
            fields = QuickfixFields(message)
        msg_type = fields.get(35)
        now = datetime.now(UTC)
        if msg_type == "8":
            report = codec.execution_report(fields, now)
            self._commit(apply_execution_report, self._ctx, session, report, raw)
        elif msg_type == "9":
            reject = codec.cancel_reject(fields, now)
            self._commit(apply_cancel_reject, self._ctx, session, reject)
        elif msg_type == "P":
            alloc_id, accepted, text = codec.allocation_ack(fields)
            self._commit(apply_allocation_ack, self._ctx, alloc_id, accepted, text)
        elif msg_type == "j":
            self._record(session_id, "BusinessRejectReceived", message)
        else:
            raise fix.UnsupportedMessageType()

    # ── helpers ────────────────────────────────────────────────────────────────────
    def _commit(self, fn: Callable[..., object], *args: object) -> None:
        """Run ``fn`` as the engine's only writer, ahead of waiting API requests, and return
        only once it has committed.

        If the writer lock is not free within the timeout, ``EngineBusy`` is raised and the
        caller dead-letters the message: then the dead letter is its only trace. A command
        that has started always runs to its end, because it is writing the message to the
        database right now; dead-lettering it as well would leave two copies of one fact.
        """
        self._engine.call(fn, *args, timeout=self._timeout, urgent=True)

    def _record(self, session_id: fix.SessionID, event_type: str, message: fix.Message) -> None:
        fields = QuickfixFields(message)
        payload = {
            "raw": message.toString().replace("\x01", "|"),
            "ref_seq_num": fields.get(45),
            "ref_msg_type": fields.get(372),
            "ref_tag": fields.get(371),
            "reason": fields.get(373) or fields.get(380),
            "text": fields.get(58),
        }
        self._commit(record_session_message, self._ctx, session_id.toString(), event_type, payload)

    def _status(self, session_id: fix.SessionID, **changes: object) -> str | None:
        key = session_id.toString()
        broker = self._brokers.get(key)
        if broker is None:
            return None
        self._board.update(broker, key, **changes)
        return broker

    def _guard(self, name: str, session_id: fix.SessionID, action: Callable[[], object]) -> None:
        try:
            action()
        except Exception:
            log.exception(
                "%s failed for %s (ignored: QuickFIX must keep running)",
                name,
                session_id.toString(),
            )
