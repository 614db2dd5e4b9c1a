"""Report queries: same rows on the local store, on ClickHouse and from plain Python."""

from __future__ import annotations

from datetime import date

import pytest

from tenantry.errors import PrivacyRefused, QueryError
from tenantry.events import Event, new_uuids
from tenantry.store.clickhouse import ClickHouseStore
from tenantry.store.local import LocalStore
from tenantry.store.queries import DEFINITIONS, QUERIES, run_query, suppress_small_groups
from tests.store import dataset

DEV = "dev_002"
# tests/store/test_usage.py
USAGE = ("api-usage", "api-daily-usage", "api-daily-status", "monthly-usage")
GENERIC = tuple(name for name in QUERIES if name not in USAGE)  # dataset.expected knows these
CASES = [
    (name, DEV if DEFINITIONS[name].needs_developer else None, None, None) for name in GENERIC
] + [
    ("top-developers", None, date(2026, 9, 10), date(2026, 9, 20)),
    ("developer-retention", None, date(2026, 10, 1), None),
    ("memories-per-end-user", "dev_004", None, date(2026, 9, 15)),
    ("event-counts", "dev_001", date(2026, 10, 5), date(2026, 10, 5)),
    ("os-distribution", None, date(2026, 10, 30), None),
    ("developer-daily-events", "dev_003", None, None),
    ("developer-daily-events", None, date(2026, 9, 20), date(2026, 9, 26)),
]


class TestSameRowsEverywhere:
    @pytest.mark.parametrize(("name", "developer", "since", "until"), CASES)
    def test_backends_agree_with_python(self, stores, events, name, developer, since, until):
        """Local, ClickHouse and an independent Python computation return identical rows."""
        want = dataset.expected(events, name, developer=developer, since=since, until=until)
        assert want["rows"], "the case must have data to compare"
        for backend, store in stores.items():
            got = run_query(store, name, developer=developer, since=since, until=until)
            assert got == want, backend

    def test_duplicates_are_counted_once(self, stores, events):
        """The 2,000 replayed events do not inflate the counts on either backend."""
        unique = len({e.uuid for e in events})
        assert unique == 200_000 < len(events)
        for store in stores.values():
            total = sum(r["count"] for r in run_query(store, "event-counts")["rows"])
            assert total == unique

    def test_rare_os_is_folded_into_other(self, stores):
        """An OS seen from two installations (below min_group_size) appears only inside 'other'."""
        for store in stores.values():
            rows = run_query(store, "os-distribution")["rows"]
            names = [r["os"] for r in rows]
            assert "beos" not in names and names[-1] == "other"


class TestDeveloperDailyEvents:
    def test_counts_add_up_to_every_cloud_event(self, stores, events):
        """Summed over days and developers the counts are the distinct cloud events, rows
        ordered by date then developer_id, on both backends."""
        cloud = len({e.uuid for e in events if e.edition == "cloud"})
        for backend, store in stores.items():
            rows = run_query(store, "developer-daily-events")["rows"]
            assert sum(r["count"] for r in rows) == cloud, backend
            keys = [(r["date"], r["developer_id"]) for r in rows]
            assert keys == sorted(keys) and len(keys) == len(set(keys)) == 60 * 6, backend

    def test_developer_restricts_to_that_developer(self, stores):
        """With a developer, only that developer's rows remain: one per day of the 60 days."""
        for backend, store in stores.items():
            rows = run_query(store, "developer-daily-events", developer="dev_005")["rows"]
            assert {r["developer_id"] for r in rows} == {"dev_005"} and len(rows) == 60, backend


class TestDeveloperScoping:
    def test_scoped_query_sees_only_that_developer(self, stores, events):
        """event-counts with a developer counts exactly that developer's cloud events."""
        mine = len({e.uuid for e in events if e.developer_id == "dev_003"})
        for store in stores.values():
            rows = run_query(store, "event-counts", developer="dev_003")["rows"]
            assert sum(r["count"] for r in rows) == mine

    def test_injection_in_developer_is_just_a_value(self, stores):
        """A developer ID that looks like SQL matches no rows instead of widening the query."""
        for store in stores.values():
            evil = "dev_001' OR '1'='1"
            assert run_query(store, "developer-memories", developer=evil)["rows"] == [{"count": 0}]
            assert run_query(store, "top-developers", developer=evil)["rows"] == []


