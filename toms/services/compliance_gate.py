"""Pre-trade compliance inside the OMS: snapshots from the stores, results into the audit.

A PM order is checked when submitted (BLOCK -> the order is BLOCKED). A block is checked
again, per account, when the trader routes it; a blocking rule stops the route before any
FIX message exists, unless a compliance user overrode that rule on that order with a
reason. Warnings must be acknowledged by the trader who routes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta

from toms.compliance import (
    BlockCheckResult,
    BlockRow,
    CheckResult,
    Override,
    PortfolioSnapshot,
    ProposedTrade,
    RealizedLoss,
    RuleBook,
    Status,
    check_block,
    check_trade,
    rulebook_from_mapping,
)
from toms.compliance.rules import WashSale
from toms.config import Settings
from toms.domain.blocks import Block
from toms.domain.errors import DomainError, InvalidTransition
from toms.domain.ids import AccountId, OrderId, Symbol, UserId
from toms.domain.orders import Order, OrderStatus
from toms.domain.routed_order import RoutedOrder
from toms.services.context import Transaction
from toms.services.unit_of_work import UnitOfWork


class ComplianceBlocked(DomainError):
    """A blocking rule stopped the order or the route. Carries the results for display."""

    def __init__(self, message: str, results: object) -> None:
        super().__init__(message)
        self.results = results


class AcknowledgementRequired(DomainError):
    def __init__(self, message: str, results: object) -> None:
        super().__init__(message)
        self.results = results


class NotAuthorised(DomainError):
    """The user's role does not allow this action."""


@dataclass
class ComplianceGate:
    rulebook: RuleBook

    def __post_init__(self) -> None:
        # How far back the wash-sale rules look for losses; None when no rule does.
        windows = [r.window_days for r in self.rulebook.rules if isinstance(r, WashSale)]
        self._loss_window_days = max(windows, default=None)

    @classmethod
    def from_settings(cls, settings: Settings) -> ComplianceGate:
        return cls(rulebook_from_mapping(settings.compliance, settings.compliance_source))

    # ── snapshots ──────────────────────────────────────────────────────────────────
    def snapshot(self, uow: UnitOfWork, account_id: str, now: datetime) -> PortfolioSnapshot:
        account = uow.accounts.get(account_id)
        as_of = now.date()
        losses = []
        if self._loss_window_days is not None:  # only the wash-sale rule looks at losses
            since = as_of - timedelta(days=self._loss_window_days)
            losses = [
                RealizedLoss(Symbol(s), d) for s, d in realized_losses(uow, account_id, since)
            ]
        return PortfolioSnapshot(
            account=account,
            positions=uow.lots.positions(account_id),
            securities={s.symbol: s for s in uow.securities.all()},
            prices=uow.securities.prices(),
            as_of=as_of,
            open_orders=uow.orders.open_for_account(AccountId(account_id)),
            realized_losses=losses,
        )

    # ── checks ─────────────────────────────────────────────────────────────────────
    def check_order(self, uow: UnitOfWork, order: Order, now: datetime) -> CheckResult:
        return check_trade(
            ProposedTrade.from_order(order),
            self.snapshot(uow, order.account_id, now),
            self.rulebook,
        )

    def check_new_order(
        self, tx: Transaction, order: Order, user: str, now: datetime
    ) -> OrderStatus:
        result = self.check_order(tx.uow, order, now)
        _audit_check(tx, order.order_id, result, user, now, "new order")
        return OrderStatus.BLOCKED if result.verdict is Status.BLOCK else OrderStatus.ACCEPTED

    def check_block_route(
        self,
        tx: Transaction,
        block: Block,
        orders: list[Order],
        routed: RoutedOrder,
        user: str,
        now: datetime,
        acknowledged: bool = False,
    ) -> BlockCheckResult:
        """Check every account of the block in one vectorised pass; raise if it may not go."""
        uow = tx.uow
        checked = self.preview_block_route(uow, orders, routed, now)
        stopped: list[str] = []
        warned: list[str] = []
        for order, row in zip(orders, checked.rows, strict=True):
            payload = {
                "verdict": row.verdict.value,
                "statuses": {rule: status.value for rule, status in row.statuses},
                "headroom": str(row.headroom),
                "detail": row.detail.to_dict() if row.detail is not None else None,
            }
            tx.uow.audit.record(
                "ComplianceChecked",
                payload,
                entity_type="order",
                entity_id=order.order_id,
                actor=user,
                occurred_at=now,
                recorded_at=now,
                reason=f"route of block {block.block_id}",
            )
            decision = route_decision(uow, order.order_id, row)
            if decision.blocking:
                stopped.append(f"{order.account_id}: {', '.join(decision.blocking)}")
            if decision.warnings and not acknowledged:
                warned.append(f"{order.account_id}: {', '.join(decision.warnings)}")
        if stopped:
            raise ComplianceBlocked(
                f"block {block.block_id} blocked by compliance ({'; '.join(stopped)})", checked
            )
        if warned:
            raise AcknowledgementRequired(
                f"block {block.block_id} has compliance warnings the trader must acknowledge "
                f"({'; '.join(warned)})",
                checked,
            )
        return checked

    def preview_block_route(
        self, uow: UnitOfWork, orders: list[Order], routed: RoutedOrder, now: datetime
    ) -> BlockCheckResult:
        """What routing these orders on ``routed``'s terms would get, without recording it."""
        trades = [
            ProposedTrade(
                o.account_id,
                o.symbol,
                o.side,
                o.quantity - o.filled_quantity,
                routed.order_type,
                routed.limit_price,
                routed.stop_price,
                o.locate_id,
                o.order_id,
            )
            for o in orders
        ]
        snapshots = {o.account_id: self.snapshot(uow, o.account_id, now) for o in orders}
        return check_block(trades, snapshots, self.rulebook)


