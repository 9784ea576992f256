"""A client of the OMS server, for the PM command line, the demo, the blotter and tests.

``ApiClient`` sends every mutating call with an idempotency key and retries a request
that may not have arrived (connection error, timeout, 503) with the same key, so a retry
never creates a second order. ``EventStream`` follows the live event stream on a thread,
resuming after a disconnect from the last ``seq`` it saw, and lets a caller wait for a
condition to become true as events arrive instead of sleeping.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import httpx

from toms.domain.errors import TomsError

log = logging.getLogger(__name__)
RETRIES = 3
API = "/api/v1"


class ApiError(TomsError):
    """The server refused a request; ``status`` and the server's ``message``."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        self.status = status
        self.body = body
        self.kind = str(body.get("error", "Error"))
        super().__init__(f"{status} {self.kind}: {body.get('message', body)}")


class ServerUnreachable(TomsError):
    """No answer from the server after retries."""


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if hasattr(value, "value") and isinstance(value.value, str):  # enums
        return value.value
    return value


class ApiClient:
    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        timeout: float = 30.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self._http = httpx.Client(
            base_url=self.base_url,
            headers={"Authorization": f"Bearer {token}"},
            timeout=timeout,
            transport=transport,
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> ApiClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ── transport ───────────────────────────────────────────────────────────────────
    def request(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        params: dict[str, Any] | None = None,
        key: str | None = None,
    ) -> Any:
        """One logical request; a mutating one is retried with the same idempotency key."""
        mutating = method != "GET"
        headers = {}
        if mutating:
            headers["Idempotency-Key"] = key or uuid.uuid4().hex
        content = json.dumps(_plain(body)) if body is not None else None
        if content is not None:
            headers["Content-Type"] = "application/json"
        params = {k: v for k, v in (params or {}).items() if v is not None}
        last: Exception | None = None
        for _attempt in range(RETRIES):
            try:
                response = self._http.request(
                    method, API + path, content=content, params=params, headers=headers
                )
            except httpx.TransportError as exc:  # may or may not have arrived: retry
                last = exc
                continue
            if response.status_code == 503:
                last = ApiError(503, _json(response))
                continue
            if response.status_code >= 400:
                raise ApiError(response.status_code, _json(response))
            return response.json()
        raise ServerUnreachable(f"{method} {path}: no answer from {self.base_url}: {last}")

    def get(self, path: str, **params: Any) -> Any:
        return self.request("GET", path, params=params)

    def post(self, path: str, body: Any = None, key: str | None = None) -> Any:
        return self.request("POST", path, body=body if body is not None else {}, key=key)

    # ── PM ──────────────────────────────────────────────────────────────────────────
    def submit_order(self, key: str | None = None, **order: Any) -> dict[str, Any]:
        result: dict[str, Any] = self.post("/orders", order, key=key)
        return result

    def check_order(self, **order: Any) -> dict[str, Any]:
        result: dict[str, Any] = self.post("/orders/check", order)
        return result

    def rebalance(self, account_id: str, targets: dict[str, Any], **opts: Any) -> Any:
        return self.post("/rebalance", {"account_id": account_id, "targets": targets, **opts})

    def override(self, order_id: str, reason: str) -> dict[str, Any]:
        result: dict[str, Any] = self.post(f"/orders/{order_id}/override", {"reason": reason})
        return result

    # ── trader ──────────────────────────────────────────────────────────────────────
    def create_block(self, order_ids: list[str]) -> dict[str, Any]:
        result: dict[str, Any] = self.post("/blocks", {"order_ids": order_ids})
        return result

    def route(self, block_id: str, **terms: Any) -> dict[str, Any]:
        result: dict[str, Any] = self.post(f"/blocks/{block_id}/route", terms)
        return result

    def check_route(self, block_id: str, **terms: Any) -> dict[str, Any]:
        result: dict[str, Any] = self.post(f"/blocks/{block_id}/route/check", terms)
        return result

    def cancel(self, routed_order_id: str) -> dict[str, Any]:
        result: dict[str, Any] = self.post(f"/routed/{routed_order_id}/cancel")
        return result

    def replace(self, routed_order_id: str, **changes: Any) -> dict[str, Any]:
        result: dict[str, Any] = self.post(f"/routed/{routed_order_id}/replace", changes)
        return result

    # ── operations ──────────────────────────────────────────────────────────────────
    def allocate(self, block_id: str, **terms: Any) -> dict[str, Any]:
        result: dict[str, Any] = self.post(f"/blocks/{block_id}/allocate", terms)
        return result

    def set_price(self, symbol: str, price: Decimal | str) -> Any:
        return self.request("PUT", f"/securities/{symbol}/price", body={"price": price})

    # ── reads ───────────────────────────────────────────────────────────────────────
    def orders(self, **filters: Any) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self.get("/orders", **filters)
        return result

    def order(self, order_id: str) -> dict[str, Any]:
        result: dict[str, Any] = self.get(f"/orders/{order_id}")
        return result

    def blocks(self, **filters: Any) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self.get("/blocks", **filters)
        return result

    def block(self, block_id: str) -> dict[str, Any]:
        result: dict[str, Any] = self.get(f"/blocks/{block_id}")
        return result

    def routed(self, routed_order_id: str) -> dict[str, Any]:
        result: dict[str, Any] = self.get(f"/routed/{routed_order_id}")
        return result

    def report(self, name: str, account: str | None = None) -> dict[str, Any]:
        result: dict[str, Any] = self.get(f"/reports/{name}", account=account)
        return result


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {"error": "HttpError", "message": response.text[:500]}
    return body if isinstance(body, dict) else {"error": "HttpError", "message": str(body)}


class EventStream:
    """Follows ``/events/stream`` on a thread; reconnects and resumes from the last seq.

    ``wait_until(probe)`` re-evaluates ``probe`` (typically an API read) each time events
    arrive, so callers wait for a condition without sleeping.
    """

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        since: int = 0,
        on_events: Callable[[list[dict[str, Any]]], None] | None = None,
        reconnect_seconds: float = 1.0,
    ) -> None:
        ws_base = base_url.rstrip("/").replace("http://", "ws://").replace("https://", "wss://")
        self._url = ws_base + API + "/events/stream"
        self._token = token
        self.last_seq = since
        self.connected = threading.Event()
        self._on_events = on_events
        self._reconnect = reconnect_seconds
        self._changed = threading.Condition()
        self._generation = 0
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="toms-events", daemon=True)
        self.error: str = ""

    def start(self, timeout: float = 10.0) -> EventStream:
        self._thread.start()
        if not self.connected.wait(timeout):
            raise ServerUnreachable(f"event stream {self._url} did not connect: {self.error}")
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(10)

    def __enter__(self) -> EventStream:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def wait_until(self, probe: Callable[[], Any], timeout: float, what: str = "") -> Any:
        """Return ``probe()`` once truthy; re-checked on every batch of events."""
        with self._changed:
            generation = -1
            deadline = _deadline(timeout)
            while True:
                if generation != self._generation:
                    generation = self._generation
                    self._changed.release()
                    try:
                        value = probe()
                    finally:
                        self._changed.acquire()
                    if value:
                        return value
                    continue  # events may have arrived while probing
                remaining = deadline()
                if remaining <= 0:
                    raise TimeoutError(f"timed out after {timeout}s waiting for {what or probe}")
                self._changed.wait(remaining)

    def _run(self) -> None:
        from websockets.sync.client import connect

        while not self._stopping.is_set():
            try:
                url = f"{self._url}?since={self.last_seq}"
                headers = {"Authorization": f"Bearer {self._token}"}
                with connect(url, additional_headers=headers, open_timeout=10) as ws:
                    self.connected.set()
                    self._notify([])
                    while not self._stopping.is_set():
                        try:
                            message = ws.recv(timeout=0.5)
                        except TimeoutError:
                            continue
                        events = json.loads(message)["events"]
                        seqs = [e["seq"] for e in events if e.get("seq") is not None]
                        if seqs:
                            self.last_seq = max(self.last_seq, *seqs)
                        self._notify(events)
            except Exception as exc:  # dropped, refused or server restarting: resume
                self.error = str(exc)
                self.connected.clear()
                self._notify([])
                log.info("event stream disconnected (%s); resuming from %s", exc, self.last_seq)
                self._stopping.wait(self._reconnect)

    def _notify(self, events: list[dict[str, Any]]) -> None:
        if events and self._on_events is not None:
            try:
                self._on_events(events)
            except Exception:
                log.exception("event callback failed")
        with self._changed:
            self._generation += 1
            self._changed.notify_all()


def _deadline(timeout: float) -> Callable[[], float]:
    end = time.monotonic() + timeout
    return lambda: end - time.monotonic()
