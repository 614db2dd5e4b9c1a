"""``POST /v1/telemetry/events``: per-event rate limits and the envelope's size in front of
``Relay.accept``.

Allowances are charged per event (a batch of 100 costs 100), per client address (the TCP peer,
or ``X-Forwarded-For`` only from ``TENANTRY_TRUSTED_PROXIES``) and per installation
(``anonymous_id``), so neither rotating installation IDs nor a forged header buys a fresh one.
The limits and ``Relay.accept`` run on the relay's own thread, off the event loop.
"""

from __future__ import annotations

from fastapi import APIRouter, Request

from tenantry.destinations.relay import RELAY_PATH as PATH
from tenantry.limits import MAX_EVENTS_PER_REQUEST
from tenantry.server.common import client_address, error, limit, responses, server_state
from tenantry.server.relay import RelayBatch, RelayResult

router = APIRouter()

RESPONSES = responses(413, 429, 503)


@router.post(PATH, response_model=RelayResult, responses=RESPONSES)
async def relay_events(batch: RelayBatch, request: Request) -> dict:
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

    def work() -> tuple[int, list[dict]]:  # on the relay's thread: Redis is never awaited here
        limit(state, "relay_address", address, cost, "address")
        if batch.anonymous_id:
            limit(state, "relay_installation", batch.anonymous_id, cost, "installation")
        return state.relay.accept(batch, address)

    processed, rejected = await state.relay.run(work)
    return {
        "success": True,
        "events_received": count,
        "events_processed": processed,
        "rejected": rejected,
    }
