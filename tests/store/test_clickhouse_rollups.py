"""ClickHouse exact without FINAL, on the Debian server (18.16) and on chdb (a current engine):
dedup before insert, rollups fed by views, the repair path, deletion kept in the rollups."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson
import pytest

from tenantry.cli import main
from tenantry.errors import StoreError
from tenantry.store.clickhouse import TABLE, ClickHouseStore
from tenantry.store.clickhouse_rollups import BY_DEFINITION
from tenantry.store.dedup import LocalDedup
from tenantry.store.queries import DEFINITIONS, run_query, spelled
from tests.store import dataset
from tests.store.test_queries import GENERIC as QUERIES  # the API-usage ones: test_usage.py

ROLLED_UP = (
    "top-developers",
    "developer-retention",
    "developer-daily-events",
    "event-counts",
    "edition-distribution",
    "os-distribution",
)


def _all_queries(store) -> dict:
    return {
        name: run_query(
            store, name, developer="dev_002" if DEFINITIONS[name].needs_developer else None
        )
        for name in QUERIES
    }


def _expected(events) -> dict:
    return {
        name: dataset.expected(
            events, name, developer="dev_002" if DEFINITIONS[name].needs_developer else None
        )
        for name in QUERIES
    }


def _raw_rows(store) -> int:
    return store._run(f"SELECT count() FROM {TABLE}")[0][0]


@pytest.fixture(scope="module")
def small():
    """20,000 events of the generated dataset (60 days, cloud and opensource)."""
    return dataset.generate(20_000, seed=3)


class TestDedupBeforeInsert:
    def test_replays_never_reach_the_table(self, clickhouse_store, small):
        """A replayed batch is dropped before the insert: the raw table holds each uuid once,
        read without FINAL, and every query equals the independent count."""
        store = clickhouse_store()
        store.write(small)
        store.write(small[:5000] + small[:10])
        assert store.skipped == 5010
        assert _raw_rows(store) == len(small)
        assert _all_queries(store) == _expected(small)

    def test_failed_insert_is_retried_not_dropped(self, clickhouse_store, small):
        """An insert that fails unmarks its uuids, so the retry (same window) stores them."""
        dedup = LocalDedup()
        broken = ClickHouseStore("clickhouse://127.0.0.1:1/default?connect_timeout=1", dedup=dedup)
        with pytest.raises(StoreError):
            broken.write(small[:100])
        store = clickhouse_store(dedup=dedup)
        store.write(small[:100])
        assert store.skipped == 0 and _raw_rows(store) == 100


class TestRollups:
    def test_whole_table_queries_have_rollups(self):
        """Every whole-table query, the API usage reports and the dashboard's tiles included, has
        rollup SQL under the text the store is given (a definition changed without its rollup
        would fall back to the raw rows)."""
        for name in (*ROLLED_UP, "api-usage", "api-daily-usage", "api-daily-status", "overview"):
            assert spelled(DEFINITIONS[name].sql, "clickhouse") in BY_DEFINITION, name

    def test_rollups_agree_with_the_raw_rows(self, clickhouse_store, small):
        """Each rolled-up query, with and without a date range, returns the rows the same SQL
        gives over the raw table."""
        store = clickhouse_store()
        store.write(small)
        for name in ROLLED_UP:
            for since, until in ((None, None), ("2026-09-20", "2026-10-09")):
                got = run_query(store, name, since=since, until=until)
                want = dataset.expected(
                    small,
                    name,
                    since=since and datetime.fromisoformat(since).date(),
                    until=until and datetime.fromisoformat(until).date(),
                )
                assert got == want, (name, since)


class TestRepair:
    def test_duplicates_from_two_replicas_are_repaired(self, clickhouse_store, small):
        """Two replicas with their own windows insert the same 3,000 events: the counts are
        inflated; repair() merges the raw copies away and corrects the rollups, after which
        every query equals the independent count and a second repair finds nothing."""
        one, two = clickhouse_store(), clickhouse_store()
        one.write(small)
        two.write(small[:3000])
        total = sum(r["count"] for r in run_query(one, "event-counts")["rows"])
        assert total == len(small) + 3000
        done = one.repair(settle=0.2)
        assert done["duplicates"] == 3000 and done["left"] == 0
        assert done["corrected_events"] == 3000 and done["unsettled_keys"] == 0
        assert _raw_rows(one) == len(small)
        assert _all_queries(one) == _expected(small)
        again = one.repair(settle=0.2)
        assert again["duplicates"] == 0 and again["corrected_keys"] == 0

    def test_repair_leaves_days_from_before_alone(self, clickhouse_store, small):
        """Only days before ``before`` are corrected: later days keep their (inflated) counts
        until a later run."""
        store, other = clickhouse_store(), clickhouse_store()
        store.write(small)
        other.write(small)
        cut = datetime(2026, 10, 1, tzinfo=UTC)
        store.repair(before=cut.date(), settle=0)
        early = sum(e.timestamp < cut.timestamp() for e in small)
        daily = run_query(store, "developer-daily-events")["rows"]
        cloud_early = sum(e.timestamp < cut.timestamp() and e.edition == "cloud" for e in small)
        assert sum(r["count"] for r in daily if r["date"] < "2026-10-01") == cloud_early
        total = sum(r["count"] for r in run_query(store, "event-counts")["rows"])
        assert total == early + 2 * (len(small) - early)

    def test_rebuild_fills_rollups_after_an_upgrade(self, clickhouse_store, small, caplog):
        """Events stored before the rollups existed: the new store warns once, and repair with
        rebuild fills every rollup so each query equals the independent count."""
        old = clickhouse_store()
        old.write(small)
        for table in ("tenantry_daily_counts", "tenantry_daily_users", "tenantry_daily_ids"):
            old._run(f"DROP TABLE {table}_mv")
            old._run(f"DROP TABLE {table}")
        new = clickhouse_store()
        with caplog.at_level("WARNING", logger="tenantry.store"):
            assert run_query(new, "event-counts")["rows"] == []
        assert "--rebuild" in caplog.text
        done = new.repair(rebuild=True, settle=0)
        assert done["corrected_events"] == -len(small)
        assert _all_queries(new) == _expected(small)


class TestDeletionKeepsRollupsExact:
    def test_forget_people(self, clickhouse_store, small):
        """Forgetting an end user, a developer and an installation's pseudonym removes them
        from every query, rolled up or not."""
        store = clickhouse_store()
        store.write(small)
        gone = {"usr_0042", "dev_004", "anon_0007"}
        for person in sorted(gone):
            assert store.delete_person(person)[0] > 0
        left = [e for e in small if not gone & {e.developer_id, e.end_user_id, e.distinct_id}]
        assert _all_queries(store) == _expected(left)

    def test_retention_cut_inside_a_day(self, clickhouse_store, small):
        """delete_before at noon removes exactly the older events, also from the rollups of the
        day it cuts through."""
        store = clickhouse_store()
        store.write(small)
        cutoff = datetime(2026, 9, 25, 12, tzinfo=UTC).timestamp()
        left = [e for e in small if e.timestamp >= cutoff]
        assert store.delete_before(cutoff) == len(small) - len(left)
        assert _all_queries(store) == _expected(left)


class TestMaintenanceCommand:
    def test_dedupe_command(self, clickhouse_db, small, monkeypatch, capsys):
        """tenantry maintenance dedupe --json repairs duplicates on the configured ClickHouse;
        a bad --before is one line on stderr and a non-zero exit."""
        monkeypatch.setenv("TENANTRY_CLICKHOUSE_URL", clickhouse_db)
        ClickHouseStore(clickhouse_db).write(small[:2000])
        ClickHouseStore(clickhouse_db).write(small[:500])
        assert main(["maintenance", "dedupe", "--json"]) == 0
        doc = orjson.loads(capsys.readouterr().out)
        assert doc["duplicates"] == 500 and doc["corrected_events"] == 500
        store = ClickHouseStore(clickhouse_db)
        assert run_query(store, "event-counts") == dataset.expected(small[:2000], "event-counts")
        assert main(["maintenance", "dedupe", "--before", "someday"]) != 0
        err = capsys.readouterr().err
        assert "--before" in err and len(err.strip().splitlines()) == 1


class TestCurrentEngine:
    def test_chdb_is_a_current_clickhouse(self, stores):
        """The second engine really is a recent ClickHouse (not 18.16)."""
        [(version,)] = stores["chdb"]._run("SELECT version()")
        assert int(version.split(".")[0]) >= 24

    def test_chdb_rows_identical_to_duckdb(self, stores):
        """Every report query, on the same 202,000 events, gives the same rows on chdb as on
        the local DuckDB store."""
        for name in QUERIES:
            dev = "dev_001" if DEFINITIONS[name].needs_developer else None
            assert run_query(stores["chdb"], name, developer=dev) == run_query(
                stores["local"], name, developer=dev
            ), name
