"""Read-only views of the whole OMS: events (replay and live), FIX sessions, reports,
reference data, and who the caller is."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from starlette.concurrency import run_in_threadpool

from toms.domain.errors import TomsError
from toms.domain.ids import Symbol
from toms.server.api import NotFound, ServerState, StateDep, UserDep
from toms.server.auth import User
from toms.server.event_hub import Subscriber, SubscriberTooSlow
from toms.server.views import Json, account_view, plain, security_view, session_view
from toms.services.context import event_dict
from toms.services.unit_of_work import UnitOfWork

router = APIRouter(tags=["stream and reference"])
REPLAY_PAGE = 1_000
CLOSE_UNAUTHENTICATED = 4401
CLOSE_TOO_SLOW = 4408


@router.get("/me")
def me(user: User = UserDep) -> Json:
    return {"name": user.name, "roles": sorted(user.roles), "accounts": sorted(user.accounts)}


@router.get("/events")
def events(
    since: int = 0, limit: int = REPLAY_PAGE, user: User = UserDep, s: ServerState = StateDep
) -> list[Json]:
    """Stored events after ``since`` (the audit trail), oldest first, at most ``limit``."""
    return s.read(_events_after, since, max(1, min(limit, 10 * REPLAY_PAGE)))


def _events_after(uow: UnitOfWork, since: int, limit: int = REPLAY_PAGE) -> list[Json]:
    return [event_dict(r) for r in uow.audit.since(since, limit)]


@router.websocket("/events/stream")
async def stream(ws: WebSocket, since: int = 0, token: str | None = None) -> None:
    """Every committed event after ``since``, then live ones as they commit, in seq order.

    Each message is ``{"events": [...]}``. The client subscribes before the replay, so an
    event committed during the replay is never missed (duplicates are dropped by seq).
    FIX session changes arrive with ``seq: null``. Authenticate with ``?token=`` or an
    ``Authorization: Bearer`` header.
    """
    s: ServerState = ws.app.state.toms
    header = ws.headers.get("authorization", "")
    try:
        s.auth.user_for(token or header.partition(" ")[2].strip() or None)
    except TomsError as exc:
        await ws.close(code=CLOSE_UNAUTHENTICATED, reason=str(exc))
        return
    await ws.accept()
    sub = s.hub.subscribe()
    sender = asyncio.create_task(_send_events(ws, s, sub, since))
    receiver = asyncio.create_task(_until_closed(ws))  # notices the client leaving at once
    try:
        await asyncio.wait({sender, receiver}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        s.hub.unsubscribe(sub)
        for task in (sender, receiver):
            task.cancel()
        await asyncio.gather(sender, receiver, return_exceptions=True)


async def _send_events(ws: WebSocket, s: ServerState, sub: Subscriber, since: int) -> None:
    last = since
    try:
        await ws.send_json({"events": [_session_event(x) for x in _sessions(s)]})
        while page := await run_in_threadpool(s.read, _events_after, last):
            await ws.send_json({"events": page})
            last = page[-1]["seq"]
        while True:
            batch = await sub.next()
            fresh = [e for e in batch if e["seq"] is None or e["seq"] > last]
            if fresh:
                await ws.send_json({"events": fresh})
                last = max([last, *(e["seq"] for e in fresh if e["seq"] is not None)])
    except SubscriberTooSlow as exc:
        await ws.close(code=CLOSE_TOO_SLOW, reason=f"{exc}; resume with since={last}")
    except WebSocketDisconnect:
        pass


async def _until_closed(ws: WebSocket) -> None:
    while (await ws.receive())["type"] != "websocket.disconnect":
        pass  # clients send nothing; anything they do send is ignored


@router.get("/sessions")
def sessions(user: User = UserDep, s: ServerState = StateDep) -> list[Json]:
    """Each FIX session: logged on or not, sequence numbers, last heartbeat."""
    return [session_view(x) for x in _sessions(s)]


def _sessions(s: ServerState) -> list[Any]:
    return s.oms.fix.board.all() if s.oms.fix is not None else []


def _session_event(status: Any) -> Json:
    view = session_view(status)
    return {
        "seq": None,
        "type": "SessionStatusChanged",
        "entity_type": "fix_session",
        "entity_id": view["broker"],
        "payload": view,
    }


@router.get("/accounts")
def accounts(user: User = UserDep, s: ServerState = StateDep) -> list[Json]:
    return s.read(
        lambda uow: [account_view(a) for a in uow.accounts.all() if user.sees_account(a.account_id)]
    )


@router.get("/accounts/{account_id}/positions")
def positions(account_id: str, user: User = UserDep, s: ServerState = StateDep) -> Json:
    """Holdings at last price, with cash and NAV: what a PM rebalances from."""

    def query(uow: UnitOfWork) -> Json:
        account = uow.accounts.get(account_id)
        if account is None or not user.sees_account(account_id):
            raise NotFound(f"no account {account_id}")
        prices = uow.securities.prices()
        held: dict[str, Any] = {}
        for lot in uow.lots.for_account(account_id):
            held[lot.symbol] = held.get(lot.symbol, 0) + lot.quantity
        rows = [
            {
                "symbol": sym,
                "quantity": plain(qty),
                "price": plain(prices.get(Symbol(sym))),
                "market_value": plain(qty * prices[Symbol(sym)]) if Symbol(sym) in prices else None,
            }
            for sym, qty in sorted(held.items())
        ]
        nav = account.cash + sum(qty * prices.get(Symbol(sym), 0) for sym, qty in held.items())
        return {**account_view(account), "nav": plain(nav), "positions": rows}

    return s.read(query)


@router.get("/securities")
def securities(user: User = UserDep, s: ServerState = StateDep) -> list[Json]:
    def query(uow: UnitOfWork) -> list[Json]:
        prices = uow.securities.prices()
        return [security_view(x, prices.get(x.symbol)) for x in uow.securities.all()]

    return s.read(query)


@router.get("/reports/{name}")
def report(
    name: str, account: str | None = None, user: User = UserDep, s: ServerState = StateDep
) -> Json:
    """An end-of-day report as rows: positions, lots, gains, gains_summary, allocations,
    fairness or tca."""
    from toms.reports.eod import REPORTS_BY_NAME
    from toms.reports.frames import to_records

    chosen = REPORTS_BY_NAME.get(name)
    if chosen is None:
        raise NotFound(f"no report {name!r}; reports: {', '.join(REPORTS_BY_NAME)}")
    if account is not None and not user.sees_account(account):
        raise NotFound(f"no account {account}")
    if account is None and user.roles == {"pm"}:
        raise NotFound("a PM's report needs ?account= (one of their accounts)")
    df = s.read(lambda uow: chosen.build(uow, account, None))
    return {"name": chosen.name, "title": chosen.title, "rows": to_records(df)}
