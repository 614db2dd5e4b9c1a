"""The API usage reports from their rollups: ClickHouse's ``tenantry_daily_api`` (on the Debian
server, 18.16, and on chdb, a current engine) and the local store's request-field columns give
the rows the raw events give, percentiles included, through writes, deletion and repair."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tenantry.events import Event
from tenantry.store.base import COLUMNS, Scope, columns_of
from tenantry.store.clickhouse import TABLE
from tenantry.store.clickhouse_rollups import API
from tenantry.store.local import REQUEST_FIELDS, SCHEMA, LocalStore
from tenantry.store.queries import run_query
from tests.store.test_usage import START, _usage_events, expected

REPORTS = ("api-usage", "api-daily-usage", "api-daily-status", "overview", "monthly-usage")
DAYS = ("2026-09-10", "2026-09-24")  # whole days: the rollups answer
INSTANTS = ("2026-09-10T00:00", "2026-09-25T00:00")  # the same span as instants: raw rows answer
# sampled requests of dev_e: $sample_rate -> the weight each counts for
RATES = (
    (0.1, 10.0), (0.1, 10.0), (0.25, 4.0), (1e-6, 1e6), ("0.5", 1.0), (0, 1.0), (2, 1.0),
    ("x", 1.0), (1e-7, 1.0), (5e-324, 1.0), (True, 1.0), (1.0, 1.0),
)  # fmt: skip


def _request(i: int, dev: str, route: str, ms: float, user: str | None = None, **props) -> Event:
    uuid = f"0000abcd-0000-4000-8000-{i:012x}"
    ts = START + 86400 * (3 + i % 40) + 3600
    p = {"route": route, "method": "GET", "status": 200, "duration_ms": ms, **props}
    return Event(uuid, "api_request", dev, ts, "cloud", p, dev, user)


def _api_events() -> list[Event]:
    """dev_d's route with exactly 20 requests (p50 and p95 fall on whole ranks, the 10th and
    19th) and one with a single request; dev_e's sampled requests; dev_a's requests made for
    an end user (usr_api); then test_usage's mix (2,000 events)."""
    events = [_request(i, "dev_d", "/v1/twenty", round(1.001 * (20 - i), 3)) for i in range(20)]
    events.append(_request(20, "dev_d", "/v1/once", 7.5))
    events += [
        _request(30 + i, "dev_e", "/v1/sampled", 3.0, **{"$sample_rate": rate})
        for i, (rate, _) in enumerate(RATES)
    ]
    events += [
        _request(50 + i, "dev_a", "/v1/memories", 4.25 + i, "usr_api", status=500 if i % 4 else 201)
        for i in range(12)
    ]
    return events + _usage_events(2000, seed=29)


def _reports(store, since=None, until=None) -> dict:
    return {name: run_query(store, name, since=since, until=until) for name in REPORTS}


def _expected(events) -> dict:
    return {name: {"query": name, "rows": expected(events, name)} for name in REPORTS}


@pytest.fixture(scope="module")
def api_events():
    return _api_events()


