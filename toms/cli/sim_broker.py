"""``toms sim-broker``: run the simulated FIX broker until Ctrl-C or SIGTERM.

Settings come from ``config/sim_broker.toml`` (``--config`` for another file);
``--port`` and ``--data-dir`` override the file. QuickFIX's FileStore and FileLog go
under the data directory (``store/`` and ``log/``); read the logs with ``toms fix-log``.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path
from types import FrameType
from typing import Any

from toms.config import ConfigError


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "sim-broker",
        help="run the simulated FIX broker (sell side) for demos and tests",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--config",
        type=Path,
        default=None,
        help="broker configuration (default: config/sim_broker.toml)",
    )
    parser.add_argument("--port", type=int, default=None, help="TCP port to listen on")
    parser.add_argument(
        "--data-dir", type=Path, default=None, help="where the FIX message store and logs go"
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from toms.simulator.acceptor import SimulatedBroker
    from toms.simulator.config import DEFAULT_SIM_CONFIG, load_broker_config

    path = args.config or DEFAULT_SIM_CONFIG
    if args.port is not None and not 0 <= args.port < 65536:
        raise ConfigError("--port", "port", f"{args.port} is not a TCP port (0-65535)")
    config = load_broker_config(path, port=args.port, data_dir=args.data_dir)
    broker = SimulatedBroker(config)
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        broker.start()
        versions = ", ".join(config.begin_strings)
        print(
            f"simulated broker listening on port {broker.port} (all interfaces): {versions}; "
            f"SenderCompID={config.sender_comp_id}, client CompID={config.target_comp_id}"
        )
        print(f"symbols: {', '.join(f'{s} {p}' for s, p in sorted(config.prices.items()))}")
        print(f"FIX logs: {broker.log_dir} (toms fix-log {broker.log_dir})")
        print("Ctrl-C to stop", flush=True)
        while not stop.wait(0.5):
            pass
        print("stopping...", flush=True)
    finally:
        broker.stop()
        for s, handler in previous.items():
            signal.signal(s, handler)
    print("stopped", file=sys.stderr)
    return 0
