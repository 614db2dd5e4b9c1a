"""The one retry policy: exponential backoff with full jitter and a cap (``Backoff``), one retry
time per destination while it fails (``Outage``), ``Retry-After`` honoured.

[Vector ``retries.rs``; AWS "Exponential Backoff And Jitter"]
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass

MAX_RETRY_AFTER = 300.0  # seconds: never wait longer than this for a server's Retry-After


@dataclass(frozen=True, slots=True)
class Backoff:
    base: float = 0.1  # seconds
    cap: float = 30.0  # seconds

    def delay(self, attempt: int, rng: random.Random | None = None) -> float:
        """Full jitter: uniform in [0, min(cap, base * 2**attempt)]. ``attempt`` starts at 0."""
        ceiling = min(self.cap, self.base * (2 ** min(attempt, 32)))
        return (rng or random).uniform(0, ceiling)


class Outage:
    """When to try a failing destination again, for every batch that failed without a time
    from the vendor: one shared time per outage window. The backoff grows once per window (a
    failure after the shared time has passed), not once per queued batch, and any success
    resets it, so a destination that comes back is used again at once. Used by one thread
    (its sender); not locked."""

    __slots__ = ("backoff", "failures", "until")

    def __init__(self, backoff: Backoff | None = None) -> None:
        self.backoff = backoff or Backoff()
        self.failures = 0  # outage windows since the last success
        self.until = 0.0  # time.monotonic() before which a failed batch is not retried

    def succeeded(self) -> None:
        self.failures = 0

    def retry_at(self, now: float) -> float:
        """The time to retry a batch that failed at ``now``: the current window's end, or the
        end of a new, longer window once the last one has passed."""
        if now >= self.until:
            self.until = now + self.backoff.delay(self.failures)
            self.failures += 1
        return self.until


def parse_retry_after(value: str | None, *, cap: float = MAX_RETRY_AFTER) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP date), capped."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        from email.utils import parsedate_to_datetime  # rare: HTTP dates; kept off import time

        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when is None:
            return None
        seconds = when.timestamp() - time.time()
    return max(0.0, min(seconds, cap))
