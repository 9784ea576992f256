"""A progress bar in a table cell, for "% done": the quickest read of a working order."""

from __future__ import annotations

from decimal import Decimal

from PyQt6.QtCore import QModelIndex, QRect
from PyQt6.QtGui import QPainter
from PyQt6.QtWidgets import (
    QApplication,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionProgressBar,
    QStyleOptionViewItem,
)

from toms.blotter.models import PROGRESS_ROLE

SCALE = 1000  # tenths of a percent


class ProgressDelegate(QStyledItemDelegate):
    def paint(
        self,
        painter: QPainter | None,
        option: QStyleOptionViewItem,
        index: QModelIndex,
    ) -> None:
        value = index.data(PROGRESS_ROLE)
        if painter is None or value is None:
            super().paint(painter, option, index)
            return
        # draw the row's background and selection first, then the bar inside it
        plain = QStyleOptionViewItem(option)
        self.initStyleOption(plain, index)
        plain.text = ""
        style = QApplication.style()
        if style is None:
            return
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, plain, painter, plain.widget)
        bar = QStyleOptionProgressBar()
        rect: QRect = option.rect.adjusted(3, 3, -3, -3)
        bar.rect = rect
        bar.minimum = 0
        bar.maximum = SCALE
        bar.progress = int(Decimal(value) * SCALE / 100)
        bar.text = index.data() or ""
        bar.textVisible = True
        bar.state = option.state
        style.drawControl(QStyle.ControlElement.CE_ProgressBar, bar, painter)
