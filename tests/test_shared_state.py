"""tenantry.shared_state on a real Redis: limits, dedup and revocations shared by two "replicas"
(two SharedState objects, as two processes would have), and what happens when Redis dies."""

from __future__ import annotations

import logging
import threading
import time
import uuid

import pytest

from tenantry.server.limits import Limiter, Rate, make_limiter
from tenantry.shared_state import (
    LocalDedup,
    SharedState,
    make_dedup,
    split_url,
)


@pytest.fixture
def two(redis_url):
    """Two SharedState objects on one Redis and prefix: two replicas' views."""
    a, b = SharedState(redis_url), SharedState(redis_url)
    yield a, b
    a.close()
    b.close()


def _wait(predicate, timeout: float) -> float:
    """Seconds until ``predicate()`` held; fails after ``timeout``."""
    start = time.monotonic()
    while not predicate():
        if time.monotonic() - start > timeout:
            raise AssertionError(f"not within {timeout} s")
        time.sleep(0.005)
    return time.monotonic() - start


class TestUrl:
    def test_prefix_from_query(self):
        """The ``prefix`` query parameter names keys and is removed from the URL redis-py sees."""
        assert split_url("redis://h:6379/2?prefix=prod") == ("redis://h:6379/2", "prod:")
        assert split_url("redis://h:6379/0") == ("redis://h:6379/0", "tenantry:")

    def test_unset_means_in_process(self):
        """Without TENANTRY_REDIS_URL the factories hand out the in-process versions."""
        assert SharedState.from_settings(object()) is None
        assert isinstance(make_limiter(None, Rate(1, 1), "x", fail_open=True), Limiter)
        assert isinstance(make_dedup(None), LocalDedup)


class TestRedisLimiter:
    def test_allowance_is_shared(self, two):
        """A burst of 6 is spent by both replicas together: the 7th take, on either, waits."""
        a, b = two
        la = a.limiter(Rate(per_second=1, burst=6), "relay-anon", fail_open=True)
        lb = b.limiter(Rate(per_second=1, burst=6), "relay-anon", fail_open=True)
        waits = [(la if i % 2 else lb).take("inst-1") for i in range(6)]
        assert waits == [0.0] * 6
        assert 0.5 < la.take("inst-1") <= 1.0
        assert lb.take("inst-1") > 0.5
        assert la.take("another-installation") == 0.0

    def test_refills_at_rate(self, two):
        """Tokens come back at ``per_second``: after 0.3 s at 10/s, 3 more takes pass."""
        a, _ = two
        lim = a.limiter(Rate(per_second=10, burst=3), "r", fail_open=True)
        assert [lim.take("k") for _ in range(3)] == [0.0, 0.0, 0.0]
        assert lim.take("k") > 0
        time.sleep(0.35)
        assert [lim.take("k") for _ in range(3)] == [0.0, 0.0, 0.0]
        assert lim.take("k") > 0

    def test_cost(self, two):
        """``cost`` spends several tokens at once; a cost over the balance says how long."""
        a, _ = two
        lim = a.limiter(Rate(per_second=10, burst=10), "c", fail_open=True)
        assert lim.take("k", 8) == 0.0
        assert lim.take("k", 5) == pytest.approx(0.3, abs=0.05)

    def test_concurrent_takes_never_overspend(self, two):
        """200 takes from 8 threads on two replicas against a burst of 50: exactly 50 pass."""
        a, b = two
        rate = Rate(per_second=0.001, burst=50)
        lims = [a.limiter(rate, "race", fail_open=True), b.limiter(rate, "race", fail_open=True)]
        passed = []

        def worker(i):
            for _ in range(25):
                passed.append(lims[i % 2].take("k") == 0.0)

        threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(passed) == 200 and sum(passed) == 50


