"""``TelemetryMiddleware``: one ``api_request`` event per HTTP request, per developer, for any
ASGI app (FastAPI, Starlette, or a bare ASGI callable). Plain ASGI: nothing outside the standard
library and tenantry's core is imported here. ``resolve`` gets a ``RequestView`` of the scope:
``headers.get`` read straight from the scope, and every other attribute (``url``, ``client``,
``cookies``, ...) from Starlette's ``Request``, made on first use when Starlette is importable.

    from tenantry.asgi import TelemetryMiddleware

    def resolve(request):                       # the platform's own authentication
        key = request.headers.get("x-my-key")   # case-insensitive; the body is never read
        return (developer_of(key), None) if key else None

    app.add_middleware(TelemetryMiddleware, resolve=resolve)

Per request it records ``route`` (the matched route's template, ``/v1/memories/{memory_id}``;
every request no route matched is ``(unmatched)``, never its path), ``method``, ``status``,
``duration_ms`` (until the app sent the last chunk of the body, streamed or not),
``request_bytes`` and ``response_bytes``; the opensource edition keeps the template, method,
status class and a duration bucket only (``policy.processors.RequestProperties``). Under
Django's ASGI handler the template is the Django URL pattern's (``/items/{item_id}``); a bare
app with a router of its own names it with ``tenantry.web.set_route``.

It never changes the response and never raises into the app: the app's own exception passes
through unchanged (recorded as status 500 when no response had started). The event is recorded
(``resolve`` called, then one enqueue) just before the last chunk of the body is passed on, so
a client that has seen the whole response can flush and find it; a resolver that raises (or
returns something that is not ``None`` or a pair) drops that request's event, counted
``get_status()["drops"]["resolve_failed"]``. Websocket and lifespan scopes pass through
untracked. Without ``resolve``, ``X-API-Key`` / ``X-Session-Token`` are resolved by tenantry's
identity store when the ``identity`` extra is installed. It records through the service's port
(``record_request``) only, like every integration (``tenantry.web``).
"""

from __future__ import annotations

import asyncio
import logging
import sys
import time
from collections.abc import Callable, Iterable
from typing import Any

from tenantry import web
from tenantry.facts import UNMATCHED, RequestFacts
from tenantry.service import TelemetryService
from tenantry.web import identity_resolver

__all__ = ["UNMATCHED", "TelemetryMiddleware", "identity_resolver"]

logger = logging.getLogger("tenantry.asgi")

EVENT = "api_request"
_MOUNT_TAIL = "/{path}"  # a Mount's path_format ends with its catch-all parameter
_clock = time.perf_counter

Resolve = Callable[[Any], Any]  # request -> (developer_id, end_user_id) | None, or an awaitable


class RequestView:
    """The request handed to ``resolve``: ``headers.get(name)`` (case-insensitive), ``method``,
    ``path`` and ``scope`` read straight from the ASGI scope (a fraction of what Starlette's
    ``Request`` and its ``Headers`` cost per request); any other attribute comes from
    Starlette's ``Request`` (without a receive channel: the body cannot be read), made on first
    use, when Starlette is importable."""

    __slots__ = ("_full", "_headers", "scope")

    def __init__(self, scope: dict) -> None:
        self.scope = scope
        self._headers: _Headers | None = None
        self._full: Any = None

    @property
    def headers(self) -> _Headers:
        if self._headers is None:
            self._headers = _Headers(self.scope.get("headers") or ())
        return self._headers

    @property
    def method(self) -> str:
        return self.scope.get("method", "GET")

    @property
    def path(self) -> str:
        return self.scope.get("path", "")

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        full = self._full
        if full is None:
            try:
                from starlette.requests import Request
            except ImportError:
                raise AttributeError(
                    f"RequestView has no {name!r} (install Starlette for the full request)"
                ) from None
            full = self._full = Request(self.scope)
        return getattr(full, name)


class _Headers:
    """``get``, ``[]`` and ``in`` over the scope's raw headers (names are lower case in ASGI),
    case-insensitive; anything else (``items()``, ``getlist``...) from Starlette's
    ``Headers`` when Starlette is importable."""

    __slots__ = ("_raw",)

    def __init__(self, raw: Iterable[tuple[bytes, bytes]]) -> None:
        self._raw = raw

    def get(self, name: str, default: str | None = None) -> str | None:
        key = name.lower().encode("latin-1")
        for k, v in self._raw:
            if k == key:
                return v.decode("latin-1")
        for k, v in self._raw:  # a scope made by hand may not lower-case its names
            if k.lower() == key:
                return v.decode("latin-1")
        return default

    def __getitem__(self, name: str) -> str:
        value = self.get(name)
        if value is None:
            raise KeyError(name)
        return value

    def __contains__(self, name: str) -> bool:
        return self.get(name) is not None

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        try:
            from starlette.datastructures import Headers
        except ImportError:
            raise AttributeError(name) from None
        return getattr(Headers(raw=list(self._raw)), name)


