"""The HTTP API fuzzed from its own OpenAPI schema: no 5xx, every refusal explained.

Schemathesis reads ``/openapi.json`` from a live server (real FIX sessions to the
simulated broker behind it) and generates requests for every operation, valid ones and
deliberately invalid ones, sent as each configured user, with no token and with a wrong
one. Half the time the path names a real order, block, routed order or account, so the
requests reach the handlers and the engine instead of stopping at "not found". Every
answer must be below 500, every 4xx a JSON object with a non-empty ``message``, and
afterwards the database must pass its integrity check with every fill stored once.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode

from tests.e2e.conftest import Live, start_live, stop_live
from tests.reliability.conftest import assert_exactly_once, broker_fill_ids, read_ledger
from toms.reports.eod import REPORTS_BY_NAME

pytestmark = [pytest.mark.fix, pytest.mark.reliability]

EXAMPLES = 250  # about 15 s on 2 shared cores


@pytest.fixture
def live(tmp_path: Path) -> Iterator[Live]:
    system = start_live(tmp_path)
    yield system
    stop_live(system)


def seed(live: Live) -> dict[str, list[str]]:
    """Real objects for the paths to name: a filled block, a working one, their orders."""
    pm, trader = live.client("pm-growth"), live.client("trader1")
    ids: dict[str, list[str]] = {"order_id": [], "block_id": [], "routed_order_id": []}
    for symbol, limit in (("IBM", None), ("MSFT", "405")):
        order = pm.submit_order(account_id="GROWTH", symbol=symbol, side="buy", quantity="100")
        block = trader.create_block([order["order_id"]])
        terms: dict[str, Any] = {"broker": "SIM", "order_type": "limit" if limit else "market"}
        if limit:
            terms["limit_price"] = limit
        routed = trader.route(block["block_id"], **terms)
        ids["order_id"].append(order["order_id"])
        ids["block_id"].append(block["block_id"])
        ids["routed_order_id"].append(routed["routed_order_id"])
    filled = ids["routed_order_id"][0]
    live.wait(lambda: trader.routed(filled)["status"] == "filled", "the seed order to fill")
    ids["account_id"] = [a.account_id for a in live.settings.accounts]
    ids["symbol"] = [str(s) for s in live.settings.prices]
    ids["name"] = list(REPORTS_BY_NAME)
    return ids


def test_no_request_gets_a_server_error_and_every_refusal_says_why(live: Live) -> None:
    known = seed(live)
    schema = schemathesis.openapi.from_url(live.url + "/openapi.json")
    tokens = [u.token for u in live.settings.users] + [None, "not-a-valid-token"]
    statuses: Counter[int] = Counter()
    session = requests.Session()

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,  # a live server's state differs run to run
        suppress_health_check=list(HealthCheck),
    )
    @given(
        case=st.one_of(
            schema.as_strategy(GenerationMode.POSITIVE),
            schema.as_strategy(GenerationMode.NEGATIVE),
        ),
        token=st.sampled_from(tokens),
        real_ids=st.booleans(),
        pick=st.integers(0, 10),
    )
    def request(case: schemathesis.Case, token: str | None, real_ids: bool, pick: int) -> None:
        if real_ids and case.path_parameters:
            case.path_parameters = {
                name: known[name][pick % len(known[name])] if known.get(name) else value
                for name, value in case.path_parameters.items()
            }
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        try:
            response = case.call(base_url=live.url, session=session, headers=headers, timeout=30)
        except (requests.exceptions.InvalidHeader, requests.exceptions.InvalidURL, ValueError):
            return  # the HTTP client refused to send it: nothing reached the server
        statuses[response.status_code] += 1
        what = f"{case.method} {case.formatted_path} -> {response.status_code}: {response.text}"
        assert response.status_code < 500, what
        if response.status_code >= 400:
            body = response.json()
            assert isinstance(body, dict) and str(body.get("message") or "").strip(), what

    request()
    session.close()
    sent = sum(statuses.values())
    assert sent >= EXAMPLES * 0.8, f"only {sent} requests reached the server"
    assert any(200 <= s < 300 for s in statuses), statuses  # some went all the way through
    assert any(s == 422 for s in statuses) and any(s == 401 for s in statuses), statuses
    print(f"API fuzz: {sent} requests, statuses {dict(sorted(statuses.items()))}")
    sim_fills = broker_fill_ids(live.broker.records)
    assert_exactly_once(read_ledger(live.settings.database_url), sim_fills)


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("GET", "/no/such/path", None, 404),
        ("DELETE", "/api/v1/orders", None, 405),
        ("POST", "/api/v1/orders", b'{"symbol": "\xff"}', 400),  # JSON that is not UTF-8
    ],
    ids=["unknown-path", "wrong-method", "undecodable-body"],
)
def test_the_frameworks_own_refusals_say_why_in_the_apis_shape(
    live: Live, method: str, path: str, body: bytes | None, status: int
) -> None:
    """Found by the fuzzing: these came back as FastAPI's ``{"detail": ...}``, no message."""
    headers = {"Authorization": "Bearer demo-pm-growth-token", "Content-Type": "application/json"}
    response = requests.request(method, live.url + path, data=body, headers=headers, timeout=10)
    assert response.status_code == status
    assert response.json()["message"] and response.json()["error"]