class TestRefusalsAndErrors:
    def _opensource_only(self, store):
        store.write(
            [
                Event(u, "memory_created", f"anon_{i}", 1.8e9 + i, "opensource", {"os": "linux"})
                for i, u in enumerate(new_uuids(50))
            ]
        )

    def test_privacy_refused_on_opensource_data_local(self, tmp_path):
        """Every user-level query over an opensource-only local store raises PrivacyRefused."""
        store = LocalStore(tmp_path)
        self._opensource_only(store)
        for name in QUERIES:
            if DEFINITIONS[name].cloud:
                with pytest.raises(PrivacyRefused, match="opensource"):
                    run_query(store, name, developer="dev_1")
        assert run_query(store, "event-counts")["rows"] == [
            {"event": "memory_created", "count": 50}
        ]

    def test_privacy_refused_on_opensource_data_clickhouse(self, clickhouse_db):
        """The same refusal holds on ClickHouse."""
        store = ClickHouseStore(clickhouse_db)
        self._opensource_only(store)
        with pytest.raises(PrivacyRefused):
            run_query(store, "top-developers")
        assert run_query(store, "edition-distribution")["rows"] == [
            {"edition": "opensource", "count": 50}
        ]

    def test_developer_daily_events_refused_on_clickhouse(self, clickhouse_db):
        """developer-daily-events over opensource-only ClickHouse data is refused, with or
        without a developer."""
        store = ClickHouseStore(clickhouse_db)
        self._opensource_only(store)
        for developer in (None, "dev_1"):
            with pytest.raises(PrivacyRefused, match="developer-daily-events"):
                run_query(store, "developer-daily-events", developer=developer)

    def test_bad_requests_raise_query_error(self, tmp_path):
        """Unknown names, a missing developer and bad or reversed dates raise QueryError."""
        store = LocalStore(tmp_path)
        with pytest.raises(QueryError, match="unknown query"):
            run_query(store, "everything")
        with pytest.raises(QueryError, match="needs --developer"):
            run_query(store, "developer-events")
        with pytest.raises(QueryError, match="not a date"):
            run_query(store, "event-counts", since="yesterday")
        with pytest.raises(QueryError, match="after"):
            run_query(store, "event-counts", since="2026-02-01", until="2026-01-01")

    def test_empty_store_gives_empty_rows(self, tmp_path):
        """A store with no events answers every query with no rows (developer-memories: 0)."""
        store = LocalStore(tmp_path)
        assert run_query(store, "developer-memories", developer="d")["rows"] == [{"count": 0}]
        assert run_query(store, "os-distribution")["rows"] == []


class TestSuppression:
    def test_fold_small_groups(self):
        """Groups below the threshold sum into one trailing 'other' row; others stay, count desc."""
        rows = [("linux", 10, 9), ("beos", 3, 1), ("darwin", 20, 5), ("haiku", 2, 2)]
        assert suppress_small_groups(rows, 5) == [("darwin", 20), ("linux", 10), ("other", 5)]


class TestBounded:
    """Reports answer at most ``top`` groups; the rest are summed into ``other`` (issue 20:
    800,000 distinct event names answered 27 MB)."""

    def test_rankings_keep_the_top_and_sum_the_rest(self, stores, events):
        """event-counts and top-developers cut to the top N in SQL: N rows plus ``other``,
        whose value makes the total, on every backend."""
        unique = len({e.uuid for e in events})
        for backend, store in stores.items():
            full = run_query(store, "event-counts", top=None)["rows"]
            cut = run_query(store, "event-counts", top=2)["rows"]
            assert cut[:2] == full[:2] and cut[2]["event"] == "other", backend
            assert len(cut) == 3 and sum(r["count"] for r in cut) == unique
            users = run_query(store, "top-developers", top=2)["rows"]
            every = run_query(store, "top-developers", top=None)["rows"]
            assert users[:2] == every[:2] and users[2]["developer_id"] == "other"
            assert users[2]["unique_end_users"] == sum(r["unique_end_users"] for r in every[2:])

    def test_series_fold_the_other_developers_per_day(self, stores):
        """developer-daily-events keeps the top developers' rows; the others are one ``other``
        row per day, so each day's total is unchanged."""
        store = stores["local"]
        full = run_query(store, "developer-daily-events", top=None)["rows"]
        cut = run_query(store, "developer-daily-events", top=2)["rows"]
        kept = {r["developer_id"] for r in cut} - {"other"}
        assert len(kept) == 2 and any(r["developer_id"] == "other" for r in cut)

        def per_day(rows):
            days = {}
            for r in rows:
                days[r["date"]] = days.get(r["date"], 0) + r["count"]
            return days

        assert per_day(cut) == per_day(full)

    def test_many_event_names_answer_a_bounded_report(self, tmp_path):
        """5,000 distinct event names: the default report answers 1,001 rows whose counts sum
        to every event."""
        names = [f"evt_{i:05d}" for i in range(5000)]
        evs = [
            Event(u, names[i % 5000], "anon", 1.79e9 + i, "opensource", {})
            for i, u in enumerate(new_uuids(6000))
        ]
        store = LocalStore(tmp_path)
        store.write(evs)
        rows = run_query(store, "event-counts")["rows"]
        assert len(rows) == 1001 and rows[-1]["event"] == "other"
        assert sum(r["count"] for r in rows) == 6000
        assert rows[0] == {"event": names[0], "count": 2}
        store.close()
