"""The FastAPI app factory: shared state, limits, lifespan and the error handlers.

    app = create_app()                   # settings from the environment
    uvicorn.Server(server_config(app, host="127.0.0.1", port=8000)).run()   # as `tenantry serve`

Reads top-down: ``common`` (server state, error shape) <- the route modules (``api``,
``relay_routes``, ``analytics``, ``dashboard``) <- this module. ``connections.server_config``
runs uvicorn with ``proxy_headers=False`` (which forwarded headers to believe is
``TENANTRY_TRUSTED_PROXIES``'s job) and with the header timeout and connection caps.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import sys
from collections.abc import AsyncIterator
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from tenantry import __version__
from tenantry.config import Settings, load_settings
from tenantry.errors import IdentityError, PrivacyRefused, QueryError, TenantryError
from tenantry.limits import MAX_BODY_BYTES
from tenantry.server import analytics, api, dashboard, relay_routes
from tenantry.server.api import HashSlots
from tenantry.server.common import ServerState
from tenantry.server.limits import BodyLimit, Rate, make_limiter
from tenantry.server.memories import MemoryTable
from tenantry.server.relay import Relay
from tenantry.shared_state import SharedState, make_dedup

logger = logging.getLogger("tenantry.server")

RETENTION_INTERVAL = 3600.0  # seconds between retention sweeps
# Relay allowances, in events: far above what one installation sends (its relay destination
# batches a few hundred events a second at most), far below a flood (tens of thousands a second).
DEFAULT_IP_RATE = Rate(per_second=5000, burst=50_000)  # events per client address
DEFAULT_ANON_RATE = Rate(per_second=1000, burst=20_000)  # events per installation
# Login attempts: a person mistyping never meets these; a password guesser does at once.
DEFAULT_LOGIN_RATE = Rate(per_second=1 / 30, burst=10)  # per account (email)
DEFAULT_LOGIN_IP_RATE = Rate(per_second=1 / 2, burst=30)  # per client address
# Wrong admin tokens, dashboard cookies and login forms from every address together (right
# ones are given back): a distributed guesser meets this; the admin then waits, never the data.
DEFAULT_LOGIN_OVERALL_RATE = Rate(per_second=1, burst=100)
# Body caps per route, in bytes; anything else (GET, DELETE, ...) gets DEFAULT_BODY_LIMIT.
BODY_LIMITS = {
    relay_routes.PATH: MAX_BODY_BYTES,
    "/v1/memories": 1024 * 1024,  # content up to 100,000 characters, JSON-escaped
    "/v1/memories/search": 16 * 1024,
    "/v1/auth/sessions": 8 * 1024,
    "/dashboard/login": 4 * 1024,
}
DEFAULT_BODY_LIMIT = 16 * 1024
SWITCH_INTERVAL = 0.001  # seconds a thread holds the GIL before it is offered (CPython: 0.005)
# Allocations between two collections of the cyclic GC's youngest generation (CPython: 700).
# A relayed event allocates a dozen tracked objects (the parsed dicts, the draft, the Event)
# that die young and hold no cycle: at 700 the relay ran a collection every ~60 events.
YOUNG_GC_THRESHOLD = 20_000


def create_app(
    settings: Settings | None = None,
    *,
    telemetry: Any = None,
    identity: Any = None,
    store: Any = None,
    relay_destinations: list | None = None,
    ip_rate: Rate = DEFAULT_IP_RATE,
    anon_rate: Rate = DEFAULT_ANON_RATE,
    login_rate: Rate = DEFAULT_LOGIN_RATE,
    login_ip_rate: Rate = DEFAULT_LOGIN_IP_RATE,
    login_overall_rate: Rate = DEFAULT_LOGIN_OVERALL_RATE,
) -> FastAPI:
    """The server. Anything not passed (telemetry, identity store, event store) is opened from
    ``settings`` when the app starts and closed when it stops. ``ip_rate``/``anon_rate`` are the
    relay's allowances in events per address / installation; ``login_rate``/``login_ip_rate``
    in login attempts per account / address, ``login_overall_rate`` in failed credential
    checks (admin token, dashboard cookie, login form) from every address together."""
    settings = settings or load_settings()
    state = ServerState(
        settings,
        telemetry=telemetry,
        identity=identity,
        store=store,
        trusted=settings.trusted_proxies,  # parsed by config
    )
    rates = {
        "relay_address": ip_rate,
        "relay_installation": anon_rate,
        "login_account": login_rate,
        "login_address": login_ip_rate,
        "login_overall": login_overall_rate,
    }

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        _open(state, relay_destinations, rates)
        retention = asyncio.create_task(_retention_loop(state), name="tenantry-retention")
        # Everything loaded so far (FastAPI, SQLAlchemy, pyarrow, DuckDB, ...: some 120,000
        # objects) lives as long as the server. Move it out of the cyclic GC's reach: a full
        # collection over it stops the event loop for ~60 ms, more than the p99 budget.
        gc.collect()
        gc.freeze()
        # Relay-only load, alternated runs: 14.2-16.5 us of server CPU per event at 20,000
        # against 17.1-19.2 at 700 (docs/PERFORMANCE-server.md).
        thresholds = gc.get_threshold()
        gc.set_threshold(YOUNG_GC_THRESHOLD, *thresholds[1:])
        # The event loop shares the GIL with the senders, the telemetry worker and the store's
        # writers; each takes it for up to the switch interval whenever the loop waits for it.
        # At CPython's 5 ms, a request that waits two or three times stays 10-15 ms in the queue
        # behind them (the /v1/memories p99); at 1 ms the same load's p99 fell 3x, the relay's
        # throughput unchanged (docs/PERFORMANCE-server.md).
        switch = sys.getswitchinterval()
        sys.setswitchinterval(SWITCH_INTERVAL)
        try:
            yield
        finally:
            sys.setswitchinterval(switch)
            retention.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await retention
            _close(state)
            gc.set_threshold(*thresholds)
            gc.unfreeze()

    app = FastAPI(
        title="tenantry",
        version=__version__,
        summary="Tenant-aware, privacy-first product telemetry: reference API, relay, analytics.",
        lifespan=lifespan,
        docs_url=None,  # /docs and /redoc come from web.pages, their files from the package
        redoc_url=None,
    )
    app.state.server_state = state
    from tenantry.asgi import TelemetryMiddleware, identity_resolver

    app.add_middleware(  # api_request per /v1/* request, per developer (the API usage reports)
        TelemetryMiddleware,
        resolve=identity_resolver(lambda: state.identity),
        telemetry=lambda: state.telemetry,
        prefixes=("/v1/",),
        # tenantry's own surface is not the host API: the relay is the installations' anonymous
        # channel (counted by the relay itself), status and analytics are the read side
        exclude=(relay_routes.PATH, "/v1/telemetry/status", "/v1/analytics/"),
    )
    app.add_middleware(BodyLimit, limits=BODY_LIMITS, default=DEFAULT_BODY_LIMIT)
    _add_read_timeouts(app, settings)
    _install_error_handlers(app)
    _install_web(app)
    app.include_router(api.router)
    app.include_router(relay_routes.router)
    app.include_router(analytics.router)
    app.include_router(dashboard.router)
    return app


def _install_web(app: FastAPI) -> None:
    """Pages for browsers: ``/``, ``/docs``, ``/redoc``, the static assets, and HTML in place
    of the JSON errors above for a browser asking for a page (``web.pages``)."""
    from tenantry.server.web import assets, pages

    pages.install(app)
    app.include_router(assets.router)


def _add_read_timeouts(app: FastAPI, settings: Settings) -> None:
    """Outermost: a stalled body is cut (408) wherever it is read, ``BodyLimit``'s drain
    included. Header timeouts and connection caps are the protocol's (``connections``)."""
    from tenantry.server.connections import ReadTimeouts

    app.add_middleware(ReadTimeouts, idle=settings.body_idle_timeout, total=settings.body_timeout)


