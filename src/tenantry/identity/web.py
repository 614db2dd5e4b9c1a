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

from tenantry.errors import DuplicateDeveloper, IdentityError, InvalidInput, NotFound
from tenantry.identity._schema import Identity
from tenantry.identity.store import IdentityStore

API_KEY_HEADER = "X-API-Key"
SESSION_HEADER = "X-Session-Token"


def error_code(exc: IdentityError) -> str:
    """``UnknownApiKey`` -> ``unknown_api_key``."""
    return re.sub(r"(?<!^)(?=[A-Z][a-z])", "_", type(exc).__name__).lower()


#: the HTTP status of each identity error; every other one is 401
HTTP_STATUS: dict[type[IdentityError], int] = {
    NotFound: 404,
    InvalidInput: 422,
    DuplicateDeveloper: 409,
}


def http_status(exc: IdentityError) -> int:
    """The status an identity error is answered with (``HTTP_STATUS``, else 401)."""
    return next((HTTP_STATUS[c] for c in type(exc).__mro__ if c in HTTP_STATUS), 401)


def http_error(exc: IdentityError) -> HTTPException:
    status = http_status(exc)
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
