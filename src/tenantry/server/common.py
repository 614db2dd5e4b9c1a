"""What the app factory and every route module share: the server's state (``ServerState``), the JSON error shape, who
the client is, and the admin check. Routes import this module, never ``app``.

Every error is a 4xx with ``{"error": ..., "code": ...}``; nothing a client sends is echoed back
when it could be a credential. [FastAPI "Handling errors"; Stripe's error object]

Every admin check (the bearer token on any route, the dashboard's cookie and login form) is one
``credential_check``: charged to the client's address and to the server as a whole in the login
limiter before it runs (429 without checking once either allowance is spent), and given back
when it succeeds, so guessing costs the allowance while the admin's own requests do not. The
token is compared in constant time (``hmac.compare_digest`` of two SHA-256 digests: not even
its length leaks).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import urlsplit

from fastapi import HTTPException, Request
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from tenantry.config import Settings

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
T = TypeVar("T")


class ErrorBody(BaseModel):
    """Every error the server answers: a readable message and a stable code."""

    error: str
    code: str


_TEXT = {
    400: "malformed body or a query that cannot be answered as asked",
    401: "missing, wrong, revoked or expired credentials",
    403: "refused (a user-level query over opensource data)",
    404: "not found",
    413: "body over this route's limit, or more than 1,000 events",
    422: "the request does not match the schema",
    429: "rate limited; see Retry-After",
    503: "busy; see Retry-After",
}


def responses(*codes: int) -> dict[int | str, dict]:
    """OpenAPI entries for the error ``codes`` a route can answer (400, 413, 422 always: every
    route has a body limit)."""
    return {
        c: {"model": ErrorBody, "description": _TEXT[c]} for c in sorted({400, 413, 422, *codes})
    }


@dataclass
class ServerState:
    """What the routes share; built in the lifespan unless handed to ``create_app``."""

    settings: Settings
    telemetry: Any = None
    identity: Any = None
    store: Any = None
    relay: Any = None
    memories: Any = None
    dashboard: Any = None  # identity.dashboard_sessions.DashboardSessions
    limiters: dict[str, Any] = field(default_factory=dict)  # name -> Limiter-like (take)
    hashing: Any = None  # server.api.HashSlots: a cap on concurrent password checks
    relay_dedup: Any = None  # first_seen(uuids), seen/mark: in-process or shared via Redis
    shared: Any = None  # tenantry.shared_state.SharedState when TENANTRY_REDIS_URL is set
    trusted: tuple[Network, ...] = ()
    authenticate: Any = None
    end_users: dict = field(default_factory=dict)  # see api._end_user
    owned: list = field(default_factory=list)


def server_state(request: Request) -> ServerState:
    return request.app.state.server_state


def error(status: int, message: str, code: str, headers: dict | None = None) -> HTTPException:
    """An ``HTTPException`` whose body is ``{"error": message, "code": code}``."""
    return HTTPException(status, detail={"error": message, "code": code}, headers=headers)


def limit(state: ServerState, name: str, key: str, cost: float, what: str) -> None:
    """Charge ``cost`` to ``key`` in limiter ``name``; 429 with ``Retry-After`` when refused.
    It may wait on Redis: off the event loop only (routes ``await throttle(...)``)."""
    _refused(state.limiters[name].take(key, cost), what)


async def throttle(state: ServerState, name: str, key: str, cost: float, what: str) -> None:
    """``limit`` for the event loop: a shared (Redis) limiter is asked from a worker thread."""
    limiter = state.limiters[name]
    if getattr(limiter, "remote", False):
        wait = await run_in_threadpool(limiter.take, key, cost)
    else:
        wait = limiter.take(key, cost)
    _refused(wait, what)


async def _refund(state: ServerState, name: str, key: str, cost: float) -> None:
    limiter = state.limiters[name]
    if getattr(limiter, "remote", False):
        await run_in_threadpool(limiter.refund, key, cost)
    else:
        limiter.refund(key, cost)


def _refused(wait: float, what: str) -> None:
    if wait:
        seconds = max(1, int(wait + 0.999))
        raise error(
            429,
            f"too many requests from this {what}",
            "rate_limited",
            {"Retry-After": str(seconds)},
        )


EVERYONE = "*"  # the login limiter's key for the server as a whole


async def credential_check(request: Request, check: Callable[[], Awaitable[T]]) -> T:
    """Run ``check`` (an admin token, a dashboard cookie, a login form) through the login
    limiter: one attempt is charged to the client's address and to everyone before it runs
    (429, nothing checked, when either is spent); a truthy result gives the charge back."""
    state = server_state(request)
    address = client_address(request)
    await throttle(state, "login_address", address, 1, "address")
    try:
        await throttle(state, "login_overall", EVERYONE, 1, "server (too many wrong logins)")
    except HTTPException:
        await _refund(state, "login_address", address, 1)
        raise
    result = await check()
    if result:
        await _refund(state, "login_address", address, 1)
        await _refund(state, "login_overall", EVERYONE, 1)
    return result


def _ip(address: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """``address`` parsed (a zone ``%eth0`` dropped; IPv4-mapped IPv6 as IPv4), or None."""
    try:
        ip = ipaddress.ip_address(address.strip().split("%", 1)[0])
    except ValueError:
        return None
    if ip.version == 6 and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


def address_key(address: str, ipv6_prefix: int = 64) -> str:
    """One spelling per client for the per-address limits: IPv4 as it is (``::ffff:a.b.c.d``
    is ``a.b.c.d``), IPv6 as its ``/ipv6_prefix`` network, compressed and lower case (one
    subscriber usually holds a whole /64, so its addresses share one allowance); anything
    else lower case."""
    ip = _ip(address)
    if ip is None:
        return address.strip().lower()
    if ip.version == 4 or ipv6_prefix >= 128:
        return str(ip)
    return str(ipaddress.ip_network((ip, ipv6_prefix), strict=False))


def is_trusted(address: str, trusted: tuple[Network, ...]) -> bool:
    """``address`` is in one of the ``trusted`` networks (IPv4-mapped IPv6 as IPv4)."""
    ip = _ip(address)
    return ip is not None and any(ip in net for net in trusted)


def client_address(request: Request) -> str:
    """The client as the per-address limits count it (``address_key``): the TCP peer, unless
    the peer is a trusted proxy; then the right-most address in ``X-Forwarded-For`` that is not
    itself a trusted proxy."""
    state = server_state(request)
    return address_key(_client_ip(request, state.trusted), state.settings.ipv6_prefix)


def _client_ip(request: Request, trusted: tuple[Network, ...]) -> str:
    peer = request.client.host if request.client else "unknown"
    if not trusted or not is_trusted(peer, trusted):
        return peer
    hops = [h.strip() for h in ",".join(request.headers.getlist("x-forwarded-for")).split(",")]
    address = peer
    for hop in reversed([h for h in hops if h]):
        if _ip(hop) is None:
            return address  # a garbled hop: believe nothing to its left
        address = hop
        if not is_trusted(hop, trusted):
            return hop
    return address


def _from_trusted_proxy(request: Request) -> bool:
    trusted = server_state(request).trusted
    return bool(trusted) and request.client is not None and is_trusted(request.client.host, trusted)


def is_https(request: Request) -> bool:
    """The client reached the server over TLS: directly, or through a trusted proxy that says
    so in ``X-Forwarded-Proto`` (the first value: the proxy that faced the client)."""
    if request.url.scheme == "https":
        return True
    if not _from_trusted_proxy(request):
        return False
    proto = request.headers.get("x-forwarded-proto", "").split(",", 1)[0]
    return proto.strip().lower() == "https"


def same_origin(request: Request) -> bool:
    """False when a browser says the request comes from another site (login CSRF). Browsers
    since 2020-2023 say so in ``Sec-Fetch-Site`` (``same-origin``, or ``none`` for one the user
    started), which no referrer policy hides; otherwise ``Origin``, or without one ``Referer``,
    must name the host the request was sent to (``Host``, or a trusted proxy's
    ``X-Forwarded-Host``); ``Origin: null`` is refused. A request with none of them (curl,
    scripts) is no cross-site form post."""
    site = request.headers.get("sec-fetch-site")
    if site is not None:
        return site.strip().lower() in ("same-origin", "none")
    source = request.headers.get("origin") or request.headers.get("referer")
    if source is None:
        return True
    host = request.headers.get("host", "")
    if _from_trusted_proxy(request) and request.headers.get("x-forwarded-host"):
        host = request.headers["x-forwarded-host"].split(",", 1)[0]
    try:
        parts = urlsplit(source.strip())
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and parts.netloc.lower() == host.strip().lower()


def _digest(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()


def is_admin(request: Request, token: str | None) -> bool:
    """``token`` is the configured admin token: compared in constant time, lengths included.
    Not limited by itself: routes call ``admin_token_ok`` (through the login limiter)."""
    expected = server_state(request).settings.admin_token
    if not expected or not token:
        return False
    return hmac.compare_digest(_digest(token), _digest(expected))


async def admin_token_ok(request: Request, token: str | None) -> bool:
    """``is_admin`` as one ``credential_check`` (429 once the login limiter's allowance for
    this address or for everyone is spent)."""

    async def check() -> bool:
        return is_admin(request, token)

    return await credential_check(request, check)


def bearer(request: Request) -> str | None:
    """The ``Authorization: Bearer`` token, or None when there is no such header."""
    auth = request.headers.get("authorization", "")
    if not auth:
        return None
    scheme, _, token = auth.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


async def require_admin(request: Request) -> None:
    """401 unless the request carries ``Authorization: Bearer <admin token>`` (one
    ``credential_check``: 429 when the login limiter's allowance is spent)."""
    if not await admin_token_ok(request, bearer(request)):
        raise error(
            401,
            "send Authorization: Bearer <admin token>",
            "invalid_admin_token",
            {"WWW-Authenticate": "Bearer"},
        )
