"""The blotter's table model, filter and read-back rules, without a server.

The model must insert new rows incrementally, coalesce changes into one ``dataChanged``
per run of rows per frame, sort numbers as numbers, and never let an older read of a
broker order replace a newer one.
"""

from __future__ import annotations

import os
from decimal import Decimal
from typing import Any

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PyQt6.QtCore import QPersistentModelIndex, Qt

from toms.blotter.columns import ROUTED, column_of, compliance_text
from toms.blotter.connection import Connection
from toms.blotter.filters import Criteria, RecordFilter
from toms.blotter.formatting import percent_done, price_text, qty_text
from toms.blotter.models import PROGRESS_ROLE, RecordTableModel
from toms.blotter.sync import BlotterSync, note_for

pytestmark = pytest.mark.qt
QTY, STATUS, PROGRESS = (column_of(ROUTED, t) for t in ("Qty", "Status", "% done"))
LIMIT, AVG = column_of(ROUTED, "Limit"), column_of(ROUTED, "Avg price")


def routed(n: int, **changes: Any) -> dict[str, Any]:
    record = {
        "routed_order_id": f"RO-{n:05d}",
        "block_id": f"BLK-{n:05d}",
        "broker": "SIM" if n % 2 else "SIM42",
        "symbol": ("IBM", "AAPL", "MSFT")[n % 3],
        "side": "buy",
        "order_type": "limit",
        "quantity": str(100 * (n + 1)),
        "limit_price": "180.25",
        "stop_price": None,
        "time_in_force": "day",
        "status": "new",
        "filled_quantity": "0",
        "leaves_quantity": str(100 * (n + 1)),
        "avg_price": None,
        "last_fill_at": None,
        "pending": None,
        "version": 1,
        "note": "",
    }
    record.update(changes)
    return record


@pytest.fixture
def model(qtbot: Any) -> RecordTableModel:
    return RecordTableModel(ROUTED)


def test_new_records_are_inserted_in_one_batch_and_changes_flushed_per_frame(
    qtbot: Any, model: RecordTableModel
) -> None:
    inserted: list[tuple[int, int]] = []
    changed: list[tuple[int, int]] = []
    model.rowsInserted.connect(lambda _p, first, last: inserted.append((first, last)))
    model.dataChanged.connect(lambda a, b, _r=None: changed.append((a.row(), b.row())))
    model.upsert(routed(n) for n in range(10))
    assert inserted == [(0, 9)]
    assert model.index(3, QTY).data() == "400"

    for n in (2, 3, 4, 7, 2):  # five updates, one row twice
        model.upsert([routed(n, status="partially_filled", filled_quantity="50")])
    model.upsert([routed(8)])  # identical: nothing to repaint
    assert changed == []  # nothing until the frame's flush
    qtbot.waitUntil(lambda: bool(changed), timeout=1000)
    assert changed == [(2, 4), (7, 7)]
    assert model.flushes == 1
    assert model.index(7, STATUS).data() == "partially filled"


def test_cells_show_exact_decimals_and_progress(model: RecordTableModel) -> None:
    model.upsert([routed(0, quantity="1000", filled_quantity="333", avg_price="180.1234")])
    assert model.index(0, AVG).data() == "180.1234"
    assert model.index(0, LIMIT).data() == "180.25"
    assert model.index(0, PROGRESS).data() == "33.3%"
    assert model.index(0, PROGRESS).data(PROGRESS_ROLE) == Decimal("33.3")
    assert qty_text("1234567") == "1,234,567"
    assert price_text("191") == "191.00"
    assert percent_done("5", "0") == 0


def test_sorting_is_numeric_and_selection_follows_the_row(model: RecordTableModel) -> None:
    model.upsert([routed(n) for n in (0, 9, 1)])  # quantities 100, 1000, 200
    followed = QPersistentModelIndex(model.index(1, 0))  # RO-00009
    model.sort(QTY, Qt.SortOrder.AscendingOrder)
    assert [model.index(r, QTY).data() for r in range(3)] == ["100", "200", "1,000"]
    assert followed.row() == 2
    model.sort(QTY, Qt.SortOrder.DescendingOrder)
    assert model.index(0, 0).data() == "RO-00009"
    assert followed.row() == 0


def test_filters_by_state_symbol_broker_and_text(model: RecordTableModel) -> None:
    model.upsert([routed(n, status="filled" if n < 3 else "new") for n in range(12)])
    proxy = RecordFilter(model)
    assert proxy.rowCount() == 12
    proxy.set_criteria(Criteria(states=frozenset({"filled"})))
    assert proxy.rowCount() == 3
    proxy.set_criteria(Criteria(symbol="ibm"))
    assert {proxy.record_at(r)["symbol"] for r in range(proxy.rowCount())} == {"IBM"}
    proxy.set_criteria(Criteria(broker="SIM42", symbol="IBM"))
    assert [proxy.record_at(r)["routed_order_id"] for r in range(proxy.rowCount())] == [
        "RO-00000",
        "RO-00006",
    ]
    proxy.set_criteria(Criteria(text="ro-0001"))
    assert proxy.rowCount() == 2  # RO-00010, RO-00011
    # a row whose state changes leaves the filtered view
    proxy.set_criteria(Criteria(states=frozenset({"new"})))
    model.upsert([routed(5, status="filled")])
    model.flush()
    assert proxy.rowCount() == 8


def test_replace_all_drops_rows_the_snapshot_no_longer_has(model: RecordTableModel) -> None:
    model.upsert([routed(n) for n in range(5)])
    model.replace_all([routed(1), routed(3), routed(7)])
    assert model.key_list() == ["RO-00001", "RO-00003", "RO-00007"]
    assert model.row_of("RO-00007") == 2


def test_an_older_read_never_replaces_a_newer_broker_order(qtbot: Any) -> None:
    connection = Connection("http://127.0.0.1:9", "unused")  # never started
    try:
        sync = BlotterSync(connection)
        sync.apply_routed([routed(1, status="pending_cancel", version=3)])
        sync.apply_routed([routed(1, status="new", version=2)])  # a read that was overtaken
        assert sync.routed.get("RO-00001")["status"] == "pending_cancel"  # type: ignore[index]
        sync.apply_routed([routed(1, status="canceled", version=4)])
        assert sync.routed.get("RO-00001")["status"] == "canceled"  # type: ignore[index]
    finally:
        connection.close()


def test_broker_words_become_the_rows_note() -> None:
    reject = {
        "type": "RequestRejected",
        "payload": {"request": "cancel", "reason": "too late to cancel"},
    }
    assert note_for(reject) == "cancel rejected: too late to cancel"
    refused = {
        "type": "RoutedOrderStatusChanged",
        "payload": {"new_status": "rejected", "text": "unknown symbol"},
    }
    assert note_for(refused) == "rejected: unknown symbol"
    assert note_for({"type": "ReplaceRequested", "payload": {}}) == ""  # a new request
    assert note_for({"type": "FillBooked", "payload": {}}) is None


def test_compliance_cell_names_the_rules() -> None:
    blocked = {"compliance": {"verdict": "block", "blocking": ["fat-finger.quantity", "cash"]}}
    assert compliance_text(blocked) == "block: fat-finger.quantity, cash"
    released = {"compliance": {"verdict": "block", "overridden_by": "cco"}}
    assert compliance_text(released) == "block: overridden by cco"
