"""The dashboard: ``GET /dashboard`` (overview), ``GET /dashboard/developers`` (lookup) and
``GET /dashboard/developers/{developer_id}`` (one developer), ``GET|POST /dashboard/login``,
``POST /dashboard/logout``.

Logging in posts the admin token or a developer's session token as the form field ``token``
(never in a URL); the answer is a random, expiring, server-side session (see
``identity.dashboard_sessions``) in an HttpOnly, SameSite=Strict cookie. The cookie holds no
credential and no MAC of one, so seeing it tests no token guess; logout deletes the session on
the server. Login attempts are throttled per client address like password logins.

The admin sees every developer; a developer sees the same pages for their own data only. A
date range in the URL (``?range=7d``, ``?since=...&until=...``; ``web.ranges``) drives every
tile, chart and table. What each page shows is ``web.views``; how it looks, ``web/templates``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.concurrency import run_in_threadpool

from tenantry.errors import IdentityError
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
from tenantry.server.web import views
from tenantry.server.web.pages import PAGE_HEADERS, login_form, page, render, safe_next
from tenantry.server.web.ranges import PRESETS, Range, parse_range
from tenantry.store.html import Names

router = APIRouter()

COOKIE = "tenantry_dashboard"
_HTML = {"content": {"text/html": {"schema": {"type": "string"}}}}
SEARCH_LIMIT = 50


def _errors(*codes: int) -> dict:
    """The error answers of a page route: JSON (``ErrorBody``) for API clients, whatever the
    page's own type (a browser gets them as HTML pages: ``web.pages``)."""
    ref = {"$ref": "#/components/schemas/ErrorBody"}
    return {
        code: {"description": doc["description"], "content": {"application/json": {"schema": ref}}}
        for code, doc in responses(*codes).items()
    }


@router.get("/dashboard/login", response_class=HTMLResponse, responses={200: _HTML})
async def login_page(request: Request) -> HTMLResponse:
    """The login form (posts ``token`` to ``/dashboard/login``, keeping ``next``)."""
    return login_form(request)


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
    a random, expiring, server-side session cookie, then sends the browser on to ``next``
    (a path on this server). A form posted from another site is refused (403: login CSRF)."""
    if not same_origin(request):
        raise error(403, "a login form from another site is refused", "cross_origin")
    raw = await credential_check(request, lambda: _log_in(request, token))
    if raw is None:
        raise error(401, "unknown or expired token", "invalid_token")
    response = RedirectResponse(safe_next(request.query_params.get("next")), status_code=303)
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


async def _dashboard_viewer(request: Request) -> tuple[Viewer, bool]:
    """The viewer, and whether they came with the session cookie (then the page offers Log out)."""
    who = await viewer(request)
    if who is not None:
        return who, False
    cookie = request.cookies.get(COOKIE)
    if not cookie:
        raise missing_credentials()
    lookup = server_state(request).dashboard.lookup
    login = await credential_check(request, lambda: run_in_threadpool(lookup, cookie))
    if login is None:
        raise missing_credentials()
    return Viewer(login.developer_id), True


def _range(since: str | None, until: str | None, preset: str | None) -> Range:
    return parse_range(preset, since, until)


_RANGE_ARGS = {
    # checked by parse_range (a 400 with the JSON error body, an HTML page for a browser)
    "range_": Query(alias="range", description="24h, 7d (default) or 30d"),
    "since": Query(description="first day, YYYY-MM-DD (UTC)"),
    "until": Query(description="last day, YYYY-MM-DD (UTC)"),
}


def _people(request: Request, rng: Range, viewer_developer: str | None):
    """How a page names developers: by email, linked to their page (keeping the range); a
    developer's page links only to their own."""
    identity = server_state(request).identity

    def names(results: list[dict]) -> Names:
        ids = views.developer_ids(results)
        emails = identity.developer_emails(ids) if ids and identity is not None else {}

        def link(dev: str) -> str | None:
            if viewer_developer is not None and dev != viewer_developer:
                return None
            return f"/dashboard/developers/{dev}?{rng.query}"

        return Names(emails, link)

    return names


def _context(request: Request, who: Viewer, cookie: bool, rng: Range, page_name: str) -> dict:
    state = server_state(request)
    label = "admin"
    if not who.admin and state.identity is not None:
        label = state.identity.developer_emails([who.developer]).get(who.developer, who.developer)
    return {
        "nav": True,
        "page": page_name,
        "range": rng,
        "presets": PRESETS,
        "viewer_admin": who.admin,
        "viewer_developer": who.developer,
        "who": label,
        "logout": cookie,
        "figures": True,
    }


def _runner(request: Request, rng: Range, developer: str | None) -> views.Runner:
    state = server_state(request)
    return views.Runner(
        state.store,
        rng,
        developer=developer,
        external_ids=external_names(request),
        min_group_size=state.store.min_group_size,
    )


