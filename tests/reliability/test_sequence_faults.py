"""Sequence-number faults from the counterparty, recovered by the FIX session protocol.

The simulated broker's QuickFIX session is driven directly through the Session API to
misbehave the way real counterparties do: skip sequence numbers (the OMS must send a
ResendRequest, and gets a SequenceReset-GapFill for what the broker never stored), reset
its numbers with a ResetSeqNumFlag Logon in the middle of the day, and jump ahead with a
SequenceReset-Reset. After each, orders keep trading and every fill is stored once.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import quickfix as fix

from tests.reliability.conftest import (
    WAIT,
    OmsRunner,
    assert_exactly_once,
    broker_fill_ids,
    oms_settings,
    read_ledger,
)
from tests.reliability.test_reconciliation import route, status_is
from toms.domain.execution import RoutedStatus as S
from toms.simulator.acceptor import FixRecord, SimulatedBroker

pytestmark = [pytest.mark.fix, pytest.mark.reliability]

BROKER_SIDE = fix.SessionID("FIX.4.4", "SIMBROKER", "TOMS")


@pytest.fixture
def runner(tmp_path: Path, sim: SimulatedBroker) -> Iterator[OmsRunner]:
    r = OmsRunner(oms_settings(tmp_path / "oms", sim.port))
    r.start()
    yield r
    r.stop()


def broker_session() -> Any:
    session = fix.Session.lookupSession(BROKER_SIDE)
    assert session is not None
    return session


def sent_admin(broker: SimulatedBroker, msg_type: str, **tags: str) -> list[FixRecord]:
    def match(r: FixRecord) -> bool:
        return (
            r.direction == "out"
            and r.msg_type == msg_type
            and all(r.get(int(t[1:])) == v for t, v in tags.items())
        )

    return broker.wait_for(match, WAIT)


def trade_and_check(runner: OmsRunner, sim: SimulatedBroker, symbol: str) -> None:
    assert runner.oms is not None
    routed = route(runner.oms, symbol, 100)
    runner.until(status_is(routed.routed_order_id, S.FILLED, cum=100))
    assert_exactly_once(read_ledger(runner.settings.database_url), broker_fill_ids(sim.records))


def test_gap_is_closed_by_resend_request_and_gap_fill(
    runner: OmsRunner, sim: SimulatedBroker
) -> None:
    trade_and_check(runner, sim, "IBM")
    session = broker_session()
    skipped_from = session.getExpectedSenderNum()
    session.setNextSenderMsgSeqNum(skipped_from + 5)  # five numbers never sent nor stored
    trade_and_check(runner, sim, "MSFT")  # its reports arrive after the gap
    request = sim.wait_received("2")[-1]  # the OMS's ResendRequest...
    assert request.get(7) == str(skipped_from)
    fill = sent_admin(sim, "4", t123="Y")[-1]  # ...answered with SequenceReset-GapFill
    assert int(fill.get(36) or 0) >= skipped_from + 5  # past the numbers never stored
    trade_and_check(runner, sim, "AAPL")


def end_logon_exchange(runner: OmsRunner, sim: SimulatedBroker) -> None:
    """A QuickFIX acceptor answers every Logon it receives, the OMS's answer to its reset
    included, and each answer with ResetSeqNumFlag is answered again: the two engines trade
    reset Logons until some other message breaks the loop, and a message caught in it is
    lost with the broker's reset store. A broker that did this would have to log out; the
    simulated one does, and the OMS logs on again."""
    assert runner.oms is not None
    board, asked = runner.oms.fix.board, datetime.now(UTC)
    broker_session().logout("end of the reset exchange")
    assert board.wait_for("SIM", lambda s: (s.last_logout or asked) > asked, WAIT)
    broker_session().logon()  # accept logons again
    assert board.wait_for(
        "SIM", lambda s: s.logged_on and s.last_logon is not None and s.last_logon > asked, WAIT
    )


def test_counterparty_resets_sequence_numbers_mid_session(
    runner: OmsRunner, sim: SimulatedBroker
) -> None:
    assert runner.oms is not None
    resting = route(runner.oms, "JPM", 100, "150")
    runner.until(status_is(resting.routed_order_id, S.NEW))
    trade_and_check(runner, sim, "IBM")
    logon = fix.Message()
    logon.getHeader().setField(35, "A")
    logon.setField(98, "0")
    logon.setField(108, "5")
    logon.setField(141, "Y")  # ResetSeqNumFlag: both sides start again at 1
    assert fix.Session.sendToTarget(logon, BROKER_SIDE)
    answer = sim.wait_for(
        lambda r: r.direction == "in" and r.msg_type == "A" and r.get(141) == "Y", WAIT
    )[-1]
    assert answer.get(34) == "1"  # the OMS reset and acknowledged with its own Logon
    end_logon_exchange(runner, sim)
    trade_and_check(runner, sim, "MSFT")
    sim.set_price("JPM", Decimal("149"))  # the order from before the reset still trades
    runner.until(status_is(resting.routed_order_id, S.FILLED, cum=100))
    assert_exactly_once(read_ledger(runner.settings.database_url), broker_fill_ids(sim.records))
    status = runner.oms.fix.board.get("SIM")
    assert status.logged_on and status.next_target_seq < 20


def test_sequence_reset_moves_the_oms_expectation_forward(
    runner: OmsRunner, sim: SimulatedBroker
) -> None:
    trade_and_check(runner, sim, "IBM")
    session = broker_session()
    new_seq = session.getExpectedSenderNum() + 100
    reset = fix.Message()
    reset.getHeader().setField(35, "4")
    reset.setField(36, str(new_seq))  # NewSeqNo, GapFillFlag absent: Reset mode
    assert fix.Session.sendToTarget(reset, BROKER_SIDE)
    session.setNextSenderMsgSeqNum(new_seq)
    trade_and_check(runner, sim, "MSFT")
    assert runner.oms is not None
    assert runner.oms.fix.board.get("SIM").next_target_seq > new_seq
    assert not [r for r in sim.received if r.msg_type in ("3", "5")]  # no reject, no logout
