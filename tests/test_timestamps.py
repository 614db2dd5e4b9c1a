"""The one timestamp rule (``tenantry.timestamps.event_time``), alone on literal values."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta, timezone

import pytest

from tenantry.counters import Counters
from tenantry.timestamps import MAX_FUTURE, event_time

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC).timestamp()
PAST = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
P = PAST.timestamp()

CASES = [
    # value, expected epoch seconds, counter that goes up (None: none)
    (None, NOW, None),
    (PAST, P, None),
    (PAST.astimezone(timezone(timedelta(hours=-5))), P, None),
    (PAST.replace(tzinfo=None), P, "naive_timestamps"),
    (P, P, None),
    (int(P), float(int(P)), None),
    ("2026-01-02T03:04:05Z", P, None),
    ("2026-01-02T03:04:05.000Z", P, None),
    ("2026-01-01T22:04:05-05:00", P, None),
    ("2026-01-02T03:04:05", P, "naive_timestamps"),
    ("2026-01-02", datetime(2026, 1, 2, tzinfo=UTC).timestamp(), "naive_timestamps"),
    (NOW + MAX_FUTURE, NOW + MAX_FUTURE, None),  # an hour ahead: believed
    (NOW + MAX_FUTURE + 1, NOW, "invalid_timestamps"),
    (datetime.fromtimestamp(NOW + 2 * MAX_FUTURE, UTC), NOW, "invalid_timestamps"),
    (P * 1000, NOW, "invalid_timestamps"),  # milliseconds sent as seconds
    (0, NOW, "invalid_timestamps"),
    (-1.0, NOW, "invalid_timestamps"),
    (math.nan, NOW, "invalid_timestamps"),
    (math.inf, NOW, "invalid_timestamps"),
    (10**400, NOW, "invalid_timestamps"),
    (True, NOW, "invalid_timestamps"),
    ("yesterday", NOW, "invalid_timestamps"),
    ("1767323045", NOW, "invalid_timestamps"),  # epoch seconds as a string: not ISO 8601
    ("", NOW, "invalid_timestamps"),
    ([2026, 1, 2], NOW, "invalid_timestamps"),
    ({"t": P}, NOW, "invalid_timestamps"),
]


@pytest.mark.parametrize(("value", "expected", "counted"), CASES)
def test_event_time(value, expected, counted):
    """Each kind of value gives its epoch seconds or the receiver's now, counting what it fixed."""
    counters = Counters()
    assert event_time(value, NOW, counters) == expected
    counts = {k: v for k, v in counters.snapshot().items() if k != "drops"}
    assert counts == ({counted: 1} if counted else {})


def test_without_counters():
    """Counting is optional: the same answers without a ``Counters``."""
    assert event_time("nonsense", NOW) == NOW
    assert event_time("2026-01-02T03:04:05", NOW) == P
