"""Analytics over HTTP (``GET /v1/analytics/{query}``) and the dashboard (``GET /dashboard``).

Who may read what: the admin bearer token (``TENANTRY_ADMIN_TOKEN``) reads every developer; an
API key or a session token reads its own developer only: the ``developer`` parameter is forced
to the caller's developer whatever the query string says. The routes call the same
``run_query`` as ``tenantry report`` and only format. [sqlite-utils: one query layer]

End users by their developer's names: in the cloud edition, rows keyed by an end user
(``memories-per-end-user``) also show ``external_user_id``; the viewer is then always that
developer (the scope is forced) or the admin, so nobody else ever sees them.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, date, datetime

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.concurrency import run_in_threadpool

from tenantry.errors import IdentityError, QueryError
from tenantry.identity.web import API_KEY_HEADER, SESSION_HEADER
from tenantry.server.app import error, responses, services
from tenantry.store.html import render_html
from tenantry.store.queries import QUERIES, run_query

router = APIRouter()

ADMIN_COOKIE = "tenantry_admin"
SESSION_COOKIE = "tenantry_session"
ADMIN_QUERIES = (
    "developer-retention",
    "developer-daily-events",
    "top-developers",
    "event-counts",
    "edition-distribution",
    "os-distribution",
    "api-usage",
    "api-daily-usage",
    "monthly-usage",
)
DEVELOPER_QUERIES = (
    "developer-events",
    "developer-memories",
    "memories-per-end-user",
    "developer-retention",
    "developer-daily-events",
    "api-usage",
    "api-daily-usage",
    "monthly-usage",
)
THIS_MONTH = ("monthly-usage",)  # the dashboard shows this month's usage
RESPONSES = responses(401, 403, 404)


class Viewer:
    """Who is reading: ``developer`` is None for the admin."""

    def __init__(self, developer: str | None) -> None:
        self.developer = developer

    @property
    def admin(self) -> bool:
        return self.developer is None


def _is_admin(request: Request, token: str | None) -> bool:
    expected = services(request).settings.admin_token
    return bool(expected and token) and hmac.compare_digest(token.encode(), expected.encode())


def _admin_mark(request: Request) -> str:
    """The cookie value for an admin login: a MAC of the token, never the token itself."""
    key = (services(request).settings.admin_token or "").encode()
    return hmac.new(key, b"tenantry-dashboard", hashlib.sha256).hexdigest()


async def _viewer(request: Request, *, cookies: bool) -> Viewer:
    auth = request.headers.get("authorization", "")
    if auth:
        scheme, _, token = auth.partition(" ")
        if scheme.lower() == "bearer" and _is_admin(request, token.strip()):
            return Viewer(None)
        raise error(
            401, "wrong bearer token", "invalid_admin_token", {"WWW-Authenticate": "Bearer"}
        )
    if cookies and request.cookies.get(ADMIN_COOKIE):
        mark = request.cookies[ADMIN_COOKIE]
        if services(request).settings.admin_token and hmac.compare_digest(
            mark.encode(), _admin_mark(request).encode()
        ):
            return Viewer(None)
    api_key = request.headers.get(API_KEY_HEADER)
    session = request.headers.get(SESSION_HEADER)
    if cookies and not api_key and not session:
        session = request.cookies.get(SESSION_COOKIE)
    if not api_key and not session:
        raise error(
            401,
            "send X-API-Key, X-Session-Token or Authorization: Bearer <admin token>",
            "missing_credentials",
        )
    ident = await services(request).authenticate(_HeaderView(request, api_key, session))
    return Viewer(ident.developer_id)


class _HeaderView:
    """A request look-alike carrying just the two credential headers (cookie logins)."""

    def __init__(self, request: Request, api_key: str | None, session: str | None) -> None:
        self.headers = {API_KEY_HEADER: api_key, SESSION_HEADER: session}
        self.app = request.app


@router.get("/v1/analytics/{query}", responses=RESPONSES)
async def analytics(
    query: str,
    request: Request,
    developer: str | None = Query(None, max_length=64),
    since: date | None = None,
    until: date | None = None,
) -> dict:
    """A report query as JSON: ``{"query": NAME, "rows": [...]}`` (same body as
    ``tenantry report NAME --json``)."""
    viewer = await _viewer(request, cookies=False)
    if query not in QUERIES:
        raise error(404, f"unknown query; choose from {', '.join(QUERIES)}", "unknown_query")
    scope = developer if viewer.admin else viewer.developer
    store = services(request).store
    return await run_in_threadpool(
        run_query,
        store,
        query,
        developer=scope,
        since=since,
        until=until,
        external_ids=_names(request),
    )


def _names(request: Request):
    """The identity store's ``external_ids`` in the cloud edition, else None (never in
    opensource)."""
    svc = services(request)
    if svc.settings.edition != "cloud" or svc.identity is None:
        return None
    return svc.identity.external_ids


@router.get(
    "/dashboard",
    responses={
        200: {
            "description": "the dashboard page",
            "content": {"text/html": {"schema": {"type": "string"}}},
        },
        303: {"description": "logged in; go to /dashboard"},
        **responses(401),
    },
)
async def dashboard(request: Request, token: str | None = Query(None, max_length=512)):
    """Charts of the report queries. Log in with ``Authorization: Bearer <admin token>``, or
    open ``/dashboard?token=<admin token or session token>`` once (sets a cookie)."""
    if token:
        return await _login(request, token)
    viewer = await _viewer(request, cookies=True)
    names = ADMIN_QUERIES if viewer.admin else DEVELOPER_QUERIES
    title = "tenantry: all developers" if viewer.admin else f"tenantry: {viewer.developer}"
    page = await run_in_threadpool(
        dashboard_html, services(request).store, names, viewer.developer, title, _names(request)
    )
    return HTMLResponse(page)


async def _login(request: Request, token: str) -> RedirectResponse:
    response = RedirectResponse("/dashboard", status_code=303)
    secure = request.url.scheme == "https"
    if _is_admin(request, token):
        response.set_cookie(
            ADMIN_COOKIE, _admin_mark(request), httponly=True, samesite="strict", secure=secure
        )
        return response
    try:
        await services(request).authenticate(_HeaderView(request, None, token))
    except Exception as exc:
        if isinstance(exc, IdentityError) or getattr(exc, "status_code", 0) == 401:
            raise error(401, "unknown or expired token", "invalid_token") from None
        raise
    response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="strict", secure=secure)
    return response


def dashboard_html(store, names, developer: str | None, title: str, external_ids=None) -> str:
    """The dashboard page for ``names`` (scoped to ``developer`` when given; ``THIS_MONTH``
    queries from the first of this month, UTC); a query that cannot be answered over this data
    shows as empty."""
    first = datetime.now(UTC).date().replace(day=1)
    results = []
    for name in names:
        since = first if name in THIS_MONTH else None
        try:
            results.append(
                run_query(store, name, developer=developer, since=since, external_ids=external_ids)
            )
        except QueryError:
            results.append({"query": name, "rows": []})
    return render_html(results, title)
