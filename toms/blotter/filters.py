"""Filtering for the blotter's tables: by state, symbol, broker and free text.

The proxy only filters. Sorting is passed through to the source model, which sorts on
cached keys in one Python ``sorted`` call; the proxy's own sort would call ``data()`` for
each of the ~n·log n comparisons, seconds on a big blotter.
"""

from __future__ import annotations

from dataclasses import dataclass

from PyQt6.QtCore import (
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)

from toms.blotter.models import Record, RecordTableModel


@dataclass(frozen=True)
class Criteria:
    states: frozenset[str] | None = None  # None: every state
    symbol: str = ""
    broker: str = ""
    text: str = ""

    @property
    def empty(self) -> bool:
        return self.states is None and not (self.symbol or self.broker or self.text)


class RecordFilter(QSortFilterProxyModel):
    def __init__(self, source: RecordTableModel, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._model = source
        self.criteria = Criteria()
        self._accepted: dict[int, tuple[Record, bool]] = {}
        self._everything = True
        self.setSourceModel(source)
        self.setDynamicSortFilter(True)  # rows leave and join the filter as they change

    @property
    def model(self) -> RecordTableModel:
        return self._model

    def set_criteria(self, criteria: Criteria) -> None:
        if criteria != self.criteria:
            self.criteria = criteria
            self._everything = criteria.empty
            self._accepted.clear()
            self.invalidateRowsFilter()

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        self._model.sort(column, order)

    def filterAcceptsRow(
        self,
        source_row: int,
        source_parent: QModelIndex | QPersistentModelIndex,
    ) -> bool:
        if self._everything:
            return True
        record = self._model.record(source_row)
        cached = self._accepted.get(id(record))
        if cached is not None and cached[0] is record:
            return cached[1]  # re-sorts re-filter every row: remember each record's answer
        answer = self.accepts(record, source_row)
        if len(self._accepted) > 2 * self._model.rowCount() + 1000:
            self._accepted.clear()  # answers for records since replaced
        self._accepted[id(record)] = (record, answer)
        return answer

    def accepts(self, record: Record, row: int) -> bool:
        c = self.criteria
        if c.states is not None and str(self._model.state(record)) not in c.states:
            return False
        if c.symbol and not str(record.get("symbol") or "").upper().startswith(c.symbol.upper()):
            return False
        if c.broker and not _has_broker(record, c.broker):
            return False
        return not c.text or c.text.lower() in self._model.search_text(row)

    def record_at(self, proxy_row: int) -> Record:
        source = self.mapToSource(self.index(proxy_row, 0))
        return self._model.record(source.row())


def _has_broker(record: Record, broker: str) -> bool:
    if record.get("broker") is not None:
        return str(record["broker"]) == broker
    return any(str(r.get("broker")) == broker for r in record.get("routed_orders") or [])
