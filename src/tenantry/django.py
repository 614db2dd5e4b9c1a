"""``TelemetryMiddleware`` for Django: one ``api_request`` event per HTTP request, per
developer, under WSGI and ASGI (sync and async-capable). Imported only when named in
``MIDDLEWARE``; needs Django 4.2 or later.

    # settings.py
    MIDDLEWARE = ["tenantry.django.TelemetryMiddleware", ...]   # first: it times the rest
    TENANTRY_RESOLVE = "myapp.telemetry.resolve"    # request -> (developer_id, end_user_id) | None
    TENANTRY_TELEMETRY = "myapp.telemetry.service"  # optional: a TelemetryService (or a callable
                                                    # returning one); default get_telemetry()

The facts and rules are the ASGI middleware's (``tenantry.asgi``): ``route`` is the matched
URL pattern's template (``request.resolver_match.route``: ``items/<int:item_id>/`` becomes
``/items/{item_id}/``; ``(unmatched)`` when no pattern matched), ``method``, ``status``,
``duration_ms`` (until the response left this middleware, or until the last chunk of a
streaming response), ``request_bytes`` (the declared ``Content-Length``) and ``response_bytes``
(a ``FileResponse``'s ``Content-Length``). ``resolve`` gets Django's ``HttpRequest`` after the
view ran (so ``request.user`` is set when an authentication middleware runs after this one);
an async ``resolve`` is awaited, and under ASGI a sync one runs in a thread (``sync_to_async``:
it may use the ORM). Without ``TENANTRY_RESOLVE``, ``X-API-Key`` / ``X-Session-Token`` are
resolved by tenantry's identity store. A bad ``TENANTRY_RESOLVE`` or ``TENANTRY_TELEMETRY``
fails at start-up (``ImproperlyConfigured``, naming the setting).
"""

from __future__ import annotations

import inspect
import logging
import time
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.urls import Resolver404, resolve
from django.utils.module_loading import import_string

from tenantry import web
from tenantry.facts import UNMATCHED, RequestFacts

__all__ = ["TelemetryMiddleware", "route_for_path"]

logger = logging.getLogger("tenantry.django")

EVENT = "api_request"
_clock = time.perf_counter


def _setting(name: str) -> Any:
    """A dotted-path setting imported (any other value as it is); a path that does not import
    is a start-up error naming the setting."""
    value = getattr(settings, name, None)
    if not isinstance(value, str):
        return value
    try:
        return import_string(value)
    except ImportError as exc:
        raise ImproperlyConfigured(f"{name}: cannot import {value!r}: {exc}") from exc


