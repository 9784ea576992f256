"""PM orders: submit, what-if, list, override, rebalance."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from toms.domain.ids import AccountId, OrderId, Symbol, UserId
from toms.domain.orders import Order
from toms.domain.values import OrderType
from toms.portfolio.rebalance import Holding, RebalancePlan, rebalance
from toms.server.api import (
    NotFound,
    ServerState,
    StateDep,
    UserDep,
    Write,
    WriteDep,
    canonical,
    matches,
    split,
)
from toms.server.auth import User
from toms.server.schemas import OrderRequest, OverrideRequest, RebalanceRequest
from toms.server.views import Json, order_view, plain
from toms.services import trading
from toms.services.unit_of_work import UnitOfWork

router = APIRouter(tags=["orders"])


@router.post("/orders", status_code=201)
def submit_order(
    body: OrderRequest,
    w: Write = WriteDep,
) -> JSONResponse:
    """Submit a PM order; pre-trade compliance runs at once (status accepted or blocked)."""
    w.user.require("pm", "submit orders")
    w.user.require_account(body.account_id)

    def act() -> Order:
        return trading.submit_order(w.ctx, user=w.user.name, **body.model_dump())

    return w.run(act, lambda o: (201, canonical(_with_compliance(w.state, o))))


@router.post("/orders/check")
def check_order(body: OrderRequest, user: User = UserDep, s: ServerState = StateDep) -> Json:
    """What-if: the compliance result this order would get, with headroom. Stores nothing."""
    user.require("pm", "check orders")
    user.require_account(body.account_id)
    gate = s.oms.ctx.compliance
    if gate is None:
        return {"verdict": "pass", "results": [], "note": "compliance is not configured"}
    now = s.oms.clock.now()
    order = Order(
        order_id=OrderId("WHAT-IF"),
        account_id=AccountId(body.account_id),
        symbol=Symbol(body.symbol),
        created_at=now,
        created_by=UserId(user.name),
        **body.model_dump(exclude={"account_id", "symbol", "note"}),
    )

    def check(uow: UnitOfWork) -> Json:
        if uow.securities.get(body.symbol) is None:
            raise NotFound(f"unknown security {body.symbol!r}")
        result: Json = canonical(gate.check_order(uow, order, now).to_dict())
        return result

    return s.read(check)


@router.get("/orders")
def list_orders(
    status: str | None = None,
    account_id: str | None = None,
    symbol: str | None = None,
    side: str | None = None,
    block_id: str | None = None,
    ids: str | None = None,
    user: User = UserDep,
    s: ServerState = StateDep,
) -> list[Json]:
    """Orders, oldest first. ``status`` and ``ids`` take comma-separated lists (``ids``
    fetches a batch, e.g. the orders a batch of events named). PMs see their own."""
    statuses = split(status)

    def query(uow: UnitOfWork) -> list[Json]:
        if ids is not None:
            found = (uow.orders.get(i) for i in split(ids) or [])
            candidates = [o for o in found if o is not None]
        else:
            candidates = uow.orders.list(
                account_id=account_id, statuses=statuses, block_id=block_id
            )
        wanted = {"account_id": account_id, "block_id": block_id, "symbol": symbol, "side": side}
        orders = [
            o
            for o in candidates
            if matches(o, statuses, **wanted) and user.sees_account(o.account_id)
        ]
        summaries = compliance_summaries(uow, {o.order_id for o in orders})
        return [order_view(o, summaries.get(o.order_id)) for o in orders]

    return s.read(query)


@router.get("/orders/{order_id}")
def get_order(order_id: str, user: User = UserDep, s: ServerState = StateDep) -> Json:
    """One order with its full compliance history (checks and overrides)."""

    def query(uow: UnitOfWork) -> Json:
        order = uow.orders.get(order_id)
        if order is None or not user.sees_account(order.account_id):
            raise NotFound(f"no order {order_id}")
        view = order_view(order, compliance_summaries(uow, {order.order_id}).get(order_id))
        view["history"] = [
            {
                "seq": r.seq,
                "type": r.event_type,
                "actor": r.actor,
                "reason": r.reason,
                "at": plain(r.occurred_at),
                "payload": r.payload,
            }
            for r in uow.audit.for_entity("order", order_id)
        ]
        return view

    return s.read(query)


@router.post("/orders/{order_id}/override")
def override(
    order_id: str,
    body: OverrideRequest,
    w: Write = WriteDep,
) -> JSONResponse:
    """Compliance releases a blocked order for the rules that block it, with a reason."""
    w.user.require("compliance", "override compliance")

    def act() -> Order:
        return trading.override_compliance(
            w.ctx, order_id, w.user.name, sorted(w.user.roles), body.reason
        )

    return w.run(act, lambda o: (200, canonical(_with_compliance(w.state, o))))


@router.post("/rebalance")
def rebalance_account(
    body: RebalanceRequest,
    w: Write = WriteDep,
) -> JSONResponse:
    """Target weights -> whole-lot orders; each is submitted and compliance-checked
    unless ``dry_run``. Symbols held but not named are left as they are."""
    w.user.require("pm", "rebalance")
    w.user.require_account(body.account_id)
    ctx = w.ctx

    def plan() -> RebalancePlan:
        return w.state.read(_plan, body)

    if body.dry_run:
        return JSONResponse(canonical(_plan_view(plan(), [])))

    def act() -> tuple[RebalancePlan, list[Order]]:
        p = plan()  # as the single writer: no change lands between plan and submit
        orders = [
            trading.submit_order(
                ctx,
                account_id=body.account_id,
                symbol=o.symbol,
                side=o.side,
                quantity=o.quantity,
                order_type=OrderType.MARKET,
                user=w.user.name,
                note=f"rebalance to {o.target_weight:%}",
            )
            for o in p.orders
        ]
        return p, orders

    def render(result: tuple[RebalancePlan, list[Order]]) -> tuple[int, Json]:
        return 200, canonical(_plan_view(*result))

    return w.run(act, render)


def _plan(uow: UnitOfWork, body: RebalanceRequest) -> RebalancePlan:
    account = uow.accounts.get(body.account_id)
    if account is None:
        raise NotFound(f"unknown account {body.account_id!r}")
    prices = uow.securities.prices()
    quantities: dict[str, Decimal] = {}
    for lot in uow.lots.for_account(body.account_id):
        quantities[lot.symbol] = quantities.get(lot.symbol, Decimal(0)) + lot.quantity
    holdings: dict[str, Holding] = {}
    for symbol in set(quantities) | set(body.targets):
        security = uow.securities.get(symbol)
        if security is None:
            raise NotFound(f"unknown security {symbol!r}")
        price = prices.get(Symbol(symbol)) or Decimal(0)
        holdings[symbol] = Holding(
            symbol, quantities.get(symbol, Decimal(0)), price, security.lot_size
        )
    return rebalance(account.cash, holdings, body.targets, body.cash_buffer)


def _plan_view(plan: RebalancePlan, submitted: list[Order]) -> Json:
    return {
        "nav": plain(plan.nav),
        "cash": plain(plan.cash),
        "proposed": [
            {
                "symbol": o.symbol,
                "side": o.side.value,
                "quantity": plain(o.quantity),
                "price": plain(o.price),
                "notional": plain(o.notional),
                "current_weight": plain(o.current_weight.quantize(Decimal("0.000001"))),
                "target_weight": plain(o.target_weight),
            }
            for o in plan.orders
        ],
        "submitted": [order_view(o) for o in submitted],
    }


def _with_compliance(s: ServerState, order: Order) -> Json:
    """Rendered by the writer right after commit: the summary is of this order."""
    summary = s.read(lambda uow: compliance_summaries(uow, {order.order_id}))
    return order_view(order, summary.get(order.order_id))


def compliance_summaries(uow: UnitOfWork, order_ids: set[str]) -> dict[str, Json]:
    """Latest compliance verdict per order: blocking and warning rules, and any override."""
    out: dict[str, Json] = {}
    if not order_ids:
        return out
    for row in uow.audit.of_types(
        "order", ("ComplianceChecked", "ComplianceOverridden"), order_ids
    ):
        p = row.payload
        if row.event_type == "ComplianceOverridden":
            out.setdefault(row.entity_id, {})["overridden_by"] = p.get("user")
            out[row.entity_id]["override_reason"] = p.get("reason")
            continue
        entry = out.setdefault(row.entity_id, {})
        entry.update(_verdict(p))
        entry["checked_at"] = plain(row.occurred_at)
        entry["context"] = row.reason
    return out


def _verdict(p: dict[str, Any]) -> Json:
    if "results" in p:  # a single-order check
        pairs = [(r["rule_id"], r["status"], r.get("message", "")) for r in p["results"]]
    else:  # a block route check: statuses by rule, details when something failed
        details = {
            r["rule_id"]: r.get("message", "")
            for r in ((p.get("detail") or {}).get("results") or [])
        }
        pairs = [(rule, st, details.get(rule, "")) for rule, st in p.get("statuses", {}).items()]
    return {
        "verdict": p.get("verdict"),
        "headroom": p.get("headroom"),
        "blocking": [rule for rule, st, _m in pairs if st == "block"],
        "warnings": [rule for rule, st, _m in pairs if st == "warn"],
        "messages": [m for _r, st, m in pairs if st in ("block", "warn") and m],
    }
