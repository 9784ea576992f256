"""Block check: one proposed trade per account, all accounts screened in one vectorised pass.

Why vectorised: a trader sizing a block across a thousand accounts re-checks it as the block
changes; the per-account figures (NAV, position, group exposures, available cash) come from
each snapshot's memoised projection, and the rule arithmetic runs over numpy arrays instead of
a thousand Decimal evaluations.

Exactness: floats decide only the rows that are clearly on one side of a limit. Each
vectorised rule also flags rows within a relative 1e-9 of any comparison it makes (limits,
thresholds, signs), and those rows are decided again in exact Decimal by the very code the
single-order engine runs. The 1940 Act and UCITS tests are vectorised too: per account the
float screen uses the sorted issuer values around the 5% threshold, and a row whose order
moves the threshold past a neighbouring issuer is handed to the exact code. Rules about what
is traded rather than how much (restricted list, short sale, wash sale) are decided row by
row in Decimal; they are lookups, not arithmetic. The property tests in
``tests/unit/compliance/test_block.py`` check the screen against ``check_trade`` on random
portfolios, with orders sized exactly at their headroom and one lot past it.

Rows that block are then run through ``check_trade`` itself for their figures and headroom
(the trader needs both to cut the allocation); rows that pass or warn keep their full
quantity as headroom, and ``check_trade`` gives their full breakdown on demand.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np
import numpy.typing as npt

from toms.compliance.context import TradeContext
from toms.compliance.engine import check_trade
from toms.compliance.errors import ComplianceInputError
from toms.compliance.exact import ZERO, exact
from toms.compliance.projection import GroupBy, Projection, projection_of
from toms.compliance.results import STATUS_BY_RANK, CheckResult, Status, worst
from toms.compliance.rulebook import RuleBook
from toms.compliance.rules.base import Bools, Codes, Rule
from toms.compliance.rules.exposure import TOLERANCE
from toms.compliance.scope import EVERY_ACCOUNT
from toms.compliance.snapshot import PortfolioSnapshot
from toms.compliance.trade import ProposedTrade
from toms.domain.ids import AccountId
from toms.domain.reference import Account, Security
from toms.domain.values import AssetClass

Floats = npt.NDArray[np.float64]


def _floats(values: Sequence[Decimal | None]) -> Floats:
    return np.array([np.nan if v is None else float(v) for v in values], dtype=np.float64)


class BlockFrame:
    """Per-row inputs of a block screen: the orders' terms and each account's aggregates.

    Column arrays are float64 copies of exact Decimals, for screening only; ``context(i)``
    gives the exact ``TradeContext`` of a row, which ``resolve`` uses for close calls.
    """

    def __init__(
        self, trades: Sequence[ProposedTrade], snapshots: Mapping[AccountId, PortfolioSnapshot]
    ) -> None:
        self.trades = tuple(trades)
        self.size = len(self.trades)
        projections: list[Projection] = []
        securities: list[Security] = []
        accounts: list[Account] = []
        p_dec: list[Decimal] = []
        x_dec: list[Decimal] = []
        seen: set[str] = set()
        for trade in self.trades:
            if trade.account_id in seen:
                raise ComplianceInputError(f"block has two trades for account {trade.account_id}")
            seen.add(trade.account_id)
            try:
                snapshot = snapshots[trade.account_id]
            except KeyError:
                raise ComplianceInputError(f"no snapshot for account {trade.account_id}") from None
            if snapshot.account.account_id != trade.account_id:
                raise ComplianceInputError(
                    f"snapshot filed under {trade.account_id} is of {snapshot.account.account_id}"
                )
            projection = projection_of(snapshot, trade.order_id)
            price = projection.price(trade.symbol)
            projections.append(projection)
            securities.append(projection.security(trade.symbol))
            accounts.append(snapshot.account)
            p_dec.append(price)
            x_dec.append(trade.execution_price(price))
        self.projections = projections
        self.securities = securities
        self.accounts = accounts
        self.q = _floats([t.quantity for t in self.trades])
        self.p = _floats(p_dec)
        self.x = _floats(x_dec)
        self.limit = _floats([t.limit_price for t in self.trades])
        self.stop = _floats([t.stop_price for t in self.trades])
        self.is_buy: Bools = np.array([t.side.is_buy for t in self.trades], dtype=np.bool_)
        self.sign = np.where(self.is_buy, 1.0, -1.0)
        self.nav_per_unit = self.sign * (self.p - self.x)
        self.nav0 = _floats([pr.nav for pr in projections])
        self.pos0 = _floats(
            [pr.quantity(t.symbol) for pr, t in zip(projections, self.trades, strict=True)]
        )
        self._contexts: list[TradeContext | None] = [None] * self.size
        self._cache: dict[object, Any] = {}
        self.pos1 = self.pos0 + self.sign * self.q
        self.nav1 = self.nav0 + self.nav_per_unit * self.q
        self.exact_rechecks = 0

    def context(self, i: int) -> TradeContext:
        ctx = self._contexts[i]
        if ctx is None:
            ctx = TradeContext.build(self.trades[i], self.projections[i])
            self._contexts[i] = ctx
        return ctx

    @property
    def scale(self) -> Floats:
        """Per row, a bound on the magnitude of every money figure a rule compares (gross
        holdings plus the order): float error is judged against it."""
        found = self._cache.get("scale")
        if found is None:
            gross = _floats([pr.gross for pr in self.projections])
            found = gross + self.q * (self.p + self.x) + np.abs(self.pos0) * self.p
            self._cache["scale"] = found
        return found

    def near(self, a: Floats, b: Floats | float, magnitude: Floats | float) -> Bools:
        """Rows where ``a`` and ``b`` are too close for float64 to order them for certain."""
        return np.abs(a - b) <= TOLERANCE * magnitude

    def group_exposure(self, by: GroupBy, excluded: frozenset[AssetClass]) -> Floats:
        """Each row's net exposure to the group (issuer, sector, country) of its security."""
        key = ("group", by, excluded)
        found = self._cache.get(key)
        if found is None:
            found = _floats(
                [
                    pr.group_exposure(by, excluded).get(getattr(sec, by), ZERO)
                    for pr, sec in zip(self.projections, self.securities, strict=True)
                ]
            )
            self._cache[key] = found
        return found

    def asset_class_in(self, classes: frozenset[AssetClass]) -> Bools:
        key = ("classes", classes)
        found = self._cache.get(key)
        if found is None:
            found = np.array([s.asset_class in classes for s in self.securities], dtype=np.bool_)
            self._cache[key] = found
        return found

    def available_cash(self, credit_open_sells: bool) -> Floats:
        key = ("cash", credit_open_sells)
        found = self._cache.get(key)
        if found is None:
            found = _floats([pr.available_cash(credit_open_sells) for pr in self.projections])
            self._cache[key] = found
        return found

    def resolve(self, rule: Rule, codes: Codes, ambiguous: Bools) -> Codes:
        """Decide the rows the float screen could not, exactly, with the engine's own code."""
        for i in np.flatnonzero(ambiguous):
            codes[i] = rule.status(self.context(int(i))).rank
            self.exact_rechecks += 1
        return codes


