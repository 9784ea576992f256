"""Exactly-once requests: the idempotency key commits with the change it causes."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from toms.app import Oms
from toms.domain.errors import InvalidOrder
from toms.domain.values import OrderType, Side
from toms.services import trading
from toms.services.context import RequestClaim
from toms.services.idempotency import AnswerLost, KeyReused, run_once

AT = datetime(2026, 11, 22, 14, 0, tzinfo=UTC)


def _submit(oms: Oms, quantity: str = "100") -> object:
    return trading.submit_order(
        oms.ctx, account_id="GROWTH", symbol="IBM", side=Side.BUY,
        quantity=Decimal(quantity), order_type=OrderType.MARKET, user="pm-growth",
    )  # fmt: skip


def _once(oms: Oms, claim: RequestClaim | None, quantity: str = "100") -> tuple[int, dict]:
    return oms.call(
        run_once, oms.ctx, claim, lambda: _submit(oms, quantity),
        lambda o: (201, {"order_id": o.order_id}),
    )  # fmt: skip


def _orders(oms: Oms) -> int:
    return len(oms.read(lambda uow: uow.orders.list()))


def test_the_claim_commits_with_the_change_and_replays(oms: Oms) -> None:
    claim = RequestClaim("pm-growth", "k1", "fp-1", AT)
    first = _once(oms, claim)
    assert _once(oms, claim) == first
    assert _orders(oms) == 1
    stored = oms.read(
        lambda uow: (lambda r: (r.status_code, r.response))(uow.idempotency.get("pm-growth", "k1"))
    )
    assert stored == first
    with pytest.raises(KeyReused):
        _once(oms, RequestClaim("pm-growth", "k1", "fp-2", AT), "200")
    assert _orders(oms) == 1


def test_a_refused_request_claims_nothing_so_a_fixed_retry_applies(oms: Oms) -> None:
    claim = RequestClaim("pm-growth", "k2", "fp", AT)
    with pytest.raises(InvalidOrder):
        _once(oms, claim, "-1")
    assert oms.read(lambda uow: uow.idempotency.get("pm-growth", "k2")) is None
    assert _once(oms, claim)[0] == 201
    assert _orders(oms) == 1


def test_a_change_whose_answer_was_lost_is_never_applied_again(oms: Oms) -> None:
    """The server died between the commit of the change and the write of its answer."""
    claim = RequestClaim("pm-growth", "k3", "fp", AT)

    def crash_after_commit() -> object:
        oms.ctx.claim = claim  # the claim belongs to the writer that runs the request
        _submit(oms)  # commits the order and the claim together
        return oms.ctx.claim

    assert oms.call(crash_after_commit) is None  # the commit took the claim
    with pytest.raises(AnswerLost, match="was applied"):
        _once(oms, claim)
    assert _orders(oms) == 1