class TelemetryMiddleware:
    """ASGI middleware tracking ``api_request`` per HTTP request. See the module docstring.

    ``resolve``: ``request -> (developer_id, end_user_id) | None``, sync or async.
    ``telemetry``: a ``TelemetryService``, a callable returning one (read per request), or
    None for ``get_telemetry()``. ``prefixes``: track only paths starting with one of these
    (default: every path); ``exclude``: never track paths starting with one of these."""

    def __init__(
        self,
        app: Callable,
        resolve: Resolve | None = None,
        telemetry: TelemetryService | Callable[[], TelemetryService] | None = None,
        *,
        prefixes: Iterable[str] | None = None,
        exclude: Iterable[str] | None = None,
        event: str = EVENT,
    ) -> None:
        self.app = app
        self.event = event
        self.prefixes = tuple(prefixes) if prefixes else None
        self.exclude = tuple(exclude) if exclude else None
        self._telemetry = web.telemetry_source(telemetry)
        self._resolver = web.Resolver(
            resolve if resolve is not None else identity_resolver(), "the ASGI middleware"
        )
        self._templates: dict[int, tuple[Any, str]] = {}  # id(mounted route) -> (route, template)
        self._django = _serves_django(app)  # then routes are Django's, not in the scope

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if (
            scope["type"] != "http"
            or (self.prefixes is not None and not scope["path"].startswith(self.prefixes))
            or (self.exclude is not None and scope["path"].startswith(self.exclude))
        ):
            await self.app(scope, receive, send)
            return
        telemetry = web.serving(self._telemetry)
        if telemetry is None:  # off: nothing is recorded, nothing resolved
            await self.app(scope, receive, send)
            return
        request = web.RequestScope(telemetry, self._resolver, RequestView(scope))
        token = web.enter(request)
        root = scope.get("root_path", "")
        status = received = sent = 0
        done = False
        start = _clock()

        async def counting_receive() -> dict:
            nonlocal received
            message = await receive()
            body = message.get("body")
            if body:
                received += len(body)
            return message

        async def watching_send(message: dict) -> None:
            nonlocal status, sent, done
            kind = message["type"]
            if kind == "http.response.body":
                body = message.get("body")
                if body:
                    sent += len(body)
                if not message.get("more_body") and not done:
                    # recorded before the last chunk leaves: whoever saw the whole response
                    # can flush and find the event
                    done = True
                    pending = self._finish(scope, root, request, status, start, received, sent)
                    if pending is not None:
                        await pending
            elif kind == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            if web.identity_wanted_early():  # a task the handler enqueues needs the identity
                pending = request.who()
                if asyncio.iscoroutine(pending):
                    await pending
            await self.app(scope, counting_receive, watching_send)
        finally:
            web.leave(token)
            if not done:  # the app raised, or returned without finishing a response
                pending = self._finish(scope, root, request, status or 500, start, received, sent)
                if pending is not None:
                    await pending
            telemetry.request_done()

    def _finish(
        self,
        scope: dict,
        root: str,
        request: web.RequestScope,
        status: int,
        start: float,
        received: int,
        sent: int,
    ) -> Any:
        """Record the request; synchronous unless ``resolve`` is async and was not awaited
        yet: then it returns the coroutine that finishes the job. Never raises."""
        try:
            ms = (_clock() - start) * 1000.0  # rounded by the policy, off the request path
            route = self._template(scope, root)
            if route is UNMATCHED:
                route = request.route  # a bare app's own router: web.set_route
                if route is UNMATCHED and self._django:
                    route = _django_route(scope, root)
            facts = RequestFacts(route, scope["method"], status, ms, received, sent)
            who = request.who()
            if type(who) is tuple or who is None or who is web.FAILED:
                web.record(request.telemetry, who, facts, self.event)
            else:  # an async resolve, not awaited yet
                return self._finish_async(request.telemetry, who, facts)
        except Exception:  # never into the app, whatever happens here
            logger.debug("tenantry: api_request tracking failed", exc_info=True)
        return None

    async def _finish_async(self, telemetry: TelemetryService, who: Any, facts: Any) -> None:
        try:
            web.record(telemetry, await who, facts, self.event)
        except Exception:
            logger.debug("tenantry: api_request tracking failed", exc_info=True)

    def _template(self, scope: dict, root: str) -> str:
        route = scope.get("route")
        template = getattr(route, "path_format", None)
        if type(template) is not str:
            return UNMATCHED
        if scope.get("root_path", "") != root:  # inside a Mount: the mount's part comes first
            return self._mounted(scope.get("router"), route, template)
        return template

    def _mounted(self, router: Any, route: Any, template: str) -> str:
        hit = self._templates.get(id(route))
        if hit is not None and hit[0] is route:
            return hit[1]
        found = _find(router, route, "", 0)
        if found is None:
            return template
        if len(self._templates) < 10_000:
            self._templates[id(route)] = (route, found)
        return found


def _serves_django(app: Any) -> bool:
    """True when ``app`` is Django's ASGI handler, or wraps it (``.app``/``.application``)."""
    handlers = sys.modules.get("django.core.handlers.asgi")
    if handlers is None:
        return False
    for _ in range(8):
        if isinstance(app, handlers.ASGIHandler):
            return True
        app = getattr(app, "app", None) or getattr(app, "application", None)
        if app is None:
            return False
    return False


def _django_route(scope: dict, root: str) -> str:
    """The template of the Django URL pattern the request's path resolves to (Django's ASGI
    handler leaves no route in the scope)."""
    from tenantry.django import route_for_path

    path = scope.get("path", "")
    if root and path.startswith(root):
        path = path[len(root) :]
    return route_for_path(path)


def _find(router: Any, target: Any, prefix: str, depth: int) -> str | None:
    """The full template of ``target`` under ``router``'s mounts (their templates, not the
    request's path, so no mount parameter's value becomes part of it)."""
    if depth > 8:
        return None
    for route in getattr(router, "routes", None) or ():
        fmt = getattr(route, "path_format", None)
        if route is target:
            return prefix + fmt if isinstance(fmt, str) else None
        inner = getattr(route, "routes", None)
        if inner:
            mount = (
                fmt[: -len(_MOUNT_TAIL)]
                if isinstance(fmt, str) and fmt.endswith(_MOUNT_TAIL)
                else ""
            )
            found = _find(route, target, prefix + mount, depth + 1)
            if found is not None:
                return found
    return None
