"""Pages for people with a browser: the templates, the landing page (``/``), the API docs from
the package (``/docs``, ``/redoc``: no CDN), and HTML in place of JSON errors.

A request "wants HTML" when its ``Accept`` names ``text/html`` and it is not for the JSON API
(``/v1/...``, ``/healthz``, ``/openapi.json``). Such a request without a login is sent to
``/dashboard/login?next=...``; a wrong token at the login form gets the form back with a line
saying what went wrong; any other error is a small HTML page. API clients keep getting the JSON
errors the app's handlers make: the handlers are wrapped here, not replaced, so how a request is
authenticated and what error it gets are decided in one place (``server.app``, ``common``).
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote, urlsplit

import orjson
from fastapi import APIRouter, FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from jinja2 import Environment, PackageLoader, select_autoescape

from tenantry.server.web.assets import ASSETS
from tenantry.store.html import figure_json

logger = logging.getLogger("tenantry.server")

router = APIRouter(include_in_schema=False)

LOGIN = "/dashboard/login"
# Pages are never cached, never framed (clickjacking a logout or a login), never sniffed, and
# load nothing from anywhere but this server (the browser refuses, whatever a library asks).
_SELF_ONLY = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": _SELF_ONLY + "script-src 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
# Swagger UI and ReDoc start from an inline script, and ReDoc's sidebar shows a logo from its
# vendor's CDN, which this policy keeps the browser from fetching.
DOCS_HEADERS = {
    **PAGE_HEADERS,
    "Content-Security-Policy": _SELF_ONLY
    + "script-src 'self' 'unsafe-inline'; worker-src 'self' blob:; frame-ancestors 'none'",
}
_API_PATHS = ("/v1/", "/healthz", "/openapi.json", "/static/")

templates = Environment(
    loader=PackageLoader("tenantry.server.web", "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
)
templates.globals.update(asset=ASSETS.url, figure_json=figure_json)


def render(name: str, **context: Any) -> str:
    """The template ``name`` with ``context`` (every value escaped unless marked safe)."""
    context.setdefault("nav", False)
    context.setdefault("figures", False)
    return templates.get_template(name).render(**context)


def page(name: str, status: int = 200, headers: dict | None = None, **context: Any) -> HTMLResponse:
    return HTMLResponse(
        render(name, **context), status, headers={**PAGE_HEADERS, **(headers or {})}
    )


def wants_html(request: Request) -> bool:
    """A browser asking for a page (not the JSON API)."""
    if request.url.path.startswith(_API_PATHS):
        return False
    return "text/html" in request.headers.get("accept", "")


def safe_next(value: str | None) -> str:
    """Where to go after logging in: a dashboard path on this server, else ``/dashboard``."""
    if not value or not value.startswith("/dashboard") or value.startswith(LOGIN):
        return "/dashboard"
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or "\\" in value or "//" in value:
        return "/dashboard"
    return value


def login_form(request: Request, message: str = "", status: int = 200, headers=None):
    """The login form; ``next`` (from the query string) is carried through the post."""
    target = safe_next(request.query_params.get("next"))
    quoted = quote(target, safe="/?=&") if target != "/dashboard" else ""
    return page(
        "login.html",
        status,
        headers,
        title="Log in",
        who="",
        message=message,
        next_quoted=quoted,
    )


# -- landing page and API docs ----------------------------------------------------------------


@router.get("/", response_class=HTMLResponse)
async def landing() -> HTMLResponse:
    """What this server is, with links to the dashboard and the docs."""
    return page(
        "message.html",
        title="tenantry server",
        who="",
        heading="tenantry server",
        paragraphs=[
            "This server runs tenantry: the reference API (API keys, sessions, memories), the "
            "relay that takes opensource installations' anonymous events, analytics over "
            "HTTP, and the operator's dashboard.",
            "The dashboard needs the admin token or a developer's session token.",
        ],
        links=[
            ("/dashboard", "Dashboard"),
            ("/docs", "API docs (Swagger UI)"),
            ("/redoc", "API reference (ReDoc)"),
            ("/openapi.json", "OpenAPI document"),
            ("/healthz", "Health check"),
        ],
    )


@router.get("/docs", response_class=HTMLResponse)
async def swagger(request: Request) -> HTMLResponse:
    """Swagger UI, its files served by this server."""
    response = get_swagger_ui_html(
        openapi_url=request.app.openapi_url,
        title=f"{request.app.title} - API docs",
        swagger_js_url=ASSETS.url("swagger-ui"),
        swagger_css_url=ASSETS.url("swagger-css"),
        swagger_favicon_url=ASSETS.url("favicon"),
    )
    response.headers.update(DOCS_HEADERS)
    return response


@router.get("/redoc", response_class=HTMLResponse)
async def redoc(request: Request) -> HTMLResponse:
    """ReDoc, its file served by this server (no web fonts from elsewhere)."""
    response = get_redoc_html(
        openapi_url=request.app.openapi_url,
        title=f"{request.app.title} - API reference",
        redoc_js_url=ASSETS.url("redoc"),
        redoc_favicon_url=ASSETS.url("favicon"),
        with_google_fonts=False,
    )
    response.headers.update(DOCS_HEADERS)
    return response


# -- errors for browsers ---------------------------------------------------------------------

_HEADINGS = {
    400: "That request could not be answered",
    401: "Please log in",
    403: "Not allowed",
    404: "Not found",
    413: "Too much data",
    422: "That request could not be answered",
    429: "Too many attempts",
    500: "Something went wrong on the server",
    503: "The server is busy",
}


def _message(response: Response) -> str:
    try:
        body = orjson.loads(response.body)
    except (orjson.JSONDecodeError, AttributeError, TypeError):
        return ""
    return str(body.get("error", "")) if isinstance(body, dict) else ""


def _kept_headers(response: Response) -> dict:
    return {k: v for k, v in response.headers.items() if k.lower() in ("retry-after",)}


def browser_response(request: Request, response: Response) -> Response:
    """``response`` (a JSON error) as a browser should get it: the login form, a redirect to
    it, or an HTML error page with the same status."""
    status = response.status_code
    message = _message(response)
    path = request.url.path
    if path == LOGIN and request.method == "POST":
        words = {
            401: "That token is not valid, or it has expired or been revoked.",
            429: "Too many attempts from here; wait a little and try again.",
        }.get(status, message or "That did not work.")
        return login_form(request, words, status, _kept_headers(response))
    if status == 401 and request.method == "GET" and path.startswith("/dashboard"):
        target = path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"{LOGIN}?next={quote(target, safe='')}", status_code=303)
    wait = response.headers.get("retry-after")
    paragraphs = [message] if message else []
    if wait:
        paragraphs.append(f"Try again in {wait} seconds.")
    if status == 404 and not message:
        paragraphs.append("There is no page at this address.")
    return page(
        "message.html",
        status,
        _kept_headers(response),
        title=_HEADINGS.get(status, f"Error {status}"),
        who="",
        heading=_HEADINGS.get(status, f"Error {status}"),
        paragraphs=paragraphs,
        links=[("/dashboard", "Dashboard"), ("/", "Home")],
    )


def _browser_aware(handler):
    async def handle(request: Request, exc: Exception) -> Response:
        response = await handler(request, exc)
        if wants_html(request) and response.status_code >= 400:
            return browser_response(request, response)
        return response

    return handle


async def _unexpected(request: Request, exc: Exception) -> Response:
    """A bug: logged by the server; the client gets a short answer without details."""
    if wants_html(request):
        return page(
            "message.html",
            500,
            title=_HEADINGS[500],
            who="",
            heading=_HEADINGS[500],
            paragraphs=["The error was logged. Try again, or tell the operator."],
            links=[("/dashboard", "Dashboard"), ("/", "Home")],
        )
    return JSONResponse({"error": "internal server error", "code": "internal_error"}, 500)


def install(app: FastAPI) -> None:
    """Add the landing page and the docs, and make every installed error handler answer
    browsers with HTML (call after the app's own handlers are installed)."""
    for cls, handler in list(app.exception_handlers.items()):
        if cls not in (500, Exception):
            app.exception_handlers[cls] = _browser_aware(handler)
    app.exception_handlers.setdefault(Exception, _unexpected)
    app.include_router(router)