@dataclass(frozen=True, slots=True)
class RouteDecision:
    """What one account's check means for a route: the blocking rules no compliance
    override covers (they stop it), the overridden ones, and the warnings to acknowledge."""

    blocking: tuple[str, ...]
    overridden: tuple[str, ...]
    warnings: tuple[str, ...]

    @property
    def verdict(self) -> Status:
        if self.blocking:
            return Status.BLOCK
        return Status.WARN if self.warnings else Status.PASS


def route_decision(uow: UnitOfWork, order_id: str, row: BlockRow) -> RouteDecision:
    blocking = [rule for rule, status in row.statuses if status is Status.BLOCK]
    covered: set[str] = set()
    if blocking:
        covered = set().union(*(o.rule_ids for o in stored_overrides(uow, OrderId(order_id))))
    return RouteDecision(
        blocking=tuple(r for r in blocking if r not in covered),
        overridden=tuple(r for r in blocking if r in covered),
        warnings=tuple(rule for rule, status in row.statuses if status is Status.WARN),
    )


def override_order(
    tx: Transaction,
    order: Order,
    user: str,
    roles: Iterable[str],
    reason: str,
    now: datetime,
    result: CheckResult,
) -> Order:
    """A compliance user lets a BLOCKED order through for the rules that block it."""
    if "compliance" not in roles:
        raise NotAuthorised(f"user {user} may not override compliance: needs the compliance role")
    if not reason.strip():
        raise NotAuthorised("an override needs a reason")
    if order.status is not OrderStatus.BLOCKED:
        raise InvalidTransition(f"order {order.order_id} is {order.status.value}, not blocked")
    rules = frozenset(r.rule_id for r in result.blocking)
    override = Override(user=UserId(user), reason=reason, rule_ids=rules, at=now)
    tx.uow.audit.record(
        "ComplianceOverridden",
        override.to_dict(),
        entity_type="order",
        entity_id=order.order_id,
        actor=user,
        occurred_at=now,
        recorded_at=now,
        reason=reason,
    )
    return replace(order, status=OrderStatus.ACCEPTED)


def stored_overrides(uow: UnitOfWork, order_id: OrderId) -> list[Override]:
    out = []
    for row in uow.audit.for_entity("order", order_id):
        if row.event_type == "ComplianceOverridden":
            p = row.payload
            out.append(
                Override(
                    user=UserId(p["user"]),
                    reason=p["reason"],
                    rule_ids=frozenset(p["rule_ids"]),
                    at=datetime.fromisoformat(p["at"]),
                )
            )
    return out


def realized_losses(uow: UnitOfWork, account_id: str, since: date) -> list[tuple[str, date]]:
    """Loss sales on or after ``since``, recorded by tax-lot relief (``LossRealized`` audit
    events). A loss is recorded when its sale is booked, on or after the day it was sold,
    so the events recorded since then hold every sale made since then."""
    start = datetime.combine(since, time.min, UTC)
    return [
        (row.payload["symbol"], date.fromisoformat(row.payload["sold_on"]))
        for row in uow.audit.recent("account", account_id, "LossRealized", start)
    ]


def _audit_check(
    tx: Transaction, order_id: str, result: CheckResult, user: str, now: datetime, why: str
) -> None:
    tx.uow.audit.record(
        "ComplianceChecked",
        result.to_dict(),
        entity_type="order",
        entity_id=order_id,
        actor=user,
        occurred_at=now,
        recorded_at=now,
        reason=why,
    )
