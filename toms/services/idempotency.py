"""Exactly-once API requests: a retried request with the same idempotency key replays.

The key is claimed by the commit of the change the request makes (``Transaction.commit``
writes it in the same database transaction), so a request applies at most once even if the
server dies between applying it and answering. The answer is stored just after and
returned to every retry. Runs as the single writer, so two retries cannot race.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from toms.domain.errors import DomainError
from toms.services.context import Context, RequestClaim, transaction

T = TypeVar("T")
Answer = tuple[int, dict[str, Any]]


class KeyReused(DomainError):
    """The idempotency key was already used for a different request."""


class AnswerLost(DomainError):
    """The request was applied but the server stopped before storing its answer."""


def run_once(
    ctx: Context,
    claim: RequestClaim | None,
    action: Callable[[], T],
    render: Callable[[T], Answer],
) -> Answer:
    """Apply ``action`` unless ``claim`` was applied before; return the (stored) answer."""
    if claim is None:
        return render(action())
    with ctx.uow() as uow:
        row = uow.idempotency.get(claim.user, claim.key)
        if row is not None:
            if row.fingerprint != claim.fingerprint:
                raise KeyReused(
                    f"idempotency key {claim.key!r} was used for a different request; "
                    "use a new key for a new request"
                )
            if row.response is None:
                raise AnswerLost(
                    f"the request with idempotency key {claim.key!r} was applied, but the "
                    "server stopped before recording its answer; look the result up instead"
                )
            return int(row.status_code), dict(row.response)
    ctx.claim = claim
    try:
        result = action()
    finally:
        claimed = ctx.claim is None  # a commit took the claim: the request changed state
        ctx.claim = None
    status, body = render(result)
    if claimed:
        with transaction(ctx) as tx:
            tx.uow.idempotency.answer(claim.user, claim.key, status, body)
            tx.commit()
    return status, body
