"""Trader and operations work: blocks, routing, cancel/replace, fills, allocation, prices."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from toms.app import set_price
from toms.compliance.results import worst
from toms.domain.blocks import Block
from toms.domain.routed_order import RoutedOrder
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
from toms.server.schemas import (
    AllocateRequest,
    BlockMemberRequest,
    BlockRequest,
    PriceRequest,
    ReplaceRequest,
    RouteRequest,
)
from toms.server.views import Json, allocation_view, block_view, fill_view, routed_view
from toms.services import booking, trading
from toms.services.compliance_gate import route_decision
from toms.services.unit_of_work import UnitOfWork

router = APIRouter(tags=["trading"])


def _block_json(uow: UnitOfWork, block: Block) -> Json:
    routed = [r for r in (uow.routed.get(i) for i in block.routed_order_ids) if r is not None]
    view = block_view(block, routed)
    view["routed_orders"] = [routed_view(r) for r in routed]
    return view


def _render_block(s: ServerState, status: int) -> Any:
    def render(block: Block) -> tuple[int, Json]:
        return status, canonical(s.read(lambda uow: _block_json(uow, block)))

    return render


def _render_routed(status: int) -> Any:
    return lambda r: (status, canonical(routed_view(r)))


# ── blocks ────────────────────────────────────────────────────────────────────────────
@router.post("/blocks", status_code=201)
def create_block(
    body: BlockRequest,
    w: Write = WriteDep,
) -> JSONResponse:
    """Group accepted PM orders (same security and side, identical terms) into a block."""
    w.user.require("trader", "build blocks")
    act = lambda: trading.create_block(w.ctx, list(body.order_ids), w.user.name)  # noqa: E731
    return w.run(act, _render_block(w.state, 201))


@router.post("/blocks/{block_id}/orders")
def add_to_block(
    block_id: str,
    body: BlockMemberRequest,
    w: Write = WriteDep,
) -> JSONResponse:
    w.user.require("trader", "change blocks")
    act = lambda: trading.add_to_block(w.ctx, block_id, body.order_id, w.user.name)  # noqa: E731
    return w.run(act, _render_block(w.state, 200))


@router.delete("/blocks/{block_id}/orders/{order_id}")
def remove_from_block(
    block_id: str,
    order_id: str,
    w: Write = WriteDep,
) -> JSONResponse:
    w.user.require("trader", "change blocks")
    act = lambda: trading.remove_from_block(w.ctx, block_id, order_id, w.user.name)  # noqa: E731
    return w.run(act, _render_block(w.state, 200))


@router.get("/blocks")
def list_blocks(
    status: str | None = None,
    symbol: str | None = None,
    ids: str | None = None,
    user: User = UserDep,
    s: ServerState = StateDep,
) -> list[Json]:
    """Blocks with their routed orders; ``status`` and ``ids`` take comma-separated lists."""
    statuses = split(status)

    def query(uow: UnitOfWork) -> list[Json]:
        if ids is not None:
            blocks = [b for b in (uow.blocks.get(i) for i in split(ids) or []) if b is not None]
        else:
            blocks = uow.blocks.list(statuses)
        return [_block_json(uow, b) for b in blocks if matches(b, statuses, symbol=symbol)]

    return s.read(query)


@router.get("/blocks/{block_id}")
def get_block(block_id: str, user: User = UserDep, s: ServerState = StateDep) -> Json:
    """A block with its routed orders, fills and allocations."""

    def query(uow: UnitOfWork) -> Json:
        block = uow.blocks.get(block_id)
        if block is None:
            raise NotFound(f"no block {block_id}")
        view = _block_json(uow, block)
        routed = [uow.routed.get(i) for i in block.routed_order_ids]
        view["fills"] = [fill_view(f, r) for r in routed if r for f in r.fills]
        view["allocations"] = _allocations(uow, block_id)
        return view

    return s.read(query)


@router.post("/blocks/{block_id}/route/check")
def check_route(
    block_id: str, body: RouteRequest, user: User = UserDep, s: ServerState = StateDep
) -> Json:
    """The order ticket's what-if: compliance per account and the block's headroom.

    ``verdict`` (per row and overall) is what routing would meet: a blocking rule that
    compliance overrode for that order no longer blocks; ``checked_verdict`` is the rules'
    own answer. The route itself applies the same decision (``route_decision``)."""
    user.require("trader", "route")
    terms = body.model_dump(exclude={"acknowledge_warnings"})

    def query(uow: UnitOfWork) -> Json | None:
        result = trading.preview_route(s.oms.ctx, uow, block_id, **terms)
        if result is None:
            return None
        view = result.to_dict()
        verdicts = []
        for shown, row in zip(view["rows"], result.rows, strict=True):
            decision = route_decision(uow, str(row.trade.order_id), row)
            shown["checked_verdict"], shown["verdict"] = shown["verdict"], decision.verdict.value
            shown.update(
                blocking=list(decision.blocking),
                overridden=list(decision.overridden),
                warnings=list(decision.warnings),
            )
            verdicts.append(decision.verdict)
        view["checked_verdict"], view["verdict"] = view["verdict"], worst(verdicts).value
        return canonical(view)

    checked = s.read(query)
    if checked is None:
        return {"verdict": "pass", "headroom": None, "rows": [], "note": "compliance is off"}
    return checked


@router.post("/blocks/{block_id}/route", status_code=201)
def route_block(
    block_id: str,
    body: RouteRequest,
    w: Write = WriteDep,
) -> JSONResponse:
    """Send the block to a broker as one FIX order (after the block compliance check)."""
    w.user.require("trader", "route orders")

    def act() -> RoutedOrder:
        return trading.route_block(w.ctx, block_id, user=w.user.name, **body.model_dump())

    return w.run(act, _render_routed(201))


@router.post("/blocks/{block_id}/allocate", status_code=201)
def allocate(
    block_id: str,
    body: AllocateRequest,
    w: Write = WriteDep,
) -> JSONResponse:
    """Book a done block to its accounts at one average price, relieving tax lots."""
    w.user.require("operations", "allocate")

    def act() -> Any:
        return booking.allocate_block(
            w.ctx, block_id, w.user.name, sorted(w.user.roles), **body.model_dump()
        )

    def render(_record: Any) -> tuple[int, Json]:
        return 201, canonical(
            {"block_id": block_id, "allocations": w.state.read(_allocations, block_id)}
        )

    return w.run(act, render)


# ── routed (broker) orders ────────────────────────────────────────────────────────────
@router.get("/routed")
def list_routed(
    status: str | None = None,
    broker: str | None = None,
    symbol: str | None = None,
    block_id: str | None = None,
    ids: str | None = None,
    user: User = UserDep,
    s: ServerState = StateDep,
) -> list[Json]:
    """Broker orders; ``ids`` (comma-separated) fetches a batch, e.g. after events."""

    def query(uow: UnitOfWork) -> list[Json]:
        statuses = split(status)
        out = []
        for rid in split(ids) or uow.routed.list_ids(statuses):
            r = uow.routed.get(rid)
            if r is not None and matches(
                r, statuses, broker=broker, symbol=symbol, block_id=block_id
            ):
                out.append(routed_view(r))
        return out

    return s.read(query)


@router.get("/routed/{routed_order_id}")
def get_routed(routed_order_id: str, user: User = UserDep, s: ServerState = StateDep) -> Json:
    def query(uow: UnitOfWork) -> Json:
        r = uow.routed.get(routed_order_id)
        if r is None:
            raise NotFound(f"no routed order {routed_order_id}")
        view = routed_view(r)
        view["fills"] = [fill_view(f, r) for f in r.fills]
        return view

    return s.read(query)


@router.post("/routed/{routed_order_id}/cancel")
def cancel(
    routed_order_id: str,
    w: Write = WriteDep,
) -> JSONResponse:
    """Ask the broker to cancel: the order shows pending_cancel until it answers."""
    w.user.require("trader", "cancel orders")
    act = lambda: trading.cancel_routed(w.ctx, routed_order_id, w.user.name)  # noqa: E731
    return w.run(act, _render_routed(202))


@router.post("/routed/{routed_order_id}/replace")
def replace(
    routed_order_id: str,
    body: ReplaceRequest,
    w: Write = WriteDep,
) -> JSONResponse:
    """Ask the broker to change quantity or price: pending_replace until it answers."""
    w.user.require("trader", "replace orders")

    def act() -> RoutedOrder:
        return trading.replace_routed(w.ctx, routed_order_id, w.user.name, **body.model_dump())

    return w.run(act, _render_routed(202))


# ── fills, allocations, market data ───────────────────────────────────────────────────
@router.get("/fills")
def list_fills(
    block_id: str | None = None,
    routed_order_id: str | None = None,
    user: User = UserDep,
    s: ServerState = StateDep,
) -> list[Json]:
    def query(uow: UnitOfWork) -> list[Json]:
        if routed_order_id is not None:
            ids = [routed_order_id]
        elif block_id is not None:
            block = uow.blocks.get(block_id)
            ids = list(block.routed_order_ids) if block else []
        else:
            ids = uow.routed.list_ids()
        routed = [r for r in (uow.routed.get(i) for i in ids) if r is not None]
        fills = [fill_view(f, r) for r in routed for f in r.fills]
        return sorted(fills, key=lambda f: f["executed_at"])

    return s.read(query)


@router.get("/allocations")
def list_allocations(
    block_id: str | None = None, user: User = UserDep, s: ServerState = StateDep
) -> list[Json]:
    return s.read(_allocations, block_id)


def _allocations(uow: UnitOfWork, block_id: str | None) -> list[Json]:
    rows = uow.allocations.for_block(block_id) if block_id else uow.allocations.all()
    return [allocation_view(r, uow.allocations.legs(r.alloc_id)) for r in rows]


@router.put("/securities/{symbol}/price")
def put_price(
    symbol: str,
    body: PriceRequest,
    w: Write = WriteDep,
) -> JSONResponse:
    """Record a last price (market data: compliance and TCA use it)."""
    w.user.require("operations", "set prices")
    if w.state.read(lambda uow: uow.securities.get(symbol)) is None:
        raise NotFound(f"unknown security {symbol!r}")
    act = lambda: set_price(w.ctx, symbol, body.price)  # noqa: E731
    return w.run(act, lambda _r: (200, {"symbol": symbol, "last_price": str(body.price)}))
