"""``toms serve``: one process owning the database, the FIX sessions and the writer.

``OmsServer`` runs uvicorn on its own thread over a started ``Oms`` so that the demo and
the tests can run a real server on a free port and stop it cleanly; ``serve`` runs it in
the foreground until Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import logging
import signal
import threading
from typing import Any

import uvicorn
from fastapi import FastAPI

from toms.app import Oms
from toms.config import Settings
from toms.domain.errors import TomsError
from toms.net import free_port
from toms.server import routes_orders, routes_stream, routes_trading
from toms.server.api import API_PREFIX, ServerState, install_error_handlers
from toms.server.auth import Authenticator
from toms.server.event_hub import EventHub
from toms.server.views import session_view

log = logging.getLogger(__name__)
START_TIMEOUT_SECONDS = 30.0


def create_app(oms: Oms) -> FastAPI:
    """The API over a started ``Oms``; the caller owns the OMS's lifecycle."""
    app = FastAPI(
        title="toms",
        version="1",
        description="Buy-side order management: PM orders, compliance, blocks, FIX routing, "
        "allocation with tax lots. Amounts are decimal strings; mutating calls take an "
        "`Idempotency-Key` header; authenticate with `Authorization: Bearer <token>`.",
    )
    hub = EventHub()
    oms.subscribe(hub)
    if oms.fix is not None:
        oms.fix.board.listeners.append(lambda st: hub.publish_session(session_view(st)))
    app.state.toms = ServerState(oms, Authenticator(oms.settings.users), hub)
    install_error_handlers(app)
    for module in (routes_orders, routes_trading, routes_stream):
        app.include_router(module.router, prefix=API_PREFIX)

    @app.get("/health", tags=["stream and reference"])
    def health() -> dict[str, Any]:
        sessions = oms.fix.board.all() if oms.fix is not None else []
        return {"status": "ok", "fix_sessions": {x.broker: x.logged_on for x in sessions}}

    return app


class OmsServer:
    """A started ``Oms`` plus its HTTP server on a background thread."""

    def __init__(self, settings: Settings, host: str = "127.0.0.1", port: int = 0) -> None:
        self.settings = settings
        self.host = host
        self.port = port or free_port(host)
        self.oms = Oms(settings)
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, *, connect_fix: bool = True) -> OmsServer:
        self.oms.start(connect_fix=connect_fix)
        try:
            config = uvicorn.Config(
                create_app(self.oms),
                host=self.host,
                port=self.port,
                log_level="warning",
                ws_ping_interval=20,
                timeout_graceful_shutdown=5,
                lifespan="off",
            )
            self._server = uvicorn.Server(config)
            self._thread = threading.Thread(target=self._server.run, name="toms-http", daemon=True)
            self._thread.start()
            if not _wait(lambda: self._server is not None and self._server.started):
                raise TomsError(f"the HTTP server did not start on {self.host}:{self.port}")
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(10)
            self._thread = None
        self._server = None
        self.oms.stop()

    def __enter__(self) -> OmsServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def serve_forever(self) -> None:
        """Block until SIGINT or SIGTERM, then stop cleanly."""
        done = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_a: done.set())
        while not done.wait(0.5):
            if self._thread is None or not self._thread.is_alive():
                raise TomsError("the HTTP server stopped unexpectedly")


def _wait(probe: Any, timeout: float = START_TIMEOUT_SECONDS) -> bool:
    ready = threading.Event()
    for _ in range(int(timeout / 0.05)):
        if probe():
            return True
        ready.wait(0.05)  # uvicorn exposes no start event; poll its flag
    return bool(probe())
