"""The outbox: a request is sent after the commit that stores it, and its sending is
recorded by the writer's next commit. A request whose sending was never recorded (the
process died first) is sent again at the next logon, with PossResend=Y, unless the broker
has answered it already."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest

from tests.integration.services.conftest import RecordingGateway
from tests.integration.services.test_execution_flow import SESSION, report
from toms.app import Oms
from toms.config import load_settings
from toms.domain.execution import ExecKind as K
from toms.domain.execution import RoutedStatus as S
from toms.domain.routed_order import RoutedOrder
from toms.domain.values import OrderType, Side
from toms.services import trading
from toms.services.executions import Outcome


class Restartable:
    """OMS processes on one database, one after the other, each with a recording gateway."""

    def __init__(self, db_url: str, tmp_path: Path) -> None:
        self.settings = replace(load_settings(), database_url=db_url, data_dir=tmp_path)
        self.current: Oms | None = None
        self.gateway = RecordingGateway()

    def start(self) -> Oms:
        self.current = Oms(self.settings).start(connect_fix=False)
        self.gateway = RecordingGateway()
        self.current.ctx.gateways["SIM"] = self.gateway
        return self.current

    def stop(self) -> None:
        if self.current is not None:
            self.current.stop()
            self.current = None


@pytest.fixture
def system(db_url: str, tmp_path: Path) -> Iterator[Restartable]:
    system = Restartable(db_url, tmp_path)
    yield system
    system.stop()


def route(oms: Oms, qty: str = "100") -> RoutedOrder:
    order = oms.submit_order(
        account_id="GROWTH",
        symbol="IBM",
        side=Side.BUY,
        quantity=Decimal(qty),
        order_type=OrderType.MARKET,
        user="pm1",
    )
    block = oms.create_block([order.order_id], "trader1")
    return oms.route_block(
        block.block_id, broker="SIM", order_type=OrderType.MARKET, user="trader1"
    )


def unsent(oms: Oms) -> list[str]:
    return oms.read(lambda uow: [row.cl_ord_id for row in uow.outbox.unsent()])


def test_sending_is_recorded_by_the_next_commit(system: Restartable) -> None:
    oms = system.start()
    routed = route(oms)
    assert system.gateway.sent == [("new", routed.cl_ord_id)]
    assert unsent(oms) == [routed.cl_ord_id]  # sent, not yet recorded: no commit of its own
    ack = report(routed.cl_ord_id, "E1", K.NEW, S.NEW, 0, 100)
    assert oms.apply_report(SESSION, ack) is Outcome.APPLIED
    assert unsent(oms) == []


def test_a_clean_stop_records_what_was_sent_so_a_restart_resends_nothing(
    system: Restartable,
) -> None:
    routed = route(system.start())
    system.stop()
    oms = system.start()
    assert unsent(oms) == []
    assert oms.call(trading.flush_outbox, oms.ctx, "SIM") == 0
    assert system.gateway.sent == []
    assert oms.read(lambda uow: uow.routed.get(routed.routed_order_id)).status is S.PENDING_NEW


def test_requests_whose_sending_was_lost_go_again_as_possible_resends_if_unanswered(
    system: Restartable,
) -> None:
    oms = system.start()
    # The process will die before any commit records either sending...
    answered = route(oms)
    oms.ctx.sent.clear()
    unanswered = route(oms, "200")
    oms.ctx.sent.clear()
    ack = report(answered.cl_ord_id, "E1", K.NEW, S.NEW, 0, 100)
    assert oms.apply_report(SESSION, ack) is Outcome.APPLIED  # ...but after this ack
    system.stop()

    oms = system.start()
    assert sorted(unsent(oms)) == sorted([answered.cl_ord_id, unanswered.cl_ord_id])
    assert oms.call(trading.flush_outbox, oms.ctx, "SIM") == 1
    assert system.gateway.possible_resends == [("new", unanswered.cl_ord_id)]
    assert system.gateway.sent == [("new", unanswered.cl_ord_id)]
    # Both are recorded now: flushing again sends nothing, before or after a commit.
    assert oms.call(trading.flush_outbox, oms.ctx, "SIM") == 0
    oms.call(trading.record_sent, oms.ctx)
    assert unsent(oms) == []
    assert system.gateway.sent == [("new", unanswered.cl_ord_id)]


def test_a_lost_cancel_goes_again_as_a_possible_resend(system: Restartable) -> None:
    oms = system.start()
    routed = route(oms)
    oms.apply_report(SESSION, report(routed.cl_ord_id, "E1", K.NEW, S.NEW, 0, 100))
    cancelling = oms.cancel(routed.routed_order_id, "trader1")
    assert cancelling.pending is not None
    oms.ctx.sent.clear()
    system.stop()

    oms = system.start()
    assert oms.call(trading.flush_outbox, oms.ctx, "SIM") == 1
    assert system.gateway.possible_resends == [("cancel", cancelling.pending.cl_ord_id)]
