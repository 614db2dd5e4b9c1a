"""What the app factory and every route module share: the server's state (``ServerState``), the JSON error shape, who
the client is, and the admin check. Routes import this module, never ``app``.

Every error is a 4xx with ``{"error": ..., "code": ...}``; nothing a client sends is echoed back
when it could be a credential. [FastAPI "Handling errors"; Stripe's error object]
"""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from fastapi import HTTPException, Request
from pydantic import BaseModel

from tenantry.config import Settings

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


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
    """Charge ``cost`` to ``key`` in limiter ``name``; 429 with ``Retry-After`` when refused."""
    wait = state.limiters[name].take(key, cost)
    if wait:
        seconds = max(1, int(wait + 0.999))
        raise error(
            429,
            f"too many requests from this {what}",
            "rate_limited",
            {"Retry-After": str(seconds)},
        )


def parse_networks(text: str | Iterable[str] | None) -> tuple[Network, ...]:
    """``"10.0.0.1, 192.168.0.0/16"`` (or a list of them) -> networks; raises ``ValueError``
    naming a bad entry."""
    out = []
    for part in (text or "").split(",") if isinstance(text, str) or text is None else text:
        part = part.strip()
        if part:
            try:
                out.append(ipaddress.ip_network(part, strict=False))
            except ValueError:
                raise ValueError(
                    f"TENANTRY_TRUSTED_PROXIES: {part!r} is not an IP or CIDR"
                ) from None
    return tuple(out)


def _trusted(address: str, trusted: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in trusted)


def client_address(request: Request) -> str:
    """The client's address: the TCP peer, unless the peer is a trusted proxy; then the
    right-most address in ``X-Forwarded-For`` that is not itself a trusted proxy."""
    peer = request.client.host if request.client else "unknown"
    trusted = server_state(request).trusted
    if not trusted or not _trusted(peer, trusted):
        return peer
    hops = [h.strip() for h in ",".join(request.headers.getlist("x-forwarded-for")).split(",")]
    address = peer
    for hop in reversed([h for h in hops if h]):
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            return address  # a garbled hop: believe nothing to its left
        address = hop
        if not _trusted(hop, trusted):
            return hop
    return address


def is_admin(request: Request, token: str | None) -> bool:
    """``token`` is the configured admin token (compared in constant time)."""
    expected = server_state(request).settings.admin_token
    return bool(expected and token) and hmac.compare_digest(token.encode(), expected.encode())


def bearer(request: Request) -> str | None:
    """The ``Authorization: Bearer`` token, or None when there is no such header."""
    auth = request.headers.get("authorization", "")
    if not auth:
        return None
    scheme, _, token = auth.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def require_admin(request: Request) -> None:
    """401 unless the request carries ``Authorization: Bearer <admin token>``."""
    if not is_admin(request, bearer(request)):
        raise error(
            401,
            "send Authorization: Bearer <admin token>",
            "invalid_admin_token",
            {"WWW-Authenticate": "Bearer"},
        )
