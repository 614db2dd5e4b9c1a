"""``POST /v1/telemetry/events``: per-event rate limits and the envelope's size in front of
``Relay.accept``.

Allowances are charged per event (a batch of 100 costs 100), per client address (the TCP peer,
or ``X-Forwarded-For`` only from ``TENANTRY_TRUSTED_PROXIES``) and per installation
(``anonymous_id``), so neither rotating installation IDs nor a forged header buys a fresh one.
The limits and ``Relay.accept`` run on the relay's own thread, off the event loop.

The body is parsed by orjson (``parse_body``), falling back to the standard library's parser for
what orjson refuses or reads differently (a lone surrogate, NaN, an integer past 64 bits), so
the relay accepts exactly the JSON it did; only the envelope goes through the route's model
(``RelayBatch``), each event is validated once in ``Relay.accept``, and the answer is written
by orjson without a second pass through the response model (its schema still documents it).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine
from typing import Any

import orjson
from fastapi import APIRouter, Request, Response
from fastapi.routing import APIRoute

from tenantry.destinations.relay import RELAY_PATH as PATH
from tenantry.limits import MAX_EVENTS_PER_REQUEST
from tenantry.server.common import client_address, error, limit, responses, server_state
from tenantry.server.relay import RelayBatch, RelayResult

# A run of 19 digits may be an integer past 64 bits, which orjson reads as a float: such a body
# goes to the standard parser. Found by mapping digits to "1" and the rest to "0", then one
# ``bytes.find``: ~0.1 us per event, where a regular expression took 2 us (it restarts at every
# digit of every run).
_DIGITS = bytes(49 if 48 <= b <= 57 else 48 for b in range(256))
_LONG_RUN = b"1" * 19


def parse_body(body: bytes) -> tuple[Any, bool]:
    """``(value, encodable)``: the JSON in ``body`` as ``json.loads`` reads it, and True when
    orjson read it, which proves every string in it UTF-8 encodable (no lone surrogate), so no
    event needs that check again. Raises ``json.JSONDecodeError`` for what is not JSON."""
    if body.translate(_DIGITS).find(_LONG_RUN) < 0:
        try:
            return orjson.loads(body), True
        except orjson.JSONDecodeError:  # surrogates, NaN, Infinity, or not JSON at all
            pass
    return json.loads(body), False


class _RelayRequest(Request):
    """A request whose ``json()`` is ``parse_body``'s; ``encodable`` says which parser read it."""

    encodable = False

    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            self._json, self.encodable = parse_body(await self.body())
        return self._json


class _RelayRoute(APIRoute):
    """The route with ``_RelayRequest`` in place of Starlette's ``Request`` (FastAPI's pattern for
    a custom request body)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def relay_handler(request: Request) -> Response:
            return await handler(_RelayRequest(request.scope, request.receive))

        return relay_handler


router = APIRouter(route_class=_RelayRoute)

RESPONSES = responses(413, 429, 503)


@router.post(PATH, response_model=RelayResult, responses=RESPONSES)
async def relay_events(batch: RelayBatch, request: Request) -> Response:
    """Relay for opensource installations: every event is validated and shaped by the
    opensource policy again, on its own (a bad one is listed in ``rejected``, the rest are
    kept); duplicates (same uuid) and forgotten people are dropped; the rest is stored or
    forwarded."""
    state = server_state(request)
    count = len(batch.events)
    if count > MAX_EVENTS_PER_REQUEST:
        raise error(
            413, f"more than {MAX_EVENTS_PER_REQUEST} events in one request", "too_many_events"
        )
    if state.relay.busy():  # accept only what can be delivered: back-pressure to the clients
        raise error(503, "the relay is busy; retry later", "busy", {"Retry-After": "1"})
    cost, address = max(1, count), client_address(request)
    encodable = getattr(request, "encodable", False)

    def work() -> tuple[int, list[dict]]:  # on the relay's thread: Redis is never awaited here
        limit(state, "relay_address", address, cost, "address")
        if batch.anonymous_id:
            limit(state, "relay_installation", batch.anonymous_id, cost, "installation")
        return state.relay.accept(batch, address, encodable=encodable)

    processed, rejected = await state.relay.run(work)
    body = {
        "success": True,
        "events_received": count,
        "events_processed": processed,
        "rejected": rejected,
    }
    return Response(orjson.dumps(body), media_type="application/json")
