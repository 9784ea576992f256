"""The FIX sessions panel: is each broker connected, where are the sequence numbers, when
did it last hear a heartbeat. Fed by the stream's ``SessionStatusChanged`` events, which
carry the whole session view, so it needs no reads of its own."""

from __future__ import annotations

from PyQt6.QtWidgets import QAbstractItemView, QLabel, QVBoxLayout, QWidget

from toms.blotter.models import RecordTableModel
from toms.blotter.views import BlotterTable


class SessionsPanel(QWidget):
    def __init__(self, model: RecordTableModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.table = BlotterTable(model, parent=self)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.summary = QLabel()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.summary)
        layout.addWidget(self.table)
        for signal in (model.rowsInserted, model.dataChanged, model.modelReset, model.rowsRemoved):
            signal.connect(lambda *_args: self._summarise())
        self._summarise()

    def _summarise(self) -> None:
        sessions = self.model.records()
        up = sum(1 for s in sessions if s.get("logged_on"))
        if not sessions:
            self.summary.setText("no FIX sessions reported")
        else:
            colour = "#166534" if up == len(sessions) else "#b91c1c"
            self.summary.setText(
                f"<span style='color:{colour}; font-weight:600'>"
                f"{up} of {len(sessions)} broker sessions logged on</span>"
            )