class TelemetryMiddleware:
    """Django middleware tracking ``api_request`` per HTTP request. See the module docstring."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable) -> None:
        self.get_response = get_response
        self.async_mode = iscoroutinefunction(get_response)
        if self.async_mode:
            markcoroutinefunction(self)
        resolve_setting = _setting("TENANTRY_RESOLVE")
        if resolve_setting is not None and not callable(resolve_setting):
            raise ImproperlyConfigured(
                f"TENANTRY_RESOLVE: expected a callable or its dotted path, got "
                f"{type(resolve_setting).__name__}"
            )
        if self.async_mode:  # under ASGI: never block the loop (a sync resolve may use the ORM)
            if resolve_setting is None:
                resolve_setting = web.identity_resolver()
            elif not iscoroutinefunction(resolve_setting):
                resolve_setting = sync_to_async(resolve_setting)
        elif resolve_setting is None:
            resolve_setting = web.identity_lookup()
        self._resolver = web.Resolver(resolve_setting, "the Django middleware")
        self._telemetry = web.telemetry_source(_setting("TENANTRY_TELEMETRY"))

    def _scope(self, request: Any) -> web.RequestScope | None:
        telemetry = web.serving(self._telemetry)
        return None if telemetry is None else web.RequestScope(telemetry, self._resolver, request)

    def __call__(self, request: Any) -> Any:
        if self.async_mode:
            return self._acall(request)
        scope = self._scope(request)
        if scope is None:  # off: nothing is recorded, nothing resolved
            return self.get_response(request)
        start = _clock()
        token = web.enter(scope)
        try:
            response = self.get_response(request)
        except BaseException:
            self._record(scope, request, 500, start, 0, scope.who_sync())
            raise
        finally:
            web.leave(token)
        return self._respond(scope, request, response, start, scope.who_sync)

    async def _acall(self, request: Any) -> Any:
        scope = self._scope(request)
        if scope is None:
            return await self.get_response(request)
        start = _clock()
        token = web.enter(scope)
        try:
            if web.identity_wanted_early():  # a task the view enqueues needs the identity
                await _settled(scope)
            response = await self.get_response(request)
        except BaseException:
            self._record(scope, request, 500, start, 0, await _settled(scope))
            raise
        finally:
            web.leave(token)
        who = await _settled(scope)
        return self._respond(scope, request, response, start, lambda: who)

    def _respond(
        self, scope: web.RequestScope, request: Any, response: Any, start: float, who: Callable
    ) -> Any:
        """Record now, or (a streaming response) when its last chunk was taken. Never raises."""
        try:
            if not response.streaming:
                self._record(
                    scope, request, response.status_code, start, len(response.content), who()
                )
            elif getattr(response, "file_to_stream", None) is not None:  # the server's sendfile
                size = response.headers.get("Content-Length")
                sent = int(size) if size and size.isdigit() else 0
                self._record(scope, request, response.status_code, start, sent, who())
            else:
                settled = who()

                def finish(sent: int) -> None:
                    self._record(scope, request, response.status_code, start, sent, settled)

                chunks = response.streaming_content
                if getattr(response, "is_async", False):
                    response.streaming_content = _acounted(chunks, finish)
                else:
                    response.streaming_content = _counted(chunks, finish)
        except Exception:
            logger.debug("tenantry: api_request tracking failed", exc_info=True)
        return response

    def _record(
        self, scope: web.RequestScope, request: Any, status: int, start: float, sent: int, who: Any
    ) -> None:
        try:
            ms = (_clock() - start) * 1000.0
            match = getattr(request, "resolver_match", None)
            rule = getattr(match, "route", None)
            route = web.template(rule) if rule else scope.route
            try:
                received = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                received = 0
            facts = RequestFacts(route, request.method, status, ms, received, sent)
            web.record(scope.telemetry, who, facts, EVENT)
            scope.telemetry.request_done()
        except Exception:  # never into the app, whatever happens here
            logger.debug("tenantry: api_request tracking failed", exc_info=True)


async def _settled(scope: web.RequestScope) -> Any:
    who = scope.who()
    if inspect.isawaitable(who):
        who = await who
    return who


def _counted(chunks: Iterator[bytes], finish: Callable[[int], None]) -> Iterator[bytes]:
    sent = 0
    try:
        for chunk in chunks:
            sent += len(chunk)
            yield chunk
    finally:  # the last chunk was taken, or the server closed the response
        finish(sent)


async def _acounted(chunks: AsyncIterator[bytes], finish: Callable[[int], None]):
    sent = 0
    try:
        async for chunk in chunks:
            sent += len(chunk)
            yield chunk
    finally:
        finish(sent)


def route_for_path(path: str) -> str:
    """The template of the URL pattern ``path`` (a ``path_info``) resolves to in the root
    URLconf, ``UNMATCHED`` when none does: the ASGI middleware's route under Django's ASGI
    handler, which leaves no route in the scope."""
    try:
        rule = resolve(path).route
    except Resolver404:
        return UNMATCHED
    except Exception:  # a URLconf that fails to load: no template
        logger.debug("tenantry: Django URL resolution failed", exc_info=True)
        return UNMATCHED
    return web.template(rule) if rule else UNMATCHED
