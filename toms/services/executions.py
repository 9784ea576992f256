"""Broker reports in: dedupe, apply through the state machine, persist, audit.

Runs as the single writer, on the FIX application's thread while QuickFIX waits. Every
report is recorded in the processed-ExecID table in the same transaction as its effect,
so a resend after a crash finds it and changes nothing. A report that cannot be applied
is stored with its reason and raw text for operations; it is never dropped.
"""

from __future__ import annotations

import logging
from enum import StrEnum

from toms.domain.errors import DomainError, InvalidValue
from toms.domain.events import ExecutionRejected
from toms.domain.execution import CancelReject, ExecutionReport
from toms.domain.routed_order import RoutedOrder
from toms.services.block_progress import after_routed_change
from toms.services.context import Context, Transaction, transaction

log = logging.getLogger(__name__)


class Outcome(StrEnum):
    APPLIED = "applied"
    DUPLICATE = "duplicate"
    REJECTED = "rejected"  # inconsistent or not allowed: flagged for operations
    UNMATCHED = "unmatched"  # no order with that ClOrdID


MAX_EXEC_ID_LENGTH = 64  # the fills' and processed ExecIDs' column


def _check_exec_id(report: ExecutionReport) -> None:
    """A fill is keyed by its ExecID; one too long to store whole is refused, not cut."""
    if len(report.exec_id) > MAX_EXEC_ID_LENGTH:
        raise InvalidValue(
            f"ExecID of {len(report.exec_id)} characters: toms stores at most "
            f"{MAX_EXEC_ID_LENGTH}, so the report is not applied (its raw text is kept)"
        )


def apply_execution_report(
    ctx: Context, session_id: str, report: ExecutionReport, raw: str | None = None
) -> Outcome:
    now = ctx.clock.now()
    with transaction(ctx) as tx:
        uow = tx.uow
        prior = uow.executions.first(session_id, report.exec_id)
        if prior is not None:
            if uow.executions.is_resend(prior, report.cl_ord_id, report.kind.value):
                return Outcome.DUPLICATE  # a resend (PossDup) of a report already processed
            reason = (
                f"ExecID {report.exec_id} was already used for a {prior.kind} report on "
                f"ClOrdID {prior.cl_ord_id}; this {report.kind.value} report on ClOrdID "
                f"{report.cl_ord_id} is not applied (ExecIDs must be unique per session)"
            )
            _flag(tx, report, None, "ExecIdReused", reason, now)
            tx.commit()
            log.error(reason)
            return Outcome.REJECTED
        routed = _find(tx, report.cl_ord_id, report.orig_cl_ord_id)
        record = dict(  # noqa: C408 - keyword form mirrors ExecutionLog.record's signature
            session_id=session_id,
            exec_id=report.exec_id,
            cl_ord_id=report.cl_ord_id,
            kind=report.kind.value,
            received_at=now,
            raw=raw,
        )
        if routed is None:
            uow.executions.record(
                **record,
                routed_order_id=None,
                outcome=Outcome.UNMATCHED,
                error=f"no order with ClOrdID {report.cl_ord_id}",
            )
            _flag(
                tx, report, None, "UnknownOrder", f"no order with ClOrdID {report.cl_ord_id}", now
            )
            tx.commit()
            log.warning("unmatched execution %s for ClOrdID %s", report.exec_id, report.cl_ord_id)
            return Outcome.UNMATCHED
        before = _progress_inputs(routed)
        try:
            _check_exec_id(report)
            events = routed.apply_report(report)
        except DomainError as exc:
            uow.executions.record(
                **record,
                routed_order_id=routed.routed_order_id,
                outcome=Outcome.REJECTED,
                error=str(exc),
            )
            _flag(tx, report, routed, type(exc).__name__, str(exc), now)
            tx.commit()
            log.error("execution %s not applied: %s", report.exec_id, exc)
            return Outcome.REJECTED
        uow.executions.record(
            **record, routed_order_id=routed.routed_order_id, outcome=Outcome.APPLIED
        )
        uow.routed.save(routed, now)
        actor = f"broker:{routed.broker}"
        for event in events:
            uow.audit.append(
                event,
                entity_type="routed_order",
                entity_id=routed.routed_order_id,
                actor=actor,
                recorded_at=now,
            )
        if _progress_may_change(tx, routed, before):
            after_routed_change(ctx, tx, routed, now)
        tx.commit()
        return Outcome.APPLIED


