"""``relay``: a tenantry relay's ``POST {relay_url}/v1/telemetry/events``; and the HTTP machinery
that the ``amplitude`` and ``posthog`` destinations share (``HttpDestination``).

Relay wire format (CONTRACT.md)::

    {"events": [{"event_name", "properties", "user_id", "timestamp", "uuid"}], "anonymous_id"}
    -> 200 {"success": true, "events_received": n, "events_processed": n}

``user_id`` is the event's primary ID (already a pseudonym in opensource). 413 splits the
request; 408, 429 and every 5xx are retried honouring ``Retry-After``; other 4xx are rejected.
"""

from __future__ import annotations

import logging
import os
import time
import weakref
from collections.abc import Sequence
from typing import Any

import orjson

from tenantry._http import HttpClient, HttpError, HttpTimeout, Response
from tenantry.config import Settings
from tenantry.destinations.base import (
    DELIVERED,
    BatchConfig,
    Destination,
    Result,
    Status,
    classify_response,
)
from tenantry.errors import ConfigError
from tenantry.events import Event
from tenantry.limits import MAX_BODY_BYTES, MAX_EVENTS_PER_REQUEST
from tenantry.retry import Backoff

logger = logging.getLogger("tenantry")


class HttpDestination(Destination):
    """One ``HttpClient`` (tenantry._http: urllib3, pooled keep-alive; used only by this
    destination's sender thread), exact request-size accounting, 413 splitting with a size
    limit that recovers, and transport errors as RETRY. Subclasses provide ``encode_event``,
    ``envelope`` and, where the vendor documents more, ``classify``."""

    #: split a request's events so that its body stays under this many bytes (exact, pre-gzip)
    max_request_bytes = 1_000_000
    #: after a 413 the size limit is cut; it doubles back towards ``max_request_bytes`` once per
    #: this many seconds without another 413, so one oversized moment does not shrink every
    #: later request for the life of the process
    size_recovery = 60.0

    def __init__(
        self,
        settings: Settings,
        *,
        timeout: float = 10.0,
        batch: BatchConfig | None = None,
        max_request_bytes: int | None = None,
        size_recovery: float | None = None,
        backoff: Backoff | None = None,
    ) -> None:
        self.settings = settings
        self._backoff = backoff or Backoff()
        self._failures = 0  # consecutive failed requests; reset by any success
        self._pause_until = 0.0  # monotonic time before which a failed batch is not retried
        self.timeout = float(timeout)
        if batch is not None:
            self.batch = batch
        if max_request_bytes is not None:
            self.max_request_bytes = max_request_bytes
        if size_recovery is not None:
            self.size_recovery = float(size_recovery)
        self._cut_limit: int | None = None  # the limit a 413 set, while it recovers
        self._cut_at = 0.0
        self._client = self._new_client()
        ref = weakref.ref(self)
        os.register_at_fork(after_in_child=lambda: _renew_client(ref))

    def _new_client(self) -> HttpClient:
        return HttpClient(timeout=self.timeout, headers={"Content-Type": "application/json"})

    # -- what subclasses provide ----------------------------------------------------------------
    url: str = ""

    def encode_event(self, event: Event) -> bytes:
        raise NotImplementedError

    def envelope(self, parts: list[bytes], events: Sequence[Event]) -> bytes:
        raise NotImplementedError

    def request_headers(self, body: bytes) -> tuple[bytes, dict[str, str]]:
        return body, {}

    def classify(self, events: Sequence[Event], response: Response) -> list[Result]:
        result = classify_response(response.status_code, response.headers)
        return [result] * len(events)

    # -- the protocol -----------------------------------------------------------------------------
    def send(self, batch: Sequence[Event], timeout: float) -> list[Result]:
        deadline = time.monotonic() + max(0.001, min(timeout, self.timeout))
        try:
            parts = [self.encode_event(e) for e in batch]
        except Exception as exc:  # an event that cannot be encoded is final, not the batch
            return self._encode_each(batch, exc)
        results: list[Result] = []
        start = 0
        for end in self._chunk_ends(parts):
            if time.monotonic() >= deadline:
                results.extend([Result.retry("deadline")] * (len(batch) - start))
                break
            results.extend(self._post(batch[start:end], parts[start:end], deadline))
            start = end
        return self._pace(results)

    def _pace(self, results: list[Result]) -> list[Result]:
        """Give retries that the server did not time (no ``Retry-After``) one shared time per
        destination: backoff with full jitter grows once per outage window, not once per queued
        batch, and any success resets it. So a batch never fragments into per-event retry times,
        and a destination that comes back is used again at once."""
        if any(r.status is Status.DELIVERED for r in results):
            self._failures = 0
        if not any(r.status is Status.RETRY and r.retry_at is None for r in results):
            return results
        now = time.monotonic()
        if now >= self._pause_until:
            self._pause_until = now + self._backoff.delay(self._failures)
            self._failures += 1
        until = self._pause_until
        return [
            Result(Status.RETRY, until, r.reason)
            if r.status is Status.RETRY and r.retry_at is None
            else r
            for r in results
        ]

    def _encode_each(self, batch: Sequence[Event], exc: Exception) -> list[Result]:
        logger.warning("tenantry: %s could not encode an event: %s", self.name, exc)
        out: list[Result] = []
        good: list[tuple[int, Event]] = []
        for i, e in enumerate(batch):
            try:
                self.encode_event(e)
                good.append((i, e))
                out.append(DELIVERED)
            except Exception:
                out.append(Result.rejected("unencodable"))
        if good:
            sent = self.send([e for _, e in good], self.timeout)
            for (i, _), r in zip(good, sent, strict=True):
                out[i] = r
        return out

    def request_limit(self) -> int:
        """Bytes a request may have now: ``max_request_bytes``, or after a 413 the cut limit,
        doubling once per ``size_recovery`` seconds until it is back at the maximum."""
        cut = self._cut_limit
        if cut is None:
            return self.max_request_bytes
        periods = (time.monotonic() - self._cut_at) / self.size_recovery
        limit = cut * 2.0 ** min(periods, 64.0)
        if limit >= self.max_request_bytes:
            self._cut_limit = None
            return self.max_request_bytes
        return int(limit)

    def _chunk_ends(self, parts: list[bytes]) -> list[int]:
        """Indexes where requests end: at most ``batch.max_events`` events and
        ``request_limit()`` bytes each (a single larger event still goes alone)."""
        limit = self.request_limit() - 512  # room for the envelope
        max_events = self.batch.max_events
        if len(parts) <= max_events and sum(map(len, parts)) + len(parts) <= limit:
            return [len(parts)]  # the common case: one request
        ends: list[int] = []
        size = 0
        count = 0
        for i, p in enumerate(parts):
            n = len(p) + 1
            if count and (size + n > limit or count >= max_events):
                ends.append(i)
                size = count = 0
            size += n
            count += 1
        ends.append(len(parts))
        return ends

    def _post(self, events: Sequence[Event], parts: list[bytes], deadline: float) -> list[Result]:
        raw = self.envelope(parts, events)
        body, headers = self.request_headers(raw)
        left = deadline - time.monotonic()
        if left <= 0:
            return [Result.retry("deadline")] * len(events)
        try:
            response = self._client.post(self.url, body, headers, timeout=left)
        except HttpTimeout:
            return [Result.retry("timeout")] * len(events)
        except HttpError as exc:
            return [Result.retry(f"connect_error:{exc}")] * len(events)
        except Exception as exc:  # never raise out of send
            return [Result.retry(f"http_error:{type(exc).__name__}")] * len(events)
        if response.status_code == 413:
            # Split inside this call rather than shrinking ``batch``: the sender reads its
            # BatchConfig once, and a split here delivers the halves within the same deadline.
            if len(events) == 1:
                return [Result.rejected("too_large")]
            self._cut_limit = max(1024, min(self.request_limit(), len(raw) // 2 + 512))
            self._cut_at = time.monotonic()
            half = len(events) // 2
            return self._post(events[:half], parts[:half], deadline) + self._post(
                events[half:], parts[half:], deadline
            )
        return self.classify(events, response)

    def shutdown(self, timeout: float) -> None:
        try:
            self._client.close()
        except Exception:  # closing must never break a shutdown
            logger.debug("tenantry: %s client close failed", self.name, exc_info=True)


def _renew_client(ref: weakref.ref) -> None:
    """In a forked child: a fresh client, so parent and child never share a pooled socket."""
    destination = ref()
    if destination is not None:
        destination._client = destination._new_client()


class RelayDestination(HttpDestination):
    name = "relay"
    batch = BatchConfig(
        max_events=min(500, MAX_EVENTS_PER_REQUEST), max_bytes=1_000_000, max_age=1.0
    )
    max_request_bytes = min(1_000_000, MAX_BODY_BYTES)  # the relay's own limits (tenantry.limits)

    def __init__(self, settings: Settings, **overrides: Any) -> None:
        if not settings.relay_url:
            raise ConfigError("TELEMETRY_RELAY_URL: required for the relay provider")
        super().__init__(settings, **overrides)
        self.url = settings.relay_url.rstrip("/") + "/v1/telemetry/events"
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
