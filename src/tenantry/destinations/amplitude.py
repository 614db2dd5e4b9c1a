"""``amplitude``: Amplitude's HTTP V2 API (``/2/httpapi``) or Batch API (``/batch``), chosen by the
path of ``AMPLITUDE_SERVER_URL``. Both take the same body::

    {"api_key": K, "events": [{"user_id", "event_type", "time", "insert_id", "event_properties",
                               "library"}],
     "options": {"min_id_length": n}}     # options only when some ID is shorter than 5

``user_id`` is the event's primary ID (the developer in cloud), ``insert_id`` its uuid (Amplitude
deduplicates on it, so retries and spool replays never double-count), ``time`` milliseconds,
``library`` ``tenantry/<version>`` (amplitude-python sends ``amplitude-python/<version>``). A
cloud event with a developer carries ``groups: {"developer": developer_id}``. People updates
(``identify``, ``group``) are encoded as amplitude-analytics' ``identify``/``group_identify``
(``destinations.people``).

No ``ip`` field, in either edition. Through the HTTP V2 and Batch APIs Amplitude takes the
sending socket's address only when an event says ``"ip": "$remote"`` (Amplitude's own SDKs add
that unless IP tracking is switched off); without the field the event has no IP and no
IP-derived location. ``encode_event`` never writes it.

Responses, classified per event as Amplitude documents them:
- 200: delivered.
- 400 naming events (``events_with_invalid_fields``, ``events_with_missing_fields``,
  ``events_with_invalid_id_lengths``, ``silenced_events``: indexes into the request): those are
  rejected (``amplitude_invalid``, ``amplitude_silenced``), the rest retried at once; a 400
  naming none (bad key, bad JSON) rejects the request (``http_400``).
- 413: split in halves inside the same ``send`` (see ``HttpDestination._post``).
- 429: an event named in ``throttled_events`` whose user is in ``exceeded_daily_quota_users``
  (or device in ``_devices``) is rejected (``daily_quota``), as amplitude-python drops it; other
  throttled events (named in ``throttled_events`` or of ``throttled_users``) are retried after
  ``throttle_delay`` (30 s, as Amplitude advises); the rest of the request retried at once.
- 5xx (every one, 501 included): retried with the same insert_ids; timeouts and refused
  connections too.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from operator import attrgetter
from typing import Any
from urllib.parse import urlparse

import orjson

from tenantry import __version__
from tenantry._http import Response
from tenantry.config import Settings
from tenantry.destinations._http import HttpDestination
from tenantry.destinations.base import DELIVERED, BatchConfig, Result
from tenantry.destinations.people import amplitude_update
from tenantry.events import Event

logger = logging.getLogger("tenantry")

LIBRARY = f"tenantry/{__version__}"
MIN_ID_LENGTH = 5  # Amplitude's default minimum for user_id / device_id
THROTTLE_DELAY = 30.0  # seconds Amplitude asks throttled users' events to wait

_distinct_id = attrgetter("distinct_id")


class AmplitudeDestination(HttpDestination):
    name = "amplitude"
    people = True  # identify and group: destinations.people
    batch = BatchConfig(max_events=1000, max_bytes=1_000_000, max_age=1.0)
    max_request_bytes = 1_000_000
    api_key_setting = "amplitude_api_key"

    def __init__(
        self,
        settings: Settings,
        *,
        server_url: str | None = None,
        throttle_delay: float = THROTTLE_DELAY,
        **overrides: Any,
    ) -> None:
        super().__init__(settings, **overrides)
        self.url = server_url or settings.amplitude_server_url
        path = urlparse(self.url).path.rstrip("/")
        self.api = "batch" if path.endswith("/batch") else "httpapi"
        if self.api == "batch" and "max_request_bytes" not in overrides:
            self.max_request_bytes = 20_000_000  # the Batch API takes up to 20 MB
        self.throttle_delay = throttle_delay
        self._key_json = orjson.dumps(self.api_key or "")

    def encode_event(self, event: Event) -> bytes:
        if event.people_update:
            return orjson.dumps(amplitude_update(event, LIBRARY))
        out = {
            "user_id": event.distinct_id,
            "event_type": event.event,
            "time": int(event.timestamp * 1000 + 0.5),
            "insert_id": event.uuid,
            "event_properties": event.properties,
            "library": LIBRARY,
        }
        if event.developer_id and event.edition == "cloud":
            out["groups"] = {"developer": event.developer_id}
        return orjson.dumps(out)

    def envelope(self, parts: list[bytes], events: Sequence[Event]) -> bytes:
        body = b'{"api_key":' + self._key_json + b',"events":[' + b",".join(parts) + b"]"
        shortest = min(map(len, map(_distinct_id, events)), default=MIN_ID_LENGTH)
        if shortest < MIN_ID_LENGTH:
            body += b',"options":{"min_id_length":%d}' % max(1, shortest)
        return body + b"}"

    def classify(self, events: Sequence[Event], response: Response) -> list[Result]:
        status = response.status_code
        if status == 200:
            return [DELIVERED] * len(events)
        if status == 400:
            return self._classify_400(events, response.json())
        if status == 429:
            data = response.json()
            if any(k.startswith(("throttled_", "exceeded_daily")) for k in data):
                results = self._classify_429(events, data)
                if any(r.reason != "amplitude_429_other" for r in results):
                    return results
                # names none of these events: back off as for any 429, never spin
        return super().classify(events, response)

    def _classify_400(self, events: Sequence[Event], data: dict[str, Any]) -> list[Result]:
        invalid: set[int] = set()
        for key in (
            "events_with_invalid_fields",
            "events_with_missing_fields",
            "events_with_invalid_id_lengths",
        ):
            for indexes in (data.get(key) or {}).values():
                invalid.update(i for i in indexes if isinstance(i, int))
        silenced = {i for i in data.get("silenced_events") or () if isinstance(i, int)}
        if not invalid and not silenced:
            logger.warning("tenantry: amplitude refused a request: %s", data.get("error"))
            return [Result.rejected("http_400")] * len(events)
        again = Result.retry("amplitude_partial_400", after=0.0)
        out: list[Result] = []
        for i in range(len(events)):
            if i in invalid:
                out.append(Result.rejected("amplitude_invalid"))
            elif i in silenced:
                out.append(Result.rejected("amplitude_silenced"))
            else:
                out.append(again)
        return out

    def _classify_429(self, events: Sequence[Event], data: dict[str, Any]) -> list[Result]:
        quota = set(data.get("exceeded_daily_quota_users") or ())
        quota |= set(data.get("exceeded_daily_quota_devices") or ())
        throttled_users = set(data.get("throttled_users") or ())
        throttled = {i for i in data.get("throttled_events") or () if isinstance(i, int)}
        later = Result.retry("amplitude_throttled", after=self.throttle_delay)
        again = Result.retry("amplitude_429_other", after=0.0)
        out: list[Result] = []
        for i, e in enumerate(events):
            if i in throttled and e.distinct_id in quota:
                out.append(Result.rejected("daily_quota"))
            elif i in throttled or e.distinct_id in throttled_users:
                out.append(later)
            else:
                out.append(again)
        return out