@dataclass(frozen=True, slots=True)
class BlockRow:
    """One account's part of a block.

    ``statuses`` holds each applicable rule's status in rule-book order. ``detail`` is the full
    single-order result, present for blocked rows; ``headroom`` is that result's headroom, or
    the whole quantity for rows that do not block.
    """

    trade: ProposedTrade
    verdict: Status
    statuses: tuple[tuple[str, Status], ...]
    headroom: Decimal
    detail: CheckResult | None = None

    @property
    def account_id(self) -> AccountId:
        return self.trade.account_id

    @property
    def blocking(self) -> tuple[str, ...]:
        return tuple(rule_id for rule_id, s in self.statuses if s is Status.BLOCK)

    @property
    def warnings(self) -> tuple[str, ...]:
        return tuple(rule_id for rule_id, s in self.statuses if s is Status.WARN)

    def to_dict(self) -> dict[str, Any]:
        return {
            "account_id": self.account_id,
            "trade": self.trade.to_dict(),
            "verdict": self.verdict.value,
            "statuses": {rule_id: s.value for rule_id, s in self.statuses},
            "headroom": str(self.headroom),
            "detail": None if self.detail is None else self.detail.to_dict(),
        }


@dataclass(frozen=True, slots=True)
class BlockCheckResult:
    rows: tuple[BlockRow, ...]
    exact_rechecks: int  # (row, rule) pairs the float screen left to exact Decimal

    @property
    def verdict(self) -> Status:
        return worst(r.verdict for r in self.rows)

    @property
    def headroom(self) -> Decimal:
        """Total quantity the block can carry with every account within its blocking rules."""
        return sum((r.headroom for r in self.rows), ZERO)

    def row(self, account_id: str) -> BlockRow:
        for r in self.rows:
            if r.account_id == account_id:
                return r
        raise KeyError(account_id)

    def to_dict(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict.value,
            "headroom": str(self.headroom),
            "rows": [r.to_dict() for r in self.rows],
        }


