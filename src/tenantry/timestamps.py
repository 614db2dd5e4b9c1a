"""The one rule for an event's time, used by the library (``track(..., timestamp=)``) and the
relay (each relayed event's ``timestamp``).

``event_time(value, now)`` returns epoch seconds:

- a ``datetime``, epoch seconds (``int``/``float``) or an ISO 8601 string is taken as given;
- a naive ``datetime`` or an ISO string without an offset is read as UTC, counted
  ``naive_timestamps``;
- ``None`` means "now" (not counted);
- anything else (another type, ``bool``, not finite, zero or negative, unparseable, or more than
  ``MAX_FUTURE`` seconds ahead of the receiver's clock) becomes the receiver's ``now``, counted
  ``invalid_timestamps``. The event itself is kept. [PostHog: "ignored an invalid timestamp,
  event was still ingested"]

``MAX_FUTURE`` is one hour: both clocks involved are servers' (the embedding application, an
opensource installation) and normally within seconds of each other, so anything an hour ahead is
a wrong value (milliseconds sent as seconds, local time sent as UTC east of Greenwich) rather than
drift. PostHog allows 23 hours because it first corrects browsers' clock skew with ``sent_at``;
tenantry has no such correction, so it keeps the window short.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

from tenantry.counters import Counters

MAX_FUTURE = 3600.0  # seconds ahead of the receiver's clock that are still believed

__all__ = ["MAX_FUTURE", "event_time"]


def event_time(value: Any, now: float, counters: Counters | None = None) -> float:
    """``value`` as epoch seconds by the rule above; ``now`` (the receiver's clock, epoch
    seconds) when it is missing or not believable. Never raises."""
    if value is None:
        return now
    try:
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        if isinstance(value, datetime):
            if value.tzinfo is None:
                if counters is not None:
                    counters.incr("naive_timestamps")
                value = value.replace(tzinfo=UTC)
            seconds = value.timestamp()
        elif isinstance(value, int | float) and not isinstance(value, bool):
            seconds = float(value)
        else:
            raise TypeError(type(value).__name__)
        if not math.isfinite(seconds) or seconds <= 0 or seconds > now + MAX_FUTURE:
            raise ValueError("out of range")
        return seconds
    except Exception:
        if counters is not None:
            counters.incr("invalid_timestamps")
        return now
