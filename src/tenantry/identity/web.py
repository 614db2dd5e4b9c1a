"""FastAPI authentication: ``X-API-Key`` or ``X-Session-Token`` -> ``Identity``.

    authenticate = make_authenticator(lambda: store)

    @app.post("/v1/memories")
    async def create(body: MemoryIn, who: Identity = Depends(authenticate)):
        end_user = who.end_user_id or store.resolve_end_user(who.developer_id, external_id)

Warm credentials are answered from the store's cache on the event loop; cold ones are looked up
in a worker thread. Failures are ``HTTPException(401, {"error", "code"})`` and never echo the
credential. The end user is resolved by the route (from the body), not here.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

from fastapi import HTTPException, Request
from starlette.concurrency import run_in_threadpool

from tenantry.errors import IdentityError
from tenantry.identity._schema import Identity
from tenantry.identity.store import IdentityStore

API_KEY_HEADER = "X-API-Key"
SESSION_HEADER = "X-Session-Token"


def error_code(exc: IdentityError) -> str:
    """``UnknownApiKey`` -> ``unknown_api_key``."""
    return re.sub(r"(?<!^)(?=[A-Z][a-z])", "_", type(exc).__name__).lower()


def http_error(exc: IdentityError) -> HTTPException:
    status = getattr(exc, "status_code", 401)
    headers = {"WWW-Authenticate": "ApiKey"} if status == 401 else None
    return HTTPException(
        status, detail={"error": str(exc), "code": error_code(exc)}, headers=headers
    )


def make_authenticator(
    get_store: Callable[[], IdentityStore],
) -> Callable[[Request], Awaitable[Identity]]:
    """A FastAPI dependency that authenticates a request against ``get_store()``."""

    async def authenticate(request: Request) -> Identity:
        api_key = request.headers.get(API_KEY_HEADER) or None
        session_token = request.headers.get(SESSION_HEADER) or None
        store = get_store()
        identity = store.cached_identity(api_key=api_key, session_token=session_token)
        if identity is not None:
            return identity
        try:
            return await run_in_threadpool(
                store.resolve, api_key=api_key, session_token=session_token
            )
        except IdentityError as exc:
            raise http_error(exc) from None

    return authenticate