@dataclass(frozen=True, slots=True, eq=False)
class BlockScreen:
    """The vectorised pass's answer: a status code per (row, rule); -1 where a rule does not
    apply to the row's account."""

    frame: BlockFrame
    rule_ids: tuple[str, ...]
    codes: npt.NDArray[np.int8]  # rows × rules

    def statuses(self, i: int) -> tuple[tuple[str, Status], ...]:
        return tuple(
            (rule_id, STATUS_BY_RANK[c])
            for rule_id, c in zip(self.rule_ids, self.codes[i].tolist(), strict=True)
            if c >= 0
        )

    def verdicts(self) -> list[Status]:
        if not self.rule_ids:
            return [Status.PASS] * self.frame.size
        return [STATUS_BY_RANK[max(c, 0)] for c in self.codes.max(axis=1).tolist()]


def screen_block(
    trades: Sequence[ProposedTrade],
    snapshots: Mapping[AccountId, PortfolioSnapshot],
    rulebook: RuleBook,
) -> BlockScreen:
    """The vectorised pass alone: each applicable rule's status for every row."""
    with exact():
        frame = BlockFrame(trades, snapshots)
        ids: list[str] = []
        columns: list[Codes] = []
        for rule in rulebook.rules:
            if rule.scope == EVERY_ACCOUNT:
                applies = np.ones(frame.size, dtype=np.bool_)
            else:
                applies = np.array([rule.scope.applies_to(a) for a in frame.accounts], np.bool_)
                if not applies.any():
                    continue
            codes = rule.screen(frame, applies)
            columns.append(np.where(applies, codes, -1).astype(np.int8))
            ids.append(rule.rule_id)
        matrix = np.stack(columns, axis=1) if columns else np.zeros((frame.size, 0), dtype=np.int8)
        return BlockScreen(frame, tuple(ids), matrix)


def check_block(
    trades: Sequence[ProposedTrade],
    snapshots: Mapping[AccountId, PortfolioSnapshot],
    rulebook: RuleBook,
) -> BlockCheckResult:
    """Check a block: one proposed trade per account, each against its own snapshot.

    Per-row verdicts equal ``check_trade``'s for the same trade and snapshot.
    """
    screen = screen_block(trades, snapshots, rulebook)
    frame = screen.frame
    rows: list[BlockRow] = []
    for i, verdict in enumerate(screen.verdicts()):
        trade = frame.trades[i]
        if verdict is Status.BLOCK:
            detail = check_trade(trade, frame.projections[i].snapshot, rulebook)
            statuses = tuple((r.rule_id, r.status) for r in detail.results)
            rows.append(BlockRow(trade, detail.verdict, statuses, detail.headroom, detail))
        else:
            rows.append(BlockRow(trade, verdict, screen.statuses(i), trade.quantity))
    return BlockCheckResult(tuple(rows), frame.exact_rechecks)
