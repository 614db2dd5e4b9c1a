"""A slice tracked through the library (``track_sync(..., timestamp=)``) lands in both stores,
answers the report queries like plain Python, and can be forgotten, pseudonyms included."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tenantry import TelemetryService
from tenantry.config import load_settings
from tenantry.errors import PrivacyRefused
from tenantry.store import open_store, run_query
from tenantry.store.deletion import forget

T0 = datetime(2026, 10, 1, 9, tzinfo=UTC)


def _track(edition: str, data_dir, clickhouse_url: str, n: int) -> None:
    service = TelemetryService(
        data_dir=data_dir,
        destinations="local,clickhouse",
        clickhouse_url=clickhouse_url,
        edition=edition,
        secret="k" * 32,
    )
    for i in range(n):
        service.track_sync(
            "memory_created" if i % 2 else "memory_searched",
            {"type": "text"},
            user_id=f"usr_{i % 5}",
            developer_id=f"dev_{i % 2}",
            timestamp=T0 + timedelta(days=i % 3),
        )
    assert service.flush(timeout=15.0)
    service.shutdown(timeout=5.0)


class TestTrackedSlice:
    def test_cloud_slice_reports_on_both_backends(self, tmp_path, clickhouse_db):
        """60 cloud events tracked with timestamp= give the expected per-developer rows."""
        _track("cloud", tmp_path, clickhouse_db, 60)
        settings = load_settings(data_dir=tmp_path, clickhouse_url=clickhouse_db)
        for backend in ("local", "clickhouse"):
            store = open_store(settings, backend)
            # i odd -> dev_1 and memory_created: 30 events; end users usr_1, usr_3, usr_0,...
            assert run_query(store, "developer-memories", developer="dev_1")["rows"] == [
                {"count": 30}
            ]
            assert run_query(store, "top-developers")["rows"] == [
                {"developer_id": "dev_0", "unique_end_users": 5},
                {"developer_id": "dev_1", "unique_end_users": 5},
            ]
            days = {r["date"] for r in run_query(store, "developer-retention")["rows"]}
            assert days == {"2026-10-01", "2026-10-02", "2026-10-03"}

    def test_opensource_slice_is_anonymous_and_forgettable(self, tmp_path, clickhouse_db):
        """Opensource events refuse user-level queries, and forget --end-user finds them by
        the installation's pseudonym on both backends."""
        _track("opensource", tmp_path, clickhouse_db, 40)
        settings = load_settings(data_dir=tmp_path, clickhouse_url=clickhouse_db, secret="k" * 32)
        local = open_store(settings, "local")
        assert local.count() == 40
        with pytest.raises(PrivacyRefused):
            run_query(local, "memories-per-end-user", developer="dev_1")
        report = forget(settings, end_user="usr_2")
        assert report["deleted"] == {"local": 8, "clickhouse": 8}
        for backend in ("local", "clickhouse"):
            rows = run_query(open_store(settings, backend), "event-counts")["rows"]
            assert sum(r["count"] for r in rows) == 32
