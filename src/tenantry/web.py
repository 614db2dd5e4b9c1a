"""What the framework integrations share: the ``resolve`` contract, route templates from the
frameworks' rules, and the request being served.

``resolve(request) -> (developer_id, end_user_id) | None`` is the host's own authentication
(README "API usage per developer"): sync or async; ``request`` is the framework's request
(Starlette's or Django's or Flask's, or a ``headers.get()`` view of a bare ASGI scope or WSGI
environ). ``None`` is nobody's request (still recorded, under the anonymous ID); a resolver that
raises, or returns anything but ``None`` or a pair, drops that request's event, counted
``get_status()["drops"]["resolve_failed"]`` (one warning per integration). ``resolve`` is
called at most once per request: when the request ends, or earlier when a task is enqueued while
it is served (``tenantry.celery`` carries the request's developer and end user in the task's
headers).

``RequestScope`` is the request being served, held in a context variable from the moment an
integration sees the request until its handler returned. A bare ASGI or WSGI app with its own
router names the matched route with ``set_route("/items/{item_id}")``; the frameworks'
integrations read theirs (``template`` turns ``<int:item_id>`` and ``(?P<item_id>...)`` into
``{item_id}``).

Nothing outside the standard library and tenantry's core is imported here, and nothing private
of the service is used: only its port (``record_request``, ``record_task``, ``count_drop``,
``enabled``, ``request_done``).
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import re
import threading
from collections.abc import Callable
from contextvars import ContextVar, Token
from typing import Any

from tenantry.errors import IdentityError
from tenantry.facts import UNMATCHED, RequestFacts
from tenantry.service import TelemetryService, get_telemetry

__all__ = [
    "FAILED",
    "UNMATCHED",
    "RequestScope",
    "Resolver",
    "current",
    "current_identity",
    "enter",
    "identity_lookup",
    "identity_resolver",
    "identity_wanted_early",
    "leave",
    "record",
    "serving",
    "set_route",
    "telemetry_source",
    "template",
    "want_identity_early",
]

logger = logging.getLogger("tenantry.web")

API_KEY_HEADER = "x-api-key"
SESSION_HEADER = "x-session-token"

Who = tuple[Any, Any] | None  # (developer_id, end_user_id), or None: nobody's request
FAILED: Any = object()  # resolve raised or returned a wrong value: the event is dropped


def telemetry_source(
    telemetry: TelemetryService | Callable[[], TelemetryService] | None,
) -> Callable[[], TelemetryService]:
    """``telemetry=`` of every integration as a zero-argument callable: ``None`` ->
    ``get_telemetry`` (read per request, so ``set_telemetry`` takes effect), a service -> that
    service, a callable -> itself."""
    if telemetry is None:
        return get_telemetry
    if isinstance(telemetry, TelemetryService) or not callable(telemetry):
        return lambda: telemetry
    return telemetry


def serving(telemetry: Callable[[], TelemetryService]) -> TelemetryService | None:
    """The service that records this request, or None when telemetry is off (then nothing is
    recorded and nothing resolved) or its configuration is broken (never the app's problem)."""
    try:
        service = telemetry()
        return service if service.enabled else None
    except Exception:
        logger.debug("tenantry: no telemetry for this request", exc_info=True)
        return None


class Resolver:
    """``resolve`` called and checked: a pair, ``None``, or ``FAILED`` (counted
    ``resolve_failed``, logged once per integration)."""

    __slots__ = ("integration", "resolve", "warned")

    def __init__(self, resolve: Callable[[Any], Any], integration: str) -> None:
        if not callable(resolve):
            raise TypeError(
                f"{integration}: resolve must be callable, got {type(resolve).__name__}"
            )
        self.resolve = resolve
        self.integration = integration
        self.warned = False

    def call(self, telemetry: TelemetryService, request: Any) -> Any:
        """The checked result, or an awaitable of it when ``resolve`` is async."""
        try:
            who = self.resolve(request)
        except Exception as exc:
            return self.failed(telemetry, exc)
        if (type(who) is tuple and len(who) == 2) or who is None:  # the usual answers, first
            return who
        if inspect.isawaitable(who):
            return self._settle(telemetry, who)
        return self.check(telemetry, who)

    async def _settle(self, telemetry: TelemetryService, who: Any) -> Any:
        try:
            who = await who
        except Exception as exc:
            return self.failed(telemetry, exc)
        return self.check(telemetry, who)

    def check(self, telemetry: TelemetryService, who: Any) -> Any:
        if who is None:
            return None
        if type(who) in (tuple, list) and len(who) == 2:
            return (who[0], who[1])
        return self.failed(telemetry, TypeError(f"resolve returned a {type(who).__name__}"))

    def failed(self, telemetry: TelemetryService, exc: BaseException) -> Any:
        telemetry.count_drop("resolve_failed")
        if not self.warned:
            self.warned = True
            logger.warning(
                "tenantry: %s's resolve failed (%s); that request's api_request is dropped, "
                "counted drops['resolve_failed']",
                self.integration,
                type(exc).__name__,
            )
        return FAILED


_PENDING: Any = object()


class RequestScope:
    """The request an integration is serving: its telemetry, what ``resolve`` gets, the route
    template once known, and ``resolve``'s result once called (at most once)."""

    __slots__ = ("_who", "request", "resolver", "route", "telemetry")

    def __init__(
        self,
        telemetry: TelemetryService,
        resolver: Resolver | None,
        request: Any,
        who: Any = _PENDING,
    ) -> None:
        self.telemetry = telemetry
        self.resolver = resolver
        self.request = request
        self.route = UNMATCHED
        self._who = who

    @classmethod
    def known(cls, telemetry: TelemetryService, who: Who) -> RequestScope:
        """A scope whose developer and end user are already known (a task's, from its
        headers): what it enqueues carries them on."""
        return cls(telemetry, None, None, who)

    def who(self) -> Any:
        """``resolve``'s checked result (a pair, ``None`` or ``FAILED``), calling it on first
        use; an awaitable of it when ``resolve`` is async and was not awaited yet."""
        who = self._who
        if who is _PENDING:
            if self.resolver is None:
                return None
            who = self.resolver.call(self.telemetry, self.request)
            if type(who) is not tuple and who is not None and who is not FAILED:
                return self._remember(who)  # an async resolve's awaitable
            self._who = who
        return who

    async def _remember(self, pending: Any) -> Any:
        who = self._who = await pending
        return who

    def who_sync(self) -> Any:
        """``who()`` for a thread that is not running an event loop: an async ``resolve`` is
        run to completion here (a WSGI app handed an async resolver)."""
        who = self.who()
        if type(who) is tuple or who is None or who is FAILED:
            return who
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return asyncio.run(_wait(who))
        _close(who)  # inside a running loop nothing may block: nobody's, counted
        self._who = self.resolver.failed(
            self.telemetry, RuntimeError("an async resolve cannot be awaited here")
        )
        return FAILED

    def identity(self) -> Who:
        """``(developer_id, end_user_id)`` or None, without waiting: ``resolve`` is called now
        if it was not yet; an async one not yet awaited gives None and stays to be awaited."""
        who = self.who()
        if inspect.isawaitable(who):
            _close(who)
            self._who = _PENDING
            return None
        return None if who is FAILED else who


def record(telemetry: TelemetryService, who: Any, facts: RequestFacts, event: str) -> None:
    """One ``record_request`` through the service's port under ``who`` (a pair or None);
    nothing when ``who`` is ``FAILED``."""
    if who is FAILED:
        return
    if who is None:
        telemetry.record_request(facts, event=event)
    else:
        telemetry.record_request(facts, developer_id=who[0], end_user_id=who[1], event=event)


async def _wait(awaitable: Any) -> Any:
    return await awaitable


def _close(awaitable: Any) -> None:
    close = getattr(awaitable, "close", None)
    if close is not None:
        close()


_current: ContextVar[RequestScope | None] = ContextVar("tenantry_request", default=None)


def current() -> RequestScope | None:
    """The request being served in this context (thread or task), or None."""
    return _current.get()


def enter(scope: RequestScope) -> Token:
    """Make ``scope`` the request being served; hand the token to ``leave``."""
    return _current.set(scope)


def leave(token: Token) -> None:
    _current.reset(token)


def set_route(route: str) -> None:
    """Name the route template that matched the request being served (``/items/{item_id}``):
    for a bare ASGI or WSGI app with a router of its own. Nothing outside a request."""
    scope = _current.get()
    if scope is not None and type(route) is str:
        scope.route = route


def current_identity() -> Who:
    """``(developer_id, end_user_id)`` of the request being served (``resolve`` called now if
    it was not yet), or of the task being run; None outside both, or when ``resolve`` failed or
    is async and not yet awaited (the async integrations await it up front once a task queue
    is instrumented: ``identity_wanted_early``)."""
    scope = _current.get()
    return None if scope is None else scope.identity()


_early = [False]  # one flag, only ever set


def want_identity_early() -> None:
    """From now on the async integrations (ASGI, async Django) await ``resolve`` before the
    handler runs, so a task the handler enqueues knows who the request is for (called by
    ``tenantry.celery.instrument``). The sync ones resolve on first need anyway."""
    _early[0] = True


def identity_wanted_early() -> bool:
    return _early[0]


# -- route templates -------------------------------------------------------------------------

_ANGLE = re.compile(r"<(?:[^<>:]+:)?([A-Za-z_][A-Za-z0-9_]*)>")  # <int:item_id>, <slug>
_NAMED = re.compile(r"\(\?P<([A-Za-z_][A-Za-z0-9_]*)>(?:[^()]|\([^()]*\))*\)")  # (?P<pk>\d+)
_GROUP = re.compile(r"\((?!\?)(?:[^()]|\([^()]*\))*\)")  # an unnamed regex group
_templates: dict[str, str] = {}


def template(rule: str) -> str:
    """A framework's route rule as a template in tenantry's form: ``{name}`` parameters and a
    leading slash. Werkzeug/Flask ``/items/<int:item_id>`` and Django ``items/<int:item_id>``
    -> ``/items/{item_id}``; a Django ``re_path`` ``^items/(?P<pk>[0-9]+)/$`` ->
    ``/items/{pk}/`` (an unnamed group becomes ``{param}``). Memoised (rules repeat)."""
    known = _templates.get(rule)
    if known is not None:
        return known
    out = rule
    if "(" in out or "^" in out or "$" in out:  # a regular expression (Django's re_path)
        out = _GROUP.sub("{param}", _NAMED.sub(r"{\1}", out))
        out = re.sub(r"\\(.)", r"\1", out.replace("^", "").replace("$", ""))
    out = _ANGLE.sub(r"{\1}", out)
    if not out.startswith("/"):
        out = "/" + out
    if len(_templates) < 10_000:
        _templates[rule] = out
    return out


# -- tenantry's identity store as the default resolve ---------------------------------------


def identity_lookup(get_store: Callable[[], Any] | None = None) -> Callable[[Any], Who]:
    """A synchronous ``resolve`` backed by tenantry's identity store: ``X-API-Key`` or
    ``X-Session-Token`` -> ``(developer_id, end_user_id)``; no or unknown credentials -> None.
    ``get_store`` returns the store; without it the store configured by the environment is
    opened on first use (``pip install 'tenantry[identity]'``; without it every request
    resolves to None). The default of the WSGI, Django and Flask integrations; the ASGI
    middleware's ``identity_resolver`` is its async twin."""
    store_of = get_store if get_store is not None else own_store()

    def resolve(request: Any) -> Who:
        api_key, session = credentials_of(request)
        if not api_key and not session:
            return None
        store = store_of()
        if store is None:
            return None
        ident = store.cached_identity(api_key=api_key, session_token=session)
        if ident is None:
            try:
                ident = store.resolve(api_key=api_key, session_token=session)
            except IdentityError:  # unknown, revoked or expired: nobody's request
                return None
        return ident.developer_id, ident.end_user_id

    return resolve


def identity_resolver(get_store: Callable[[], Any] | None = None) -> Callable[[Any], Any]:
    """The async twin of ``identity_lookup`` (the ASGI middleware's and async Django's
    default): warm credentials are answered from the store's cache on the event loop; cold ones,
    and the store's first opening, in a worker thread."""
    store_of = get_store if get_store is not None else own_store()
    lookup = identity_lookup(store_of)
    opened = getattr(store_of, "opened", None)

    async def resolve(request: Any) -> Who:
        api_key, session = credentials_of(request)
        if not api_key and not session:
            return None
        if opened is not None and not opened:  # the store is opened off the loop, once
            return await asyncio.to_thread(lookup, request)
        store = store_of()
        if store is None:
            return None
        ident = store.cached_identity(api_key=api_key, session_token=session)
        if ident is not None:
            return ident.developer_id, ident.end_user_id
        return await asyncio.to_thread(lookup, request)  # cold credentials: off the loop

    return resolve


def credentials_of(request: Any) -> tuple[str | None, str | None]:
    headers = request.headers
    return headers.get(API_KEY_HEADER) or None, headers.get(SESSION_HEADER) or None


def own_store() -> Callable[[], Any]:
    """A zero-argument callable returning the identity store the environment configures,
    opened once on first call (None without the identity extra, with one warning)."""
    opened: list = []
    lock = threading.Lock()

    def store() -> Any:
        if opened:
            return opened[0]
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

    store.opened = opened  # type: ignore[attr-defined]  # the async twin peeks without a thread hop
    return store
