"""``relay``: the relay destination, which sends an opensource installation's shaped events to a
tenantry server's relay, ``POST {TELEMETRY_RELAY_URL}`` + ``RELAY_PATH``.

Wire format (docs/DESIGN.md, "Wire formats")::

    {"events": [{"event_name", "properties", "user_id", "timestamp", "uuid"}], "anonymous_id"}
    -> 200 {"success": true, "events_received": n, "events_processed": n,
            "rejected": [{"index": i, "reason": "..."}]}      # the events refused, one by one

``user_id`` is the event's primary ID (already a pseudonym in opensource). A 200 saying
``"success": false`` is retried; events the relay names in ``rejected`` are rejected one by one.
413 splits the request; 408, 429 and every 5xx are retried honouring ``Retry-After``; other 4xx
are rejected (``HttpDestination``, ``classify_response``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson

from tenantry._http import Response
from tenantry.config import Settings, config_error
from tenantry.destinations._http import HttpDestination
from tenantry.destinations.base import DELIVERED, BatchConfig, Result
from tenantry.events import Event
from tenantry.limits import MAX_BODY_BYTES, MAX_EVENTS_PER_REQUEST

#: where a tenantry server takes relayed events; the server's route is declared with it
RELAY_PATH = "/v1/telemetry/events"


class RelayDestination(HttpDestination):
    name = "relay"
    batch = BatchConfig(
        max_events=min(500, MAX_EVENTS_PER_REQUEST), max_bytes=1_000_000, max_age=1.0
    )
    max_request_bytes = min(1_000_000, MAX_BODY_BYTES)  # the relay's own limits (tenantry.limits)
    # the relay's answer lists each refused event (a reason of at most 200 characters): room
    # for every event of a request, with the default's margin
    max_response_bytes = 4 * 64 * 1024

    def __init__(self, settings: Settings, **overrides: Any) -> None:
        if not settings.relay_url:
            raise config_error("relay_url", "required for the relay destination")
        super().__init__(settings, **overrides)
        self.url = settings.relay_url.rstrip("/") + RELAY_PATH
        from tenantry._installation import new_anonymous_id

        self._anonymous_id = orjson.dumps(new_anonymous_id())

    def encode_event(self, event: Event) -> bytes:
        return orjson.dumps(
            {
                "event_name": event.event,
                "properties": event.properties,
                "user_id": event.distinct_id,
                "timestamp": event.iso_timestamp,
                "uuid": event.uuid,
            }
        )

    def envelope(self, parts: list[bytes], events: Sequence[Event]) -> bytes:
        return b'{"events":[' + b",".join(parts) + b'],"anonymous_id":' + self._anonymous_id + b"}"

    def classify(self, events: Sequence[Event], response: Response) -> list[Result]:
        if response.status_code == 200:
            data = response.json()
            if data.get("success") is False:
                return [Result.retry("relay_unsuccessful")] * len(events)
            results = [DELIVERED] * len(events)
            for item in data.get("rejected") or ():  # the relay refuses bad events one by one
                index = item.get("index") if isinstance(item, dict) else None
                if isinstance(index, int) and 0 <= index < len(events):
                    results[index] = Result.rejected(f"relay: {str(item.get('reason'))[:100]}")
            return results
        return super().classify(events, response)
