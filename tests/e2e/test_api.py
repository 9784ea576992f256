"""The OMS server's API against a real server, FIX sessions and the simulated broker:
who may do what, exactly-once retries, refusals that change nothing, and concurrent
clients whose event streams match the database."""

from __future__ import annotations

import threading
from decimal import Decimal
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import Live
from toms.client import ApiClient, ApiError, EventStream

pytestmark = pytest.mark.fix

IBM_BUY = {"account_id": "GROWTH", "symbol": "IBM", "side": "buy", "quantity": "100"}


def _raw(live: Live, token: str | None = "demo-pm-growth-token") -> httpx.Client:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.Client(base_url=live.url + "/api/v1", headers=headers, timeout=10)


def _received(live: Live, msg_type: str) -> int:
    return sum(1 for r in live.broker.received if r.msg_type == msg_type)


def _state(live: Live) -> tuple[int, int]:
    """(orders, last audit seq): what a refused request must leave unchanged."""

    def read(uow: Any) -> tuple[int, int]:
        events = uow.audit.since(0, 1_000_000)
        return len(uow.orders.list()), (events[-1].seq if events else 0)

    return live.server.oms.read(read)


# ── authentication and roles ─────────────────────────────────────────────────────────
def test_missing_and_unknown_tokens_are_refused(live_sqlite: Live) -> None:
    before = _state(live_sqlite)
    with _raw(live_sqlite, token=None) as http:
        r = http.post("/orders", json=IBM_BUY)
    assert r.status_code == 401
    assert "missing API token" in r.json()["message"]
    with _raw(live_sqlite, token="not-a-token") as http:
        r = http.get("/orders")
    assert r.status_code == 401
    assert r.json()["message"] == "unknown API token"
    assert _state(live_sqlite) == before


@pytest.mark.parametrize(
    ("user", "method", "path", "body", "needs"),
    [
        ("viewer", "POST", "/orders", IBM_BUY, "pm"),
        ("trader1", "POST", "/orders", IBM_BUY, "pm"),
        ("pm-growth", "POST", "/blocks", {"order_ids": ["X"]}, "trader"),
        (
            "pm-growth",
            "POST",
            "/blocks/B/route",
            {"broker": "SIM", "order_type": "market"},
            "trader",
        ),
        ("pm-growth", "POST", "/routed/R/cancel", {}, "trader"),
        ("trader1", "POST", "/orders/O/override", {"reason": "because"}, "compliance"),
        ("trader1", "POST", "/blocks/B/allocate", {}, "operations"),
        ("viewer", "PUT", "/securities/IBM/price", {"price": "1"}, "operations"),
    ],
)
def test_roles_decide_who_may_act(
    live_sqlite: Live, user: str, method: str, path: str, body: dict[str, Any], needs: str
) -> None:
    before = _state(live_sqlite)
    with pytest.raises(ApiError) as err:
        live_sqlite.client(user).request(method, path, body=body)
    assert err.value.status == 403
    assert f"needs the {needs} role" in str(err.value)
    assert _state(live_sqlite) == before


def test_pm_submits_only_for_own_accounts_and_sees_only_them(live_sqlite: Live) -> None:
    alpha = live_sqlite.client("pm-alpha")
    with pytest.raises(ApiError) as err:
        alpha.submit_order(**IBM_BUY)  # GROWTH belongs to pm-growth
    assert err.value.status == 403
    assert "does not manage account 'GROWTH'" in str(err.value)
    mine = live_sqlite.client("pm-growth").submit_order(**IBM_BUY)
    assert mine["status"] == "accepted"
    assert [o["order_id"] for o in alpha.orders()] == []
    assert [o["order_id"] for o in live_sqlite.client("trader1").orders()] == [mine["order_id"]]
    with pytest.raises(ApiError) as err:
        alpha.order(mine["order_id"])
    assert err.value.status == 404


def test_event_stream_refuses_a_bad_token(live_sqlite: Live) -> None:
    stream = EventStream(live_sqlite.url, "wrong", reconnect_seconds=0.2)
    with pytest.raises(Exception, match="did not connect"):
        stream.start(timeout=2)
    stream.stop()


# ── idempotency ──────────────────────────────────────────────────────────────────────
def test_a_retried_submit_creates_one_order(live_sqlite: Live) -> None:
    pm = live_sqlite.client("pm-growth")
    first = pm.submit_order(key="retry-1", **IBM_BUY)
    again = pm.submit_order(key="retry-1", **IBM_BUY)
    assert again == first
    orders = live_sqlite.client("trader1").orders()
    assert [o["order_id"] for o in orders] == [first["order_id"]]
    # the same key for a different request is a client bug, not a retry
    with pytest.raises(ApiError) as err:
        pm.submit_order(key="retry-1", **{**IBM_BUY, "quantity": "200"})
    assert err.value.status == 422
    assert "used for a different request" in str(err.value)
    # keys are per user: another PM's identical key is a different request
    other = live_sqlite.client("pm-alpha").submit_order(
        key="retry-1", **{**IBM_BUY, "account_id": "ALPHA"}
    )
    assert other["order_id"] != first["order_id"]


