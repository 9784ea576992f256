"""Table views and their filter bars: how every blotter grid looks and is filtered."""

from __future__ import annotations

from collections.abc import Sequence

from PyQt6.QtCore import Qt, pyqtSignal
from PyQt6.QtGui import QFont
from PyQt6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from toms.blotter.delegates import ProgressDelegate
from toms.blotter.filters import Criteria, RecordFilter
from toms.blotter.models import Record, RecordTableModel

ROW_HEIGHT = 22


class BlotterTable(QTableView):
    """A read-only grid over a filtered model: whole-row selection, header sorting."""

    def __init__(
        self, model: RecordTableModel, *, multi: bool = False, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.source = model
        self.proxy = RecordFilter(model, self)
        self.setModel(self.proxy)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(
            QAbstractItemView.SelectionMode.ExtendedSelection
            if multi
            else QAbstractItemView.SelectionMode.SingleSelection
        )
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setAlternatingRowColors(False)
        self.setShowGrid(False)
        self.setWordWrap(False)
        self.setSortingEnabled(True)
        header = _header(self.horizontalHeader())
        header.setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        self.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        vertical = _header(self.verticalHeader())
        vertical.setVisible(False)
        vertical.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        vertical.setDefaultSectionSize(ROW_HEIGHT)
        header.setHighlightSections(False)
        header.setStretchLastSection(True)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        bold = QFont(header.font())
        bold.setBold(True)
        header.setFont(bold)
        self.setStyleSheet(
            "QTableView { selection-background-color: #2563eb; selection-color: white; }"
        )
        self._progress = ProgressDelegate(self)
        for i, column in enumerate(model.spec.columns):
            if column.progress is not None:
                self.setItemDelegateForColumn(i, self._progress)
            header.resizeSection(i, column.width or _width_for(column.title))

    def selected_records(self) -> list[Record]:
        selection = self.selectionModel()
        if selection is None:
            return []
        rows = sorted({i.row() for i in selection.selectedRows()})
        return [self.proxy.record_at(r) for r in rows]

    def current_record(self) -> Record | None:
        records = self.selected_records()
        return records[0] if records else None

    def select_key(self, key: str) -> bool:
        """Select the row of ``key`` (if shown); True when it is."""
        row = self.source.row_of(key)
        if row is None:
            return False
        index = self.proxy.mapFromSource(self.source.index(row, 0))
        if not index.isValid():
            return False
        self.selectRow(index.row())
        self.scrollTo(index)
        return True


def _header(header: QHeaderView | None) -> QHeaderView:
    assert header is not None  # a table always has its headers
    return header


def _width_for(title: str) -> int:
    return max(60, 9 * len(title) + 28)


class FilterBar(QWidget):
    """State, symbol, broker and free-text filters for one table."""

    changed = pyqtSignal()

    def __init__(
        self,
        table: BlotterTable,
        states: Sequence[tuple[str, frozenset[str] | None]],
        *,
        symbol: bool = True,
        broker: bool = False,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.table = table
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.state = QComboBox()
        for name, values in states:
            self.state.addItem(name, values)
        layout.addWidget(self.state)
        self.symbol = QLineEdit()
        self.symbol.setPlaceholderText("symbol")
        self.symbol.setMaximumWidth(90)
        self.symbol.setVisible(symbol)
        layout.addWidget(self.symbol)
        self.broker = QComboBox()
        self.broker.addItem("all brokers", "")
        self.broker.setVisible(broker)
        layout.addWidget(self.broker)
        self.text = QLineEdit()
        self.text.setPlaceholderText("search…")
        self.text.setClearButtonEnabled(True)
        layout.addWidget(self.text, 1)
        self.state.currentIndexChanged.connect(self.apply)
        self.broker.currentIndexChanged.connect(self.apply)
        self.symbol.textChanged.connect(self.apply)
        self.text.textChanged.connect(self.apply)
        self.apply()

    def set_brokers(self, brokers: Sequence[str]) -> None:
        current = self.broker.currentData()
        known = [self.broker.itemData(i) for i in range(self.broker.count())]
        for b in brokers:
            if b not in known:
                self.broker.addItem(b, b)
        if current:
            self.broker.setCurrentIndex(max(0, self.broker.findData(current)))

    def apply(self) -> None:
        self.table.proxy.set_criteria(
            Criteria(
                states=self.state.currentData(),
                symbol=self.symbol.text().strip(),
                broker=str(self.broker.currentData() or ""),
                text=self.text.text().strip(),
            )
        )
        self.changed.emit()


class Panel(QWidget):
    """A titled table with its filter bar and a live row count."""

    def __init__(
        self, title: str, table: BlotterTable, bar: FilterBar, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.table = table
        self.bar = bar
        self.title = title
        self.heading = QLabel()
        self.heading.setStyleSheet("font-weight: 600; font-size: 13px; padding: 2px 0;")
        top = QHBoxLayout()
        top.addWidget(self.heading)
        top.addSpacing(12)
        top.addWidget(bar, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addWidget(table)
        proxy = table.proxy
        for signal in (
            proxy.rowsInserted,
            proxy.rowsRemoved,
            proxy.modelReset,
            proxy.layoutChanged,
        ):
            signal.connect(lambda *_args: self._count())
        bar.changed.connect(self._count)
        self._count()

    def _count(self) -> None:
        shown, total = self.table.proxy.rowCount(), self.table.source.rowCount()
        count = f"{shown}" if shown == total else f"{shown} of {total}"
        self.heading.setText(f"{self.title} ({count})")
