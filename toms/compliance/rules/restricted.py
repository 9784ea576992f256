"""Restricted list: securities or whole issuers the firm may not buy, sell, or trade at all.

``no_buy`` blocks buys and buys-to-cover (anything that adds to the position), ``no_sell``
blocks sells and short sales, ``full`` blocks both. An issuer entry covers every security of
that issuer (its shares, its bonds), which is how a wall-crossing or an ESG exclusion works.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, ClassVar

import numpy as np

from toms.compliance.context import TradeContext
from toms.compliance.exact import ZERO
from toms.compliance.results import Basis, RuleResult, Status
from toms.compliance.rules.base import Bools, Codes, Rule
from toms.domain.reference import Security
from toms.domain.values import Side

if TYPE_CHECKING:
    from toms.compliance.block import BlockFrame


class Restriction(StrEnum):
    NO_BUY = "no_buy"
    NO_SELL = "no_sell"
    FULL = "full"

    def forbids(self, side: Side) -> bool:
        if self is Restriction.FULL:
            return True
        return side.is_buy == (self is Restriction.NO_BUY)


@dataclass(frozen=True, slots=True)
class RestrictedEntry:
    """One line of the list: exactly one of ``symbol`` or ``issuer``."""

    restriction: Restriction
    symbol: str | None = None
    issuer: str | None = None
    reason: str = ""

    def __post_init__(self) -> None:
        if (self.symbol is None) == (self.issuer is None):
            raise ValueError("a restricted-list entry names exactly one of symbol or issuer")

    @property
    def subject(self) -> str:
        return f"{self.symbol}" if self.symbol is not None else f"issuer {self.issuer}"

    def describe(self) -> str:
        reason = f" ({self.reason})" if self.reason else ""
        return f"{self.subject} is {self.restriction.value}{reason}"


@dataclass(frozen=True, slots=True, kw_only=True)
class RestrictedList(Rule):
    entries: tuple[RestrictedEntry, ...]
    _by_symbol: dict[str, tuple[RestrictedEntry, ...]] = field(
        init=False, repr=False, compare=False
    )
    _by_issuer: dict[str, tuple[RestrictedEntry, ...]] = field(
        init=False, repr=False, compare=False
    )

    rule_type: ClassVar[str] = "restricted_list"
    basis: ClassVar[Basis] = Basis.ATTRIBUTE

    def __post_init__(self) -> None:
        Rule.__post_init__(self)
        by_symbol: dict[str, tuple[RestrictedEntry, ...]] = {}
        by_issuer: dict[str, tuple[RestrictedEntry, ...]] = {}
        for entry in self.entries:
            if entry.symbol is not None:
                by_symbol[entry.symbol] = (*by_symbol.get(entry.symbol, ()), entry)
            if entry.issuer is not None:
                by_issuer[entry.issuer] = (*by_issuer.get(entry.issuer, ()), entry)
        object.__setattr__(self, "_by_symbol", by_symbol)
        object.__setattr__(self, "_by_issuer", by_issuer)

    def matching(self, security: Security, side: Side) -> tuple[RestrictedEntry, ...]:
        """Entries that forbid ``side`` in ``security``."""
        entries = self._by_symbol.get(security.symbol, ()) + self._by_issuer.get(
            security.issuer, ()
        )
        return tuple(e for e in entries if e.restriction.forbids(side))

    def status(self, ctx: TradeContext) -> Status:
        return self.breach_status if self.matching(ctx.security, ctx.trade.side) else Status.PASS

    def screen(self, frame: BlockFrame, rows: Bools) -> Codes:
        """Row by row, but one lookup per distinct (security, side): a block is one security."""
        codes = np.zeros(frame.size, dtype=np.int8)
        seen: dict[tuple[str, Side], int] = {}
        breach = self.breach_status.rank
        for i in np.flatnonzero(rows).tolist():
            security, side = frame.securities[i], frame.trades[i].side
            code = seen.get((security.symbol, side))
            if code is None:
                code = breach if self.matching(security, side) else 0
                seen[(security.symbol, side)] = code
            codes[i] = code
        return codes

    def evaluate(self, ctx: TradeContext) -> RuleResult:
        side = ctx.trade.side
        symbol = ctx.trade.symbol
        hits = self.matching(ctx.security, side)
        if not hits:
            return self.result(ctx, Status.PASS, symbol, detail=f"{symbol} {side.value}")
        status = self.breach_status
        detail = f"{symbol} {side.value} is restricted: " + "; ".join(e.describe() for e in hits)
        headroom = ZERO if status is Status.BLOCK else None
        return self.result(ctx, status, hits[0].subject, headroom, detail=detail)

    def describe(self, result: RuleResult) -> str:
        if result.status is Status.PASS:
            return f"{result.detail}: not restricted"
        return result.detail
