"""Analytics over HTTP: ``GET /v1/analytics/{query}``, and who may read what.

The admin bearer token (``TENANTRY_ADMIN_TOKEN``) reads every developer; an API key or a session
token reads its own developer only: the ``developer`` parameter is forced to the caller's
developer whatever the query string says. The route calls the same ``run_query`` as
``tenantry report`` and only formats. [sqlite-utils: one query layer]

End users by their developer's names: in the cloud edition, rows keyed by an end user
(``memories-per-end-user``) also show ``external_user_id``; the viewer is then always that
developer (the scope is forced) or the admin, so nobody else ever sees them.
"""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Path, Query, Request
from starlette.concurrency import run_in_threadpool

from tenantry.identity.web import API_KEY_HEADER, SESSION_HEADER
from tenantry.server.common import admin_token_ok, bearer, error, responses, server_state
from tenantry.store.queries import QUERIES, TOP, run_query

router = APIRouter()

RESPONSES = responses(401, 403, 404)


class Viewer:
    """Who is reading: ``developer`` is None for the admin."""

    def __init__(self, developer: str | None) -> None:
        self.developer = developer

    @property
    def admin(self) -> bool:
        return self.developer is None


async def viewer(request: Request) -> Viewer | None:
    """The admin (bearer token) or a developer (``X-API-Key``/``X-Session-Token``); None when
    the request carries no credential; 401 for a wrong one (429 once the login limiter's
    allowance for wrong admin tokens is spent)."""
    token = bearer(request)
    if token is not None:
        if await admin_token_ok(request, token):
            return Viewer(None)
        raise error(
            401, "wrong bearer token", "invalid_admin_token", {"WWW-Authenticate": "Bearer"}
        )
    if not request.headers.get(API_KEY_HEADER) and not request.headers.get(SESSION_HEADER):
        return None
    ident = await server_state(request).authenticate(request)
    return Viewer(ident.developer_id)


def missing_credentials():
    return error(
        401,
        "send X-API-Key, X-Session-Token or Authorization: Bearer <admin token>",
        "missing_credentials",
    )


@router.get("/v1/analytics/{query}", responses=RESPONSES)
async def analytics(
    request: Request,
    # the registry's names in the OpenAPI schema; checked below, so an unknown one is a 404
    query: str = Path(json_schema_extra={"enum": list(QUERIES)}),
    developer: str | None = Query(None, max_length=64),
    since: date | None = None,
    until: date | None = None,
    top: int = Query(TOP, ge=1, le=100_000, description="groups at most; the rest as 'other'"),
) -> dict:
    """A report query as JSON: ``{"query": NAME, "rows": [...]}`` (same body as
    ``tenantry report NAME --json``)."""
    who = await viewer(request)
    if who is None:
        raise missing_credentials()
    if query not in QUERIES:
        raise error(404, f"unknown query; choose from {', '.join(QUERIES)}", "unknown_query")
    scope = developer if who.admin else who.developer
    store = server_state(request).store
    return await run_in_threadpool(
        run_query,
        store,
        query,
        developer=scope,
        since=since,
        until=until,
        external_ids=external_names(request),
        top=top,
    )


def external_names(request: Request):
    """The identity store's ``external_ids`` in the cloud edition, else None (never in
    opensource)."""
    state = server_state(request)
    if state.settings.edition != "cloud" or state.identity is None:
        return None
    return state.identity.external_ids
