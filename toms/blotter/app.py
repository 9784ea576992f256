"""Start the blotter: a Qt application around one main window."""

from __future__ import annotations

import sys

from PyQt6.QtWidgets import QApplication

from toms.blotter.main_window import MainWindow


def run(server_url: str, token: str) -> int:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setApplicationName("toms blotter")
    app.setStyle("Fusion")
    window = MainWindow(server_url, token)
    window.show()
    window.start()
    try:
        return app.exec()
    finally:
        window.shutdown()
