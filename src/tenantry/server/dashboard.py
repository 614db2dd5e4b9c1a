"""The dashboard: ``GET /dashboard`` (charts), ``GET|POST /dashboard/login``, ``POST
/dashboard/logout``.

Logging in posts the admin token or a developer's session token as the form field ``token``
(never in a URL); the answer is a random, expiring, server-side session (see
``identity.dashboard_sessions``) in an HttpOnly, SameSite=Strict cookie. The cookie holds no
credential and no MAC of one, so seeing it tests no token guess; logout deletes the session on
the server. Login attempts are throttled per client address like password logins.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.concurrency import run_in_threadpool

from tenantry.errors import IdentityError, QueryError
from tenantry.identity.dashboard_sessions import DASHBOARD_TTL
from tenantry.server.analytics import Viewer, external_names, missing_credentials, viewer
from tenantry.server.common import (
    credential_check,
    error,
    is_admin,
    is_https,
    responses,
    same_origin,
    server_state,
)
from tenantry.store.html import render_html
from tenantry.store.queries import DEFINITIONS, run_query

router = APIRouter()

COOKIE = "tenantry_dashboard"
# From the registry: the operator sees every query that needs no developer; a developer sees
# the user-level (cloud) queries about their own data, never one that ranks all developers.
ADMIN_QUERIES = tuple(q.name for q in DEFINITIONS.values() if not q.needs_developer)
DEVELOPER_QUERIES = tuple(
    q.name for q in DEFINITIONS.values() if q.cloud and not q.across_developers
)
THIS_MONTH = ("monthly-usage",)  # the dashboard shows this month's usage
_HTML = {"content": {"text/html": {"schema": {"type": "string"}}}}
LOGIN_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>tenantry: log in</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem}</style></head><body>
<h1>tenantry dashboard</h1>
<form method="post" action="/dashboard/login">
<label>Admin token or session token <input type="password" name="token" autocomplete="off"
 required></label> <button type="submit">Log in</button></form></body></html>"""
# Pages are never cached, never framed (clickjacking a logout or a login), never sniffed.
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
LOGOUT_FORM = (
    '<form method="post" action="/dashboard/logout" style="float:right">'
    '<button type="submit">Log out</button></form>'
)


@router.get("/dashboard/login", response_class=HTMLResponse, responses={200: _HTML})
async def login_page() -> HTMLResponse:
    """The login form (posts ``token`` to ``/dashboard/login``)."""
    return HTMLResponse(LOGIN_PAGE, headers=PAGE_HEADERS)


@router.post(
    "/dashboard/login",
    status_code=303,
    response_class=RedirectResponse,
    responses={303: {"description": "logged in; go to /dashboard"}, **responses(401, 403, 429)},
)
async def login(
    request: Request, token: Annotated[str, Form(min_length=1, max_length=512)]
) -> RedirectResponse:
    """Log in with the admin token or a developer's session token (form field ``token``): sets
    a random, expiring, server-side session cookie. A form posted from another site is refused
    (403: login CSRF)."""
    if not same_origin(request):
        raise error(403, "a login form from another site is refused", "cross_origin")
    raw = await credential_check(request, lambda: _log_in(request, token))
    if raw is None:
        raise error(401, "unknown or expired token", "invalid_token")
    response = RedirectResponse("/dashboard", status_code=303)
    response.set_cookie(
        COOKIE,
        raw,
        max_age=int(DASHBOARD_TTL),
        httponly=True,
        samesite="strict",
        secure=is_https(request),
        path="/",
    )
    return response


async def _log_in(request: Request, token: str) -> str | None:
    """A new dashboard login's cookie for the admin token or a live session token, or None."""
    state = server_state(request)
    if is_admin(request, token):
        return (await run_in_threadpool(state.dashboard.create, None))[1]
    try:
        ident = await run_in_threadpool(state.identity.resolve, session_token=token)
    except IdentityError:
        return None
    session_id = await run_in_threadpool(state.identity.session_id, token)
    login = await run_in_threadpool(
        state.dashboard.create, ident.developer_id, session_id=session_id
    )
    return login[1]


@router.post(
    "/dashboard/logout",
    status_code=303,
    response_class=RedirectResponse,
    responses={303: {"description": "logged out; go to /dashboard/login"}, **responses()},
)
async def logout(request: Request) -> RedirectResponse:
    """End the dashboard session on the server and clear its cookie."""
    await run_in_threadpool(server_state(request).dashboard.revoke, request.cookies.get(COOKIE))
    response = RedirectResponse("/dashboard/login", status_code=303)
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict")
    return response


async def _dashboard_viewer(request: Request) -> Viewer:
    who = await viewer(request)
    if who is not None:
        return who
    cookie = request.cookies.get(COOKIE)
    if not cookie:
        raise missing_credentials()
    lookup = server_state(request).dashboard.lookup
    login = await credential_check(request, lambda: run_in_threadpool(lookup, cookie))
    if login is None:
        raise missing_credentials()
    return Viewer(login.developer_id)


@router.get(
    "/dashboard",
    response_class=HTMLResponse,
    responses={200: {"description": "the dashboard page", **_HTML}, **responses(401)},
)
async def dashboard(request: Request) -> HTMLResponse:
    """Charts of the report queries: after ``POST /dashboard/login`` (cookie), or with
    ``Authorization: Bearer <admin token>``."""
    who = await _dashboard_viewer(request)
    names = ADMIN_QUERIES if who.admin else DEVELOPER_QUERIES
    title = "tenantry: all developers" if who.admin else f"tenantry: {who.developer}"
    page = await run_in_threadpool(
        dashboard_html,
        server_state(request).store,
        names,
        who.developer,
        title,
        external_names(request),
    )
    page = page.replace("<body>", "<body>" + LOGOUT_FORM, 1)
    return HTMLResponse(page, headers=PAGE_HEADERS)


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
