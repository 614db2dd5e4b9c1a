"""The in-process dedup window: first sight, repeats within a call, the bound, forget."""

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
