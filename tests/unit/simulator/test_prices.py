from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from toms.simulator.prices import RandomWalk, ScriptedPath


def test_random_walk_is_seeded() -> None:
    def path(seed: int) -> list[Decimal]:
        walk, px, out = RandomWalk(seed), Decimal("190.00"), []
        for _ in range(50):
            px = walk.step(px)
            out.append(px)
        return out

    assert path(1) == path(1)
    assert path(1) != path(2)
    assert len(set(path(1))) > 5


@given(
    seed=st.integers(0, 10_000),
    start=st.decimals(min_value="0.01", max_value="5000", places=2),
)
def test_random_walk_stays_on_ticks_within_bounds(seed: int, start: Decimal) -> None:
    walk = RandomWalk(seed, max_step_bps=Decimal(50))
    px = start
    for _ in range(20):
        nxt = walk.step(px)
        assert nxt >= Decimal("0.01")
        assert nxt == nxt.quantize(Decimal("0.01"))
        assert abs(nxt - px) <= max(px * Decimal("0.005"), Decimal("0.01")) + Decimal("0.01")
        px = nxt


def test_step_all_in_symbol_order() -> None:
    out = RandomWalk(3).step_all({"MSFT": Decimal("410"), "AAPL": Decimal("190")})
    assert list(out) == ["AAPL", "MSFT"]


def test_scripted_path() -> None:
    path = ScriptedPath({"AAPL": [Decimal(1), Decimal(2)]})
    assert path.remaining("AAPL") == 2
    assert [path.next("AAPL"), path.next("AAPL"), path.next("AAPL")] == [
        Decimal(1),
        Decimal(2),
        None,
    ]
    assert path.next("MSFT") is None
