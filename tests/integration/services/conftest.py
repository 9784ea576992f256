"""An in-process OMS on a real database, with a recording gateway instead of FIX."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from tests.writer_cache import assert_cache_matches_database
from toms.app import Oms
from toms.config import load_settings
from toms.domain.routed_order import PendingRequest, RoutedOrder


class RecordingGateway:
    """Stands in for the broker session: remembers what the OMS asked to send."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []
        self.possible_resends: list[tuple[str, str]] = []  # also in ``sent``
        self.lock = threading.Lock()

    def _add(self, kind: str, cl_ord_id: str, poss_resend: bool = False) -> None:
        with self.lock:
            self.sent.append((kind, cl_ord_id))
            if poss_resend:
                self.possible_resends.append((kind, cl_ord_id))

    def send_new(self, order: RoutedOrder, poss_resend: bool = False) -> None:
        self._add("new", order.cl_ord_id, poss_resend)

    def send_cancel(
        self, order: RoutedOrder, request: PendingRequest, poss_resend: bool = False
    ) -> None:
        self._add("cancel", request.cl_ord_id, poss_resend)

    def send_replace(
        self, order: RoutedOrder, request: PendingRequest, poss_resend: bool = False
    ) -> None:
        self._add("replace", request.cl_ord_id, poss_resend)

    def send_status_request(self, order: RoutedOrder) -> None:
        self._add("status", order.cl_ord_id)

    def send_allocation(self, alloc_id: str, *args: object) -> None:
        self._add("allocation", alloc_id)


@pytest.fixture
def oms(db_url: str, tmp_path: Path) -> Iterator[Oms]:
    settings = replace(load_settings(), database_url=db_url, data_dir=tmp_path)
    system = Oms(settings).start(connect_fix=False)
    system.ctx.gateways["SIM"] = RecordingGateway()
    yield system
    assert_cache_matches_database(system)
    system.stop()


@pytest.fixture
def gateway(oms: Oms) -> RecordingGateway:
    return oms.ctx.gateways["SIM"]  # type: ignore[return-value]
