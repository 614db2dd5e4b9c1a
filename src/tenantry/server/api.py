"""The reference host API (the seed guide's Example 1), login, status and liveness.

``POST /v1/memories`` is what a host application looks like when it uses tenantry: resolve who
the request comes from (API key + ``external_user_id``, API key alone, or session token), do the
work, then ``await telemetry.track(...)`` with both IDs.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from tenantry.errors import InvalidLogin
from tenantry.identity._schema import Identity
from tenantry.server.app import error, responses, services

router = APIRouter()

# (developer, external ID) -> usr_ ID never changes once created; the identity store caches it
# as long (300 s). Kept here too, so a warm request needs no trip to a worker thread.
END_USER_CACHE_TTL = 300.0
END_USER_CACHE_SIZE = 100_000


ERRORS = responses(401)
LOGIN_ERRORS = responses(401, 429)


class MemoryMetadata(BaseModel):
    model_config = ConfigDict(extra="allow")

    external_user_id: str | None = Field(
        None, max_length=512, description="the developer's own ID for the end user"
    )


class MemoryIn(BaseModel):
    content: str = Field(min_length=1, max_length=100_000)
    metadata: MemoryMetadata | None = None


class MemoryOut(BaseModel):
    id: str
    developer_id: str
    end_user_id: str | None
    created_at: datetime


class SearchIn(BaseModel):
    query: str = Field(min_length=1, max_length=1000)
    limit: int = Field(10, ge=1, le=100)
    metadata: MemoryMetadata | None = None


class SearchHit(BaseModel):
    id: str
    content: str
    end_user_id: str | None


class SearchOut(BaseModel):
    results: list[SearchHit]


class LoginIn(BaseModel):
    email: str = Field(min_length=1, max_length=320)
    password: str = Field(min_length=1, max_length=1024)


class SessionOut(BaseModel):
    token: str
    developer_id: str
    expires_at: datetime


async def who(request: Request) -> Identity:
    """``X-API-Key`` or ``X-Session-Token`` -> ``Identity`` (401 JSON otherwise)."""
    return await services(request).authenticate(request)


async def _end_user(request: Request, ident: Identity, meta: MemoryMetadata | None) -> str | None:
    external = meta.external_user_id if meta else None
    if ident.via != "api_key" or not external:
        return ident.end_user_id  # session: the user is the developer; key alone: no end user
    svc = services(request)
    key = (ident.developer_id, external)
    hit = svc.end_users.get(key)
    if hit is not None and hit[1] > time.monotonic():
        return hit[0]
    end_user = await run_in_threadpool(svc.identity.resolve_end_user, *key)
    if len(svc.end_users) >= END_USER_CACHE_SIZE:
        svc.end_users.clear()
    svc.end_users[key] = (end_user, time.monotonic() + END_USER_CACHE_TTL)
    return end_user


@router.post("/v1/memories", status_code=201, response_model=MemoryOut, responses=ERRORS)
async def create_memory(
    body: MemoryIn, request: Request, ident: Annotated[Identity, Depends(who)]
) -> dict[str, Any]:
    """Store a memory for ``metadata.external_user_id`` and track ``memory_created``."""
    svc = services(request)
    end_user = await _end_user(request, ident, body.metadata)
    extra = body.metadata.model_dump(exclude_none=True) if body.metadata else {}
    row = await svc.memories.add_async(ident.developer_id, end_user, body.content, extra)
    await svc.telemetry.track(
        "memory_created",
        {"type": "text", "has_metadata": bool(extra)},
        user_id=end_user,
        developer_id=ident.developer_id,
    )
    return row


@router.post("/v1/memories/search", response_model=SearchOut, responses=ERRORS)
async def search_memories(
    body: SearchIn, request: Request, ident: Annotated[Identity, Depends(who)]
) -> dict[str, Any]:
    """Memories containing ``query`` (of one end user when ``metadata.external_user_id`` is
    given); tracks ``search_performed``."""
    svc = services(request)
    end_user = await _end_user(request, ident, body.metadata)
    scope = end_user if ident.via == "api_key" else None
    hits = await run_in_threadpool(
        svc.memories.search, ident.developer_id, scope, body.query, body.limit
    )
    await svc.telemetry.track(
        "search_performed",
        {"result_count": len(hits)},
        user_id=end_user,
        developer_id=ident.developer_id,
    )
    return {"results": hits}


@router.post(
    "/v1/auth/sessions", status_code=201, response_model=SessionOut, responses=LOGIN_ERRORS
)
async def login(body: LoginIn, request: Request) -> dict[str, Any]:
    """Developer login: email and password -> a session token for ``X-Session-Token``."""
    svc = services(request)
    store = svc.identity
    if svc.login_limiter is not None:
        wait = svc.login_limiter.take("email:" + body.email.strip().lower())
        if wait:
            retry = {"Retry-After": str(max(1, int(wait + 0.999)))}
            raise error(429, "too many login attempts; try again later", "rate_limited", retry)
    try:
        session = await run_in_threadpool(store.login, body.email, body.password)
    except InvalidLogin:
        raise error(401, "wrong email or password", "invalid_login") from None
    except ValueError:
        raise error(401, "wrong email or password", "invalid_login") from None
    return {
        "token": session.token,
        "developer_id": session.developer_id,
        "expires_at": session.expires_at,
    }


@router.get("/v1/telemetry/status", responses=responses())
async def telemetry_status(request: Request) -> dict[str, Any]:
    """The service's own telemetry status, and the relay's counters."""
    svc = services(request)
    status = svc.telemetry.get_status()
    status["relay"] = svc.relay.status() if svc.relay else {}
    status["shared"] = svc.shared.status() if svc.shared else {"backend": "process"}
    return status


@router.get("/healthz", responses=responses())
async def healthz() -> dict[str, str]:
    """Liveness."""
    return {"status": "ok"}
