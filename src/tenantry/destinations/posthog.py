"""``posthog``: PostHog's batch capture, ``POST {POSTHOG_HOST}/batch/``::

    {"api_key": K, "historical_migration": false, "sent_at": ISO,
     "batch": [{"event", "distinct_id", "properties", "timestamp" (ISO), "uuid"}]}

PostHog deduplicates on ``uuid``, so retries never double-count. Bodies over 64 KB are sent
gzipped (``Content-Encoding: gzip``). 5xx, 429 and timeouts are retried (``Retry-After``
honoured); 413 splits the request; any other 4xx rejects it (``http_<code>``). In the cloud
edition an event with a developer gets ``properties["$groups"] = {"developer": developer_id}``,
so PostHog's group analytics can slice by developer.
"""

from __future__ import annotations

import gzip
import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import orjson

from tenantry.config import Settings
from tenantry.destinations.base import BatchConfig, Result
from tenantry.destinations.relay import HttpDestination
from tenantry.events import Event

logger = logging.getLogger("tenantry")

GZIP_ABOVE = 64 * 1024  # bytes


class PostHogDestination(HttpDestination):
    name = "posthog"
    batch = BatchConfig(max_events=1000, max_bytes=5_000_000, max_age=1.0)
    max_request_bytes = 5_000_000

    def __init__(
        self,
        settings: Settings,
        *,
        api_key: str | None = None,
        host: str | None = None,
        gzip_above: int = GZIP_ABOVE,
        **overrides: Any,
    ) -> None:
        super().__init__(settings, **overrides)
        self.api_key = api_key if api_key is not None else settings.posthog_api_key
        self.url = (host or settings.posthog_host).rstrip("/") + "/batch/"
        self.gzip_above = gzip_above
        self._head = (
            b'{"api_key":' + orjson.dumps(self.api_key or "") + b',"historical_migration":false'
        )
        if not self.api_key:
            logger.error(
                "tenantry: posthog has no API key (set POSTHOG_API_KEY): "
                "every event is rejected as no_api_key"
            )

    def encode_event(self, event: Event) -> bytes:
        props = event.properties
        if event.edition == "cloud" and event.developer_id:
            props = {**props, "$groups": {"developer": event.developer_id}}
        return orjson.dumps(
            {
                "event": event.event,
                "distinct_id": event.distinct_id,
                "properties": props,
                "timestamp": event.iso_timestamp,
                "uuid": event.uuid,
            }
        )

    def envelope(self, parts: list[bytes], events: Sequence[Event]) -> bytes:
        sent_at = orjson.dumps(datetime.now(UTC).isoformat(timespec="milliseconds"))
        return self._head + b',"sent_at":' + sent_at + b',"batch":[' + b",".join(parts) + b"]}"

    def request_headers(self, body: bytes) -> tuple[bytes, dict[str, str]]:
        if len(body) > self.gzip_above:
            return gzip.compress(body, compresslevel=1), {"Content-Encoding": "gzip"}
        return body, {}

    def send(self, batch: Sequence[Event], timeout: float) -> list[Result]:
        if not self.api_key:
            return [Result.rejected("no_api_key")] * len(batch)
        return super().send(batch, timeout)