def _limits(state: ServerState, rates: dict[str, Rate]) -> None:
    """The one place shared-state limits are built: rate limiters (``take(key, cost)``), the
    relay's dedup (``first_seen(uuids)``) and the cap on concurrent password hashing. A
    multi-replica deployment swaps shared implementations in here."""
    # With TENANTRY_REDIS_URL every replica shares them (shared_state); a Redis outage lets relay
    # traffic through (fail open) and refuses logins (fail closed).
    state.limiters = {
        name: make_limiter(state.shared, rate, name, fail_open=name.startswith("relay"))
        for name, rate in rates.items()
    }
    state.hashing = HashSlots()
    state.relay_dedup = make_dedup(state.shared, name="relay")


def _open(state: ServerState, relay_destinations: list | None, rates: dict[str, Rate]) -> None:
    from tenantry import TelemetryService
    from tenantry._files import private_dir
    from tenantry.identity import IdentityStore
    from tenantry.identity.dashboard_sessions import DashboardSessions
    from tenantry.identity.web import make_authenticator
    from tenantry.store import open_store

    s = state.settings
    private_dir(s.data_dir)  # 0700 when created; one warning when an existing one is looser
    state.shared = SharedState.from_settings(s)  # None unless TENANTRY_REDIS_URL is set
    if state.shared is not None:
        state.owned.append(state.shared.close)
    _limits(state, rates)
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
    state.dashboard = DashboardSessions(state.identity, admin_token=s.admin_token)
    state.memories = MemoryTable(s.identity_database_url)
    state.owned.append(state.memories.close)
    state.relay = Relay(s, destinations=relay_destinations, dedup=state.relay_dedup)
    state.owned.append(lambda: state.relay.shutdown(5.0))


async def _retention_loop(state: ServerState) -> None:
    """Drop events older than ``TELEMETRY_RETENTION_DAYS`` from the store: at start, then
    every ``RETENTION_INTERVAL`` seconds, off the event loop."""
    from tenantry.store import apply_retention

    while True:
        try:
            await run_in_threadpool(apply_retention, state.store, state.settings.retention_days)
        except Exception:  # a failed sweep is retried next time; the server keeps serving
            logger.exception("tenantry: retention sweep failed")
        await asyncio.sleep(RETENTION_INTERVAL)


def _close(state: ServerState) -> None:
    for close in reversed(state.owned):
        try:
            close()
        except Exception:  # one failing close must not keep the others open
            logger.exception("tenantry: closing a server part failed")
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
        from tenantry.identity.web import error_code, http_status

        return JSONResponse({"error": str(exc), "code": error_code(exc)}, http_status(exc))

    @app.exception_handler(PrivacyRefused)
    async def refused(request: Request, exc: PrivacyRefused) -> JSONResponse:
        return JSONResponse({"error": str(exc), "code": "privacy_refused"}, 403)

    @app.exception_handler(QueryError)
    async def bad_query(request: Request, exc: QueryError) -> JSONResponse:
        return JSONResponse({"error": str(exc), "code": "invalid_query"}, 400)

    @app.exception_handler(TenantryError)
    async def tenantry_error(request: Request, exc: TenantryError) -> JSONResponse:
        return JSONResponse({"error": str(exc), "code": "bad_request"}, 400)
