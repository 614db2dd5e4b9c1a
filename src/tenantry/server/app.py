"""The FastAPI app factory: shared state, lifespan and the JSON error shape.

    app = create_app()                   # settings from the environment
    uvicorn.run(app, host="127.0.0.1", port=8000)

Every error is a 4xx with ``{"error": ..., "code": ...}``; nothing a client sends is echoed back
when it could be a credential. [FastAPI "Handling errors"; Stripe's error object]
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from tenantry import __version__
from tenantry.config import Settings, load_settings
from tenantry.errors import IdentityError, PrivacyRefused, QueryError, TenantryError
from tenantry.server.limits import BodyLimit, Limiter, Rate
from tenantry.server.memories import MemoryTable
from tenantry.server.relay import MAX_BODY_BYTES, Relay
from tenantry.shared_state import SharedState, make_dedup, make_limiter

logger = logging.getLogger("tenantry.server")

RELAY_PATH = "/v1/telemetry/events"
DEFAULT_IP_RATE = Rate(per_second=2000, burst=4000)  # relay requests per client IP
RETENTION_INTERVAL = 3600.0  # seconds between retention sweeps
DEFAULT_ANON_RATE = Rate(per_second=100, burst=200)  # relay requests per anonymous_id
DEFAULT_LOGIN_RATE = Rate(per_second=0.2, burst=10)  # login attempts per email (12 a minute)


class ErrorBody(BaseModel):
    """Every error the service answers: a readable message and a stable code."""

    error: str
    code: str


def responses(*codes: int) -> dict[int | str, dict]:
    """OpenAPI entries for the error ``codes`` a route can answer (400 and 422 always)."""
    text = {
        400: "malformed body or a query that cannot be answered as asked",
        401: "missing, wrong, revoked or expired credentials",
        403: "refused (a user-level query over opensource data)",
        404: "not found",
        413: "body over 1 MB or more than 1,000 events",
        422: "the request does not match the schema",
        429: "rate limited; see Retry-After",
    }
    return {c: {"model": ErrorBody, "description": text[c]} for c in sorted({400, 422, *codes})}


@dataclass
class Services:
    """What the routes share; built in the lifespan unless handed to ``create_app``."""

    settings: Settings
    telemetry: Any = None
    identity: Any = None
    store: Any = None
    relay: Relay | None = None
    memories: MemoryTable | None = None
    ip_limiter: Limiter | None = None
    anon_limiter: Limiter | None = None
    login_limiter: Any = None
    shared: Any = None  # tenantry.shared_state.SharedState when TENANTRY_REDIS_URL is set
    authenticate: Any = None
    end_users: dict = field(default_factory=dict)  # see api._end_user
    owned: list = field(default_factory=list)


def services(request: Request) -> Services:
    return request.app.state.services


def error(status: int, message: str, code: str, headers: dict | None = None) -> HTTPException:
    """An ``HTTPException`` whose body is ``{"error": message, "code": code}``."""
    return HTTPException(status, detail={"error": message, "code": code}, headers=headers)


def create_app(
    settings: Settings | None = None,
    *,
    telemetry: Any = None,
    identity: Any = None,
    store: Any = None,
    relay_destinations: list | None = None,
    ip_rate: Rate = DEFAULT_IP_RATE,
    anon_rate: Rate = DEFAULT_ANON_RATE,
) -> FastAPI:
    """The service. Anything not passed (telemetry, identity store, event store) is opened from
    ``settings`` when the app starts and closed when it stops."""
    settings = settings or load_settings()
    state = Services(settings, telemetry=telemetry, identity=identity, store=store)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        _open(state, relay_destinations)
        # Shared by every replica through Redis when TENANTRY_REDIS_URL is set; a Redis outage
        # lets relay traffic through and refuses logins.
        state.ip_limiter = make_limiter(state.shared, ip_rate, "relay-ip", fail_open=True)
        state.anon_limiter = make_limiter(state.shared, anon_rate, "relay-anon", fail_open=True)
        state.login_limiter = make_limiter(
            state.shared, DEFAULT_LOGIN_RATE, "login", fail_open=False
        )
        retention = asyncio.create_task(_retention_loop(state), name="tenantry-retention")
        # Everything loaded so far (FastAPI, SQLAlchemy, pyarrow, DuckDB, ...: some 120,000
        # objects) lives as long as the service. Move it out of the cyclic GC's reach: a full
        # collection over it stops the event loop for ~60 ms, more than the p99 budget.
        gc.collect()
        gc.freeze()
        try:
            yield
        finally:
            retention.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await retention
            _close(state)
            gc.unfreeze()

    app = FastAPI(
        title="tenantry",
        version=__version__,
        summary="Tenant-aware, privacy-first product telemetry: reference API, relay, analytics.",
        lifespan=lifespan,
    )
    app.state.services = state
    from tenantry.asgi import TelemetryMiddleware, identity_resolver

    app.add_middleware(  # api_request per /v1/* request, per developer (the API usage reports)
        TelemetryMiddleware,
        resolve=identity_resolver(lambda: state.identity),
        telemetry=lambda: state.telemetry,
        prefixes=("/v1/",),
    )
    app.add_middleware(BodyLimit, max_bytes=MAX_BODY_BYTES, paths=(RELAY_PATH,))
    _install_error_handlers(app)

    from tenantry.server import analytics, api, relay_routes

    app.include_router(api.router)
    app.include_router(relay_routes.router)
    app.include_router(analytics.router)
    return app


def _open(state: Services, relay_destinations: list | None) -> None:
    from tenantry import TelemetryService
    from tenantry.identity import IdentityStore
    from tenantry.identity.web import make_authenticator
    from tenantry.store import open_store

    s = state.settings
    state.shared = SharedState.from_settings(s)
    if state.shared is not None:
        state.owned.append(state.shared.close)
    if state.identity is None:
        state.identity = IdentityStore.open(s)
        state.owned.append(state.identity.close)
    if state.store is None:
        state.store = open_store(s)
        state.owned.append(state.store.close)
    if state.telemetry is None:
        state.telemetry = TelemetryService(s)
        state.owned.append(lambda: state.telemetry.shutdown(5.0))
    state.authenticate = make_authenticator(lambda: state.identity)
    state.memories = MemoryTable(s.identity_database_url)
    state.owned.append(state.memories.close)
    state.relay = Relay(s, destinations=relay_destinations, dedup=make_dedup(state.shared))
    state.owned.append(lambda: state.relay.shutdown(5.0))


async def _retention_loop(state: Services) -> None:
    """Drop events older than ``TELEMETRY_RETENTION_DAYS`` from the store: at start, then
    every ``RETENTION_INTERVAL`` seconds, off the event loop."""
    from tenantry.store import apply_retention

    while True:
        try:
            await run_in_threadpool(apply_retention, state.store, state.settings.retention_days)
        except Exception:  # a failed sweep is retried next time; the service keeps serving
            logger.exception("tenantry: retention sweep failed")
        await asyncio.sleep(RETENTION_INTERVAL)


def _close(state: Services) -> None:
    for close in reversed(state.owned):
        try:
            close()
        except Exception:  # one failing close must not keep the others open
            logger.exception("tenantry: closing a service part failed")
    state.owned.clear()


def _body(detail: Any, status: int) -> dict:
    if isinstance(detail, dict) and "error" in detail:
        return detail
    return {"error": str(detail) if detail else "request failed", "code": f"http_{status}"}


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return JSONResponse(
            _body(exc.detail, exc.status_code), exc.status_code, headers=exc.headers
        )

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        details = [
            {"loc": [str(p) for p in e.get("loc", ())], "msg": str(e.get("msg", ""))}
            for e in exc.errors()[:20]
        ]  # never the input itself: it may hold a credential
        body = {"error": "invalid request", "code": "invalid_request", "details": details}
        return JSONResponse(body, 422)

    @app.exception_handler(IdentityError)
    async def identity_error(request: Request, exc: IdentityError) -> JSONResponse:
        from tenantry.identity.web import error_code

        status = getattr(exc, "status_code", 401)  # 401, or 404 for NotFound
        return JSONResponse({"error": str(exc), "code": error_code(exc)}, status)

    @app.exception_handler(PrivacyRefused)
    async def refused(request: Request, exc: PrivacyRefused) -> JSONResponse:
        return JSONResponse({"error": str(exc), "code": "privacy_refused"}, 403)

    @app.exception_handler(QueryError)
    async def bad_query(request: Request, exc: QueryError) -> JSONResponse:
        return JSONResponse({"error": str(exc), "code": "invalid_query"}, 400)

    @app.exception_handler(TenantryError)
    async def tenantry_error(request: Request, exc: TenantryError) -> JSONResponse:
        return JSONResponse({"error": str(exc), "code": "bad_request"}, 400)
