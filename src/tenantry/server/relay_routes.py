"""``POST /v1/telemetry/events``: rate limits and size limits in front of ``Relay.accept``."""

from __future__ import annotations

from fastapi import APIRouter, Request

from tenantry.server.app import error, responses, services
from tenantry.server.relay import MAX_EVENTS, RelayBatch, RelayResult

router = APIRouter()

RESPONSES = responses(413, 429)


def _limit(limiter, key: str, what: str) -> None:
    wait = limiter.take(key)
    if wait:
        seconds = max(1, int(wait + 0.999))
        raise error(
            429,
            f"too many requests from this {what}",
            "rate_limited",
            {"Retry-After": str(seconds)},
        )


@router.post("/v1/telemetry/events", response_model=RelayResult, responses=RESPONSES)
async def relay_events(batch: RelayBatch, request: Request) -> dict:
    """Relay for opensource installations: every event is shaped by the opensource policy
    again, duplicates (same uuid) are dropped, the rest is stored or forwarded."""
    svc = services(request)
    client = request.client.host if request.client else "unknown"
    _limit(svc.ip_limiter, client, "address")
    if batch.anonymous_id:
        _limit(svc.anon_limiter, batch.anonymous_id, "installation")
    if len(batch.events) > MAX_EVENTS:
        raise error(413, f"more than {MAX_EVENTS} events in one request", "too_many_events")
    processed = svc.relay.accept(batch)
    return {"success": True, "events_received": len(batch.events), "events_processed": processed}
