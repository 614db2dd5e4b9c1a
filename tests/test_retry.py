"""The one retry policy (tenantry.retry): full-jitter backoff under its cap, one retry time per
outage window, Retry-After in both of its forms and capped."""

from __future__ import annotations

import random
import time
from email.utils import formatdate

from tenantry.retry import MAX_RETRY_AFTER, Backoff, Outage, parse_retry_after


class TestBackoff:
    def test_full_jitter_stays_under_the_growing_ceiling_and_the_cap(self):
        """delay(n) is uniform in [0, min(cap, base * 2**n)]: 2,000 draws stay inside and reach
        past half of it (jitter, not a constant)."""
        backoff = Backoff(base=0.1, cap=2.0)
        rng = random.Random(7)
        for attempt, ceiling in ((0, 0.1), (3, 0.8), (10, 2.0), (100, 2.0)):
            draws = [backoff.delay(attempt, rng) for _ in range(500)]
            assert min(draws) >= 0.0 and max(draws) <= ceiling
            assert max(draws) > ceiling / 2


class TestOutage:
    def test_one_time_per_window_growing_and_reset_by_a_success(self):
        """Failures inside a window share its end; a failure after it opens a longer window
        (on average); a success resets the count."""
        outage = Outage(Backoff(base=1.0, cap=1000.0))
        first = outage.retry_at(100.0)
        assert outage.retry_at(100.0 + (first - 100.0) / 2) == first  # same window
        assert outage.failures == 1
        outage.retry_at(first + 0.001)
        outage.retry_at(outage.until + 0.001)
        assert outage.failures == 3
        outage.succeeded()
        assert outage.failures == 0


class TestRetryAfter:
    def test_seconds_and_http_dates_capped(self):
        """Delta-seconds as they are, an HTTP date as the seconds until it, both capped at
        MAX_RETRY_AFTER; garbage or nothing is None; a date in the past is 0."""
        assert parse_retry_after("3") == 3.0
        assert parse_retry_after(" 2.5 ") == 2.5
        assert parse_retry_after("99999") == MAX_RETRY_AFTER
        soon = parse_retry_after(formatdate(time.time() + 60, usegmt=True))
        assert 55.0 <= soon <= 61.0
        assert parse_retry_after(formatdate(time.time() - 60, usegmt=True)) == 0.0
        assert parse_retry_after("soon") is None
        assert parse_retry_after(None) is None and parse_retry_after("") is None
