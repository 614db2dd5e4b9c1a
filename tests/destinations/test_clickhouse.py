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
