"""Reference-price paths for the simulated broker: a seeded random walk and scripted paths.

Both are pure and deterministic; neither knows about time. The broker's ticker thread
asks the walk for the next price of every symbol at each tick.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping
from decimal import ROUND_HALF_EVEN, Decimal


class RandomWalk:
    """Each step moves a price by a whole number of ticks, at most ``max_step_bps`` of it.

    Integer arithmetic on ticks only, so prices stay exact multiples of ``tick`` and never
    fall below one tick. The same seed gives the same path.
    """

    def __init__(
        self, seed: int = 0, max_step_bps: Decimal = Decimal(10), tick: Decimal = Decimal("0.01")
    ) -> None:
        if tick <= 0:
            raise ValueError(f"tick must be positive, got {tick}")
        if max_step_bps < 0:
            raise ValueError(f"max_step_bps must not be negative, got {max_step_bps}")
        self._rng = random.Random(seed)
        self.max_step_bps = max_step_bps
        self.tick = tick

    def step(self, price: Decimal) -> Decimal:
        ticks = int(price * self.max_step_bps / Decimal(10_000) / self.tick)
        move = self._rng.randint(-max(ticks, 1), max(ticks, 1)) * self.tick
        moved = (price + move).quantize(self.tick, rounding=ROUND_HALF_EVEN)
        return max(moved, self.tick)

    def step_all(self, prices: Mapping[str, Decimal]) -> dict[str, Decimal]:
        """The next price of every symbol, in sorted symbol order (deterministic)."""
        return {symbol: self.step(prices[symbol]) for symbol in sorted(prices)}


class ScriptedPath:
    """Prices given in advance, per symbol, handed out one at a time."""

    def __init__(self, paths: Mapping[str, Iterable[Decimal]]) -> None:
        self._paths = {symbol: list(prices) for symbol, prices in paths.items()}
        self._positions = dict.fromkeys(self._paths, 0)

    def next(self, symbol: str) -> Decimal | None:
        """The next scripted price of ``symbol``, or None once its path is used up."""
        path = self._paths.get(symbol, [])
        position = self._positions.get(symbol, 0)
        if position >= len(path):
            return None
        self._positions[symbol] = position + 1
        return path[position]

    def remaining(self, symbol: str) -> int:
        return len(self._paths.get(symbol, [])) - self._positions.get(symbol, 0)
