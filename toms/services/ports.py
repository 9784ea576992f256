"""What the services need from the outside world, as Protocols (fakes implement them in tests)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Protocol

from toms.domain.routed_order import PendingRequest, RoutedOrder


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class IdSource(Protocol):
    def new(self, prefix: str) -> str: ...


class UuidIds:
    """Ids unique across restarts and processes without a database round trip."""

    def new(self, prefix: str) -> str:
        return f"{prefix}-{uuid.uuid4().hex[:16].upper()}"


class BrokerGateway(Protocol):
    """Sends requests to a broker. Raises ``GatewayUnavailable`` when the session is down.

    ``poss_resend`` marks a request that may have reached the broker already (PossResend,
    tag 97): the broker ignores it if it knows its ClOrdID.
    """

    def send_new(self, order: RoutedOrder, poss_resend: bool = False) -> None: ...

    def send_cancel(
        self, order: RoutedOrder, request: PendingRequest, poss_resend: bool = False
    ) -> None: ...

    def send_replace(
        self, order: RoutedOrder, request: PendingRequest, poss_resend: bool = False
    ) -> None: ...

    def send_status_request(self, order: RoutedOrder) -> None: ...


class GatewayUnavailable(RuntimeError):
    """The broker's FIX session is not logged on; the request stays in the outbox."""


class EventSink(Protocol):
    """Receives committed audit events, in commit order (the live stream)."""

    def publish(self, events: list[dict[str, object]]) -> None: ...