class TestClickHouseRollup:
    def test_rollup_answers_as_the_raw_rows(self, clickhouse_store, api_events):
        """Every usage report over whole days (rollup) equals the same span asked as instants
        (raw rows) and, over all days, the plain-Python answer; the rollup keeps the sum of
        1/$sample_rate beside the count (1 for a missing or invalid rate); with the raw rows
        deleted behind the rollup's back the whole-day answers stay: the rollup answered them."""
        store = clickhouse_store()
        store.write(api_events)
        assert _reports(store) == _expected(api_events)
        sampled = f"SELECT countMerge(n), sumMerge(w) FROM {API} WHERE developer_id = 'dev_e'"
        assert store._run(sampled) == [(len(RATES), sum(weight for _, weight in RATES))]
        rolled = _reports(store, *DAYS)
        assert rolled == _reports(store, *INSTANTS)
        assert rolled["api-usage"]["rows"] and rolled["overview"]["rows"][0]["errors_5xx"]
        store._run(f"ALTER TABLE {TABLE} DELETE WHERE 1")
        store._await_mutations()
        assert _reports(store, *DAYS) == rolled
        assert _reports(store, *INSTANTS)["api-usage"]["rows"] == []

    def test_every_group_size_gives_the_nearest_rank(self, clickhouse_store, tmp_path):
        """Routes with 1 to 100 requests (durations in shuffled order): p50 and p95 are the
        nearest ranks, ceil(p n / 100)-th smallest, from the rollup, from the raw rows and from
        the local store alike."""
        rnd = random.Random(5)
        events = []
        for n in range(1, 101):
            durations = [round(0.5 + i * 1.25, 3) for i in range(n)]
            rnd.shuffle(durations)
            events += [
                _request(1000 * n + i, "dev_f", f"/v1/n{n:03d}", ms)
                for i, ms in enumerate(durations)
            ]
        want = {"query": "api-usage", "rows": expected(events, "api-usage")}
        store, local = clickhouse_store(), LocalStore(tmp_path)
        for s in (store, local):
            s.write(events)
        assert run_query(store, "api-usage", top=None) == want
        assert run_query(store, "api-usage", top=None, developer="dev_f") == want  # raw rows
        assert run_query(local, "api-usage", top=None) == want
        local.close()

    def test_deletion_rebuilds_the_rollup(self, clickhouse_store, api_events):
        """Forgetting an end user with API requests and a developer, then a retention cut at
        noon, leaves every usage report equal to the plain-Python answer of what is left."""
        store = clickhouse_store()
        store.write(api_events)
        assert store.delete_person("usr_api")[0] == 12
        assert store.delete_person("dev_c")[0] > 0
        cutoff = datetime(2026, 9, 14, 12, tzinfo=UTC).timestamp()
        assert store.delete_before(cutoff) > 0
        left = [
            e
            for e in api_events
            if e.end_user_id != "usr_api" and e.developer_id != "dev_c" and e.timestamp >= cutoff
        ]
        assert _reports(store) == _expected(left)

    def test_repair_and_rebuild(self, clickhouse_store, api_events, caplog):
        """Duplicates from a second writer inflate the rollup until repair rebuilds the pairs
        they were on; after an upgrade that adds the rollup, the store warns and repair with
        rebuild fills it."""
        one, two = clickhouse_store(), clickhouse_store()
        one.write(api_events)
        two.write(api_events[:600])
        assert _reports(one) != _expected(api_events)
        done = one.repair(settle=0)
        assert done["api_rebuilt"] > 0 and _reports(one) == _expected(api_events)
        assert one.repair(settle=0)["api_rebuilt"] == 0
        one._run(f"DROP TABLE {API}_mv")
        one._run(f"DROP TABLE {API}")
        new = clickhouse_store()
        with caplog.at_level("WARNING", logger="tenantry.store"):
            assert run_query(new, "api-usage")["rows"] == []
        assert "--rebuild" in caplog.text
        new.repair(rebuild=True, settle=0)
        assert _reports(new) == _expected(api_events)


def _legacy_file(store: LocalStore, events: list[Event], name: str) -> None:
    """A Parquet file without the request fields' columns, as every file was before them."""
    cols = columns_of(events)
    cols["timestamp"] = [
        datetime.fromtimestamp(t, UTC).replace(tzinfo=None) for t in cols["timestamp"]
    ]
    pq.write_table(pa.Table.from_pydict(cols, schema=SCHEMA), store.segments / name)


class TestLocalRequestFields:
    def test_compaction_adds_the_request_fields(self, tmp_path, api_events):
        """Files without the request fields' columns (a compacted one from before them, fresh
        ones, the sampled requests among them) give the plain-Python answers and weights from
        their JSON; compaction rewrites them all into one time-sorted file with the columns,
        and the answers and weights stay."""
        store = LocalStore(tmp_path)
        _legacy_file(store, api_events[:800], "c-00-old.parquet")
        _legacy_file(store, api_events[800:1600], "w-00-old.parquet")
        store.write(api_events[1600:])
        want = _expected(api_events)
        weights = "SELECT count(*), sum(weight) FROM {events} WHERE developer_id = 'dev_e'"
        sampled = [(len(RATES), sum(weight for _, weight in RATES))]
        assert _reports(store) == want and store.select(weights, Scope()) == sampled
        assert store.compact() == 3
        fresh, compacted = store._list()
        assert fresh == [] and len(compacted) == 1
        table = pq.read_table(compacted[0])
        assert table.schema.names == [*COLUMNS, *REQUEST_FIELDS]
        times = table.column("timestamp").to_pylist()
        assert times == sorted(times)
        assert _reports(store) == want and store.select(weights, Scope()) == sampled
        store.close()
