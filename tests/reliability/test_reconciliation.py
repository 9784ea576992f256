"""Logon reconciliation: every open order is asked about (35=H) and the answer compared.

Real QuickFIX sessions on 127.0.0.1 against the simulated broker; the OMS is stopped and
started again on the same data directory, as after a crash or a restart. Waiting is on
committed state (``Waiter``), never on timers.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tests.reliability.conftest import WAIT, OmsRunner, broker_config, oms_settings
from toms.app import Oms
from toms.domain.execution import RoutedStatus as S
from toms.domain.routed_order import RoutedOrder
from toms.domain.values import OrderType, Side
from toms.services import trading
from toms.services.reconciliation import OPEN_STATUSES, reconcile_broker
from toms.simulator.acceptor import SimulatedBroker
from toms.simulator.matching import FillPolicy, MatchingConfig

pytestmark = [pytest.mark.fix, pytest.mark.reliability]

ONE_CLIP = MatchingConfig(fill_policy=FillPolicy(partial_fills=2, clips_per_match=1))


def route(
    oms: Oms,
    symbol: str,
    qty: int,
    limit: str | None = None,
    broker: str = "SIM",
) -> RoutedOrder:
    order = oms.submit_order(
        account_id="GROWTH",
        symbol=symbol,
        side=Side.BUY,
        quantity=Decimal(qty),
        order_type=OrderType.MARKET,
        user="pm1",
    )
    block = oms.create_block([order.order_id], "trader1")
    return oms.route_block(  # type: ignore[no-any-return]
        block.block_id,
        broker=broker,
        order_type=OrderType.LIMIT if limit else OrderType.MARKET,
        limit_price=Decimal(limit) if limit else None,
        user="trader1",
    )


def status_is(routed_id: str, *statuses: S, cum: int | None = None) -> Any:
    def probe(uow: Any) -> RoutedOrder | None:
        r: RoutedOrder = uow.routed.get(routed_id)
        ok = r.status in statuses and (cum is None or r.cum_qty == Decimal(cum))
        return r if ok else None

    return probe


def events(oms: Oms, *types: str) -> list[tuple[str, str]]:
    return oms.read(
        lambda uow: [
            (r.event_type, r.entity_id) for r in uow.audit.since(0, 10**9) if r.event_type in types
        ]
    )


def status_answers(at_least: int) -> Any:
    """Every status answer is audited (confirmed, reconciled or mismatched): a commit
    with an event, so the waiter wakes for it."""

    def probe(uow: Any) -> int | None:
        (n,) = uow.db.one("SELECT count(*) FROM executions WHERE kind = 'order_status'")
        return n if n >= at_least else None

    return probe


def test_restart_asks_about_every_open_order_and_finds_each_state_in_sync(
    tmp_path: Path,
) -> None:
    """Orders in every state the simulator can hold them in: the open ones are asked
    about at logon, and the simulator's answer for each state matches what toms holds."""
    broker = SimulatedBroker(broker_config(tmp_path / "sim", matching=ONE_CLIP))
    broker.start()
    runner = OmsRunner(oms_settings(tmp_path / "oms", broker.port))
    try:
        oms = runner.start()
        resting = route(oms, "IBM", 100, "170")
        partial = route(oms, "MSFT", 100, "400")
        filled = route(oms, "NVDA", 100)
        canceled = route(oms, "JPM", 100, "150")
        replaced = route(oms, "AAPL", 100, "150")
        done = route(oms, "AAPL", 200, "140")
        for r in (resting, canceled, replaced, done):
            runner.until(status_is(r.routed_order_id, S.NEW))
        runner.until(status_is(filled.routed_order_id, S.PARTIALLY_FILLED, cum=50))
        broker.set_price("NVDA", Decimal("120.01"))  # its second clip
        runner.until(status_is(filled.routed_order_id, S.FILLED, cum=100))
        broker.set_price("MSFT", Decimal("399"))  # one clip of two
        runner.until(status_is(partial.routed_order_id, S.PARTIALLY_FILLED, cum=50))
        oms.cancel(canceled.routed_order_id, "trader1")
        runner.until(status_is(canceled.routed_order_id, S.CANCELED))
        oms.replace(replaced.routed_order_id, "trader1", quantity=Decimal(80))
        runner.until(status_is(replaced.routed_order_id, S.NEW))
        broker.done_for_day(done.cl_ord_id)
        runner.until(status_is(done.routed_order_id, S.DONE_FOR_DAY))
        runner.stop()

        oms = runner.start()
        expected = {r.routed_order_id for r in (resting, partial, replaced, done)}
        runner.until(status_answers(len(expected)))
        asked = {e for _, e in events(oms, "ReconciliationRequested")}
        assert asked == expected
        # the terminal states too, asked by hand: the answer for each agrees with toms
        for r in (filled, canceled):
            oms.call(trading.request_status, oms.ctx, r.routed_order_id)
        runner.until(status_answers(len(expected) + 2))
        assert events(oms, "StatusMismatch", "StatusReconciled", "ExecutionRejected") == []
        still = oms.read(lambda uow: uow.routed.get(replaced.routed_order_id))
        assert (still.status, still.order_qty) == (S.NEW, Decimal(80))
    finally:
        runner.stop()
        broker.stop()


