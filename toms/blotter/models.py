"""One table model for every blotter view: rows are the API's JSON records, keyed by id.

Built for heavy fill traffic. A new record is inserted with ``beginInsertRows`` (the view
keeps its scroll position and selection); a changed record only marks its row, and the
marks are flushed as ``dataChanged`` once per frame (one signal per run of adjacent rows),
so a thousand updates a second cost the view a few repaints, not a thousand. Cell text is
formatted when first painted and cached until the record changes. Sorting happens here,
on cached keys, instead of in the proxy, which would call ``data()`` once per comparison.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

from PyQt6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    QTimer,
)
from PyQt6.QtGui import QBrush, QColor

from toms.blotter.formatting import state_colour

Record = dict[str, Any]
AnyIndex = QModelIndex | QPersistentModelIndex

PROGRESS_ROLE = Qt.ItemDataRole.UserRole + 1  # percent done, 0-100, for the progress delegate
RECORD_ROLE = Qt.ItemDataRole.UserRole + 2  # the whole record
FLUSH_MS = 16  # one frame at 60 Hz
RESORT_MS = 400  # a sorted view re-sorts at most this often while records change
RESORT_SHARE = 10  # ...and waits ten times as long as its last re-sort took

_LEFT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
CENTER = Qt.AlignmentFlag.AlignCenter


def _no_key(_record: Record) -> Any:
    return None


@dataclass(frozen=True)
class Column:
    """A column: its header, its text, and (when not the text) what it sorts by."""

    title: str
    text: Callable[[Record], str]
    sort_key: Callable[[Record], Any] | None = None
    align: Qt.AlignmentFlag = _LEFT
    progress: Callable[[Record], Any] | None = None  # draws a progress bar when set
    tooltip: Callable[[Record], str] | None = None
    width: int = 0  # preferred width in pixels (0: fit the contents)
    searchable: bool = True


@dataclass
class _Sort:
    column: int
    descending: bool


@dataclass
class TableSpec:
    """What a model shows: its key field, its columns, and which field carries the state."""

    key: str
    columns: Sequence[Column]
    state_field: str | None = "status"
    state_of: Callable[[Record], Any] | None = None
    extra_search: Sequence[str] = field(default_factory=tuple)


class RecordTableModel(QAbstractTableModel):
    def __init__(self, spec: TableSpec, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.spec = spec
        self._rows: list[Record] = []
        self._index: dict[str, int] = {}
        self._text: list[list[str] | None] = []
        self._keys: list[list[Any] | None] = []
        self._search: list[str | None] = []
        self._dirty: set[int] = set()
        self._flush = QTimer(self)
        self._flush.setSingleShot(True)
        self._flush.setInterval(FLUSH_MS)
        self._flush.timeout.connect(self.flush)
        self._sort: _Sort | None = None
        self._resort = QTimer(self)
        self._resort.setSingleShot(True)
        self._resort.setInterval(RESORT_MS)
        self._resort.timeout.connect(self._apply_sort)
        self.flushes = 0  # how many dataChanged batches went out (benchmarks read it)

    # ── reading ────────────────────────────────────────────────────────────────────
    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.spec.columns)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation is Qt.Orientation.Horizontal and 0 <= section < len(self.spec.columns):
            column = self.spec.columns[section]
            if role == Qt.ItemDataRole.DisplayRole:
                return column.title
            if role == Qt.ItemDataRole.TextAlignmentRole:
                return column.align
        return None

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        row, col = index.row(), index.column()
        if not index.isValid() or row >= len(self._rows):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self._texts(row)[col]
        column = self.spec.columns[col]
        if role == Qt.ItemDataRole.BackgroundRole:
            colour = state_colour(self.state(self._rows[row]))
            return QBrush(colour) if colour is not None else None
        if role == Qt.ItemDataRole.ForegroundRole:
            return QBrush(QColor("#111827"))
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return column.align
        if role == PROGRESS_ROLE and column.progress is not None:
            return column.progress(self._rows[row])
        if role == Qt.ItemDataRole.ToolTipRole and column.tooltip is not None:
            return column.tooltip(self._rows[row]) or None
        if role == RECORD_ROLE:
            return self._rows[row]
        return None

    def state(self, record: Record) -> Any:
        if self.spec.state_of is not None:
            return self.spec.state_of(record)
        return record.get(self.spec.state_field) if self.spec.state_field else None

    def _texts(self, row: int) -> list[str]:
        texts = self._text[row]
        if texts is None:
            record = self._rows[row]
            texts = [c.text(record) for c in self.spec.columns]
            self._text[row] = texts
        return texts

    def search_text(self, row: int) -> str:
        """Lower-case text of the searchable cells: what the free-text filter matches."""
        text = self._search[row]
        if text is None:
            record = self._rows[row]
            cells = self._texts(row)
            parts = [cells[i] for i, c in enumerate(self.spec.columns) if c.searchable]
            parts.extend(str(record.get(f) or "") for f in self.spec.extra_search)
            text = "\x1f".join(parts).lower()
            self._search[row] = text
        return text

    def record(self, row: int) -> Record:
        return self._rows[row]

    def get(self, key: str) -> Record | None:
        row = self._index.get(key)
        return None if row is None else self._rows[row]

    def row_of(self, key: str) -> int | None:
        return self._index.get(key)

    def key_list(self) -> list[str]:
        return list(self._index)

    def records(self) -> list[Record]:
        return list(self._rows)

    def __len__(self) -> int:
        return len(self._rows)

    # ── writing ────────────────────────────────────────────────────────────────────
    def upsert(self, records: Iterable[Record]) -> None:
        """Insert new records at the end and mark changed ones; repaint on the next frame."""
        key = self.spec.key
        new: list[Record] = []
        pending: dict[str, int] = {}
        for record in records:
            k = str(record[key])
            row = self._index.get(k)
            if row is None:
                at = pending.get(k)
                if at is None:
                    pending[k] = len(new)
                    new.append(record)
                else:
                    new[at] = record  # the same record twice in one batch: the later wins
                continue
            if self._rows[row] is record or self._rows[row] == record:
                continue
            self._rows[row] = record
            self._text[row] = None
            self._keys[row] = None
            self._search[row] = None
            self._dirty.add(row)
        if new:
            first = len(self._rows)
            self.beginInsertRows(QModelIndex(), first, first + len(new) - 1)
            for offset, record in enumerate(new):
                self._index[str(record[key])] = first + offset
            self._rows.extend(new)
            self._text.extend([None] * len(new))
            self._keys.extend([None] * len(new))
            self._search.extend([None] * len(new))
            self.endInsertRows()
        if self._dirty and not self._flush.isActive():
            self._flush.start()
        if (new or self._dirty) and self._sort is not None and not self._resort.isActive():
            self._resort.start()

    def replace_all(self, records: Iterable[Record]) -> None:
        """A snapshot: upsert every record and drop rows the snapshot no longer has."""
        records = list(records)
        keep = {str(r[self.spec.key]) for r in records}
        self.remove([k for k in self._index if k not in keep])
        self.upsert(records)

    def remove(self, keys: Iterable[str]) -> None:
        rows = sorted({self._index[k] for k in keys if k in self._index}, reverse=True)
        if not rows:
            return
        self.flush()
        for run in _runs(rows[::-1])[::-1]:
            first, last = run
            self.beginRemoveRows(QModelIndex(), first, last)
            del self._rows[first : last + 1]
            del self._text[first : last + 1]
            del self._keys[first : last + 1]
            del self._search[first : last + 1]
            self.endRemoveRows()
        self._reindex()

    def clear(self) -> None:
        self.beginResetModel()
        self._rows, self._text, self._keys, self._search = [], [], [], []
        self._index.clear()
        self._dirty.clear()
        self.endResetModel()

    def flush(self) -> None:
        """Tell the views which rows changed: one ``dataChanged`` per run of adjacent rows."""
        self._flush.stop()
        if not self._dirty:
            return
        rows, self._dirty = sorted(self._dirty), set()
        last_col = len(self.spec.columns) - 1
        for first, last in _runs(rows):
            self.dataChanged.emit(self.index(first, 0), self.index(last, last_col))
        self.flushes += 1

    # ── sorting ────────────────────────────────────────────────────────────────────
    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(self.spec.columns):
            self._sort = None
            return
        self._sort = _Sort(column, order is Qt.SortOrder.DescendingOrder)
        self._apply_sort()

    def _sort_key(self, row: int, column: int) -> Any:
        keys = self._keys[row]
        if keys is None:
            keys = [None] * len(self.spec.columns)
            self._keys[row] = keys
        value = keys[column]
        if value is None:
            spec = self.spec.columns[column]
            raw = (spec.sort_key or _no_key)(self._rows[row])
            text = "" if raw is not None else spec.text(self._rows[row])
            # (is-missing, value) keeps rows without a value together at the end
            value = (1, "") if raw is None and not text else (0, raw if raw is not None else text)
            keys[column] = value
        return value

    def _apply_sort(self) -> None:
        self._resort.stop()
        if self._sort is None or not self._rows:
            return
        started = time.perf_counter()
        try:
            self._reorder(self._sort)
        finally:
            # A big sorted book re-sorts less often: at most a tenth of the GUI's time.
            cost_ms = (time.perf_counter() - started) * 1000
            self._resort.setInterval(max(RESORT_MS, int(cost_ms * RESORT_SHARE)))

    def _reorder(self, sort: _Sort) -> None:
        column, descending = sort.column, sort.descending
        order = sorted(
            range(len(self._rows)), key=lambda r: self._sort_key(r, column), reverse=descending
        )
        if order == list(range(len(order))):
            return
        self.flush()
        self.layoutAboutToBeChanged.emit()
        new_row_of = [0] * len(order)
        for new, old in enumerate(order):
            new_row_of[old] = new
        self._rows = [self._rows[r] for r in order]
        self._text = [self._text[r] for r in order]
        self._keys = [self._keys[r] for r in order]
        self._search = [self._search[r] for r in order]
        self._reindex()
        old_indexes = self.persistentIndexList()
        new_indexes = [self.index(new_row_of[i.row()], i.column()) for i in old_indexes]
        self.changePersistentIndexList(old_indexes, new_indexes)
        self.layoutChanged.emit()

    def _reindex(self) -> None:
        keys = map(str, map(itemgetter(self.spec.key), self._rows))
        self._index = dict(zip(keys, range(len(self._rows)), strict=True))


def _runs(rows: list[int]) -> list[tuple[int, int]]:
    """Sorted row numbers as (first, last) runs of adjacent rows."""
    runs: list[tuple[int, int]] = []
    for row in rows:
        if runs and row == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], row)
        else:
            runs.append((row, row))
    return runs
