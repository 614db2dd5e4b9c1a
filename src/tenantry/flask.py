"""``Telemetry`` for Flask: one ``api_request`` event per HTTP request, per developer. Imported
only when used; needs Flask 2.3 or later.

    from tenantry.flask import Telemetry

    def resolve(request):                       # flask.request, inside the request's context
        key = request.headers.get("x-my-key")
        return (developer_of(key), None) if key else None

    Telemetry(app, resolve=resolve)             # or: telemetry = Telemetry(); telemetry.init_app(app)

It wraps ``app.wsgi_app`` in ``tenantry.wsgi.TelemetryMiddleware``, so the facts and rules are
the WSGI middleware's; ``route`` is the matched rule's template (``request.url_rule.rule``:
``/items/<int:item_id>`` becomes ``/items/{item_id}``; ``(unmatched)`` for 404s and 405s).
``resolve`` gets ``flask.request`` once the view has run (``request_finished``, still inside the
request's context, so ``flask.g`` and login extensions' ``current_user`` work), or earlier when
the view enqueues a task (``tenantry.celery``). Without ``resolve``, ``X-API-Key`` /
``X-Session-Token`` are resolved by tenantry's identity store.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import flask

from tenantry import web
from tenantry.facts import UNMATCHED
from tenantry.service import TelemetryService
from tenantry.wsgi import EVENT, TelemetryMiddleware

__all__ = ["Telemetry"]


def _current_request(environ: dict) -> Any:  # noqa: ARG001 - the WSGI middleware's signature
    """What ``resolve`` gets: Flask's request proxy. ``request_started`` replaces it with the
    request object itself, which outlives the request's context."""
    return flask.request


class Telemetry:
    """The Flask extension. ``resolve``, ``telemetry``, ``prefixes``, ``exclude`` and ``event``
    mean what they mean for ``tenantry.wsgi.TelemetryMiddleware``."""

    def __init__(
        self,
        app: flask.Flask | None = None,
        resolve: Callable[[Any], Any] | None = None,
        telemetry: TelemetryService | Callable[[], TelemetryService] | None = None,
        *,
        prefixes: Iterable[str] | None = None,
        exclude: Iterable[str] | None = None,
        event: str = EVENT,
    ) -> None:
        self.resolve = resolve
        self.telemetry = telemetry
        self.prefixes = prefixes
        self.exclude = exclude
        self.event = event
        if app is not None:
            self.init_app(app)

    def init_app(self, app: flask.Flask) -> None:
        """Track ``app``'s requests (once per app)."""
        if "tenantry" in app.extensions:
            return
        app.wsgi_app = TelemetryMiddleware(  # type: ignore[method-assign]
            app.wsgi_app,
            resolve=self.resolve if self.resolve is not None else web.identity_lookup(),
            telemetry=self.telemetry,
            prefixes=self.prefixes,
            exclude=self.exclude,
            event=self.event,
            request=_current_request,
            integration="the Flask integration",
        )
        flask.request_started.connect(_started, app, weak=False)
        flask.request_finished.connect(_finished, app, weak=False)
        app.extensions["tenantry"] = self


def _started(sender: flask.Flask, **extra: Any) -> None:  # noqa: ARG001 - blinker's signature
    """The URL was matched: the route template, and the request object to resolve later."""
    scope = web.current()
    if scope is None:
        return
    request = flask.request
    rule = request.url_rule
    scope.route = web.template(rule.rule) if rule is not None else UNMATCHED
    scope.request = request.environ.get("werkzeug.request") or request


def _finished(sender: flask.Flask, **extra: Any) -> None:  # noqa: ARG001 - blinker's signature
    """The view has run: resolve now, inside the request's context."""
    scope = web.current()
    if scope is not None:
        scope.who_sync()
