"""The clickhouse destination against a real clickhouse-server."""

from __future__ import annotations

import pytest

from tenantry.config import load_settings
from tenantry.destinations import build
from tenantry.destinations.base import Status
from tenantry.destinations.clickhouse import ClickHouseDestination
from tenantry.errors import ConfigError
from tenantry.store.clickhouse import ClickHouseStore
from tests.store.test_local_store import _events


class TestClickHouseDestination:
    def test_send_inserts_batch(self, clickhouse_db):
        """A batch is delivered and counted once in ClickHouse, even when sent twice."""
        dest = build(load_settings(clickhouse_url=clickhouse_db), "clickhouse")
        batch = _events(1, 5000)
        assert {r.status for r in dest.send(batch, 5.0)} == {Status.DELIVERED}
        dest.send(batch[:100], 5.0)
        dest.shutdown(1.0)
        assert ClickHouseStore(clickhouse_db).count() == 5000

    def test_server_down_is_retry(self):
        """An unreachable server yields RETRY for every event, never an exception."""
        dest = ClickHouseDestination(
            load_settings(clickhouse_url="clickhouse://127.0.0.1:1/default?connect_timeout=1")
        )
        results = dest.send(_events(2, 4), 2.0)
        assert [r.status for r in results] == [Status.RETRY] * 4

    def test_needs_url(self):
        """Without TENANTRY_CLICKHOUSE_URL the destination refuses to start, naming the variable."""
        with pytest.raises(ConfigError, match="TENANTRY_CLICKHOUSE_URL"):
            ClickHouseDestination(load_settings())


class TestDedupBeforeInsert:
    def test_two_senders_sharing_a_window_insert_once(self, clickhouse_db):
        """Two destinations (replicas) handed one dedup window insert a re-sent batch once:
        the raw table, read without FINAL, holds each uuid once, and re-sent events are
        reported delivered."""
        from tenantry.store.clickhouse import TABLE
        from tenantry.store.dedup import LocalDedup

        shared = LocalDedup()
        settings = load_settings(clickhouse_url=clickhouse_db)
        one = ClickHouseDestination(settings, dedup=shared)
        two = ClickHouseDestination(settings, dedup=shared)
        batch = _events(3, 3000)
        one.send(batch, 5.0)
        results = two.send(batch[:1000] + _events(4, 10), 5.0)
        assert {r.status for r in results} == {Status.DELIVERED}
        store = ClickHouseStore(clickhouse_db)
        assert store._run(f"SELECT count() FROM {TABLE}")[0][0] == 3010
        for dest in (one, two):
            dest.shutdown(1.0)


class TestSharedDedupAcrossReplicas:
    def test_two_replicas_share_the_store_window_through_redis(self, clickhouse_db, redis_url):
        """With TENANTRY_REDIS_URL, a batch one replica inserted is skipped by another; the
        relay's window (another name) does not hide the store's events."""
        from tenantry.shared_state import SharedState

        settings = load_settings(clickhouse_url=clickhouse_db, redis_url=redis_url)
        relay_window = SharedState.from_settings(settings).dedup(name="relay")
        batch = _events(7, 2000)
        relay_window.first_seen([e.uuid for e in batch])  # the relay saw them first
        a, b = ClickHouseDestination(settings), ClickHouseDestination(settings)
        assert {r.status for r in a.send(batch, 5.0)} == {Status.DELIVERED}
        assert {r.status for r in b.send(batch, 5.0)} == {Status.DELIVERED}
        assert a.store.skipped == 0 and b.store.skipped == 2000
        a.shutdown(1.0)
        b.shutdown(1.0)
        assert ClickHouseStore(clickhouse_db).count() == 2000

    def test_a_failed_insert_is_not_marked(self, redis_url):
        """seen -> insert -> mark: an insert that fails leaves the uuids unmarked in the shared
        window, so a replay (here: the next send) is not taken for a duplicate."""
        from tenantry.shared_state import SharedState

        settings = load_settings(
            clickhouse_url="clickhouse://127.0.0.1:1/default?connect_timeout=1", redis_url=redis_url
        )
        dest = ClickHouseDestination(settings)
        batch = _events(8, 50)
        assert {r.status for r in dest.send(batch, 2.0)} == {Status.RETRY}
        window = SharedState.from_settings(settings).dedup(name="store")
        assert window.seen([e.uuid for e in batch]) == [False] * 50
        dest.shutdown(1.0)
