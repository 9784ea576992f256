"""The HTTP API's frame: the app, who is calling, errors as readable 4xx, exactly-once writes.

Handlers are plain (sync) functions: FastAPI runs them on its thread pool, where they
run every change as the OMS's single writer (one at a time, under its lock) and return
the committed result.
Reads run in their own database session on the calling thread.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from http import HTTPStatus
from typing import Annotated, Any, TypeVar

from fastapi import Depends, FastAPI, Header, Request, Security
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.exceptions import HTTPException as StarletteHTTPException

from toms.app import Oms
from toms.domain.errors import (
    InconsistentReport,
    InsufficientPosition,
    InvalidOrder,
    InvalidTransition,
    InvalidValue,
    Overfill,
    TomsError,
    UnknownOrder,
)
from toms.server.auth import Authenticator, Forbidden, Unauthenticated, User
from toms.server.event_hub import EventHub
from toms.server.views import plain
from toms.services.compliance_gate import AcknowledgementRequired, ComplianceBlocked, NotAuthorised
from toms.services.context import Context, RequestClaim
from toms.services.engine import EngineStopped
from toms.services.idempotency import AnswerLost, KeyReused, run_once

log = logging.getLogger(__name__)
T = TypeVar("T")
API_PREFIX = "/api/v1"
IDEMPOTENCY_HEADER = "Idempotency-Key"


class NotFound(TomsError):
    """The path names something the OMS does not have."""


@dataclass
class ServerState:
    oms: Oms
    auth: Authenticator
    hub: EventHub

    def read(self, fn: Callable[..., T], *args: Any) -> T:
        return self.oms.read(fn, *args)

    def write(
        self,
        user: User,
        request_key: str | None,
        fingerprint: str,
        action: Callable[..., T],
        render: Callable[[T], tuple[int, dict[str, Any]]],
    ) -> JSONResponse:
        """Run ``action`` as the single writer, at most once per idempotency key."""
        claim = None
        if request_key is not None:
            if not 1 <= len(request_key) <= 128:
                raise InvalidValue("Idempotency-Key must be 1 to 128 characters")
            claim = RequestClaim(user.name, request_key, fingerprint, self.oms.clock.now())
        status, body = self.oms.call(run_once, self.oms.ctx, claim, action, render)
        headers = {IDEMPOTENCY_HEADER: request_key} if request_key else None
        return JSONResponse(body, status_code=status, headers=headers)


def state(request: Request) -> ServerState:
    s: ServerState = request.app.state.toms
    return s


BEARER = HTTPBearer(auto_error=False, description="the API token of a [[users]] entry")


def current_user(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Security(BEARER)],
) -> User:
    return state(request).auth.user_for(credentials.credentials if credentials else None)


async def fingerprint(request: Request) -> str:
    """What makes two requests "the same request" for an idempotency key."""
    body = await request.body()
    digest = hashlib.sha256(f"{request.method} {request.url.path}\n".encode() + body)
    return digest.hexdigest()


def idempotency_key(
    key: Annotated[
        str | None,
        Header(
            alias=IDEMPOTENCY_HEADER,
            description="retries with the same key replay the first answer; never applied twice",
        ),
    ] = None,
) -> str | None:
    return key


UserDep = Depends(current_user)
StateDep = Depends(state)


@dataclass(frozen=True, slots=True)
class Write:
    """A request that changes state: who asks, and what makes a retry the same request."""

    user: User
    state: ServerState
    key: str | None
    fingerprint: str

    @property
    def ctx(self) -> Context:
        return self.state.oms.ctx

    def run(
        self, action: Callable[[], T], render: Callable[[T], tuple[int, dict[str, Any]]]
    ) -> JSONResponse:
        return self.state.write(self.user, self.key, self.fingerprint, action, render)


def write_request(
    user: User = UserDep,
    s: ServerState = StateDep,
    key: str | None = Depends(idempotency_key),
    fp: str = Depends(fingerprint),
) -> Write:
    return Write(user, s, key, fp)


WriteDep = Depends(write_request)

# Each error the OMS raises on purpose, as an HTTP status. The first match wins.
ERROR_STATUS: tuple[tuple[type[Exception], int], ...] = (
    (Unauthenticated, 401),
    (Forbidden, 403),
    (NotAuthorised, 403),
    (NotFound, 404),
    (UnknownOrder, 404),
    (ComplianceBlocked, 409),
    (AcknowledgementRequired, 409),
    (AnswerLost, 409),
    (InvalidTransition, 409),
    (KeyReused, 422),
    (InvalidOrder, 422),
    (InvalidValue, 422),
    (Overfill, 422),
    (InconsistentReport, 422),
    (InsufficientPosition, 422),
    (EngineStopped, 503),
    (FutureTimeout, 503),
    (TimeoutError, 503),
    (TomsError, 400),
)


def error_body(exc: Exception) -> dict[str, Any]:
    body: dict[str, Any] = {"error": type(exc).__name__, "message": str(exc)}
    results = getattr(exc, "results", None)
    if results is not None and hasattr(results, "to_dict"):
        body["compliance"] = results.to_dict()
    return body


def install_error_handlers(app: FastAPI) -> None:
    for exc_type, status in ERROR_STATUS:

        def handler(_r: Request, exc: Exception, status: int = status) -> JSONResponse:
            if status >= 500:
                log.warning("request failed: %s", exc)
            headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
            return JSONResponse(error_body(exc), status_code=status, headers=headers)

        app.add_exception_handler(exc_type, handler)

    def invalid(_r: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        problems = [_problem(e) for e in exc.errors()]
        malformed = any(e.get("type") == "json_invalid" for e in exc.errors())
        return JSONResponse(
            {
                "error": "MalformedJson" if malformed else "InvalidRequest",
                "message": "; ".join(problems),
                "problems": problems,
            },
            status_code=400 if malformed else 422,
        )

    app.add_exception_handler(RequestValidationError, invalid)

    def http_error(_r: Request, exc: Exception) -> JSONResponse:
        """The framework's own refusals (unknown path, wrong method, a body it cannot
        parse) in the API's shape: a client reads ``message`` whatever went wrong."""
        assert isinstance(exc, StarletteHTTPException)
        phrase = HTTPStatus(exc.status_code).phrase
        message = exc.detail if isinstance(exc.detail, str) and exc.detail else phrase
        return JSONResponse(
            {"error": phrase.replace(" ", "").replace("-", ""), "message": message},
            status_code=exc.status_code,
            headers=exc.headers,
        )

    app.add_exception_handler(StarletteHTTPException, http_error)


def _problem(error: dict[str, Any]) -> str:
    where = ".".join(str(p) for p in error.get("loc", ()) if p != "body")
    return f"{where}: {error.get('msg', 'invalid')}" if where else str(error.get("msg"))


def split(value: str | None) -> list[str] | None:
    """A comma-separated query parameter (``status=new,filled``) as a list."""
    if value is None:
        return None
    return [v.strip() for v in value.split(",") if v.strip()]


def matches(entity: Any, statuses: list[str] | None, **wanted: str | None) -> bool:
    """The list filters of the API: status in ``statuses``, and each given field equal."""
    if statuses is not None and plain(entity.status) not in statuses:
        return False
    return all(v is None or plain(getattr(entity, k)) == v for k, v in wanted.items())


def json_default(value: Any) -> Any:
    return str(value)


def canonical(body: dict[str, Any]) -> dict[str, Any]:
    """Make a response body plain JSON (what is stored for replay is what was sent)."""
    loaded: dict[str, Any] = json.loads(json.dumps(body, default=json_default))
    return loaded