def _progress_inputs(routed: RoutedOrder) -> tuple[object, ...]:
    """What the block's progress reads from a routed order: its fills and whether it is
    still working (``block_progress.after_routed_change``)."""
    return (routed.is_terminal, *routed.fills)


def _progress_may_change(tx: Transaction, routed: RoutedOrder, before: tuple[object, ...]) -> bool:
    """False only when the block's progress is certainly what it already is.

    That is when the report changed neither the fills nor whether the order is working
    (an acknowledgement, a pending state, a restatement), the order has no fills, and it
    is the block's only routed order. Then every PM order's share is zero and nothing moved
    since routing (or the last report) set the block and its PM orders from exactly these
    inputs. Otherwise (fills, or a block routed again, whose PM orders ``route_block`` sets
    back to working) the progress is recomputed, as after every report before.
    """
    if _progress_inputs(routed) != before or routed.fills:
        return True
    return len(tx.uow.blocks.require(routed.block_id).routed_order_ids) > 1


def apply_cancel_reject(ctx: Context, session_id: str, reject: CancelReject) -> Outcome:
    now = ctx.clock.now()
    with transaction(ctx) as tx:
        routed = _find(tx, reject.cl_ord_id, reject.orig_cl_ord_id)
        if routed is None:
            tx.uow.audit.record(
                "UnmatchedCancelReject",
                {"cl_ord_id": reject.cl_ord_id, "reason": reject.reason, "session": session_id},
                entity_type="session",
                entity_id=session_id,
                actor="broker",
                occurred_at=reject.transact_time,
                recorded_at=now,
            )
            tx.commit()
            return Outcome.UNMATCHED
        try:
            events = routed.apply_reject(reject)
        except DomainError as exc:
            tx.uow.audit.record(
                "CancelRejectNotApplied",
                {"cl_ord_id": reject.cl_ord_id, "error": str(exc), "session": session_id},
                entity_type="routed_order",
                entity_id=routed.routed_order_id,
                actor="broker",
                occurred_at=reject.transact_time,
                recorded_at=now,
            )
            tx.commit()
            return Outcome.REJECTED
        tx.uow.routed.save(routed, now)
        for event in events:
            tx.uow.audit.append(
                event,
                entity_type="routed_order",
                entity_id=routed.routed_order_id,
                actor=f"broker:{routed.broker}",
                recorded_at=now,
                reason=reject.reason,
            )
        after_routed_change(ctx, tx, routed, now)
        tx.commit()
        return Outcome.APPLIED


def record_session_message(
    ctx: Context, session_id: str, event_type: str, payload: dict[str, object]
) -> None:
    """Session-level rejects and business rejects: audited so operations can see them."""
    now = ctx.clock.now()
    with transaction(ctx) as tx:
        tx.uow.audit.record(
            event_type,
            payload,
            entity_type="session",
            entity_id=session_id,
            actor="broker",
            occurred_at=now,
            recorded_at=now,
        )
        tx.commit()


def _find(tx: Transaction, cl_ord_id: str, orig: str | None) -> RoutedOrder | None:
    routed: RoutedOrder | None = tx.uow.routed.by_cl_ord_id(cl_ord_id)
    if routed is None and orig:
        routed = tx.uow.routed.by_cl_ord_id(orig)
    return routed


def _flag(
    tx: Transaction,
    report: ExecutionReport,
    routed: RoutedOrder | None,
    error: str,
    reason: str,
    now: object,
) -> None:
    event = ExecutionRejected(
        report.transact_time,
        report.exec_id,
        report.cl_ord_id,
        routed.routed_order_id if routed else None,
        error,
        reason,
    )
    tx.uow.audit.append(
        event,
        entity_type="routed_order" if routed else "execution",
        entity_id=routed.routed_order_id if routed else report.exec_id,
        actor="broker",
        recorded_at=now,
        reason=reason,
    )
