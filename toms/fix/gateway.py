"""Outbound requests to one broker over its QuickFIX session (implements ``BrokerGateway``)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

import quickfix as fix

from toms.allocation.record import AllocationRecord
from toms.config import BrokerSettings
from toms.domain.blocks import Block
from toms.domain.routed_order import PendingRequest, RoutedOrder
from toms.fix import codec
from toms.fix.status import SessionBoard
from toms.services.ports import GatewayUnavailable

log = logging.getLogger(__name__)


class QuickFixGateway:
    def __init__(
        self,
        broker: BrokerSettings,
        session_id: fix.SessionID,
        board: SessionBoard,
        now: Callable[[], datetime],
        account: str = "BLOCK",
    ) -> None:
        self._broker = broker
        self._session_id = session_id
        self._board = board
        self._now = now
        self._account = account

    def send_new(self, order: RoutedOrder, poss_resend: bool = False) -> None:
        fields = codec.new_order_single(order, self._account, self._now())
        self._send("D", fields, poss_resend=poss_resend)

    def send_cancel(
        self, order: RoutedOrder, request: PendingRequest, poss_resend: bool = False
    ) -> None:
        fields = codec.cancel_request(order, request, self._now())
        self._send("F", fields, poss_resend=poss_resend)

    def send_replace(
        self, order: RoutedOrder, request: PendingRequest, poss_resend: bool = False
    ) -> None:
        fields = codec.replace_request(order, request, self._account, self._now())
        self._send("G", fields, poss_resend=poss_resend)

    def send_status_request(self, order: RoutedOrder) -> None:
        self._send("H", codec.status_request(order))

    def send_allocation(
        self,
        alloc_id: str,
        block: Block,
        record: AllocationRecord,
        cl_ord_ids: list[str],
        lots_by_order: dict[str, list[str]],
        now: datetime,
    ) -> None:
        fields, groups = codec.allocation_instruction(
            self._broker.fix_version, alloc_id, block, record, cl_ord_ids, lots_by_order, now
        )
        self._send("J", fields, groups)

    def _send(
        self,
        msg_type: str,
        fields: codec.Fields,
        groups: list[codec.Group] = (),  # type: ignore[assignment]
        poss_resend: bool = False,
    ) -> None:
        if not self._board.logged_on(self._broker.broker_id):
            raise GatewayUnavailable(f"FIX session to {self._broker.broker_id} is not logged on")
        message = fix.Message()
        header = message.getHeader()
        header.setField(fix.BeginString(self._broker.fix_version))
        header.setField(fix.MsgType(msg_type))
        if poss_resend:
            header.setField(fix.PossResend(True))
        for tag, value in fields:
            message.setField(tag, value)
        for group in groups:
            for row in group.rows:
                entry = fix.Group(group.count_tag, group.delimiter)
                for tag, value in row:
                    entry.setField(tag, value)
                message.addGroup(entry)
        try:
            sent = fix.Session.sendToTarget(message, self._session_id)
        except fix.SessionNotFound as exc:
            raise GatewayUnavailable(f"no FIX session {self._session_id}: {exc}") from None
        if not sent:
            raise GatewayUnavailable(
                f"QuickFIX refused to send {msg_type} to {self._broker.broker_id}"
            )
