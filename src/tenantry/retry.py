"""The one retry policy: exponential backoff with full jitter and a cap, ``Retry-After`` honoured.

[Vector ``retries.rs``; AWS "Exponential Backoff And Jitter"]
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Backoff:
    base: float = 0.1  # seconds
    cap: float = 30.0  # seconds
    max_retry_after: float = 300.0  # never wait longer than this for a server's Retry-After

    def delay(self, attempt: int, rng: random.Random | None = None) -> float:
        """Full jitter: uniform in [0, min(cap, base * 2**attempt)]. ``attempt`` starts at 0."""
        ceiling = min(self.cap, self.base * (2 ** min(attempt, 32)))
        return (rng or random).uniform(0, ceiling)


def parse_retry_after(value: str | None, *, cap: float = 300.0) -> float | None:
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
