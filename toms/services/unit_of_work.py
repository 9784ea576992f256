"""The unit-of-work port. ``toms.persistence.uow.SqlUnitOfWork`` implements it."""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import Any, Protocol, Self


class UnitOfWork(Protocol):
    securities: Any
    accounts: Any
    lots: Any
    orders: Any
    blocks: Any
    routed: Any
    executions: Any
    audit: Any
    outbox: Any
    allocations: Any
    ledger: Any
    idempotency: Any
    committed_events: list[Any]

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    def commit(self) -> None: ...

    def rollback(self) -> None: ...


UnitOfWorkFactory = Callable[[], UnitOfWork]
