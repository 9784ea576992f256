"""The broker as a whole: latency, the price ticker, its FIX log, and ``toms sim-broker``."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from tests.integration.simulator.conftest import BrokerFactory
from tests.integration.simulator.rawclient import RawFixClient, fix_now, new_order_fields
from toms.cli import main
from toms.fix.fixlog import chain, read_log
from toms.simulator.acceptor import BrokerStartError, SimulatedBroker
from toms.simulator.config import BrokerConfig
from toms.simulator.matching import FillPolicy, MatchingConfig

pytestmark = [pytest.mark.fix, pytest.mark.timeout(60)]
REPO = Path(__file__).resolve().parents[3]


@pytest.fixture
def clients() -> Iterator[list[RawFixClient]]:
    opened: list[RawFixClient] = []
    yield opened
    for c in opened:
        c.logout()
        c.close()


def logged_on(port: int, clients: list[RawFixClient], begin: str = "FIX.4.4") -> RawFixClient:
    client = RawFixClient(port, begin)
    clients.append(client)
    client.logon()
    return client


def test_latency_delays_every_answer_in_order(
    make_broker: BrokerFactory, clients: list[RawFixClient]
) -> None:
    policy = FillPolicy(partial_fills=2)
    broker = make_broker(latency_seconds=0.25, matching=MatchingConfig(fill_policy=policy))
    client = logged_on(broker.port, clients)
    started = time.monotonic()
    client.send("D", new_order_fields("LAT-1"))
    new = client.expect("8", t11="LAT-1")
    elapsed = time.monotonic() - started
    assert elapsed >= 0.25
    assert new.get(150) == b"0"
    assert [client.expect("8", t11="LAT-1").get(39) for _ in range(2)] == [b"1", b"2"]


def test_ticker_moves_prices_and_fills_resting_orders(
    make_broker: BrokerFactory, clients: list[RawFixClient]
) -> None:
    broker = make_broker(
        tick_interval_seconds=0.02,
        walk_seed=7,
        walk_max_step_bps=Decimal(50),
        prices={"AAPL": Decimal("190.00")},
    )
    client = logged_on(broker.port, clients)
    client.send("D", new_order_fields("TICK-B", ord_type="2", price="189.99"))
    client.send("D", new_order_fields("TICK-S", side="2", ord_type="2", price="190.01"))
    fill = client.expect("8", timeout=20, t150="F")
    assert fill.get(11) in (b"TICK-B", b"TICK-S")
    assert broker.prices()["AAPL"] != Decimal("190.00") or fill.get(31) != b"190"


def test_fix_log_of_a_real_session_filtered_by_cl_ord_id(
    make_broker: BrokerFactory, clients: list[RawFixClient], capsys: pytest.CaptureFixture[str]
) -> None:
    broker = make_broker()
    client = logged_on(broker.port, clients)
    client.send("D", new_order_fields("RL-1", ord_type="2", price="150"))
    client.expect("8", t11="RL-1")
    client.send("D", new_order_fields("OTHER-1", symbol="MSFT"))
    client.expect("8", t11="OTHER-1", t39="2")
    client.send(
        "G",
        [
            (41, "RL-1"),
            (11, "RL-1-R"),
            (55, "AAPL"),
            (54, "1"),
            (60, fix_now()),
            (38, "200"),
            (40, "2"),
            (44, "151"),
        ],
    )
    client.expect("8", t11="RL-1-R", t150="5")
    client.send(
        "F", [(41, "RL-1-R"), (11, "RL-1-X"), (55, "AAPL"), (54, "1"), (60, fix_now()), (38, "200")]
    )
    client.expect("8", t11="RL-1-X", t150="4")

    log_file = broker.log_dir / "FIX.4.4-SIMBROKER-TOMS.messages.current.log"
    read = read_log(log_file)
    assert read.problems == []
    order = chain(read.entries, "RL-1-R")
    assert [(e.direction, e.msg_type, e.get(11)) for e in order] == [
        ("in", "D", "RL-1"),
        ("out", "8", "RL-1"),
        ("in", "G", "RL-1-R"),
        ("out", "8", "RL-1-R"),
        ("in", "F", "RL-1-X"),
        ("out", "8", "RL-1-X"),
    ]
    assert all(e.time is not None for e in order)

    assert main(["fix-log", str(log_file), "--cl-ord-id", "RL-1"]) == 0
    out = capsys.readouterr().out
    for word in ("OrderCancelReplaceRequest", "replaced", "canceled"):
        assert word in out
    assert "OTHER-1" not in out
    assert "MSFT" not in out
    assert main(["fix-log", str(broker.log_dir), "--cl-ord-id", "RL-1-X", "--all-fields"]) == 0
    out = capsys.readouterr().out
    assert "OrigClOrdID(41)=RL-1-R" in out
    assert "ExecType(150)=4 (canceled)" in out


def test_sim_broker_command_runs_until_sigterm(tmp_path: Path, clients: list[RawFixClient]) -> None:
    config = tmp_path / "sim.toml"
    config.write_text('[broker]\nlatency_ms = 0\n[symbols]\nAAPL = { price = "190.00" }\n')
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "toms",
            "sim-broker",
            "--config",
            str(config),
            "--port",
            "0",
            "--data-dir",
            str(tmp_path / "data"),
        ],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        assert "simulated broker listening on port" in first, first + proc.stderr.read()  # type: ignore[union-attr]
        port = int(first.split("port ")[1].split()[0])
        client = logged_on(port, clients)
        client.send("D", new_order_fields("CLI-1"))
        assert client.expect("8", t11="CLI-1", t39="2").get(14) == b"100"
        client.logout()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0
        assert "stopped" in proc.stderr.read()  # type: ignore[union-attr]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert (tmp_path / "data" / "log" / "FIX.4.4-SIMBROKER-TOMS.messages.current.log").is_file()


def test_sim_broker_command_reports_config_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "bad.toml"
    config.write_text("[symbols]\nAAPL = { price = 190.5 }\n")
    assert main(["sim-broker", "--config", str(config)]) == 1
    err = capsys.readouterr().err
    assert f"{config}: symbols.AAPL.price:" in err
    assert "float" in err


def test_port_in_use_is_a_clear_error(make_broker: BrokerFactory, tmp_path: Path) -> None:
    first = make_broker()
    second = SimulatedBroker(
        BrokerConfig(port=first.port, data_dir=tmp_path / "second", sender_comp_id="OTHER")
    )
    with pytest.raises(BrokerStartError, match=f"port {first.port} is in use"):
        second.start()
    second.stop()
    assert not second.running


def test_two_brokers_with_the_same_sessions_are_refused(
    make_broker: BrokerFactory, tmp_path: Path
) -> None:
    make_broker()
    twin = SimulatedBroker(BrokerConfig(port=0, data_dir=tmp_path / "twin"))
    with pytest.raises(BrokerStartError, match="already exists in this process"):
        twin.start()