def test_retries_of_route_and_cancel_send_one_fix_order(live_sqlite: Live) -> None:
    pm, trader = live_sqlite.client("pm-growth"), live_sqlite.client("trader1")
    order = pm.submit_order(**{**IBM_BUY, "order_type": "limit", "limit_price": "178"})
    block = trader.create_block([order["order_id"]])
    terms = {"broker": "SIM", "order_type": "limit", "limit_price": "178"}
    routed = trader.post(f"/blocks/{block['block_id']}/route", terms, key="route-1")
    assert trader.post(f"/blocks/{block['block_id']}/route", terms, key="route-1") == routed
    rid = routed["routed_order_id"]
    live_sqlite.wait(lambda: trader.routed(rid)["status"] == "new", "the broker's ack")
    trader.post(f"/routed/{rid}/cancel", key="cancel-1")
    trader.post(f"/routed/{rid}/cancel", key="cancel-1")
    live_sqlite.wait(lambda: trader.routed(rid)["status"] == "canceled", "the cancel")
    assert [b["routed_order_ids"] for b in trader.blocks()] == [[rid]]
    assert _received(live_sqlite, "D") == 1 and _received(live_sqlite, "F") == 1


# ── bad input: 4xx with a message, nothing changed ───────────────────────────────────
@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ('{"account_id": "GROWTH", "symbol": "IBM", ', 400, "JSON"),
        ("[1, 2]", 422, "valid dictionary"),
        ({**IBM_BUY, "quantity": "-5"}, 422, "quantity: Input should be greater than 0"),
        ({**IBM_BUY, "quantity": "abc"}, 422, "quantity"),
        ({**IBM_BUY, "quantity": "NaN"}, 422, "quantity"),
        ({**IBM_BUY, "side": "hold"}, 422, "side"),
        ({**IBM_BUY, "order_type": "limit"}, 422, "limit price"),
        ({**IBM_BUY, "order_type": "stop"}, 422, "stop price"),
        ({**IBM_BUY, "limt_price": "150"}, 422, "limt_price: Extra inputs are not permitted"),
        ({k: v for k, v in IBM_BUY.items() if k != "symbol"}, 422, "symbol: Field required"),
        ({**IBM_BUY, "symbol": "NOPE"}, 404, "unknown security 'NOPE'"),
    ],
)
def test_bad_orders_are_refused_with_a_message(
    live_sqlite: Live, body: Any, status: int, message: str
) -> None:
    before = _state(live_sqlite)
    with _raw(live_sqlite) as http:
        if isinstance(body, str):
            r = http.post("/orders", content=body, headers={"Content-Type": "application/json"})
        else:
            r = http.post("/orders", json=body, headers={"Idempotency-Key": "bad-1"})
    assert r.status_code == status, r.text
    assert message.lower() in r.json()["message"].lower()
    assert _state(live_sqlite) == before


def test_refused_route_and_unknown_ids(live_sqlite: Live) -> None:
    pm, trader = live_sqlite.client("pm-growth"), live_sqlite.client("trader1")
    order = pm.submit_order(**{**IBM_BUY, "order_type": "limit", "limit_price": "178"})
    block = trader.create_block([order["order_id"]])
    before = _state(live_sqlite)
    cases = [
        # loosening the PM's limit is refused before any FIX message exists
        ({"broker": "SIM", "order_type": "limit", "limit_price": "179"}, 422, "limit"),
        ({"broker": "SIM", "order_type": "stop"}, 422, "stop price"),
        ({"broker": "NOWHERE", "order_type": "limit", "limit_price": "178"}, 404, "NOWHERE"),
        ({"broker": "SIM", "order_type": "limit", "limit_price": "178", "quantity": "101"}, 422,
         "exceeds block quantity"),
    ]  # fmt: skip
    for terms, status, text in cases:
        with pytest.raises(ApiError) as err:
            trader.route(block["block_id"], **terms)
        assert err.value.status == status, terms
        assert text in str(err.value)
    for path in ("/routed/NOPE/cancel", "/blocks/NOPE/route"):
        with pytest.raises(ApiError) as err:
            trader.post(path, {"broker": "SIM", "order_type": "market"} if "route" in path else {})
        assert err.value.status == 404
    assert _state(live_sqlite) == before
    assert _received(live_sqlite, "D") == 0