@router.get(
    "/dashboard",
    response_class=HTMLResponse,
    responses={200: {"description": "the overview page", **_HTML}, **_errors(401)},
)
async def dashboard(
    request: Request,
    range_: Annotated[str | None, _RANGE_ARGS["range_"]] = None,
    since: Annotated[str | None, _RANGE_ARGS["since"]] = None,
    until: Annotated[str | None, _RANGE_ARGS["until"]] = None,
) -> HTMLResponse:
    """The overview: KPI tiles (with the change against the previous range) and charts, for
    every developer (admin) or one's own data (a developer). After ``POST /dashboard/login``
    (cookie), or with ``Authorization: Bearer <admin token>``."""
    who, cookie = await _dashboard_viewer(request)
    rng = _range(since, until, range_)

    def build() -> str:
        context = _context(request, who, cookie, rng, "overview")
        runner = _runner(request, rng, who.developer)
        data = views.overview(runner, _people(request, rng, who.developer), admin=who.admin)
        heading = "All developers" if who.admin else f"Your data: {context['who']}"
        return render(
            "overview.html",
            **context,
            title="Overview",
            heading=heading,
            range_path="/dashboard",
            tile_items=data.tiles,
            charts=data.charts,
            opensource=data.opensource,
            notice=data.notice,
        )

    return HTMLResponse(await run_in_threadpool(build), headers=PAGE_HEADERS)


@router.get(
    "/dashboard/developers",
    response_class=HTMLResponse,
    responses={
        200: {"description": "developer lookup", **_HTML},
        303: {"description": "an exact match, or a developer: their page"},
        **_errors(401),
    },
)
async def developers(
    request: Request,
    q: Annotated[str, Query(description="email (any part) or dev_ ID")] = "",
    range_: Annotated[str | None, _RANGE_ARGS["range_"]] = None,
    since: Annotated[str | None, _RANGE_ARGS["since"]] = None,
    until: Annotated[str | None, _RANGE_ARGS["until"]] = None,
):
    """Find a developer by email or ``dev_`` ID (admin); an exact match opens their page. A
    developer is sent to their own page."""
    who, cookie = await _dashboard_viewer(request)
    rng = _range(since, until, range_)
    if not who.admin:
        return RedirectResponse(f"/dashboard/developers/{who.developer}?{rng.query}", 303)
    identity = server_state(request).identity
    found = await run_in_threadpool(identity.find_developers, q, limit=SEARCH_LIMIT)
    text = q.strip().lower()
    exact = [d for d in found if text and (d.id == q.strip() or d.email.lower() == text)]
    if len(exact) == 1:
        return RedirectResponse(f"/dashboard/developers/{exact[0].id}?{rng.query}", 303)
    context = _context(request, who, cookie, rng, "developers")
    return page(
        "developers.html",
        **context,
        title="Developers",
        q=q,
        found=found,
        limit=SEARCH_LIMIT,
    )


@router.get(
    "/dashboard/developers/{developer_id}",
    response_class=HTMLResponse,
    responses={200: {"description": "one developer", **_HTML}, **_errors(401, 404)},
)
async def developer(
    request: Request,
    developer_id: str,
    range_: Annotated[str | None, _RANGE_ARGS["range_"]] = None,
    since: Annotated[str | None, _RANGE_ARGS["since"]] = None,
    until: Annotated[str | None, _RANGE_ARGS["until"]] = None,
) -> HTMLResponse:
    """One developer (admin: any; a developer: their own): profile, API keys, tiles, recent
    events, end users with their activity, API usage per route, monthly usage."""
    who, cookie = await _dashboard_viewer(request)
    rng = _range(since, until, range_)
    identity = server_state(request).identity
    profile = None
    if who.admin or who.developer == developer_id:
        profile = await run_in_threadpool(identity.get_developer, developer_id)
    if profile is None:  # another developer's page is "not found", never "forbidden"
        raise error(404, "no such developer", "not_found")

    def build() -> str:
        context = _context(request, who, cookie, rng, "developer")
        runner = _runner(request, rng, developer_id)
        data = views.developer_page(runner, _people(request, rng, who.developer))
        return render(
            "developer.html",
            **context,
            title=profile.email,
            profile=profile,
            keys=identity.list_api_keys(developer_id),
            range_path=f"/dashboard/developers/{developer_id}",
            tile_items=data.tiles,
            charts=data.charts,
        )

    return HTMLResponse(await run_in_threadpool(build), headers=PAGE_HEADERS)


def static_overview(state, rng: Range | None = None) -> str:
    """The admin overview as one self-contained file (plotly.js inlined; no links, no range
    control, no log-out button: it is opened from disk): what ``tenantry demo`` writes."""
    from tenantry.store.html import draw_js, plotly_js

    rng = rng or parse_range(None, None, None)
    runner = views.Runner(
        state.store,
        rng,
        developer=None,
        external_ids=None,
        min_group_size=state.store.min_group_size,
    )
    identity = state.identity

    def names(results: list[dict]) -> Names:
        ids = views.developer_ids(results)
        return Names(identity.developer_emails(ids) if ids and identity is not None else {})

    data = views.overview(runner, names, admin=True)
    scripts = (plotly_js() + b"\n" + draw_js()).decode("utf-8").replace("</script", "<\\/script")
    return render(
        "overview.html",
        title="Overview",
        who="",
        heading=f"All developers, {rng.label} ({rng.span})",
        range=rng,
        range_path=None,
        tile_items=data.tiles,
        charts=data.charts,
        opensource=data.opensource,
        notice="A static copy of the dashboard: it inlines plotly.js, so it opens offline.",
        figures=True,
        inline_scripts=scripts,
    )
