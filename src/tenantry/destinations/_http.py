"""The HTTP machinery that the ``amplitude``, ``posthog`` and ``relay`` destinations share.

``HttpDestination`` speaks one vendor's wire protocol over one pooled ``HttpClient``
(``tenantry._http``): it encodes the batch, splits it into requests that fit, posts each within
what is left of the caller's timeout, and classifies every answer into one ``Result`` per event.
It never waits and never decides when to try again: a retry carries a time only when the vendor
named one (``Retry-After``, Amplitude's throttling); otherwise the sender's backoff decides
(``tenantry.pipeline.sender``).
"""

from __future__ import annotations

import logging
import os
import time
import weakref
from collections.abc import Callable, Sequence

from tenantry._http import MAX_RESPONSE_BYTES, HttpClient, HttpError, HttpTimeout, Response
from tenantry.config import Settings, env_name
from tenantry.destinations.base import (
    DELIVERED,
    BatchConfig,
    Destination,
    Result,
    classify_response,
)
from tenantry.events import Event

logger = logging.getLogger("tenantry")


class HttpDestination(Destination):
    """One ``HttpClient`` (tenantry._http: urllib3, pooled keep-alive; used only by this
    destination's sender thread), exact request-size accounting, 413 splitting with a size
    limit that recovers, and transport errors as RETRY. Subclasses provide ``url``,
    ``encode_event``, ``envelope`` and, where the vendor documents more, ``classify``.

    ``timeout`` caps each ``send``; within it, ``send`` honours the caller's ``timeout`` and
    passes down only what is left of it (to every request, split and re-encoded batch)."""

    #: split a request's events so that its body stays under this many bytes (exact, pre-gzip)
    max_request_bytes = 1_000_000
    #: after a 413 the size limit is cut; it doubles back towards ``max_request_bytes`` once per
    #: this many seconds without another 413, so one oversized moment does not shrink every
    #: later request for the life of the process
    size_recovery = 60.0
    #: for a vendor that needs an API key: the ``Settings`` field and environment variable that
    #: give it (an ``api_key`` argument beats both). Without a key every event is rejected as
    #: ``no_api_key``, and one error at start-up says which variable to set.
    api_key_setting: str | None = None
    #: the most of an answer's body that is read (``tenantry._http``): a vendor answering with a
    #: huge body never grows the host process
    max_response_bytes = MAX_RESPONSE_BYTES

    def __init__(
        self,
        settings: Settings,
        *,
        api_key: str | None = None,
        timeout: float = 10.0,
        batch: BatchConfig | None = None,
        max_request_bytes: int | None = None,
        size_recovery: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings
        self.api_key = api_key
        if self.api_key_setting is not None:
            if api_key is None:
                self.api_key = getattr(settings, self.api_key_setting)
            if not self.api_key:
                logger.error(
                    "tenantry: %s has no API key (set %s): every event is rejected as no_api_key",
                    self.name,
                    env_name(self.api_key_setting),
                )
        self.timeout = float(timeout)
        if batch is not None:
            self.batch = batch
        if max_request_bytes is not None:
            self.max_request_bytes = max_request_bytes
        if size_recovery is not None:
            self.size_recovery = float(size_recovery)
        self._cut_limit: int | None = None  # the limit a 413 set, while it recovers
        self._clock = clock  # what the size recovery is timed by (tests pass a fake one)
        self._cut_at = 0.0
        self._client = self._new_client()
        ref = weakref.ref(self)
        os.register_at_fork(after_in_child=lambda: _renew_client(ref))

    def _new_client(self) -> HttpClient:
        return HttpClient(
            timeout=self.timeout,
            headers={"Content-Type": "application/json"},
            max_response_bytes=self.max_response_bytes,
        )

    # -- what subclasses provide ----------------------------------------------------------------
    url: str = ""

    def encode_event(self, event: Event) -> bytes:
        raise NotImplementedError

    def envelope(self, parts: list[bytes], events: Sequence[Event]) -> bytes:
        raise NotImplementedError

    def encode_all(self, batch: Sequence[Event]) -> bytes | None:
        """Optional: every event of ``batch`` encoded in one go, as the inside of a JSON array
        (``a,b,c``: what ``b",".join`` of their ``encode_event`` would give), or None where
        that cannot be done (then each event is encoded alone). One ``orjson.dumps`` of a list
        costs a fraction of one per event (docs/PERFORMANCE.md)."""
        return None

    def request_headers(self, body: bytes) -> tuple[bytes, dict[str, str]]:
        return body, {}

    def classify(self, events: Sequence[Event], response: Response) -> list[Result]:
        result = classify_response(response.status_code, response.headers)
        return [result] * len(events)

    # -- the protocol -----------------------------------------------------------------------------
    def send(self, batch: Sequence[Event], timeout: float) -> list[Result]:
        if self.api_key_setting is not None and not self.api_key:
            return [Result.rejected("no_api_key")] * len(batch)
        return self._send(batch, time.monotonic() + max(0.001, min(timeout, self.timeout)))

    def _send(self, batch: Sequence[Event], deadline: float) -> list[Result]:
        joined = self.encode_all(batch) if len(batch) <= self.batch.max_events else None
        if joined is not None and len(joined) + 1 <= self.request_limit() - 512:
            # the common case: the whole batch in one request, encoded at once
            if time.monotonic() >= deadline:
                return [Result.retry("deadline")] * len(batch)
            return self._post(batch, [joined], deadline)
        try:
            parts = [self.encode_event(e) for e in batch]
        except Exception as exc:  # an event that cannot be encoded is final, not the batch
            return self._encode_each(batch, exc, deadline)
        results: list[Result] = []
        start = 0
        for end in self._chunk_ends(parts):
            if time.monotonic() >= deadline:
                results.extend([Result.retry("deadline")] * (len(batch) - start))
                break
            results.extend(self._post(batch[start:end], parts[start:end], deadline))
            start = end
        return results

    def _encode_each(self, batch: Sequence[Event], exc: Exception, deadline: float) -> list[Result]:
        """Reject the events that cannot be encoded; send the others by the same ``deadline``."""
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
            sent = self._send([e for _, e in good], deadline)
            for (i, _), r in zip(good, sent, strict=True):
                out[i] = r
        return out

    def request_limit(self) -> int:
        """Bytes a request may have now: ``max_request_bytes``, or after a 413 the cut limit,
        doubling once per ``size_recovery`` seconds until it is back at the maximum."""
        cut = self._cut_limit
        if cut is None:
            return self.max_request_bytes
        periods = (self._clock() - self._cut_at) / self.size_recovery
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
            if len(parts) != len(events):  # encoded at once: the halves need each event's part
                parts = [self.encode_event(e) for e in events]
            self._cut_limit = max(1024, min(self.request_limit(), len(raw) // 2 + 512))
            self._cut_at = self._clock()
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
