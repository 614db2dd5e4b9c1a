"""The in-process dedup window: first sight, repeats within a call, the bound, the window in
seconds (as Redis's), forget."""

from __future__ import annotations

import pytest

from tenantry.store.dedup import LocalDedup


class TestLocalDedup:
    def test_first_sight_only(self):
        """A uuid is new once, also when it repeats within one call."""
        dedup = LocalDedup(100)
        assert dedup.first_seen(["a", "b", "a"]) == [True, True, False]
        assert dedup.first_seen(["b", "c"]) == [False, True]

    def test_window_is_bounded(self):
        """Never more than ``size`` uuids are held; the most recent half is always remembered."""
        dedup = LocalDedup(1000)
        uuids = [f"u{i}" for i in range(10_000)]
        assert all(dedup.first_seen(uuids))
        assert len(dedup) <= 1000
        assert dedup.first_seen(uuids[-500:]) == [False] * 500
        assert dedup.first_seen(uuids[:10]) == [True] * 10  # long gone

    def test_window_is_in_seconds_as_in_redis(self):
        """A uuid is remembered for at least ``window`` seconds and forgotten after twice that,
        on a fake clock: the same unit as RedisDedup's window."""
        now = [1000.0]
        dedup = LocalDedup(100, window=60.0, clock=lambda: now[0])
        assert dedup.first_seen(["a"]) == [True]
        now[0] += 59.0
        assert dedup.seen(["a"]) == [True]
        now[0] += 2.0  # 61 s: a's generation is the previous one now, still remembered
        assert dedup.first_seen(["a", "b"]) == [False, True]
        now[0] += 120.0  # past twice the window: both generations gone
        assert dedup.first_seen(["a", "b"]) == [True, True]

    def test_forget_lets_a_retry_through(self):
        """forget unmarks uuids, so the next first_seen treats them as new."""
        dedup = LocalDedup(100)
        dedup.first_seen(["a", "b"])
        dedup.forget(["a"])
        assert dedup.first_seen(["a", "b"]) == [True, False]

    def test_too_small_window_refused(self):
        """A window that cannot hold two uuids is a ValueError."""
        with pytest.raises(ValueError):
            LocalDedup(1)
