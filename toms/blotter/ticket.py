"""Order tickets: route a block to a broker, and change (replace) a working broker order.

A ticket checks its terms before anything is sent (a stop order needs a stop price, a
market order takes no price, prices are positive decimals), then asks the server's what-if
for the route's compliance per account and the block's headroom. Send is enabled only for
terms that passed that check; a warning has to be acknowledged (sent as
``acknowledge_warnings``); a block can only be resolved by compliance, not from here.
The server has the last word: its refusal is shown in the ticket in its own words.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from PyQt6.QtCore import QDate, Qt, QTimer, pyqtSignal
from PyQt6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from toms.blotter.connection import Connection, error_text
from toms.blotter.formatting import ZERO, dec, label, qty_text, state_colour
from toms.blotter.models import Record
from toms.client import ApiError

ORDER_TYPES = ("market", "limit", "stop", "stop_limit")
NEEDS_LIMIT = frozenset({"limit", "stop_limit"})
NEEDS_STOP = frozenset({"stop", "stop_limit"})
TIFS = ("day", "gtc", "ioc", "fok", "gtd")
CHECK_DELAY_MS = 250
_ERROR_STYLE = "color: #b91c1c;"


def _positive(text: str, what: str, problems: list[str]) -> Decimal | None:
    text = text.strip().replace(",", "")
    if not text:
        return None
    value = dec(text)
    if value is None or not value.is_finite():
        problems.append(f"{what} {text!r} is not a number")
        return None
    if value <= ZERO:
        problems.append(f"{what} must be positive")
        return None
    return value


def _header(header: QHeaderView | None) -> QHeaderView:
    assert header is not None  # a table always has its headers
    return header


def _decimal_edit(placeholder: str) -> QLineEdit:
    edit = QLineEdit()
    edit.setPlaceholderText(placeholder)
    edit.setAlignment(Qt.AlignmentFlag.AlignRight)
    return edit


class RouteTicket(QDialog):
    """Route a block: broker, order type, prices, time in force; compliance before send."""

    routed = pyqtSignal(dict)  # the broker order the server created

    def __init__(
        self,
        block: Record,
        brokers: list[str],
        connection: Connection,
        parent: QWidget | None = None,
        *,
        order_notes: dict[str, str] | None = None,
    ) -> None:
        super().__init__(parent)
        self.block = block
        self.order_notes = order_notes or {}  # account -> its PM order's compliance messages
        self.connection = connection
        self.checked_terms: dict[str, Any] | None = None
        self.verdict: str | None = None
        self.sending = False
        self.answer: Record | None = None
        self.setWindowTitle(f"Route block {block['block_id']}")
        self.setMinimumWidth(760)

        side = label(block.get("side")).upper()
        self.heading = QLabel(
            f"<b>{side} {qty_text(block.get('quantity'))} {block.get('symbol')}</b>"
            f" &nbsp; block {block['block_id']}, "
            f"{len(block.get('members') or [])} account(s), status {label(block.get('status'))}"
        )
        self.broker = QComboBox()
        self.broker.addItems(brokers)
        self.order_type = QComboBox()
        for value in ORDER_TYPES:
            self.order_type.addItem(label(value), value)
        self.quantity = _decimal_edit("whole block")
        remaining = (dec(block.get("quantity")) or ZERO) - (
            dec(block.get("filled_quantity")) or ZERO
        )
        remaining -= dec(block.get("leaves_quantity")) or ZERO
        self.quantity.setText(qty_text(remaining).replace(",", ""))
        self.limit_price = _decimal_edit("limit price")
        self.stop_price = _decimal_edit("stop price")
        self.tif = QComboBox()
        for value in TIFS:
            self.tif.addItem(value.upper(), value)
        self.expire = QDateEdit(QDate.currentDate())
        self.expire.setCalendarPopup(True)

        terms = QFormLayout()
        terms.addRow("Broker", self.broker)
        terms.addRow("Order type", self.order_type)
        terms.addRow("Quantity", self.quantity)
        terms.addRow("Limit price", self.limit_price)
        terms.addRow("Stop price", self.stop_price)
        tif_row = QHBoxLayout()
        tif_row.addWidget(self.tif)
        tif_row.addWidget(QLabel("expires"))
        tif_row.addWidget(self.expire)
        terms.addRow("Time in force", tif_row)

        self.problems = QLabel()
        self.problems.setStyleSheet(_ERROR_STYLE)
        self.problems.setWordWrap(True)

        self.verdict_label = QLabel("compliance: not checked yet")
        self.headroom_label = QLabel()
        self.compliance_table = QTableWidget(0, 5)
        self.compliance_table.setHorizontalHeaderLabels(
            ["Account", "Verdict", "Rules", "Headroom", "Detail"]
        )
        self.compliance_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        _header(self.compliance_table.verticalHeader()).setVisible(False)
        header = _header(self.compliance_table.horizontalHeader())
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.compliance_table.setMinimumHeight(140)
        self.acknowledge = QCheckBox("I have read the compliance warnings and route anyway")
        self.acknowledge.setEnabled(False)
        self.check_button = QPushButton("Check compliance")
        box = QGroupBox("Pre-trade compliance (what-if)")
        inner = QVBoxLayout(box)
        row = QHBoxLayout()
        row.addWidget(self.verdict_label, 1)
        row.addWidget(self.headroom_label)
        row.addWidget(self.check_button)
        inner.addLayout(row)
        inner.addWidget(self.compliance_table)
        inner.addWidget(self.acknowledge)

        self.error, self.buttons, self.send_button = _footer(self, "Send to broker")

        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addLayout(terms)
        layout.addWidget(self.problems)
        layout.addWidget(box)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)

        self._check_timer = QTimer(self)
        self._check_timer.setSingleShot(True)
        self._check_timer.setInterval(CHECK_DELAY_MS)
        self._check_timer.timeout.connect(self.check)
        for edit in (self.quantity, self.limit_price, self.stop_price):
            edit.textChanged.connect(self._terms_changed)
        for combo in (self.broker, self.order_type, self.tif):
            combo.currentIndexChanged.connect(self._terms_changed)
        self.expire.dateChanged.connect(self._terms_changed)
        self.acknowledge.toggled.connect(self._update_buttons)
        self.check_button.clicked.connect(self.check)
        self._terms_changed()

    # ── terms ──────────────────────────────────────────────────────────────────────
    def terms(self) -> tuple[dict[str, Any] | None, list[str]]:
        """The route request these fields describe, or the reasons it cannot be sent."""
        problems: list[str] = []
        order_type = str(self.order_type.currentData())
        broker = self.broker.currentText()
        if not broker:
            problems.append("no broker: no FIX session is configured")
        quantity = _positive(self.quantity.text(), "quantity", problems)
        limit = _positive(self.limit_price.text(), "limit price", problems)
        stop = _positive(self.stop_price.text(), "stop price", problems)
        if order_type in NEEDS_LIMIT and limit is None and not self.limit_price.text().strip():
            problems.append(f"a {label(order_type)} order needs a limit price")
        if order_type in NEEDS_STOP and stop is None and not self.stop_price.text().strip():
            problems.append(f"a {label(order_type)} order needs a stop price")
        block_qty = dec(self.block.get("quantity")) or ZERO
        if quantity is not None and quantity > block_qty:
            problems.append(
                f"quantity {qty_text(quantity)} is more than the block's {qty_text(block_qty)}"
            )
        tif = str(self.tif.currentData())
        if problems:
            return None, problems
        terms: dict[str, Any] = {
            "broker": broker,
            "order_type": order_type,
            "time_in_force": tif,
            "quantity": quantity,
            "limit_price": limit if order_type in NEEDS_LIMIT else None,
            "stop_price": stop if order_type in NEEDS_STOP else None,
        }
        if tif == "gtd":
            terms["expire_date"] = self.expire.date().toPyDate().isoformat()
        return terms, []

    def _terms_changed(self) -> None:
        order_type = str(self.order_type.currentData())
        self.limit_price.setEnabled(order_type in NEEDS_LIMIT)
        self.stop_price.setEnabled(order_type in NEEDS_STOP)
        self.expire.setEnabled(self.tif.currentData() == "gtd")
        self.checked_terms = None
        self.verdict = None
        self.acknowledge.setChecked(False)
        self.acknowledge.setEnabled(False)
        self.error.clear()
        terms, problems = self.terms()
        self.problems.setText("\n".join(problems))
        self.problems.setVisible(bool(problems))
        self.verdict_label.setText("compliance: checking…" if terms else "compliance: -")
        self.verdict_label.setStyleSheet("")
        self.headroom_label.clear()
        if terms is not None:
            self._check_timer.start()
        self._update_buttons()

    # ── compliance what-if ─────────────────────────────────────────────────────────
    def check(self) -> None:
        self._check_timer.stop()
        terms, _problems = self.terms()
        if terms is None:
            return
        block_id = self.block["block_id"]
        self.verdict_label.setText("compliance: checking…")
        self.connection.call(
            lambda c: c.check_route(block_id, **terms),
            lambda result: self._checked(terms, result),
            lambda exc: self._check_failed(terms, exc),
        )

    def _checked(self, terms: dict[str, Any], result: Record) -> None:
        if terms != self.terms()[0]:
            return  # the trader changed the terms meanwhile; a newer check is coming
        self.checked_terms = terms
        self.show_compliance(result)
        self._update_buttons()

    def _check_failed(self, terms: dict[str, Any], exc: BaseException) -> None:
        if terms != self.terms()[0]:
            return
        self.verdict_label.setText("compliance: could not check")
        self.error.setText(error_text(exc))

    def show_compliance(self, result: Record) -> None:
        verdict = str(result.get("verdict") or "pass")
        self.verdict = verdict
        words = {
            "pass": "PASS: every account within its limits",
            "warn": "WARNING: acknowledge to route",
            "block": "BLOCKED: compliance must release it",
        }
        self.verdict_label.setText(f"<b>compliance: {words.get(verdict, verdict)}</b>")
        colour = state_colour(verdict)
        self.verdict_label.setStyleSheet(
            f"background: {colour.name()}; padding: 3px;" if colour else ""
        )
        headroom = result.get("headroom")
        self.headroom_label.setText(f"headroom {qty_text(headroom)} shares" if headroom else "")
        rows = result.get("rows") or []
        self.compliance_table.setRowCount(len(rows))
        for i, row in enumerate(rows):
            statuses = row.get("statuses") or {}
            flagged = [f"{rule} ({st})" for rule, st in statuses.items() if st != "pass"]
            detail = (row.get("detail") or {}).get("results") or []
            messages = [str(r.get("message")) for r in detail if r.get("status") != "pass"]
            if not messages and flagged:  # the server sends details for blocks only
                messages = [self.order_notes.get(str(row.get("account_id")), "")]
            cells = [
                str(row.get("account_id")),
                str(row.get("verdict")),
                ", ".join(flagged),
                qty_text(row.get("headroom")),
                "; ".join(messages),
            ]
            for j, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                if j == 1 and (c := state_colour(row.get("verdict"))) is not None:
                    item.setBackground(c)
                self.compliance_table.setItem(i, j, item)
        self.acknowledge.setEnabled(verdict == "warn")

    def _update_buttons(self) -> None:
        terms, _ = self.terms()
        ready = (
            not self.sending
            and terms is not None
            and terms == self.checked_terms
            and self.verdict in ("pass", "warn")
            and (self.verdict != "warn" or self.acknowledge.isChecked())
        )
        self.send_button.setEnabled(ready)
        self.check_button.setEnabled(terms is not None and not self.sending)

    # ── sending ────────────────────────────────────────────────────────────────────
    def send(self) -> None:
        terms, problems = self.terms()
        if terms is None:
            self.problems.setText("\n".join(problems))
            return
        if terms != self.checked_terms or not self.send_button.isEnabled():
            return
        self.sending = True
        self.error.clear()
        self._update_buttons()
        block_id = self.block["block_id"]
        ack = self.acknowledge.isChecked()
        self.connection.call(
            lambda c: c.route(block_id, **terms, acknowledge_warnings=ack),
            self._sent,
            self._refused,
        )

    def _sent(self, routed: Record) -> None:
        self.sending = False
        self.answer = routed
        self.routed.emit(routed)
        self.accept()

    def _refused(self, exc: BaseException) -> None:
        self.sending = False
        self.error.setText(f"Not routed: {error_text(exc)}")
        if isinstance(exc, ApiError) and isinstance(exc.body.get("compliance"), dict):
            self.show_compliance(exc.body["compliance"])
            self.checked_terms = self.terms()[0]
        self._update_buttons()


class ReplaceTicket(QDialog):
    """Cancel/replace a working broker order: new quantity and/or price."""

    requested = pyqtSignal(dict)  # the broker order, now pending replace

    def __init__(
        self, routed: Record, connection: Connection, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.routed = routed
        self.connection = connection
        self.sending = False
        self.answer: Record | None = None
        rid = routed["routed_order_id"]
        self.setWindowTitle(f"Replace {rid}")
        order_type = str(routed.get("order_type"))
        self.heading = QLabel(
            f"<b>{label(routed.get('side')).upper()} {qty_text(routed.get('quantity'))} "
            f"{routed.get('symbol')}</b> {label(order_type)} at {routed.get('broker')}: "
            f"filled {qty_text(routed.get('filled_quantity'))}, "
            f"status {label(routed.get('status'))}"
        )
        self.quantity = _decimal_edit("quantity")
        self.quantity.setText(str(routed.get("quantity") or ""))
        self.limit_price = _decimal_edit("limit price")
        self.limit_price.setText(str(routed.get("limit_price") or ""))
        self.limit_price.setEnabled(order_type in NEEDS_LIMIT)
        self.stop_price = _decimal_edit("stop price")
        self.stop_price.setText(str(routed.get("stop_price") or ""))
        self.stop_price.setEnabled(order_type in NEEDS_STOP)
        form = QFormLayout()
        form.addRow("Quantity", self.quantity)
        form.addRow("Limit price", self.limit_price)
        form.addRow("Stop price", self.stop_price)
        self.error, self.buttons, self.send_button = _footer(self, "Send replace")
        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        for edit in (self.quantity, self.limit_price, self.stop_price):
            edit.textChanged.connect(self._validate)
        self._validate()

    def changes(self) -> tuple[dict[str, Any] | None, list[str]]:
        problems: list[str] = []
        r = self.routed
        quantity = _positive(self.quantity.text(), "quantity", problems)
        limit = (
            _positive(self.limit_price.text(), "limit price", problems)
            if self.limit_price.isEnabled()
            else None
        )
        stop = (
            _positive(self.stop_price.text(), "stop price", problems)
            if self.stop_price.isEnabled()
            else None
        )
        filled = dec(r.get("filled_quantity")) or ZERO
        if quantity is not None and quantity <= filled:
            problems.append(f"quantity must be more than the {qty_text(filled)} already filled")
        changes: dict[str, Any] = {}
        if quantity is not None and quantity != dec(r.get("quantity")):
            changes["quantity"] = quantity
        if limit is not None and limit != dec(r.get("limit_price")):
            changes["limit_price"] = limit
        if stop is not None and stop != dec(r.get("stop_price")):
            changes["stop_price"] = stop
        if not changes and not problems:
            problems.append("nothing changed")
        return (changes if not problems else None), problems

    def _validate(self) -> None:
        changes, problems = self.changes()
        self.error.setText("\n".join(problems))
        self.send_button.setEnabled(changes is not None and not self.sending)

    def send(self) -> None:
        changes, problems = self.changes()
        if changes is None:
            self.error.setText("\n".join(problems))
            return
        self.sending = True
        self.send_button.setEnabled(False)
        rid = self.routed["routed_order_id"]
        self.connection.call(lambda c: c.replace(rid, **changes), self._sent, self._refused)

    def _sent(self, routed: Record) -> None:
        self.sending = False
        self.answer = routed
        self.requested.emit(routed)
        self.accept()

    def _refused(self, exc: BaseException) -> None:
        self.sending = False
        self.error.setText(f"Not sent: {error_text(exc)}")
        self.send_button.setEnabled(True)


def _footer(dialog: Any, send_text: str) -> tuple[QLabel, QDialogButtonBox, QPushButton]:
    """A ticket's error line and its Send / Cancel buttons (Send calls ``dialog.send``)."""
    error = QLabel()
    error.setStyleSheet(_ERROR_STYLE)
    error.setWordWrap(True)
    buttons = QDialogButtonBox()
    send = QPushButton(send_text)
    buttons.addButton(send, QDialogButtonBox.ButtonRole.AcceptRole)
    buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
    send.clicked.connect(dialog.send)
    buttons.rejected.connect(dialog.reject)
    return error, buttons, send
