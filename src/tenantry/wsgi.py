"""``TelemetryMiddleware``: one ``api_request`` event per HTTP request, per developer, for any
WSGI app (a bare WSGI callable, or a framework's ``wsgi_app``). Standard library only.

    from tenantry.wsgi import TelemetryMiddleware

    def resolve(request):                        # the platform's own authentication
        key = request.headers.get("x-my-key")    # case-insensitive; the body is never read
        return (developer_of(key), None) if key else None

    app = TelemetryMiddleware(app, resolve=resolve)

The facts and rules are the ASGI middleware's (``tenantry.asgi``): ``route`` (the template;
``(unmatched)`` unless the app's router names it with ``tenantry.web.set_route`` or a framework
integration does), ``method``, ``status``, ``duration_ms`` (until the server took the last
chunk of the body, streamed or not), ``request_bytes`` (the declared ``Content-Length``) and
``response_bytes``; opensource keeps the template, method, status class and a duration bucket.

``resolve`` gets a view of the environ (``headers.get(name)``, ``method``, ``path``,
``environ``), is called at most once, when the body is done (or when a task is enqueued while
the request is served: ``tenantry.celery``). The event is recorded when the server has taken the
whole body (the body's end or its ``close()``, whichever comes first). It never changes the
response and never raises into the app: the app's exception passes through unchanged, recorded
as status 500. Without ``resolve``, ``X-API-Key`` / ``X-Session-Token`` are resolved by
tenantry's identity store when the ``identity`` extra is installed.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from tenantry import web
from tenantry.facts import RequestFacts
from tenantry.service import TelemetryService

__all__ = ["EnvironView", "TelemetryMiddleware"]

logger = logging.getLogger("tenantry.wsgi")

EVENT = "api_request"
_clock = time.perf_counter
_SPECIAL = {"CONTENT_TYPE", "CONTENT_LENGTH"}  # the two headers without an HTTP_ prefix


class EnvironView:
    """The request handed to ``resolve``: ``headers.get(name)`` (case-insensitive), ``method``,
    ``path``, ``environ``. The body is not read."""

    __slots__ = ("environ",)

    def __init__(self, environ: dict) -> None:
        self.environ = environ

    @property
    def headers(self) -> EnvironView:
        return self

    def get(self, name: str, default: str | None = None) -> str | None:
        key = name.upper().replace("-", "_")
        if key not in _SPECIAL:
            key = "HTTP_" + key
        return self.environ.get(key, default)

    def __contains__(self, name: str) -> bool:
        return self.get(name) is not None

    @property
    def method(self) -> str:
        return self.environ.get("REQUEST_METHOD", "GET")

    @property
    def path(self) -> str:
        return self.environ.get("SCRIPT_NAME", "") + self.environ.get("PATH_INFO", "")


class TelemetryMiddleware:
    """WSGI middleware tracking ``api_request`` per HTTP request. See the module docstring.

    ``resolve``: ``request -> (developer_id, end_user_id) | None`` (an async one is run to
    completion). ``telemetry``: a ``TelemetryService``, a callable returning one (read per
    request), or None for ``get_telemetry()``. ``prefixes``: track only paths starting with one
    of these; ``exclude``: never track those. ``request``: ``environ -> what resolve gets``
    (default ``EnvironView``; ``tenantry.flask`` hands Flask's request)."""

    def __init__(
        self,
        app: Callable,
        resolve: Callable[[Any], Any] | None = None,
        telemetry: TelemetryService | Callable[[], TelemetryService] | None = None,
        *,
        prefixes: Iterable[str] | None = None,
        exclude: Iterable[str] | None = None,
        event: str = EVENT,
        request: Callable[[dict], Any] = EnvironView,
        integration: str = "the WSGI middleware",
    ) -> None:
        self.app = app
        self.event = event
        self.prefixes = tuple(prefixes) if prefixes else None
        self.exclude = tuple(exclude) if exclude else None
        self._telemetry = web.telemetry_source(telemetry)
        self._resolver = web.Resolver(
            resolve if resolve is not None else web.identity_lookup(), integration
        )
        self._request = request

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        if self.prefixes is not None or self.exclude is not None:
            path = environ.get("PATH_INFO", "")
            if (self.prefixes is not None and not path.startswith(self.prefixes)) or (
                self.exclude is not None and path.startswith(self.exclude)
            ):
                return self.app(environ, start_response)
        telemetry = web.serving(self._telemetry)
        if telemetry is None:  # off: nothing is recorded, nothing resolved
            return self.app(environ, start_response)
        request = web.RequestScope(telemetry, self._resolver, self._request(environ))
        body = Body(self, request, environ, start_response)
        token = web.enter(request)
        try:
            body.inner = self.app(environ, body.start_response)
        except BaseException:
            body.status = 500
            body.finish()
            raise
        finally:
            web.leave(token)
        return body


class Body:
    """The app's response body, passed through chunk by chunk: counts the bytes, and records the
    request when the server has taken the last chunk or closes the body (whichever comes first).
    Sized like the app's body (a server sets ``Content-Length`` for a one-chunk list)."""

    __slots__ = (
        "environ",
        "inner",
        "iterator",
        "middleware",
        "request",
        "sent",
        "start",
        "status",
        "upstream",
        "upstream_write",
    )

    def __init__(
        self,
        middleware: TelemetryMiddleware,
        request: web.RequestScope,
        environ: dict,
        start_response: Callable,
    ) -> None:
        self.middleware = middleware
        self.request = request
        self.environ = environ
        self.upstream = start_response
        self.upstream_write: Any = None
        self.inner: Any = ()
        self.iterator: Iterator[bytes] | None = None
        self.status = 0
        self.sent = 0
        self.start = _clock()

    def start_response(self, status: str, headers: list, exc_info: Any = None) -> Callable:
        try:
            self.status = int(status[:3])
        except (TypeError, ValueError):
            self.status = 0
        if exc_info:
            self.upstream_write = self.upstream(status, headers, exc_info)
        else:
            self.upstream_write = self.upstream(status, headers)
        return self.write

    def write(self, data: bytes) -> Any:
        """The legacy ``write()`` callable, counted too."""
        self.sent += len(data)
        return self.upstream_write(data)

    def __iter__(self) -> Body:
        self.iterator = iter(self.inner)
        return self

    def __next__(self) -> bytes:
        try:
            chunk = next(self.iterator)  # type: ignore[arg-type]
        except StopIteration:
            self.finish()
            raise
        except BaseException:
            self.finish()
            raise
        self.sent += len(chunk)
        return chunk

    def __len__(self) -> int:
        return len(self.inner)  # TypeError when the app's body has no length: servers expect it

    def close(self) -> None:
        try:
            close = getattr(self.inner, "close", None)
            if close is not None:
                close()
        finally:
            self.finish()

    def finish(self) -> None:
        """Record the request, once. Never raises."""
        request = self.request
        if request is None:
            return
        self.request = None
        try:
            ms = (_clock() - self.start) * 1000.0
            environ = self.environ
            try:
                received = int(environ.get("CONTENT_LENGTH") or 0)
            except ValueError:
                received = 0
            facts = RequestFacts(
                request.route,
                environ.get("REQUEST_METHOD", "GET"),
                self.status or 500,
                ms,
                received,
                self.sent,
            )
            web.record(request.telemetry, request.who_sync(), facts, self.middleware.event)
            request.telemetry.request_done()
        except Exception:  # never into the app, whatever happens here
            logger.debug("tenantry: api_request tracking failed", exc_info=True)