def test_differences_found_at_logon_are_applied_or_flagged(tmp_path: Path) -> None:
    """Both sides reset sequence numbers at each logon (a start-of-day reset), so what the
    broker did while the OMS was down is not resent: only reconciliation can find it.

    - an unsolicited cancel (same CumQty): applied, audited as StatusReconciled;
    - a fill the OMS never got (CumQty differs): flagged StatusMismatch, nothing booked;
    - an order in sync: no event.
    """
    broker = SimulatedBroker(
        broker_config(tmp_path / "sim", matching=ONE_CLIP, reset_on_logon=True)
    )
    broker.start()
    settings = oms_settings(tmp_path / "oms", broker.port)
    settings = replace(
        settings, brokers=tuple(replace(b, reset_on_logon=True) for b in settings.brokers)
    )
    runner = OmsRunner(settings)
    try:
        oms = runner.start()
        cancel_me = route(oms, "IBM", 100, "170")
        fill_me = route(oms, "MSFT", 100, "400")
        in_sync = route(oms, "AAPL", 100, "150")
        for r in (cancel_me, fill_me, in_sync):
            runner.until(status_is(r.routed_order_id, S.NEW))
        runner.stop()
        broker.unsolicited_cancel(cancel_me.cl_ord_id)
        broker.set_price("MSFT", Decimal("399"))

        oms = runner.start()
        runner.until(status_answers(3))
        runner.until(status_is(cancel_me.routed_order_id, S.CANCELED, cum=0))
        assert events(oms, "StatusReconciled") == [("StatusReconciled", cancel_me.routed_order_id)]
        assert events(oms, "StatusMismatch") == [("StatusMismatch", fill_me.routed_order_id)]
        held = oms.read(lambda uow: uow.routed.get(fill_me.routed_order_id))
        assert (held.status, held.cum_qty) == (S.NEW, Decimal(0))  # a status books nothing
        assert oms.read(lambda uow: uow.executions.flagged()) == []
    finally:
        runner.stop()
        broker.stop()


def test_broker_that_forgot_an_order_is_flagged_and_trading_goes_on(tmp_path: Path) -> None:
    """A broker restarted without its book answers "unknown order" (OrdStatus=Rejected):
    toms flags it, keeps the order as it was, and keeps trading."""
    config = broker_config(tmp_path / "sim", reset_on_logon=True)
    broker = SimulatedBroker(config)
    broker.start()
    settings = oms_settings(tmp_path / "oms", broker.port)
    settings = replace(
        settings, brokers=tuple(replace(b, reset_on_logon=True) for b in settings.brokers)
    )
    runner = OmsRunner(settings)
    try:
        oms = runner.start()
        forgotten = route(oms, "IBM", 100, "170")
        runner.until(status_is(forgotten.routed_order_id, S.NEW))
        broker.stop()
        # An empty book, and ExecIDs of its own: a broker's ExecIDs are unique for the day,
        # and toms (rightly) drops a second report with an ExecID it has already processed.
        matching = replace(config.matching, id_prefix="R2-")
        broker = SimulatedBroker(replace(config, port=broker.port, matching=matching))
        broker.start()
        assert oms.fix.wait_logged_on("SIM", WAIT)
        runner.until(status_answers(1))
        runner.until(lambda uow: events(oms, "StatusMismatch"))
        kept = oms.read(lambda uow: uow.routed.get(forgotten.routed_order_id))
        assert kept.status is S.NEW
        fresh = route(oms, "NVDA", 100)
        runner.until(status_is(fresh.routed_order_id, S.FILLED, cum=100))
    finally:
        runner.stop()
        broker.stop()


def test_reconcile_sends_nothing_when_no_order_is_open(
    tmp_path: Path, sim: SimulatedBroker
) -> None:
    runner = OmsRunner(oms_settings(tmp_path / "oms", sim.port))
    try:
        oms = runner.start()
        done = route(oms, "NVDA", 100)
        runner.until(status_is(done.routed_order_id, S.FILLED))
        result = oms.call(reconcile_broker, oms.ctx, "SIM")
        assert (result.requested, result.unsent) == ((), ())
        assert "filled" not in OPEN_STATUSES and "pending_cancel" in OPEN_STATUSES
    finally:
        runner.stop()
