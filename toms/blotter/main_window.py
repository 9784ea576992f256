"""The blotter's main window: PM orders, blocks, working broker orders, the selected
block's fills and allocations, FIX sessions, and the connection in the status bar.

Every action is a request to the server made off the GUI thread; its answer (or the
server's refusal, in the server's words) comes back to the status bar and the activity
log, and the rows change when the server's events say they did.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from PyQt6.QtCore import QItemSelection, Qt
from PyQt6.QtGui import QAction, QCloseEvent, QColor, QKeySequence
from PyQt6.QtWidgets import (
    QInputDialog,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QSplitter,
    QTabWidget,
    QToolBar,
    QWidget,
)

from toms.blotter.connection import Connection, LinkState, error_text
from toms.blotter.formatting import LIVE_ROUTED, PENDING_ROUTED, WAITING_ORDERS, label
from toms.blotter.models import Record
from toms.blotter.sessions import SessionsPanel
from toms.blotter.sync import BlotterSync
from toms.blotter.ticket import ReplaceTicket, RouteTicket
from toms.blotter.views import BlotterTable, FilterBar, Panel

MESSAGE_MS = 15_000
ACTIVITY_LIMIT = 500
_LINK_STYLE = {
    LinkState.CONNECTING.value: ("#92400e", "#fef3c7"),
    LinkState.CONNECTED.value: ("#166534", "#dcfce7"),
    LinkState.RECONNECTING.value: ("#b91c1c", "#fee2e2"),
    LinkState.CLOSED.value: ("#374151", "#e5e7eb"),
}
_LEVEL_COLOUR = {"info": "#111827", "alert": "#b45309", "error": "#b91c1c"}

ORDER_STATES: list[tuple[str, frozenset[str] | None]] = [
    ("waiting for a trader", WAITING_ORDERS),
    ("accepted (ready to block)", frozenset({"accepted"})),
    ("blocked by compliance", frozenset({"blocked"})),
    ("all orders", None),
]
BLOCK_STATES: list[tuple[str, frozenset[str] | None]] = [
    ("all blocks", None),
    ("open (to route)", frozenset({"open"})),
    ("routed", frozenset({"routed"})),
    ("done", frozenset({"done"})),
    ("allocated", frozenset({"allocated"})),
    ("canceled", frozenset({"canceled"})),
]
ROUTED_STATES: list[tuple[str, frozenset[str] | None]] = [
    ("all broker orders", None),
    ("working", LIVE_ROUTED),
    ("pending broker answer", PENDING_ROUTED),
    ("partially filled", frozenset({"partially_filled"})),
    ("filled", frozenset({"filled"})),
    ("canceled / expired", frozenset({"canceled", "expired", "done_for_day"})),
    ("rejected", frozenset({"rejected"})),
]


class MainWindow(QMainWindow):
    def __init__(self, server_url: str, token: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.server_url = server_url
        self.connection = Connection(server_url, token, self)
        self.sync = BlotterSync(self.connection, self)
        self.ticket: RouteTicket | None = None
        self.replace_ticket: ReplaceTicket | None = None
        self.user: Record = {}
        self.setWindowTitle(f"toms blotter — {server_url}")
        self.resize(1680, 1000)
        self._build_views()
        self._build_actions()
        self._build_status_bar()
        self._connect()

    # ── layout ─────────────────────────────────────────────────────────────────────
    def _build_views(self) -> None:
        s = self.sync
        self.orders_table = BlotterTable(s.orders, multi=True)
        self.orders_bar = FilterBar(self.orders_table, ORDER_STATES)
        self.orders_panel = Panel("PM orders", self.orders_table, self.orders_bar)
        self.blocks_table = BlotterTable(s.blocks)
        self.blocks_bar = FilterBar(self.blocks_table, BLOCK_STATES, broker=True)
        self.blocks_panel = Panel("Blocks", self.blocks_table, self.blocks_bar)
        self.routed_table = BlotterTable(s.routed)
        self.routed_bar = FilterBar(self.routed_table, ROUTED_STATES, broker=True)
        self.routed_panel = Panel("Working orders (at brokers)", self.routed_table, self.routed_bar)
        self.fills_table = BlotterTable(s.fills)
        self.allocations_table = BlotterTable(s.allocations)
        self.activity = QListWidget()
        self.activity.setAlternatingRowColors(True)
        self.sessions_panel = SessionsPanel(s.sessions)

        self.details = QTabWidget()
        self.details.addTab(self.fills_table, "Fills")
        self.details.addTab(self.allocations_table, "Allocations")
        self.details.addTab(self.activity, "Activity")
        self.sessions_box = QTabWidget()
        self.sessions_box.addTab(self.sessions_panel, "FIX sessions")

        top = QSplitter(Qt.Orientation.Horizontal)
        top.addWidget(self.orders_panel)
        top.addWidget(self.blocks_panel)
        top.setSizes([820, 860])
        bottom = QSplitter(Qt.Orientation.Horizontal)
        bottom.addWidget(self.details)
        bottom.addWidget(self.sessions_box)
        bottom.setSizes([1000, 680])
        central = QSplitter(Qt.Orientation.Vertical)
        central.addWidget(top)
        central.addWidget(self.routed_panel)
        central.addWidget(bottom)
        central.setSizes([330, 360, 250])
        self.setCentralWidget(central)

    def _build_actions(self) -> None:
        bar = QToolBar("Trading")
        bar.setMovable(False)
        bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.addToolBar(bar)

        def action(text: str, shortcut: str, slot: Any, tip: str) -> QAction:
            a = QAction(text, self)
            a.setShortcut(QKeySequence(shortcut))
            a.setToolTip(f"{tip} ({shortcut})")
            a.triggered.connect(lambda _checked=False: slot())
            bar.addAction(a)
            return a

        self.build_action = action(
            "Build block", "Ctrl+B", self.build_block, "group the selected PM orders into a block"
        )
        self.route_action = action(
            "Route…", "Ctrl+R", self.route_selected, "open the order ticket for the selected block"
        )
        bar.addSeparator()
        self.cancel_action = action(
            "Cancel", "Ctrl+D", self.cancel_selected, "ask the broker to cancel the selected order"
        )
        self.replace_action = action(
            "Replace…", "Ctrl+E", self.replace_selected, "change quantity or price at the broker"
        )
        bar.addSeparator()
        # Shown only to users whose role allows them (see _show_user).
        self.override_action = action(
            "Override…", "Ctrl+O", self.override_selected,
            "compliance: release the selected blocked order, with a reason",
        )  # fmt: skip
        self.allocate_action = action(
            "Allocate…", "Ctrl+L", self.allocate_selected,
            "operations: book the selected done block to its accounts",
        )  # fmt: skip
        for role_action in (self.override_action, self.allocate_action):
            role_action.setVisible(False)
        bar.addSeparator()
        self.refresh_action = action(
            "Refresh", "F5", self.sync.snapshot, "read everything again from the server"
        )
        self._update_actions()

    def _build_status_bar(self) -> None:
        status = self.statusBar()
        assert status is not None
        self.link_label = QLabel()
        self.user_label = QLabel()
        self.seq_label = QLabel()
        status.addPermanentWidget(self.user_label)
        status.addPermanentWidget(self.seq_label)
        status.addPermanentWidget(self.link_label)
        self._show_link(LinkState.CONNECTING.value, "")

    def _connect(self) -> None:
        s = self.sync
        self.connection.state_changed.connect(self._show_link)
        self.connection.events.connect(lambda _events: self._show_seq())
        s.message.connect(self.report)
        s.user_known.connect(self._show_user)
        s.detail_loaded.connect(lambda _block_id: self._title_details())
        s.sessions.rowsInserted.connect(
            lambda *_a: self.routed_bar.set_brokers(self.sync.brokers())
        )
        s.sessions.rowsInserted.connect(
            lambda *_a: self.blocks_bar.set_brokers(self.sync.brokers())
        )
        for table in (self.orders_table, self.blocks_table, self.routed_table):
            selection = table.selectionModel()
            assert selection is not None
            selection.selectionChanged.connect(lambda *_a: self._update_actions())
        for model in (s.orders, s.blocks, s.routed):
            model.dataChanged.connect(lambda *_a: self._update_actions())
        blocks_selection = self.blocks_table.selectionModel()
        routed_selection = self.routed_table.selectionModel()
        assert blocks_selection is not None
        assert routed_selection is not None
        blocks_selection.selectionChanged.connect(self._block_selected)
        routed_selection.selectionChanged.connect(self._routed_selected)

    def start(self) -> None:
        """Connect to the server (the first snapshot follows the connection)."""
        self.connection.start()

    # ── selection ──────────────────────────────────────────────────────────────────
    def _block_selected(self, selected: QItemSelection, _deselected: QItemSelection) -> None:
        block = self.blocks_table.current_record()
        if block is not None:
            self.sync.select_block(block["block_id"])
            self._title_details()

    def _routed_selected(self, selected: QItemSelection, _deselected: QItemSelection) -> None:
        routed = self.routed_table.current_record()
        if routed is not None:
            self.sync.select_block(routed["block_id"])
            self._title_details()

    def _title_details(self) -> None:
        block = self.sync.selected_block
        suffix = f" — block {block}" if block else ""
        self.details.setTabText(0, f"Fills{suffix} ({self.sync.fills.rowCount()})")
        self.details.setTabText(1, f"Allocations{suffix} ({self.sync.allocations.rowCount()})")

    def _update_actions(self) -> None:
        orders = self.orders_table.selected_records()
        self.build_action.setEnabled(
            bool(orders) and all(o.get("status") == "accepted" for o in orders)
        )
        block = self.blocks_table.current_record()
        self.route_action.setEnabled(block is not None and block.get("status") == "open")
        routed = self.routed_table.current_record()
        live = routed is not None and routed.get("status") in LIVE_ROUTED
        free = live and routed is not None and not routed.get("pending")
        self.cancel_action.setEnabled(free)
        self.replace_action.setEnabled(free)
        self.override_action.setEnabled(len(orders) == 1 and orders[0].get("status") == "blocked")
        self.allocate_action.setEnabled(block is not None and block.get("status") == "done")

    # ── actions ────────────────────────────────────────────────────────────────────
    def build_block(self) -> None:
        orders = self.orders_table.selected_records()
        if not orders:
            self.report("error", "select the PM orders to put in the block first")
            return
        ids = [str(o["order_id"]) for o in orders]
        self.report("info", f"building a block of {len(ids)} order(s): {', '.join(ids)}")
        self.connection.call(
            lambda c: c.create_block(ids), self._block_built, self._failed("Build block")
        )

    def _block_built(self, block: Record) -> None:
        self.sync.apply_block(block)
        self.blocks_table.select_key(str(block["block_id"]))
        self.report(
            "info",
            f"block {block['block_id']} created: {label(block['side']).upper()} "
            f"{block['quantity']} {block['symbol']} for {len(block.get('members') or [])} "
            "account(s); route it with Route…",
        )

    def route_selected(self) -> RouteTicket | None:
        block = self.blocks_table.current_record()
        if block is None:
            self.report("error", "select a block to route first")
            return None
        notes = {}
        for member in block.get("members") or []:
            order = self.sync.orders.get(str(member["order_id"])) or {}
            messages = (order.get("compliance") or {}).get("messages") or []
            notes[str(member["account_id"])] = "; ".join(str(m) for m in messages)
        ticket = RouteTicket(block, self.sync.brokers(), self.connection, self, order_notes=notes)
        ticket.routed.connect(self._routed)
        ticket.setModal(False)
        ticket.show()
        self.ticket = ticket
        return ticket

    def _routed(self, routed: Record) -> None:
        self.sync.apply_routed([routed])
        self.routed_table.select_key(str(routed["routed_order_id"]))
        self.report(
            "info",
            f"{routed['routed_order_id']} sent to {routed['broker']}: "
            f"{label(routed['side']).upper()} {routed['quantity']} {routed['symbol']} "
            f"{label(routed['order_type'])} ({label(routed['status'])})",
        )

    def cancel_selected(self) -> None:
        routed = self.routed_table.current_record()
        if routed is None:
            self.report("error", "select a working broker order to cancel")
            return
        rid = str(routed["routed_order_id"])
        self.connection.call(
            lambda c: c.cancel(rid), self._cancel_sent, self._failed(f"Cancel {rid}")
        )

    def _cancel_sent(self, routed: Record) -> None:
        self.sync.apply_routed([routed])
        self.report(
            "info",
            f"cancel of {routed['routed_order_id']} sent: {label(routed['status'])} "
            "until the broker answers",
        )

    def replace_selected(self) -> ReplaceTicket | None:
        routed = self.routed_table.current_record()
        if routed is None:
            self.report("error", "select a working broker order to replace")
            return None
        ticket = ReplaceTicket(routed, self.connection, self)
        ticket.requested.connect(self._replace_sent)
        ticket.setModal(False)
        ticket.show()
        self.replace_ticket = ticket
        return ticket

    def _replace_sent(self, routed: Record) -> None:
        self.sync.apply_routed([routed])
        self.report(
            "info",
            f"replace of {routed['routed_order_id']} sent: {label(routed['status'])} "
            "until the broker answers",
        )

    def override_selected(self, reason: str | None = None) -> None:
        """Compliance releases a blocked order; the reason goes into the audit trail."""
        orders = self.orders_table.selected_records()
        if len(orders) != 1 or orders[0].get("status") != "blocked":
            self.report("error", "select one order blocked by compliance to override")
            return
        oid = str(orders[0]["order_id"])
        if reason is None:
            reason, ok = QInputDialog.getText(
                self, "Override compliance", f"Reason for releasing {oid} (audited):"
            )
            if not ok:
                return
        if not reason.strip():
            self.report("error", "an override needs a reason")
            return
        self.connection.call(
            lambda c: c.override(oid, reason),
            lambda order: self.report(
                "info", f"{oid} overridden: now {label(order['status'])} ({reason})"
            ),
            self._failed(f"Override {oid}"),
        )

    def allocate_selected(self, commission: str | None = None) -> None:
        """Operations book a done block pro rata at its average price, relieving lots."""
        block = self.blocks_table.current_record()
        if block is None or block.get("status") != "done":
            self.report("error", "select a done block to allocate")
            return
        bid = str(block["block_id"])
        if commission is None:
            commission, ok = QInputDialog.getText(
                self, "Allocate block", f"Commission for {bid}:", text="0.00"
            )
            if not ok:
                return
        try:
            amount = Decimal(commission.strip() or "0")
        except InvalidOperation:
            self.report("error", f"commission {commission!r} is not a number")
            return
        if not amount.is_finite() or amount < 0:
            self.report("error", "the commission must be zero or more")
            return
        self.connection.call(
            lambda c: c.allocate(bid, commission=str(amount)),
            lambda booked: self._allocated(bid, booked),
            self._failed(f"Allocate {bid}"),
        )

    def _allocated(self, block_id: str, booked: Record) -> None:
        legs = [leg for a in booked.get("allocations") or [] for leg in a.get("legs") or []]
        shares = ", ".join(f"{g['account_id']} {g['quantity']}" for g in legs)
        self.report("info", f"block {block_id} allocated: {shares}")
        self.sync.select_block(block_id)

    def _failed(self, what: str) -> Any:
        return lambda exc: self.report("error", f"{what} refused: {error_text(exc)}")

    # ── status ─────────────────────────────────────────────────────────────────────
    def report(self, level: str, text: str) -> None:
        """A message for the trader: the status bar now, the activity log for later."""
        status = self.statusBar()
        if status is not None:
            status.setStyleSheet(f"QStatusBar {{ color: {_LEVEL_COLOUR.get(level, '#111827')}; }}")
            status.showMessage(text, MESSAGE_MS)
        item = QListWidgetItem(f"{datetime.now().astimezone():%H:%M:%S}  {text}")
        item.setForeground(QColor(_LEVEL_COLOUR.get(level, "#111827")))
        self.activity.insertItem(0, item)
        while self.activity.count() > ACTIVITY_LIMIT:
            self.activity.takeItem(self.activity.count() - 1)

    def _show_link(self, state: str, detail: str) -> None:
        fg, bg = _LINK_STYLE.get(state, ("#111827", "#ffffff"))
        words = {
            LinkState.CONNECTING.value: f"connecting to {self.server_url}…",
            LinkState.CONNECTED.value: f"connected to {self.server_url}",
            LinkState.RECONNECTING.value: "disconnected: reconnecting…",
            LinkState.CLOSED.value: "closed",
        }
        self.link_label.setText(f"  ● {words.get(state, state)}  ")
        self.link_label.setToolTip(detail)
        self.link_label.setStyleSheet(
            f"color: {fg}; background: {bg}; border-radius: 3px; font-weight: 600;"
        )
        if state == LinkState.RECONNECTING.value:
            self.report("error", f"lost the server ({detail or 'no answer'}); reconnecting")
        elif state == LinkState.CONNECTED.value and self.sync.snapshots:
            self.report("info", "reconnected: reading everything again from the server")

    def _show_seq(self) -> None:
        self.seq_label.setText(f"  event #{self.sync.seen_seq}  ")

    def _show_user(self, me: Record) -> None:
        self.user = me
        roles = ", ".join(me.get("roles") or [])
        self.user_label.setText(f"  {me.get('name')} ({roles})  ")
        self.override_action.setVisible("compliance" in (me.get("roles") or []))
        self.allocate_action.setVisible("operations" in (me.get("roles") or []))
        self.setWindowTitle(f"toms blotter — {me.get('name')} @ {self.server_url}")

    # ── shutdown ───────────────────────────────────────────────────────────────────
    def shutdown(self) -> None:
        for dialog in (self.ticket, self.replace_ticket):
            if dialog is not None:
                dialog.close()
        self.connection.close()

    def closeEvent(self, event: QCloseEvent | None) -> None:
        self.shutdown()
        super().closeEvent(event)
