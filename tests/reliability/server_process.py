"""``toms serve`` as a real child process, for tests that kill it with SIGKILL.

The server gets a configuration derived from ``config/toms.toml`` (same users, accounts
and securities) with one FIX 4.4 session to the test's simulated broker and no
compliance rule book (these tests are about fills, not rules). Readiness is the server's
own "toms server on" line on stdout, read line by line: no sleeping, no polling.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from toms.client import ApiClient, EventStream
from toms.config import DEFAULT_CONFIG
from toms.net import free_port

READY = "toms server on "
TRADER, PM, VIEWER = "demo-trader1-token", "demo-pm-growth-token", "demo-viewer-token"


def write_config(path: Path, fix_port: int) -> Path:
    """config/toms.toml with one broker (SIM, FIX 4.4) on ``fix_port`` and no compliance."""
    text = DEFAULT_CONFIG.read_text()
    text = re.sub(r"\[compliance\]\nfile = [^\n]*\n", "", text)
    text = re.sub(r"\[\[brokers\]\]\n(?:[^\n]+\n)+", "", text)
    text += (
        "\n[[brokers]]\n"
        'id = "SIM"\nfix_version = "FIX.4.4"\n'
        'sender_comp_id = "TOMS"\ntarget_comp_id = "SIMBROKER"\n'
        f'host = "127.0.0.1"\nport = {fix_port}\n'
        "heartbeat_seconds = 5\nreconnect_seconds = 1\n"
    )
    path.write_text(text)
    return path


@dataclass
class ServerProcess:
    """One ``toms serve`` child on a fixed data directory and HTTP port."""

    config: Path
    data_dir: Path
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[str] | None = None
    starts: int = 0
    kills: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def database_url(self) -> str:
        return f"sqlite:///{self.data_dir / 'toms.db'}"

    def start(self, timeout: float = 60.0) -> None:
        self.proc = subprocess.Popen(
            [
                sys.executable, "-m", "toms", "serve",
                "--config", str(self.config),
                "--data-dir", str(self.data_dir),
                "--port", str(self.port),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )  # fmt: skip
        self.starts += 1
        seen: list[str] = []
        assert self.proc.stdout is not None
        for line in self.proc.stdout:  # blocks until the server prints, or exits
            seen.append(line)
            if line.startswith(READY):
                return
        raise AssertionError(f"toms serve exited ({self.proc.wait()}):\n{''.join(seen)[-3000:]}")

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs, no Logout is sent, nothing is flushed."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(30)
        self.proc = None
        self.kills += 1

    def stop(self) -> None:
        if self.proc is None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)
        self.proc = None

    def client(self, token: str = TRADER) -> ApiClient:
        return ApiClient(self.url, token)

    def stream(self) -> EventStream:
        return EventStream(self.url, VIEWER)  # started by `with`


def route_market(server: ServerProcess, symbol: str, quantity: int) -> dict[str, Any]:
    """A PM order, its block and the block routed to SIM as a market order."""
    with server.client(PM) as pm, server.client(TRADER) as trader:
        order = pm.submit_order(
            account_id="GROWTH", symbol=symbol, side="buy", quantity=str(quantity)
        )
        block = trader.create_block([order["order_id"]])
        return trader.route(block["block_id"], broker="SIM", order_type="market")
