"""The destination interface: a batch goes in, one ``Result`` per event comes out.

Modelled on OpenTelemetry's ``SpanExporter``: delivery problems are values, never
exceptions. A destination is driven by exactly one sender thread
(``tenantry.pipeline.sender``), which does the batching, the buffering, the waiting and the
retrying; ``send`` only speaks the wire protocol once and classifies what came back. So a
destination has ``send`` and ``shutdown`` and no ``flush``: it holds nothing between calls
(the sender's ``stop``/``request_flush`` flush its buffer).
"""

from __future__ import annotations

import enum
import time
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from tenantry.events import Event, unencodable_indexes
from tenantry.retry import parse_retry_after


class Status(enum.Enum):
    DELIVERED = "delivered"
    RETRY = "retry"  # try again, not before ``Result.retry_at`` (monotonic seconds) if given
    REJECTED = "rejected"  # final: dropped, with a reason (counted as ``rejected:<reason>``)


@dataclass(frozen=True, slots=True)
class Result:
    status: Status
    retry_at: float | None = None  # time.monotonic() value; None: the sender's backoff decides
    reason: str | None = None

    @classmethod
    def retry(cls, reason: str, after: float | None = None) -> Result:
        """Try again: ``after`` seconds from now only where the vendor said when (``Retry-After``,
        Amplitude's throttling); without it the sender's backoff decides."""
        return cls(Status.RETRY, None if after is None else time.monotonic() + after, reason)

    @classmethod
    def rejected(cls, reason: str) -> Result:
        return cls(Status.REJECTED, None, reason)


DELIVERED = Result(Status.DELIVERED)
#: an event JSON cannot encode: final for that event alone, never a retry of its batch
UNENCODABLE = Result(Status.REJECTED, None, "unencodable")


@dataclass(frozen=True, slots=True)
class BatchConfig:
    """When a sender hands a batch to ``send``: whichever limit is reached first. [Vector batch.rs]"""

    max_events: int = 500
    max_bytes: int = 1_000_000  # estimated from the JSON size of each event
    max_age: float = 1.0  # seconds the oldest waiting event may wait


class Destination(ABC):
    """One destination. Subclasses set ``name`` and, if they like, ``batch``."""

    name: str = "destination"
    batch: BatchConfig = BatchConfig()
    #: takes people updates (cloud ``identify``/``group``, ``Event.people_update``): the vendors
    #: with person and group profiles do; the others acknowledge and skip them
    people: bool = False

    @abstractmethod
    def send(self, batch: Sequence[Event], timeout: float) -> list[Result]:
        """Deliver ``batch`` once; return one Result per event, in order. Never raise."""

    def shutdown(self, timeout: float) -> None:  # noqa: ARG002, B027 - optional hook
        """Release connections; called once, after the last ``send``."""


def classify_response(
    status_code: int, headers: Mapping[str, str] | None = None, *, body: str = ""
) -> Result:
    """The shared default [Vector retries.rs]: 2xx delivered; 408, 429 and every 5xx retried,
    honouring ``Retry-After``; every other status rejected with ``http_<code>``.

    501 is retried too: a proxy or load balancer in front of the vendor may answer it for a
    request the vendor itself would take, a retry costs one request where a rejection loses
    the events for good, and posthog-python and amplitude-analytics retry every 5xx as well."""
    if 200 <= status_code < 300:
        return DELIVERED
    if status_code in (408, 429) or 500 <= status_code < 600:
        after = parse_retry_after((headers or {}).get("retry-after"))
        return Result.retry(f"http_{status_code}", after)
    return Result.rejected(f"http_{status_code}")


def encodable_part(batch: Sequence[Event]) -> tuple[list[Event], set[int]]:
    """The events of ``batch`` that JSON can encode, and the positions of those it cannot. For a
    destination that writes a batch as a whole: it writes the first and rejects the others
    alone (``outcomes``), so one bad value never fails, or retries, its batch."""
    bad = unencodable_indexes(batch)
    if not bad:
        return list(batch), bad
    return [e for i, e in enumerate(batch) if i not in bad], bad


def outcomes(n: int, bad: set[int], result: Result) -> list[Result]:
    """``result`` for each of ``n`` events, ``UNENCODABLE`` at the positions in ``bad``."""
    if not bad:
        return [result] * n
    return [UNENCODABLE if i in bad else result for i in range(n)]
