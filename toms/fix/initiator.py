"""The OMS's QuickFIX initiator: one session per configured broker.

Each logon starts a reconciliation with that broker under the writer lock (outbox first,
then an OrderStatusRequest per open order; ``toms.services.reconciliation``). It is
submitted, not waited for: ``onLogon`` runs on the QuickFIX thread, which must return to
process the broker's resent reports, and those must be applied before the status answers
that follow them on the wire.
"""

from __future__ import annotations

import logging
from concurrent.futures import Future

import quickfix as fix

from toms.config import Settings
from toms.fix.application import DeadLetters, OmsApplication
from toms.fix.gateway import QuickFixGateway
from toms.fix.session import initiator_settings, write_settings
from toms.fix.status import SessionBoard
from toms.services import reconciliation
from toms.services.context import Context
from toms.services.engine import Engine

log = logging.getLogger(__name__)


class FixInitiator:
    def __init__(self, settings: Settings, ctx: Context, engine: Engine) -> None:
        self.settings = settings
        self.board = SessionBoard(self._sequences)
        self._session_ids: dict[str, fix.SessionID] = {}
        self._ctx = ctx
        self._engine = engine
        path = write_settings(
            initiator_settings(settings.brokers, settings.data_dir),
            settings.data_dir / "fix" / "initiator.cfg",
        )
        self._session_settings = fix.SessionSettings(str(path))
        brokers_by_session: dict[str, str] = {}
        for b in settings.brokers:
            sid = fix.SessionID(b.fix_version, b.sender_comp_id, b.target_comp_id)
            brokers_by_session[sid.toString()] = b.broker_id
            self._session_ids[sid.toString()] = sid
            ctx.gateways[b.broker_id] = QuickFixGateway(b, sid, self.board, ctx.clock.now)
            self.board.update(b.broker_id, sid.toString())
        self.dead_letters = DeadLetters(settings.data_dir / "fix" / "dead_letters.jsonl")
        self.application = OmsApplication(
            ctx,
            engine,
            self.board,
            brokers_by_session,
            self.dead_letters,
            settings.engine_timeout_seconds,
            on_logon=self._reconcile,
        )
        self._store = fix.FileStoreFactory(self._session_settings)
        self._logs = fix.FileLogFactory(self._session_settings)
        self._initiator: fix.SocketInitiator | None = fix.SocketInitiator(
            self.application, self._store, self._session_settings, self._logs
        )

    def start(self) -> None:
        if self._initiator is not None:
            self._initiator.start()

    def stop(self) -> None:
        """Stop and destroy the initiator now.

        QuickFIX keeps sessions in a process-wide registry until the initiator object is
        destroyed; dropping our reference here (rather than whenever the garbage collector
        finds the application's reference cycle) unregisters them, so a new initiator in
        this process can never have its messages delivered to this stopped one.
        """
        initiator, self._initiator = self._initiator, None
        if initiator is not None:
            initiator.stop()
            del initiator

    def wait_logged_on(self, broker: str, timeout: float = 10.0) -> bool:
        return self.board.wait_logged_on(broker, timeout)

    def _sequences(self, session_key: str) -> tuple[int | None, int | None]:
        """The next sequence numbers out and in, as QuickFIX holds them right now."""
        session_id = self._session_ids.get(session_key)
        session = fix.Session.lookupSession(session_id) if session_id is not None else None
        if session is None:
            return None, None
        return session.getExpectedSenderNum(), session.getExpectedTargetNum()

    def _reconcile(self, broker: str) -> None:
        future = self._engine.submit(reconciliation.reconcile_broker, self._ctx, broker)
        future.add_done_callback(_log_failure)


def _log_failure(future: Future[reconciliation.Reconciliation]) -> None:
    if not future.cancelled() and future.exception() is not None:
        log.error("logon reconciliation failed", exc_info=future.exception())