# ── several clients at once ──────────────────────────────────────────────────────────
def test_concurrent_clients_never_corrupt_state_and_events_match_the_database(
    live: Live,
) -> None:
    seen: list[dict[str, Any]] = []
    lock = threading.Lock()

    def collect(events: list[dict[str, Any]]) -> None:
        with lock:
            seen.extend(e for e in events if e["seq"] is not None)

    watcher = EventStream(live.url, "demo-viewer-token", on_events=collect).start()
    errors: list[BaseException] = []

    def desk(pm_user: str, account: str, symbol: str, n: int) -> None:
        try:
            pm = ApiClient(live.url, f"demo-{pm_user}-token")
            trader = ApiClient(live.url, "demo-trader1-token")
            for i in range(n):
                o = pm.submit_order(account_id=account, symbol=symbol, side="buy", quantity="100")
                assert o["status"] == "accepted", o
                block = trader.create_block([o["order_id"]])
                trader.route(block["block_id"], broker="SIM" if i % 2 else "SIM42",
                             order_type="market")  # fmt: skip
            pm.close()
            trader.close()
        except BaseException as exc:
            errors.append(exc)

    threads = [
        threading.Thread(target=desk, args=("pm-growth", "GROWTH", "IBM", 6)),
        threading.Thread(target=desk, args=("pm-alpha", "FAMILY", "XOM", 6)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    trader = live.client("trader1")
    live.wait(
        lambda: all(b["status"] == "done" for b in trader.blocks()) and len(trader.blocks()) == 12,
        "every block to fill",
    )
    stored = live.server.oms.read(lambda uow: [dict(_row(r)) for r in uow.audit.since(0, 10**6)])
    live.wait(lambda: len(seen) >= len(stored), "the stream to deliver every stored event")
    watcher.stop()
    assert [e["seq"] for e in seen] == [e["seq"] for e in stored]  # none lost, none twice
    assert seen == stored  # and each is exactly what the database holds
    # the state the events describe is consistent: every share filled once, per order
    orders = trader.orders()
    assert len(orders) == 12 and all(o["status"] == "filled" for o in orders)
    fills = trader.get("/fills")
    assert sum(Decimal(f["quantity"]) for f in fills) == Decimal(1200)
    assert len({f["exec_id"] for f in fills}) == len(fills)


def _row(r: Any) -> dict[str, Any]:
    from toms.services.context import event_dict

    return event_dict(r)


def test_the_stream_replays_from_since_then_goes_live(live_sqlite: Live) -> None:
    pm = live_sqlite.client("pm-growth")
    pm.submit_order(**IBM_BUY)
    history = pm.get("/events")
    middle = history[len(history) // 2]["seq"]
    got: list[dict[str, Any]] = []
    stream = EventStream(live_sqlite.url, "demo-pm-growth-token", since=middle,
                         on_events=got.extend).start()  # fmt: skip
    second = pm.submit_order(**IBM_BUY)
    stream.wait_until(
        lambda: any(e["entity_id"] == second["order_id"] for e in got), 10, "the live event"
    )
    stream.stop()
    stored = [e["seq"] for e in got if e["seq"] is not None]
    assert stored == sorted(stored) and stored[0] == middle + 1
    assert {e["type"] for e in got if e["seq"] is None} == {"SessionStatusChanged"}


def test_batch_reads_by_ids(live_sqlite: Live) -> None:
    """What a client does after a batch of events: fetch just the entities they named."""
    pm, trader = live_sqlite.client("pm-growth"), live_sqlite.client("trader1")
    a, b, c = (pm.submit_order(**IBM_BUY) for _ in range(3))
    got = trader.orders(ids=f"{a['order_id']},{c['order_id']},NOPE")
    assert [o["order_id"] for o in got] == [a["order_id"], c["order_id"]]
    assert trader.orders(ids=a["order_id"], status="blocked") == []
    b1, b2 = trader.create_block([a["order_id"]]), trader.create_block([b["order_id"]])
    assert [x["block_id"] for x in trader.blocks(ids=b2["block_id"])] == [b2["block_id"]]
    assert {x["block_id"] for x in trader.blocks()} == {b1["block_id"], b2["block_id"]}
    # a PM's batch read never shows another PM's orders
    assert live_sqlite.client("pm-alpha").orders(ids=a["order_id"]) == []


def test_the_ticket_what_if_counts_compliance_overrides_like_the_route(live_sqlite: Live) -> None:
    order = live_sqlite.client("pm-alpha").submit_order(
        account_id="FAMILY", symbol="MSFT", side="buy", quantity="600"
    )
    assert order["status"] == "blocked"
    blocking = set(order["compliance"]["blocking"])
    live_sqlite.client("cco").override(order["order_id"], "IPS exception #17")
    trader = live_sqlite.client("trader1")
    block = trader.create_block([order["order_id"]])
    check = trader.check_route(block["block_id"], broker="SIM", order_type="market")
    (row,) = check["rows"]
    assert check["checked_verdict"] == row["checked_verdict"] == "block"
    assert set(row["overridden"]) == blocking and row["blocking"] == []
    assert check["verdict"] == row["verdict"] != "block"
    routed = trader.route(block["block_id"], broker="SIM", order_type="market",
                          acknowledge_warnings=True)  # fmt: skip
    assert routed["status"] == "pending_new"
