"""Revocation across replicas (TENANTRY_REDIS_URL): two identity stores on one database, each
with a 30 s credential cache; a key or session revoked on one (or by the CLI) is refused by the
other within 1 s, and a store that cannot hear Redis stops trusting its cache."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from tenantry.errors import InvalidSession, RevokedApiKey
from tenantry.identity import IdentityStore
from tenantry.identity._cache import TTLCache


def _refused_within(check, timeout: float) -> float:
    """Seconds until ``check()`` raises; fails when it still passes after ``timeout``."""
    start = time.monotonic()
    while True:
        try:
            check()
        except (RevokedApiKey, InvalidSession):
            return time.monotonic() - start
        if time.monotonic() - start > timeout:
            raise AssertionError(f"still accepted after {timeout} s")
        time.sleep(0.01)


def _wait_trusted(store: IdentityStore, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while store._keys.suspended:
        assert time.monotonic() < deadline, "the revocation subscription never came up"
        time.sleep(0.01)


@pytest.fixture
def pair(db_url, redis_url):
    """Replica A and replica B: two stores, one database, one Redis."""
    a = IdentityStore(db_url, redis_url=redis_url)
    b = IdentityStore(db_url, redis_url=redis_url)
    _wait_trusted(a)
    _wait_trusted(b)
    yield a, b
    a.close()
    b.close()


class TestCache:
    def test_generation_guards_a_stale_set(self):
        """A lookup that started before an invalidation does not cache what it read."""
        cache = TTLCache(30)
        gen = cache.generation
        cache.invalidate("k")
        cache.set("k", "stale", generation=gen)
        assert cache.get("k") is None
        cache.set("k", "fresh", generation=cache.generation)
        assert cache.get("k") == "fresh"

    def test_suspended_cache_keeps_nothing(self):
        """While suspended, nothing is served or kept; resume starts empty."""
        cache = TTLCache(30)
        cache.set("k", 1)
        cache.suspend()
        assert cache.get("k") is None
        cache.set("k", 2)
        cache.resume()
        assert cache.get("k") is None


class TestBroadcast:
    def test_key_revoked_on_a_is_refused_by_b_within_1s(self, pair):
        """B has the key cached for 30 s; A revokes it; B refuses it in under a second."""
        a, b = pair
        dev = a.create_developer("rev@example.com")
        key, raw = a.create_api_key(dev.id)
        assert b.resolve(api_key=raw).developer_id == dev.id
        assert b.cached_identity(api_key=raw) is not None  # warm: 30 s without the broadcast
        t0 = time.monotonic()
        a.revoke_api_key(key.id)
        took = _refused_within(lambda: b.resolve(api_key=raw), 1.0)
        assert b.cached_identity(api_key=raw) is None
        assert time.monotonic() - t0 < 1.0, took

    @pytest.mark.parametrize(
        "revoke",
        [
            lambda store, session: store.revoke_session(session.token),  # logout
            lambda store, session: store.revoke_session_id(session.id),  # sessions revoke
        ],
        ids=["logout", "by_id"],
    )
    def test_session_revoked_on_a_is_refused_by_b_within_1s(self, pair, revoke):
        """Logging out on A, or revoking the session by its ``ses_`` ID there (``tenantry
        sessions revoke``), ends the session on B (cached there) within a second."""
        a, b = pair
        dev = a.create_developer("sess@example.com")
        session = a.create_session(dev.id)
        assert b.resolve(session_token=session.token).developer_id == dev.id
        assert b.cached_identity(session_token=session.token) is not None
        revoke(a, session)
        _refused_within(lambda: b.resolve(session_token=session.token), 1.0)

    def test_cli_revoke_reaches_a_running_replica(self, db_url, redis_url, tmp_path):
        """``tenantry keys revoke`` in another process: the replica refuses the key in < 1 s."""
        b = IdentityStore(db_url, redis_url=redis_url)
        try:
            _wait_trusted(b)
            dev = b.create_developer("cli@example.com")
            key, raw = b.create_api_key(dev.id)
            b.resolve(api_key=raw)
            env = dict(os.environ, TENANTRY_DATABASE_URL=db_url, TENANTRY_REDIS_URL=redis_url)
            env["TENANTRY_DATA_DIR"] = str(tmp_path / "cli")
            proc = subprocess.Popen(
                [sys.executable, "-m", "tenantry", "keys", "revoke", key.id],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
            # Measured from the moment the CLI's revocation is committed: poll the database.
            deadline = time.monotonic() + 30
            while b.get_api_key(key.id).revoked_at is None:
                assert time.monotonic() < deadline and proc.poll() in (None, 0)
                time.sleep(0.005)
            _refused_within(lambda: b.resolve(api_key=raw), 1.0)
            assert proc.wait(30) == 0, proc.stderr.read()
        finally:
            b.close()


class TestRedisGoesAway:
    def test_deaf_replica_reads_the_database(self, tmp_path, own_redis):
        """Redis killed: B stops trusting its cache within a second, so a revocation written
        straight to the database (no broadcast possible) is refused at once; Redis back: B
        caches again."""
        url = f"sqlite:///{tmp_path / 'identity.db'}"
        b = IdentityStore(url, redis_url=own_redis.url)
        plain = IdentityStore(url)  # a writer that cannot broadcast
        try:
            _wait_trusted(b)
            dev = plain.create_developer("deaf@example.com")
            key, raw = plain.create_api_key(dev.id)
            b.resolve(api_key=raw)
            assert b.cached_identity(api_key=raw) is not None
            own_redis.kill()
            deadline = time.monotonic() + 1.0
            while b.cached_identity(api_key=raw) is not None:
                assert time.monotonic() < deadline, "cache still trusted 1 s after Redis died"
                time.sleep(0.01)
            assert b.resolve(api_key=raw).developer_id == dev.id  # still answers, from the DB
            plain.revoke_api_key(key.id)
            with pytest.raises(RevokedApiKey):
                b.resolve(api_key=raw)
            own_redis.start()
            _wait_trusted(b, timeout=5.0)
            key2, raw2 = plain.create_api_key(dev.id)
            b.resolve(api_key=raw2)
            assert b.cached_identity(api_key=raw2) is not None
        finally:
            b.close()
            plain.close()