class TestRedisDedup:
    def test_first_seen_across_replicas(self, two):
        """A uuid seen by one replica is not first on the other; repeats in one call count once."""
        a, b = two
        u = [str(uuid.uuid4()) for _ in range(3)]
        assert a.dedup().first_seen([u[0], u[1]]) == [True, True]
        assert b.dedup().first_seen([u[1], u[2], u[2]]) == [False, True, False]

    def test_seen_then_mark(self, two):
        """``seen`` marks nothing; ``mark`` makes the uuid known to every replica."""
        a, b = two
        u = str(uuid.uuid4())
        assert a.dedup().seen([u]) == [False]
        assert b.dedup().seen([u]) == [False]
        a.dedup().mark([u])
        assert b.dedup().seen([u]) == [True]

    def test_window_bounds_memory(self, two):
        """uuids live in one set per window, which expires (here: window 1 s, gone in 3 s):
        1,000 uuids are one key, not 1,000."""
        a, _ = two
        d = a.dedup(window=1)
        d.mark([str(uuid.uuid4()) for _ in range(1000)])
        keys = list(a.client.scan_iter(match=f"{a.prefix}seen:relay:*"))
        assert len(keys) == 1 and a.client.scard(keys[0]) == 1000
        assert 0 < a.client.ttl(keys[0]) <= 3

    def test_forget_and_names(self, two):
        """``forget`` lets a uuid through again on every replica; windows of different names
        (relay, store) never see each other's uuids."""
        a, b = two
        u = str(uuid.uuid4())
        assert a.dedup().first_seen([u]) == [True]
        assert b.dedup(name="store").first_seen([u]) == [True]
        a.dedup().forget([u])
        assert b.dedup().first_seen([u]) == [True]
        assert a.dedup().first_seen([u]) == [False]

    def test_odd_uuids_are_never_duplicates(self, two):
        """A uuid with a comma (never kept by the relay) is always new, in every mode."""
        a, _ = two
        d = a.dedup()
        assert d.first_seen(["a,b", "x1"]) == [True, True]
        assert d.first_seen(["a,b", "x1"]) == [True, False]
        assert d.seen(["a,b", "x1"]) == [False, True]


class TestRevocations:
    def test_broadcast_reaches_listener(self, two):
        """A published revocation reaches the other replica's listener in well under a second."""
        a, b = two
        got, trusted = [], []
        b.revocations().listen(lambda k, h: got.append((k, h)), trusted.append)
        _wait(lambda: trusted == [True], 5)
        t0 = time.monotonic()
        assert a.revocations().publish("key", "abc123")
        _wait(lambda: got == [("key", "abc123")], 1.0)
        assert time.monotonic() - t0 < 1.0


class TestRedisGoesAway:
    def test_fallbacks_counted_and_logged_once(self, own_redis, caplog):
        """Redis killed: relay limits allow, login limits refuse, dedup falls back to this
        process, every call is counted, one warning is logged; Redis back: shared again."""
        shared = SharedState(own_redis.url + "?prefix=gone")
        relay = shared.limiter(Rate(per_second=1, burst=1), "relay", fail_open=True)
        login = shared.limiter(Rate(per_second=1, burst=100), "login", fail_open=False)
        dedup = shared.dedup()
        assert relay.take("k") == 0.0 and relay.take("k") > 0  # shared bucket works
        own_redis.kill()
        caplog.set_level(logging.WARNING, logger="tenantry.shared")
        t0 = time.monotonic()
        results = [(relay.take("k"), login.take("k")) for _ in range(50)]
        elapsed = time.monotonic() - t0
        assert all(r == 0.0 for r, _ in results)  # relay: fail open
        assert all(w > 0 for _, w in results)  # login: fail closed
        assert dedup.first_seen(["u1", "u1"]) == [True, False]  # local fallback
        assert shared.status()["errors"] >= 101
        warnings = [r for r in caplog.records if "Redis unreachable" in r.getMessage()]
        assert len(warnings) == 1
        assert elapsed < 1.0  # a dead Redis costs no time per call (one timeout, then skipped)
        own_redis.start()
        time.sleep(1.1)  # RETRY_AFTER
        assert relay.take("fresh") == 0.0 and relay.take("fresh") > 0
        assert any("reachable again" in r.getMessage() for r in caplog.records)
        shared.close()
