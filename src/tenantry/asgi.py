"""``TelemetryMiddleware``: one ``api_request`` event per HTTP request, per developer, for any
ASGI app (FastAPI, Starlette, or a bare ASGI callable). Plain ASGI: nothing outside the standard
library and tenantry's core is imported here; Starlette's ``Request`` is used when importable.

    from tenantry.asgi import TelemetryMiddleware

    def resolve(request):                       # the platform's own authentication
        key = request.headers.get("x-my-key")   # case-insensitive; the body is never read
        return (developer_of(key), None) if key else None

    app.add_middleware(TelemetryMiddleware, resolve=resolve)

Per request it records ``route`` (the matched route's template, ``/v1/memories/{memory_id}``;
every request no route matched is ``(unmatched)``, never its path), ``method``, ``status``,
``duration_ms`` (until the app sent the last chunk of the body, streamed or not),
``request_bytes`` and ``response_bytes``; the opensource edition keeps the template, method, status class and a
duration bucket only (``policy.processors.RequestFacts``).

It never changes the response and never raises into the app: the app's own exception passes
through unchanged (recorded as status 500 when no response had started). The event is recorded
(``resolve`` called, then one enqueue) just before the last chunk of the body is passed on, so
a client that has seen the whole response can flush and find it; a resolver that raises (or
returns something that is not ``None`` or a pair) drops that request's event, counted
``get_status()["drops"]["resolve_failed"]``. Websocket and lifespan scopes pass through
untracked. Without ``resolve``, ``X-API-Key`` / ``X-Session-Token`` are resolved by tenantry's
identity store when the ``identity`` extra is installed.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from tenantry.errors import IdentityError
from tenantry.policy.processors import UNMATCHED
from tenantry.service import TelemetryService, get_telemetry

__all__ = ["UNMATCHED", "TelemetryMiddleware", "identity_resolver"]

logger = logging.getLogger("tenantry.asgi")

EVENT = "api_request"
API_KEY_HEADER = "x-api-key"
SESSION_HEADER = "x-session-token"
_MOUNT_TAIL = "/{path}"
_clock = time.perf_counter  # a Mount's path_format ends with its catch-all parameter

Resolve = Callable[[Any], Any]  # request -> (developer_id, end_user_id) | None, or an awaitable


class RequestView:
    """The request handed to ``resolve`` when Starlette is not installed: ``headers.get(name)``
    (case-insensitive), ``method``, ``path``, ``scope``. The body is not reachable."""

    __slots__ = ("_headers", "scope")

    def __init__(self, scope: dict) -> None:
        self.scope = scope
        self._headers: _Headers | None = None

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


class _Headers:
    __slots__ = ("_raw",)

    def __init__(self, raw: Iterable[tuple[bytes, bytes]]) -> None:
        self._raw = raw

    def get(self, name: str, default: str | None = None) -> str | None:
        key = name.lower().encode("latin-1")
        for k, v in self._raw:
            if k.lower() == key:
                return v.decode("latin-1")
        return default

    def __contains__(self, name: str) -> bool:
        return self.get(name) is not None


def _request_factory() -> Callable[[dict], Any]:
    """Starlette's ``Request`` (without a receive channel: the body cannot be read) when
    Starlette is importable; else ``RequestView``."""
    try:
        from starlette.requests import Request
    except ImportError:
        return RequestView
    return Request


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
        self._fixed: TelemetryService | None = None
        if telemetry is None:
            self._telemetry: Callable[[], TelemetryService] = get_telemetry
        elif isinstance(telemetry, TelemetryService) or not callable(telemetry):
            self._fixed = telemetry
            self._telemetry = lambda: telemetry
        else:
            self._telemetry = telemetry
        self._resolve = resolve if resolve is not None else identity_resolver()
        self._request = _request_factory()
        self._templates: dict[int, tuple[Any, str]] = {}  # id(mounted route) -> (route, template)
        self._warned = False

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if (
            scope["type"] != "http"
            or (self.prefixes is not None and not scope["path"].startswith(self.prefixes))
            or (self.exclude is not None and scope["path"].startswith(self.exclude))
        ):
            await self.app(scope, receive, send)
            return
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
                    pending = self._finish(scope, root, status, start, received, sent)
                    if pending is not None:
                        await pending
            elif kind == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, counting_receive, watching_send)
        finally:
            if not done:  # the app raised, or returned without finishing a response
                pending = self._finish(scope, root, status or 500, start, received, sent)
                if pending is not None:
                    await pending

    def _finish(
        self, scope: dict, root: str, status: int, start: float, received: int, sent: int
    ) -> Any:
        """Record the request; synchronous unless ``resolve`` is: then it returns the
        coroutine that finishes the job. Never raises."""
        try:
            telemetry = self._fixed or self._telemetry()
            if not telemetry._active:  # off: nothing is recorded, nothing resolved
                return None
            ms = (_clock() - start) * 1000.0  # rounded by the policy, off the request path
            facts = (self._template(scope, root), scope["method"], status, ms, received, sent)
            try:
                who = self._resolve(self._request(scope))
            except Exception as exc:
                self._failed(telemetry, exc)
                return None
            if who is None:
                telemetry._record("request", self.event, None, None, None, None, None, facts)
            elif type(who) is tuple and len(who) == 2:
                telemetry._record("request", self.event, None, who[1], who[0], None, None, facts)
            elif inspect.isawaitable(who):
                return self._finish_async(telemetry, who, facts)
            else:
                self._record(telemetry, who, facts)
        except Exception:  # never into the app, whatever happens here
            logger.debug("tenantry: api_request tracking failed", exc_info=True)
        return None

    async def _finish_async(self, telemetry: TelemetryService, who: Any, facts: tuple) -> None:
        try:
            who = await who
        except Exception as exc:
            self._failed(telemetry, exc)
            return
        try:
            self._record(telemetry, who, facts)
        except Exception:
            logger.debug("tenantry: api_request tracking failed", exc_info=True)

    def _record(self, telemetry: TelemetryService, who: Any, facts: tuple) -> None:
        if who is None:
            developer = end_user = None
        elif type(who) in (tuple, list) and len(who) == 2:
            developer, end_user = who
        else:  # not a pair: the resolver's bug, counted
            self._failed(telemetry, TypeError(f"resolve returned a {type(who).__name__}"))
            return
        telemetry._record("request", self.event, None, end_user, developer, None, None, facts)

    def _failed(self, telemetry: TelemetryService, exc: BaseException) -> None:
        telemetry._counters.drop("resolve_failed")
        if not self._warned:
            self._warned = True
            logger.warning(
                "tenantry: the middleware's resolve failed (%s); that request's api_request "
                "is dropped, counted drops['resolve_failed']",
                type(exc).__name__,
            )

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


def identity_resolver(get_store: Callable[[], Any] | None = None) -> Resolve:
    """A ``resolve`` backed by tenantry's identity store: ``X-API-Key`` or ``X-Session-Token``
    -> ``(developer_id, end_user_id)``; no or unknown credentials -> ``None``. Warm credentials
    are answered from the store's cache; cold ones in a worker thread. ``get_store`` returns the
    store; without it the store configured by the environment is opened on first use (needs
    ``pip install 'tenantry[identity]'``; without it every request resolves to ``None``)."""
    opened: list = []
    lock = threading.Lock()

    def own_store() -> Any:
        with lock:  # two first requests at once open one store
            if opened:
                return opened[0]
            try:
                from tenantry.identity import IdentityStore
            except ImportError:
                logger.warning(
                    "tenantry: API keys are not resolved without the identity extra: "
                    "pip install 'tenantry[identity]'"
                )
                opened.append(None)
            else:
                opened.append(IdentityStore.open())
            return opened[0]

    async def resolve(request: Any) -> tuple[str, str | None] | None:
        headers = request.headers
        api_key = headers.get(API_KEY_HEADER) or None
        session = headers.get(SESSION_HEADER) or None
        if not api_key and not session:
            return None
        store = get_store() if get_store is not None else None
        if get_store is None:
            store = opened[0] if opened else await asyncio.to_thread(own_store)
        if store is None:
            return None
        ident = store.cached_identity(api_key=api_key, session_token=session)
        if ident is None:
            try:
                ident = await asyncio.to_thread(
                    store.resolve, api_key=api_key, session_token=session
                )
            except IdentityError:  # unknown, revoked or expired: nobody's request
                return None
        return ident.developer_id, ident.end_user_id

    return resolve
