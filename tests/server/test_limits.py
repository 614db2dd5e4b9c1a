"""The relay's token buckets, on their own."""

from __future__ import annotations

import time

import pytest

from tenantry.server.limits import Limiter, Rate


class TestLimiter:
    def test_burst_then_refill(self):
        """A bucket allows ``burst`` requests at once, then refills at ``per_second``."""
        limiter = Limiter(Rate(per_second=50, burst=3))
        assert [limiter.take("k") for _ in range(3)] == [0.0, 0.0, 0.0]
        wait = limiter.take("k")
        assert 0 < wait <= 1 / 50 + 1e-6
        time.sleep(wait + 0.01)
        assert limiter.take("k") == 0.0

    def test_keys_are_independent(self):
        """One key's empty bucket does not limit another key."""
        limiter = Limiter(Rate(per_second=1, burst=1))
        assert limiter.take("a") == 0.0 and limiter.take("a") > 0
        assert limiter.take("b") == 0.0

    def test_bounded_memory(self):
        """At most ``max_keys`` buckets are kept (least recently used dropped)."""
        limiter = Limiter(Rate(per_second=1, burst=1), max_keys=10)
        for i in range(100):
            limiter.take(str(i))
        assert len(limiter._buckets) == 10

    @pytest.mark.parametrize("rate", [Rate(0, 1), Rate(1, 0)])
    def test_rejects_nonsense(self, rate):
        """A rate of zero or a burst below one is refused at construction."""
        with pytest.raises(ValueError):
            Limiter(rate)
