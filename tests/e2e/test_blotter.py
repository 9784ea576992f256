"""The trader's blotter against a real OMS server, FIX sessions and the simulated broker.

Everything happens through the blotter's widgets (row clicks, toolbar actions, ticket
fields and buttons); PMs and operations act through their own API clients, as they would
from their own desks. Waits are on what the blotter shows, never on sleeps. The main
views are kept as screenshots under docs/screenshots/ (see SHOTS).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PyQt6.QtCore import QPoint, Qt
from PyQt6.QtWidgets import QWidget

from tests.e2e.conftest import WAIT, Live, start_live, stop_live
from toms.blotter.columns import ORDERS, ROUTED, column_of
from toms.blotter.main_window import ORDER_STATES, MainWindow
from toms.blotter.ticket import RouteTicket
from toms.blotter.views import BlotterTable
from toms.client import ApiClient
from toms.server.server import OmsServer
from toms.simulator.matching import FillPolicy, MatchingConfig

pytestmark = [pytest.mark.qt, pytest.mark.fix]

# Screenshots are always taken (a view that cannot render fails the test); they refresh
# the README's pictures only when asked: TOMS_SCREENSHOT_DIR=docs/screenshots pytest ...
SHOTS = Path(os.environ.get("TOMS_SCREENSHOT_DIR") or tempfile.mkdtemp(prefix="toms-shots-"))
WAIT_MS = int(WAIT * 1000)
TRADER = "demo-trader1-token"
# The broker misbehaves on purpose for two symbols, so rejects can be seen.
SCENARIOS = {"XOM": "cancel_reject", "TLT": "reject_new"}


def start_desk(tmp_path: Path) -> Live:
    """``start_live`` with a broker that refuses XOM cancels and TLT orders."""
    matching = MatchingConfig(
        fill_policy=FillPolicy(partial_fills=3),
        send_pending_acks=True,
        symbol_scenarios=SCENARIOS,
    )
    return start_live(tmp_path, matching=matching)


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[Live]:
    system = start_desk(tmp_path)
    yield system
    stop_live(system)


@pytest.fixture
def blotter(qtbot: Any, desk: Live) -> Iterator[MainWindow]:
    window = MainWindow(desk.url, TRADER)
    qtbot.addWidget(window)
    window.show()
    window.start()
    qtbot.waitUntil(lambda: window.sync.snapshots > 0, timeout=WAIT_MS)
    yield window
    window.shutdown()


# ── helpers: drive the widgets as a trader would ─────────────────────────────────────
def shot(widget: QWidget, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    assert widget.grab().save(str(SHOTS / name)), f"could not save {name}"


def click_rows(qtbot: Any, table: BlotterTable, keys: list[str]) -> None:
    """Click the rows of ``keys``, Ctrl-clicking after the first (multi-select)."""
    for n, key in enumerate(keys):
        row = table.source.row_of(key)
        assert row is not None, f"{key} is not in the table"
        index = table.proxy.mapFromSource(table.source.index(row, 0))
        assert index.isValid(), f"{key} is filtered out"
        table.scrollTo(index)
        modifier = Qt.KeyboardModifier.ControlModifier if n else Qt.KeyboardModifier.NoModifier
        qtbot.mouseClick(
            table.viewport(), Qt.MouseButton.LeftButton, modifier, table.visualRect(index).center()
        )
    assert sorted(str(r[table.source.spec.key]) for r in table.selected_records()) == sorted(keys)


def submit(
    live: Live, pm: str, account: str, symbol: str, side: str, qty: str, **terms: Any
) -> str:
    order = live.client(pm).submit_order(
        account_id=account, symbol=symbol, side=side, quantity=qty, **terms
    )
    return str(order["order_id"])


def build_block(qtbot: Any, w: MainWindow, order_ids: list[str]) -> str:
    qtbot.waitUntil(lambda: all(w.sync.orders.get(i) for i in order_ids), timeout=WAIT_MS)
    click_rows(qtbot, w.orders_table, order_ids)
    assert w.build_action.isEnabled()
    w.build_action.trigger()

    def block_of_orders() -> str | None:
        for b in w.sync.blocks.records():
            if sorted(m["order_id"] for m in b["members"]) == sorted(order_ids):
                return str(b["block_id"])
        return None

    qtbot.waitUntil(lambda: block_of_orders() is not None, timeout=WAIT_MS)
    block_id = block_of_orders()
    assert block_id is not None
    return block_id


def open_ticket(qtbot: Any, w: MainWindow, block_id: str) -> RouteTicket:
    click_rows(qtbot, w.blocks_table, [block_id])
    assert w.route_action.isEnabled()
    w.route_action.trigger()
    assert w.ticket is not None
    return w.ticket


def set_terms(qtbot: Any, t: RouteTicket, order_type: str, **prices: str) -> None:
    t.order_type.setCurrentIndex(t.order_type.findData(order_type))
    for name, value in prices.items():
        edit = getattr(t, name)
        edit.clear()
        qtbot.keyClicks(edit, value)


def checked(qtbot: Any, t: RouteTicket) -> str:
    """Wait for the what-if answer for the terms now in the ticket; its verdict."""
    qtbot.waitUntil(
        lambda: t.checked_terms is not None and t.checked_terms == t.terms()[0], timeout=WAIT_MS
    )
    assert t.verdict is not None
    return t.verdict


def send(qtbot: Any, w: MainWindow, t: RouteTicket) -> str:
    assert t.send_button.isEnabled()
    qtbot.mouseClick(t.send_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: t.answer is not None or bool(t.error.text()), timeout=WAIT_MS)
    assert t.answer is not None, t.error.text()
    rid = str(t.answer["routed_order_id"])
    qtbot.waitUntil(lambda: w.sync.routed.get(rid) is not None, timeout=WAIT_MS)
    return rid


def route(qtbot: Any, w: MainWindow, block_id: str, order_type: str, **prices: str) -> str:
    t = open_ticket(qtbot, w, block_id)
    set_terms(qtbot, t, order_type, **prices)
    assert checked(qtbot, t) == "pass"
    return send(qtbot, w, t)


def routed(w: MainWindow, rid: str) -> dict[str, Any]:
    return w.sync.routed.get(rid) or {}


def wait_routed(qtbot: Any, w: MainWindow, rid: str, **expected: Any) -> dict[str, Any]:
    try:
        qtbot.waitUntil(
            lambda: all(routed(w, rid).get(k) == v for k, v in expected.items()), timeout=WAIT_MS
        )
    except qtbot.TimeoutError:
        raise AssertionError(
            f"{rid} is not {expected}: the blotter shows {routed(w, rid)}"
        ) from None
    return routed(w, rid)


def shows_what_the_server_records(w: MainWindow, api: ApiClient) -> bool:
    for model, records in (
        (w.sync.routed, api.get("/routed")),
        (w.sync.blocks, api.blocks()),
        (w.sync.orders, api.orders()),
    ):
        if len(model) != len(records):
            return False
        for record in records:
            shown = model.get(str(record[model.spec.key]))
            if shown is None or any(shown.get(k) != v for k, v in record.items()):
                return False
    return True


def activity(w: MainWindow) -> list[str]:
    return [w.activity.item(i).text() for i in range(w.activity.count())]  # type: ignore[union-attr]


# ── the day ──────────────────────────────────────────────────────────────────────────
def test_a_trader_works_the_day_from_the_blotter(
    qtbot: Any, desk: Live, blotter: MainWindow
) -> None:
    w = blotter
    trader, ops = desk.client("trader1"), desk.client("ops1")
    # Yesterday's business, from the API: ALPHA sold IBM at a loss, so buying IBM back
    # today is a wash sale, which compliance flags as a warning.
    sell = submit(desk, "pm-alpha", "ALPHA", "IBM", "sell", "1000")
    sold = trader.create_block([sell])["block_id"]
    trader.route(sold, broker="SIM", order_type="market")
    desk.wait(lambda: trader.block(sold)["status"] == "done", "ALPHA's IBM sale")
    ops.allocate(sold)

    # PMs submit; the orders appear in the blotter as they are accepted (or blocked).
    ibm = [
        submit(desk, "pm-growth", "GROWTH", "IBM", "buy", "500"),
        submit(desk, "pm-alpha", "ALPHA", "IBM", "buy", "300"),
        submit(desk, "pm-alpha", "FAMILY", "IBM", "buy", "100"),
    ]
    sap = submit(
        desk, "pm-alpha", "EUROPA", "SAP", "buy", "200", order_type="limit", limit_price="176.00"
    )
    aapl = submit(
        desk, "pm-growth", "GROWTH", "AAPL", "sell", "700", order_type="limit", limit_price="192.00"
    )
    xom = submit(desk, "pm-growth", "GROWTH", "XOM", "buy", "300")
    tlt = submit(desk, "pm-growth", "GROWTH", "TLT", "buy", "400")
    fat = submit(desk, "pm-growth", "GROWTH", "AAPL", "buy", "200000")

    # A compliance block: the fat-fingered order is shown blocked, with its rules, and
    # cannot be put in a block.
    qtbot.waitUntil(lambda: w.sync.orders.get(fat) is not None, timeout=WAIT_MS)
    blocked = w.sync.orders.get(fat)
    assert blocked is not None and blocked["status"] == "blocked"
    w.orders_bar.state.setCurrentIndex(w.orders_bar.state.findText("blocked by compliance"))
    assert w.orders_table.proxy.rowCount() == 1
    click_rows(qtbot, w.orders_table, [fat])
    assert not w.build_action.isEnabled()
    cell = w.orders_table.proxy.index(0, column_of(ORDERS, "Compliance"))
    assert "fat-finger.quantity" in cell.data()
    assert "above the 100,000-share maximum" in cell.data(Qt.ItemDataRole.ToolTipRole)
    shot(w.orders_panel, "blotter-orders-compliance-block.png")
    w.orders_bar.state.setCurrentIndex(0)

    # Build the IBM block from three orders (multi-select) and open the ticket.
    ibm_block = build_block(qtbot, w, ibm)
    assert w.sync.blocks.get(ibm_block)["quantity"] == "900"  # type: ignore[index]
    t = open_ticket(qtbot, w, ibm_block)
    # The ticket validates before anything is sent.
    set_terms(qtbot, t, "stop_limit", limit_price="181.00")
    assert "needs a stop price" in t.problems.text()
    assert not t.send_button.isEnabled()
    # A limit 39% through the market: the what-if shows the collar block; no send.
    set_terms(qtbot, t, "limit", limit_price="250.00")
    assert checked(qtbot, t) == "block"
    assert not t.send_button.isEnabled()
    assert "fat-finger.collar (block)" in t.compliance_table.item(0, 2).text()  # type: ignore[union-attr]
    shot(t, "blotter-ticket-compliance-block.png")
    # A marketable limit: ALPHA's wash sale is a warning that needs an acknowledgement.
    set_terms(qtbot, t, "limit", limit_price="181.00")
    assert checked(qtbot, t) == "warn"
    assert t.headroom_label.text() == "headroom 900 shares"
    assert not t.send_button.isEnabled()
    assert t.acknowledge.isEnabled()
    tick = QPoint(8, t.acknowledge.height() // 2)  # on the box, not past the label
    qtbot.mouseClick(t.acknowledge, Qt.MouseButton.LeftButton, pos=tick)
    assert t.acknowledge.isChecked()
    assert t.send_button.isEnabled()
    shot(t, "blotter-ticket-warning-acknowledged.png")
    ibm_routed = send(qtbot, w, t)

    # Watch it fill: the broker fills in three clips; the block is done at 100%.
    filled = wait_routed(qtbot, w, ibm_routed, status="filled")
    assert (filled["filled_quantity"], filled["leaves_quantity"]) == ("900", "0")
    qtbot.waitUntil(
        lambda: (w.sync.blocks.get(ibm_block) or {}).get("status") == "done", timeout=WAIT_MS
    )
    qtbot.waitUntil(
        lambda: all((w.sync.orders.get(i) or {}).get("status") == "filled" for i in ibm),
        timeout=WAIT_MS,
    )
    row = w.sync.routed.row_of(ibm_routed)
    assert row is not None
    assert w.sync.routed.index(row, column_of(ROUTED, "% done")).data() == "100.0%"
    click_rows(qtbot, w.routed_table, [ibm_routed])
    qtbot.waitUntil(lambda: len(w.sync.fills) == 3, timeout=WAIT_MS)
    fills = w.sync.fills.records()
    assert sum(Decimal(f["quantity"]) for f in fills) == Decimal(900)
    assert w.sync.selected_block == ibm_block

    # Cancel a resting limit: pending until the broker answers, then canceled.
    sap_block = build_block(qtbot, w, [sap])
    sap_routed = route(qtbot, w, sap_block, "limit", limit_price="176.00")
    wait_routed(qtbot, w, sap_routed, status="new")
    click_rows(qtbot, w.routed_table, [sap_routed])
    assert w.cancel_action.isEnabled()
    w.cancel_action.trigger()
    canceled = wait_routed(qtbot, w, sap_routed, status="canceled", pending=None)
    assert canceled["filled_quantity"] == "0"
    assert any(f"cancel of {sap_routed} sent: pending cancel" in line for line in activity(w))

    # Replace a resting limit: 700 @ 192.00 -> 600 @ 191.00.
    aapl_block = build_block(qtbot, w, [aapl])
    aapl_routed = route(qtbot, w, aapl_block, "limit", limit_price="192.00")
    wait_routed(qtbot, w, aapl_routed, status="new")
    click_rows(qtbot, w.routed_table, [aapl_routed])
    w.replace_action.trigger()
    rt = w.replace_ticket
    assert rt is not None
    rt.quantity.clear()
    qtbot.keyClicks(rt.quantity, "600")
    rt.limit_price.clear()
    qtbot.keyClicks(rt.limit_price, "191.00")
    shot(rt, "blotter-replace-ticket.png")
    qtbot.mouseClick(rt.send_button, Qt.MouseButton.LeftButton)
    replaced = wait_routed(qtbot, w, aapl_routed, quantity="600", status="new", pending=None)
    assert Decimal(replaced["limit_price"]) == Decimal("191.00")
    assert (replaced["leaves_quantity"], replaced["note"]) == ("600", "")
    assert any(f"replace of {aapl_routed} sent: pending replace" in x for x in activity(w))

    # The broker refuses: a cancel it rejects, and a new order it rejects; both reasons show.
    xom_block = build_block(qtbot, w, [xom])
    xom_routed = route(qtbot, w, xom_block, "limit", limit_price="114.00")
    wait_routed(qtbot, w, xom_routed, status="new")
    click_rows(qtbot, w.routed_table, [xom_routed])
    w.cancel_action.trigger()
    qtbot.waitUntil(
        lambda: "cancel rejected" in routed(w, xom_routed).get("note", ""), timeout=WAIT_MS
    )
    back = wait_routed(qtbot, w, xom_routed, status="new", pending=None)
    assert back["filled_quantity"] == "0"
    assert any(f"{xom_routed}: cancel rejected" in x for x in activity(w))
    tlt_block = build_block(qtbot, w, [tlt])
    tlt_routed = route(qtbot, w, tlt_block, "market")
    rejected = wait_routed(qtbot, w, tlt_routed, status="rejected")
    qtbot.waitUntil(
        lambda: routed(w, tlt_routed).get("note", "").startswith("rejected"), timeout=WAIT_MS
    )
    assert rejected["filled_quantity"] == "0"

    # Operations allocate the IBM block; the blotter shows each account's share and lots.
    ops.allocate(ibm_block)
    click_rows(qtbot, w.blocks_table, [ibm_block])
    qtbot.waitUntil(lambda: len(w.sync.allocations) == 3, timeout=WAIT_MS)
    legs = {a["account_id"]: a for a in w.sync.allocations.records()}
    assert {k: v["quantity"] for k, v in legs.items()} == {
        "GROWTH": "500",
        "ALPHA": "300",
        "FAMILY": "100",
    }
    assert all(len(a["lots"]) >= 1 for a in legs.values())
    w.details.setCurrentIndex(1)
    shot(w.details, "blotter-allocations.png")
    w.details.setCurrentIndex(0)

    # What the blotter shows is what the server records, row by row.
    qtbot.waitUntil(lambda: shows_what_the_server_records(w, trader), timeout=WAIT_MS)

    click_rows(qtbot, w.routed_table, [ibm_routed])
    qtbot.waitUntil(lambda: len(w.sync.fills) == 3, timeout=WAIT_MS)
    assert w.sessions_panel.summary.text().endswith("2 of 2 broker sessions logged on</span>")
    shot(w.routed_panel, "blotter-working-orders.png")
    shot(w.sessions_panel, "blotter-fix-sessions.png")
    shot(w, "blotter-main.png")


def test_the_blotter_reconnects_and_resynchronises_after_a_server_restart(
    qtbot: Any, desk: Live, blotter: MainWindow
) -> None:
    w = blotter
    first = submit(desk, "pm-growth", "GROWTH", "IBM", "buy", "100")
    qtbot.waitUntil(lambda: w.sync.orders.get(first) is not None, timeout=WAIT_MS)
    snapshots = w.sync.snapshots

    desk.server.stop()
    qtbot.waitUntil(lambda: w.connection.state == "reconnecting", timeout=WAIT_MS)
    assert "reconnecting" in w.link_label.text()

    restarted = OmsServer(desk.settings, port=desk.server.port)
    restarted.start()
    desk.server = restarted  # the fixture stops this one
    qtbot.waitUntil(lambda: w.connection.state == "connected", timeout=WAIT_MS)
    qtbot.waitUntil(lambda: w.sync.snapshots > snapshots, timeout=WAIT_MS)
    assert w.sync.orders.get(first) is not None  # the restarted server kept it
    assert any("reconnected" in line for line in activity(w))
    # the restarted server's FIX sessions log back on (sequence numbers resumed) and the
    # sessions panel says so
    qtbot.waitUntil(
        lambda: [r["logged_on"] for r in w.sync.sessions.records()] == [True, True],
        timeout=WAIT_MS,
    )

    # Work continues against the restarted server: new orders show up live, blocks build.
    second = submit(desk, "pm-growth", "GROWTH", "MSFT", "buy", "10")
    qtbot.waitUntil(lambda: w.sync.orders.get(second) is not None, timeout=WAIT_MS)
    block = build_block(qtbot, w, [first, second][:1])
    assert w.sync.blocks.get(block) is not None
    qtbot.waitUntil(
        lambda: shows_what_the_server_records(w, desk.client("trader1")), timeout=WAIT_MS
    )


def _window(qtbot: Any, desk: Live, token: str) -> MainWindow:
    window = MainWindow(desk.url, token)
    qtbot.addWidget(window)
    window.show()
    window.start()
    qtbot.waitUntil(lambda: window.sync.snapshots > 0 and bool(window.user), timeout=WAIT_MS)
    return window


def test_compliance_and_operations_do_their_part_of_the_day_from_their_blotters(
    qtbot: Any, desk: Live, blotter: MainWindow
) -> None:
    """The demo's override and allocation, each from the blotter of the user whose role
    allows it; the trader's blotter offers neither."""
    cco, ops = _window(qtbot, desk, "demo-cco-token"), _window(qtbot, desk, "demo-ops1-token")
    try:
        assert not blotter.override_action.isVisible()
        assert not blotter.allocate_action.isVisible()
        assert cco.override_action.isVisible() and not cco.allocate_action.isVisible()
        assert ops.allocate_action.isVisible() and not ops.override_action.isVisible()

        # FAMILY buys 22% of its NAV in MSFT: blocked; the CCO releases it with a reason
        oid = submit(desk, "pm-alpha", "FAMILY", "MSFT", "buy", "600")
        qtbot.waitUntil(lambda: (cco.sync.orders.get(oid) or {}).get("status") == "blocked",
                        timeout=WAIT_MS)  # fmt: skip
        cco.orders_bar.state.setCurrentIndex(len(ORDER_STATES) - 1)  # all orders
        click_rows(qtbot, cco.orders_table, [oid])
        assert cco.override_action.isEnabled()
        cco.override_selected("client-directed; IPS exception #17")
        qtbot.waitUntil(lambda: (blotter.sync.orders.get(oid) or {}).get("status") == "accepted",
                        timeout=WAIT_MS)  # fmt: skip
        history = desk.client("viewer").order(oid)["history"]
        assert any(h["type"] == "ComplianceOverridden" and h["actor"] == "cco" for h in history)

        # the trader works it; operations allocate it once it is done
        block_id = build_block(qtbot, blotter, [oid])
        rid = route(qtbot, blotter, block_id, "market")
        wait_routed(qtbot, blotter, rid, status="filled")
        qtbot.waitUntil(lambda: (ops.sync.blocks.get(block_id) or {}).get("status") == "done",
                        timeout=WAIT_MS)  # fmt: skip
        click_rows(qtbot, ops.blocks_table, [block_id])
        assert ops.allocate_action.isEnabled()
        ops.allocate_selected("3.00")
        qtbot.waitUntil(
            lambda: (
                (ops.sync.blocks.get(block_id) or {}).get("status") == "allocated"
                and ops.sync.allocations.rowCount() == 1
            ),
            timeout=WAIT_MS,
        )
        leg = ops.sync.allocations.records()[0]
        assert leg["account_id"] == "FAMILY"
        assert Decimal(leg["quantity"]) == Decimal(600)
    finally:
        cco.shutdown()
        ops.shutdown()
