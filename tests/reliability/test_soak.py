"""The soak's short form: ``benchmarks/soak/soak.py`` run as documented, then shown able to fail.

The full soak (``--orders 100000``) takes hours; this runs the same script on a few
hundred orders, checks that it passes its own checks, then damages the database it left
behind in the ways the checks exist for and runs ``--check`` to see each one caught.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.reliability.conftest import OmsRunner, oms_settings
from tests.reliability.test_reconciliation import route, status_is
from toms.domain.errors import InvalidOrder
from toms.domain.execution import RoutedStatus as S
from toms.simulator.acceptor import SimulatedBroker

pytestmark = [pytest.mark.fix, pytest.mark.reliability]

ROOT = Path(__file__).resolve().parents[2]
SOAK = ROOT / "benchmarks" / "soak" / "soak.py"
ORDERS = 200


def soak(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SOAK), *args],
        capture_output=True,
        text=True,
        timeout=240,
        cwd=ROOT,
        check=False,
    )


def figure(output: str, name: str) -> int:
    found = re.search(rf"^\s+{name}\s+(\d+)", output, re.MULTILINE)
    assert found, f"no {name} in:\n{output}"
    return int(found.group(1))


def test_short_soak_balances_and_its_checks_catch_damage(tmp_path: Path) -> None:
    run = soak(
        "--orders", str(ORDERS), "--minutes", "2", "--clients", "3", "--workdir", str(tmp_path)
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert "violations: 0" in run.stdout
    assert figure(run.stdout, "routed_orders") == ORDERS
    assert figure(run.stdout, "fills") > ORDERS / 2
    assert figure(run.stdout, "blocks_allocated") > 0
    assert figure(run.stdout, "cancels_sent") + figure(run.stdout, "replaces_sent") > 0
    print(run.stdout[run.stdout.index("figures:") :])

    url = f"sqlite:///{tmp_path / 'oms' / 'toms.db'}"
    engine = create_engine(url)
    try:
        with engine.begin() as c:  # one order's CumQty off by a share
            c.execute(
                text(
                    "UPDATE routed_orders SET cum_qty = cum_qty + 1 WHERE routed_order_id = "
                    "(SELECT routed_order_id FROM fills LIMIT 1)"
                )
            )
        damaged = soak("--check", url)
        assert damaged.returncode == 1 and "CumQty" in damaged.stdout, damaged.stdout
        with engine.begin() as c:  # and an allocation leg that no longer adds up
            c.execute(text("UPDATE allocation_legs SET quantity = quantity + 100 WHERE rowid = 1"))
        damaged = soak("--check", url)
        assert "allocated" in damaged.stdout and damaged.returncode == 1, damaged.stdout
    finally:
        engine.dispose()


@pytest.fixture
def runner(tmp_path: Path, sim: SimulatedBroker) -> Iterator[OmsRunner]:
    r = OmsRunner(oms_settings(tmp_path / "oms", sim.port))
    r.start()
    yield r
    r.stop()


def test_replace_beyond_the_blocks_quantity_is_refused(runner: OmsRunner) -> None:
    """Found by the soak: the replace went out, the broker filled 400 of a 300-share
    block, and the fill could not be booked (Overfill at commit; dead-lettered)."""
    assert runner.oms is not None
    routed = route(runner.oms, "JPM", 300, "150")
    runner.until(status_is(routed.routed_order_id, S.NEW))
    with pytest.raises(InvalidOrder, match="exceeds block quantity"):
        runner.oms.replace(routed.routed_order_id, "trader1", quantity=Decimal(400))
    runner.oms.replace(routed.routed_order_id, "trader1", quantity=Decimal(200))
    runner.until(
        lambda uow: (
            (r := uow.routed.get(routed.routed_order_id)).order_qty == 200 and r.status is S.NEW
        )
    )
