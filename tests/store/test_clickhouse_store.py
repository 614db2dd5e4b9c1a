"""The ClickHouse store against a real clickhouse-server: dedupe, forget, retention, errors."""

from __future__ import annotations

import time

import pytest

from tenantry.config import load_settings
from tenantry.errors import ConfigError, StoreError
from tenantry.store import open_store
from tenantry.store.clickhouse import ClickHouseStore
from tenantry.store.deletion import apply_retention
from tests.store.test_local_store import _events, write_with_replay


class TestClickHouseStore:
    def test_replays_counted_once(self, clickhouse_db):
        """Writing the same uuids again does not change the count (ReplacingMergeTree + FINAL)."""
        store = ClickHouseStore(clickhouse_db)
        write_with_replay(store, 1, 2000)
        assert store.count() == 2000

    def test_forget_developer_and_end_user(self, clickhouse_db):
        """delete_person removes a developer's and an end user's events and reports the counts."""
        store = ClickHouseStore(clickhouse_db)
        events = _events(2, 3000)
        store.write(events)
        removed, ids = store.delete_person("dev_3")
        assert removed == sum(e.developer_id == "dev_3" for e in events) and ids == {"dev_3"}
        removed_user, _ = store.delete_person("usr_7")
        assert removed_user == sum(
            e.end_user_id == "usr_7" and e.developer_id != "dev_3" for e in events
        )
        assert store.count() == 3000 - removed - removed_user

    def test_retention(self, clickhouse_db):
        """apply_retention removes events older than the given days and nothing else."""
        store = ClickHouseStore(clickhouse_db)
        now = time.time()
        store.write(_events(3, 100, ts=now - 40 * 86400) + _events(4, 50, ts=now - 3600))
        assert apply_retention(store, 30) == 100
        assert store.count() == 50

    def test_open_store_picks_clickhouse_when_it_is_a_provider(self, clickhouse_db, tmp_path):
        """Without an explicit backend, open_store uses ClickHouse only when it is a provider."""
        with_ch = load_settings(clickhouse_url=clickhouse_db, destinations="local,clickhouse")
        assert open_store(with_ch).backend == "clickhouse"
        only_url = load_settings(clickhouse_url=clickhouse_db, data_dir=tmp_path)
        assert open_store(only_url).backend == "local"
        with pytest.raises(ConfigError, match="TENANTRY_CLICKHOUSE_URL"):
            open_store(load_settings(data_dir=tmp_path), "clickhouse")

    def test_unreachable_server_raises_store_error(self):
        """A server that is not there is a StoreError with one readable line."""
        store = ClickHouseStore("clickhouse://127.0.0.1:1/default?connect_timeout=1")
        with pytest.raises(StoreError, match="ClickHouse"):
            store.count()
