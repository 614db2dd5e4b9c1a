"""``posthog``: PostHog's batch capture, ``POST {ingestion host}/batch/``::

    {"api_key": K, "historical_migration": false, "sent_at": ISO,
     "batch": [{"event", "distinct_id", "properties", "timestamp" (ISO), "uuid"}]}

PostHog deduplicates on ``uuid``, so retries never double-count. Bodies over 64 KB are sent
gzipped (``Content-Encoding: gzip``). 5xx, 429 and timeouts are retried (``Retry-After``
honoured); 413 splits the request; any other 4xx rejects it (``http_<code>``). In the cloud
edition an event with a developer gets ``properties["$groups"] = {"developer": developer_id}``,
so PostHog's group analytics can slice by developer. Opensource events are personless
(``$process_person_profile: false``: PostHog creates no person profile for the pseudonyms, and
bills them as anonymous events), relayed ones included, unless ``TELEMETRY_PERSON_PROFILES=1``.
People updates (``identify``, ``group``) are encoded as posthog-python's ``set``/``set_once``/
``group_identify`` (``destinations.people``).

What PostHog may infer, in both editions (as posthog-python does, plus the ``$ip`` guard):
- ``$geoip_disable: true``: no GeoIP enrichment of the event or of the person.
- ``$ip: "0.0.0.0"``: PostHog's ingestion stores the sending socket's address in ``$ip``
  whenever the event's own ``$ip`` is missing *or falsy* (``null`` does not stop it), so a
  truthy placeholder is the only value that keeps the installation's address off the event.
  The project setting "Discard client IP data" drops ``$ip`` altogether.
- ``$lib``/``$lib_version``/``$is_server``: which library sent it, as the official SDK says it.

Hosts: the app addresses people copy from their browser (``us.posthog.com``, ``app.posthog.com``,
``eu.posthog.com``) are mapped to the ingestion hosts (``us.i.posthog.com``,
``eu.i.posthog.com``), as posthog-python does; any other host is used as given.

Backfills: events whose timestamp is more than ``HISTORICAL_AGE`` (48 h, PostHog's threshold
for imports) before the send go in their own requests with ``"historical_migration": true``,
so PostHog routes them to its import pipeline instead of the live one.
"""

from __future__ import annotations

import gzip
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import orjson

from tenantry import __version__
from tenantry.config import Settings
from tenantry.destinations._http import HttpDestination
from tenantry.destinations.base import BatchConfig, Result
from tenantry.destinations.people import posthog_update
from tenantry.events import Event, events_only

GZIP_ABOVE = 64 * 1024  # bytes
HISTORICAL_AGE = 48 * 3600.0  # seconds: older events are sent as a historical migration
IP_PLACEHOLDER = "0.0.0.0"  # truthy, so PostHog does not fill $ip in from the socket
#: PostHog's app (browser) hosts -> their ingestion hosts, as posthog-python maps them
INGESTION_HOSTS = {
    "us.posthog.com": "https://us.i.posthog.com",
    "app.posthog.com": "https://us.i.posthog.com",
    "eu.posthog.com": "https://eu.i.posthog.com",
}


def ingestion_url(host: str) -> str:
    """Where to capture for ``POSTHOG_HOST``: an app host becomes its ingestion host."""
    mapped = INGESTION_HOSTS.get((urlsplit(host).hostname or "").lower())
    return mapped or host.rstrip("/")


class PostHogDestination(HttpDestination):
    name = "posthog"
    people = True  # identify and group: destinations.people
    batch = BatchConfig(max_events=1000, max_bytes=5_000_000, max_age=1.0)
    max_request_bytes = 5_000_000
    api_key_setting = "posthog_api_key"

    def __init__(
        self,
        settings: Settings,
        *,
        host: str | None = None,
        gzip_above: int = GZIP_ABOVE,
        **overrides: Any,
    ) -> None:
        super().__init__(settings, **overrides)
        self.url = ingestion_url(host or settings.posthog_host) + "/batch/"
        self.gzip_above = gzip_above
        self._key = b'{"api_key":' + orjson.dumps(self.api_key or "")
        self._historical = False  # the flag of the requests being built (one sender thread)
        self.person_profiles = settings.person_profiles
        self._lib = {
            "$lib": "tenantry",
            "$lib_version": __version__,
            "$geoip_disable": True,
            "$ip": IP_PLACEHOLDER,
            "$is_server": True,
        }

    def _fields(self, event: Event) -> dict[str, Any]:
        """An event (not a people update) as one element of the request's ``batch``."""
        props = {**event.properties, **self._lib}
        if event.edition == "cloud":
            if event.developer_id:
                props["$groups"] = {"developer": event.developer_id}
        elif not self.person_profiles:
            props["$process_person_profile"] = False
        return {
            "event": event.event,
            "distinct_id": event.distinct_id,
            "properties": props,
            "timestamp": event.iso_timestamp,
            "uuid": event.uuid,
        }

    def encode_event(self, event: Event) -> bytes:
        if event.people_update:
            return orjson.dumps(posthog_update(event, self._lib))
        return orjson.dumps(self._fields(event))

    def encode_all(self, batch: Sequence[Event]) -> bytes | None:
        if events_only(batch) is not batch:  # people updates: encoded one by one
            return None
        fields = self._fields
        try:
            return orjson.dumps([fields(e) for e in batch])[1:-1]
        except orjson.JSONEncodeError:  # the events that cannot be encoded are found alone
            return None

    def envelope(self, parts: list[bytes], events: Sequence[Event]) -> bytes:
        sent_at = orjson.dumps(datetime.now(UTC).isoformat(timespec="milliseconds"))
        flag = b"true" if self._historical else b"false"
        return b"".join(
            (
                self._key,
                b',"historical_migration":',
                flag,
                b',"sent_at":',
                sent_at,
                b',"batch":[',
                b",".join(parts),
                b"]}",
            )
        )

    def request_headers(self, body: bytes) -> tuple[bytes, dict[str, str]]:
        if len(body) > self.gzip_above:
            return gzip.compress(body, compresslevel=1), {"Content-Encoding": "gzip"}
        return body, {}

    def send(self, batch: Sequence[Event], timeout: float) -> list[Result]:
        cutoff = time.time() - HISTORICAL_AGE
        old = [i for i, e in enumerate(batch) if e.timestamp < cutoff]
        if not old:
            return super().send(batch, timeout)
        deadline = time.monotonic() + timeout
        new = [i for i, e in enumerate(batch) if e.timestamp >= cutoff]
        results: list[Result | None] = [None] * len(batch)
        for historical, indexes in ((False, new), (True, old)):
            if not indexes:
                continue
            self._historical = historical
            try:
                sent = super().send([batch[i] for i in indexes], deadline - time.monotonic())
            finally:
                self._historical = False
            for i, r in zip(indexes, sent, strict=True):
                results[i] = r
        return results  # type: ignore[return-value] - every index was filled
