"""The reference host API (the seed guide's Example 1), login and logout, status and liveness.

``POST /v1/memories`` is what a host application looks like when it uses tenantry: resolve who
the request comes from (API key + ``external_user_id``, API key alone, or session token), do the
work, then ``await telemetry.track(...)`` with both IDs.

Login is throttled per account and per client address (429 with ``Retry-After``), and password
checks (argon2, 64 MiB each) run at most ``HASH_CONCURRENCY`` at a time, so a burst of logins
cannot exhaust memory; beyond ``HASH_WAITING`` waiting ones the answer is 503.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Path, Request, Response
from pydantic import BaseModel, ConfigDict, Field, model_validator
from starlette.concurrency import run_in_threadpool

from tenantry.errors import InvalidLogin, NotFound
from tenantry.identity._schema import Identity
from tenantry.server.common import (
    bearer,
    client_address,
    error,
    require_admin,
    responses,
    server_state,
    throttle,
)

router = APIRouter()

HASH_CONCURRENCY = 2  # argon2 checks at once (64 MiB each)
HASH_WAITING = 32  # login requests allowed to wait for a slot; more get 503

# (developer, external ID) -> usr_ ID never changes once created; the identity store caches it
# as long (300 s). Kept here too, so a warm request needs no trip to a worker thread.
END_USER_CACHE_TTL = 300.0
END_USER_CACHE_SIZE = 100_000


ERRORS = responses(401)


class MemoryMetadata(BaseModel):
    model_config = ConfigDict(extra="allow")

    external_user_id: str | None = Field(
        None, max_length=512, description="the developer's own ID for the end user"
    )

    @model_validator(mode="after")
    def _storable(self) -> MemoryMetadata:
        """Every extra value must be storable as JSON (an integer beyond 64 bits is not): a
        422 here, never a 500 when the memory is written."""
        try:
            orjson.dumps(self.__pydantic_extra__)
        except TypeError as exc:  # orjson.JSONEncodeError is a TypeError
            raise ValueError(f"metadata is not storable as JSON: {exc}") from None
        return self


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
    session_id: str
    developer_id: str
    expires_at: datetime


class HashSlots:
    """At most ``concurrency`` password checks at once, at most ``max_waiting`` waiting (503
    beyond). ``peak`` is the most that ever ran together. Event loop only."""

    def __init__(self, concurrency: int = HASH_CONCURRENCY, max_waiting: int = HASH_WAITING):
        self._slots = asyncio.Semaphore(concurrency)
        self.max_waiting = max_waiting
        self.waiting = self.active = self.peak = 0

    @contextlib.asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        if self.waiting >= self.max_waiting:
            raise error(503, "too many logins at once; retry", "busy", {"Retry-After": "1"})
        self.waiting += 1
        try:
            await self._slots.acquire()
        finally:
            self.waiting -= 1
        self.active += 1
        self.peak = max(self.peak, self.active)
        try:
            yield
        finally:
            self.active -= 1
            self._slots.release()


async def who(request: Request) -> Identity:
    """``X-API-Key`` or ``X-Session-Token`` -> ``Identity`` (401 JSON otherwise)."""
    return await server_state(request).authenticate(request)


async def _end_user(request: Request, ident: Identity, meta: MemoryMetadata | None) -> str | None:
    external = meta.external_user_id if meta else None
    if ident.via != "api_key" or not external:
        return ident.end_user_id  # session: the user is the developer; key alone: no end user
    state = server_state(request)
    key = (ident.developer_id, external)
    hit = state.end_users.get(key)
    if hit is not None and hit[1] > time.monotonic():
        return hit[0]
    end_user = await run_in_threadpool(state.identity.resolve_end_user, *key)
    if len(state.end_users) >= END_USER_CACHE_SIZE:
        state.end_users.clear()
    state.end_users[key] = (end_user, time.monotonic() + END_USER_CACHE_TTL)
    return end_user


@router.post("/v1/memories", status_code=201, response_model=MemoryOut, responses=ERRORS)
async def create_memory(
    body: MemoryIn, request: Request, ident: Annotated[Identity, Depends(who)]
) -> dict[str, Any]:
    """Store a memory for ``metadata.external_user_id`` and track ``memory_created``."""
    state = server_state(request)
    end_user = await _end_user(request, ident, body.metadata)
    extra = body.metadata.model_dump(exclude_none=True) if body.metadata else {}
    row = await state.memories.add_async(ident.developer_id, end_user, body.content, extra)
    await state.telemetry.track(
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
    state = server_state(request)
    end_user = await _end_user(request, ident, body.metadata)
    scope = end_user if ident.via == "api_key" else None
    hits = await run_in_threadpool(
        state.memories.search, ident.developer_id, scope, body.query, body.limit
    )
    await state.telemetry.track(
        "search_performed",
        {"result_count": len(hits)},
        user_id=end_user,
        developer_id=ident.developer_id,
    )
    return {"results": hits}


@router.post(
    "/v1/auth/sessions",
    status_code=201,
    response_model=SessionOut,
    responses=responses(401, 429, 503),
)
async def login(body: LoginIn, request: Request) -> dict[str, Any]:
    """Developer login: email and password -> a session token for ``X-Session-Token``.
    Throttled per account and per address (429 with ``Retry-After``)."""
    state = server_state(request)
    await throttle(state, "login_address", client_address(request), 1, "address")
    await throttle(state, "login_account", body.email.strip().lower(), 1, "account")
    async with state.hashing.slot():
        try:
            session = await run_in_threadpool(state.identity.login, body.email, body.password)
        except (InvalidLogin, ValueError):
            raise error(401, "wrong email or password", "invalid_login") from None
    return {
        "token": session.token,
        "session_id": session.id,
        "developer_id": session.developer_id,
        "expires_at": session.expires_at,
    }


@router.delete("/v1/auth/sessions/{session_id}", status_code=204, responses=responses(401, 404))
async def revoke_session(
    request: Request, session_id: Annotated[str, Path(max_length=64)]
) -> Response:
    """Revoke a developer's session (and the dashboard logins made from it): the admin bearer
    token, or that developer's API key or session token. Another developer's session is 404."""
    state = server_state(request)
    owner = await run_in_threadpool(state.identity.session_owner, session_id)
    if bearer(request) is not None:
        await require_admin(request)
    else:
        ident = await state.authenticate(request)
        if owner != ident.developer_id:
            owner = None
    if owner is None:
        raise error(404, "no such session", "not_found")
    try:
        await run_in_threadpool(state.identity.revoke_session_id, session_id)
    except NotFound:
        raise error(404, "no such session", "not_found") from None
    return Response(status_code=204)


@router.get("/v1/telemetry/status", responses=responses(401))
async def telemetry_status(request: Request) -> dict[str, Any]:
    """The server's own telemetry status, and the relay's counters (every tenant's): the admin
    bearer token only."""
    await require_admin(request)
    state = server_state(request)
    status = state.telemetry.get_status()
    status["relay"] = state.relay.status() if state.relay else {}
    status["shared"] = state.shared.status() if state.shared else {"backend": "process"}
    return status


@router.get("/healthz", responses=responses())
async def healthz() -> dict[str, str]:
    """Liveness."""
    return {"status": "ok"}
