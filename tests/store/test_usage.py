"""API usage reports (api-usage, api-daily-usage, monthly-usage) and os-distribution: the same
rows on the local store, on ClickHouse 18.16 and from plain Python; developers kept apart."""

from __future__ import annotations

import math
import random
from collections import defaultdict
from datetime import UTC, date, datetime

import pytest

from tenantry.errors import PrivacyRefused
from tenantry.events import Event
from tenantry.store.clickhouse import ClickHouseStore
from tenantry.store.local import LocalStore
from tenantry.store.queries import DEFINITIONS, run_query
from tests.store.conftest import both_stores

START = datetime(2026, 8, 20, tzinfo=UTC).timestamp()  # spans August, September, October
DEVS = ("dev_a", "dev_b", "dev_c")
ROUTES = (
    ("POST", "/v1/memories"),
    ("GET", "/v1/memories/{memory_id}"),
    ("POST", "/v1/memories/search"),
    ("GET", "(unmatched)"),
)


def _usage_events(n: int = 30_000, seed: int = 13) -> list[Event]:
    """Cloud api_request events of three developers (durations with up to 3 decimals, ~4% 5xx),
    their memory_created events, and opensource api_request events that no usage report may
    count."""
    rnd = random.Random(seed)
    out = []
    for i in range(n):
        uuid = f"{seed:08x}-0000-4000-8000-{i:012x}"
        ts = START + rnd.random() * 70 * 86400
        if rnd.random() < 0.15:
            out.append(
                Event(
                    uuid,
                    "api_request",
                    f"anon_{i % 40}",
                    ts,
                    "opensource",
                    {
                        "route": "/v1/memories",
                        "method": "POST",
                        "status_class": "2xx",
                        "duration_bucket": "<10ms",
                        "os": ("linux", "darwin")[i % 2],
                    },
                )
            )
            continue
        dev = DEVS[min(int(rnd.expovariate(1.2)), 2)]
        if rnd.random() < 0.25:
            props = {"developer_id": dev, "end_user_id": f"usr_{i % 7}", "type": "text"}
            out.append(Event(uuid, "memory_created", dev, ts, "cloud", props, dev, f"usr_{i % 7}"))
            continue
        method, route = rnd.choice(ROUTES)
        if route == "(unmatched)":
            status = 404
        elif rnd.random() < 0.04:
            status = rnd.choice((500, 503))
        else:
            status = rnd.choice((200, 201, 401))
        props = {
            "developer_id": dev,
            "route": route,
            "method": method,
            "status": status,
            "duration_ms": round(rnd.lognormvariate(2.5, 1.0), 3),
            "request_bytes": rnd.randrange(2000),
            "response_bytes": rnd.randrange(5000),
        }
        out.append(Event(uuid, "api_request", dev, ts, "cloud", props, dev, None))
    return out


def _day(e: Event) -> date:
    return datetime.fromtimestamp(e.timestamp, UTC).date()


def _rank(values: list[float], p: int) -> float:
    """Nearest rank: the ceil(p n / 100)-th smallest value."""
    values = sorted(values)
    return values[-(-p * len(values) // 100) - 1]


def weight(e: Event) -> float:
    """What one API request or memory counts for in the usage reports, written out here
    independently of the stores: 1/``$sample_rate`` when the rate is a float from 1e-6 to 1 (a
    JSON number with a fraction or exponent), else 1 (strings, booleans, other values)."""
    rate = e.properties.get("$sample_rate")
    if isinstance(rate, float) and 1e-6 <= rate <= 1:
        return 1 / rate
    return 1.0


def rounded(x: float) -> int:
    """A sum of weights as the stores round it: floor(x + 0.5)."""
    return math.floor(x + 0.5)


def expected(events: list[Event], name: str, developer: str | None = None) -> list[dict]:
    """The report computed in plain Python, after deduplicating by uuid; API requests weigh
    ``weight(e)`` (sampling) and their sums are rounded."""
    seen, rows = set(), []
    for e in events:
        if e.uuid not in seen:
            seen.add(e.uuid)
            rows.append(e)
    cloud = [e for e in rows if e.edition == "cloud" and e.developer_id]
    if developer:
        cloud = [e for e in cloud if e.developer_id == developer]
    requests = [e for e in cloud if e.event == "api_request"]
    if name == "api-usage":
        groups = defaultdict(list)
        for e in requests:
            p = e.properties
            groups[(e.developer_id, p["route"], p["method"])].append(e)
        out = [
            {
                "developer_id": dev,
                "route": route,
                "method": method,
                "requests": rounded(sum(weight(e) for e in es)),
                "errors": rounded(sum(weight(e) for e in es if e.properties["status"] >= 500)),
                "p50_ms": _rank([e.properties["duration_ms"] for e in es], 50),
                "p95_ms": _rank([e.properties["duration_ms"] for e in es], 95),
            }
            for (dev, route, method), es in groups.items()
        ]
        return sorted(
            out, key=lambda r: (r["developer_id"], -r["requests"], r["route"], r["method"])
        )
    if name == "api-daily-usage":
        groups = defaultdict(lambda: [0.0, 0.0])
        for e in requests:
            p = e.properties
            g = groups[(_day(e).isoformat(), e.developer_id, p["route"], p["method"])]
            g[0] += weight(e)
            g[1] += weight(e) if p["status"] >= 500 else 0
        return [
            {
                "developer_id": dev,
                "date": d,
                "route": r,
                "method": m,
                "requests": rounded(n),
                "errors": rounded(x),
            }
            for (d, dev, r, m), (n, x) in sorted(groups.items())
        ]
    if name == "api-daily-status":
        counts = defaultdict(float)
        for e in requests:
            counts[(_day(e).isoformat(), f"{e.properties['status'] // 100}xx")] += weight(e)
        return [
            {"date": d, "status_class": c, "requests": rounded(n)}
            for (d, c), n in sorted(counts.items())
        ]
    if name == "overview":
        statuses = [(e, e.properties["status"]) for e in requests]
        return [
            {
                "developers": len({e.developer_id for e in cloud}),
                "end_users": len({e.end_user_id for e in cloud if e.end_user_id}),
                "events": len(cloud),
                "api_requests": rounded(sum(weight(e) for e in requests)),
                "errors_4xx": rounded(sum(weight(e) for e, s in statuses if 400 <= s < 500)),
                "errors_5xx": rounded(sum(weight(e) for e, s in statuses if s >= 500)),
                "memories": rounded(sum(weight(e) for e in cloud if e.event == "memory_created")),
            }
        ]
    assert name == "monthly-usage"
    groups = defaultdict(lambda: [0.0, 0.0])
    for e in cloud:
        if e.event not in ("api_request", "memory_created"):
            continue
        g = groups[(_day(e).isoformat()[:7], e.developer_id)]
        if e.event == "api_request":
            g[0] += weight(e)
        else:
            g[1] += weight(e)
    return [
        {"developer_id": dev, "month": m, "requests": rounded(r), "memories": rounded(mem)}
        for (m, dev), (r, mem) in sorted(groups.items())
    ]


@pytest.fixture(scope="module")
def usage(clickhouse_url, tmp_path_factory):
    """The usage events (plus 500 replays) written to a local store and to ClickHouse."""
    events = _usage_events()
    events += events[:500]
    stores = both_stores(
        events, clickhouse_url, "usage_reports", tmp_path_factory.mktemp("u"), 5000
    )
    yield events, stores
    for store in stores.values():
        store.close()


QUERIES = ("api-usage", "api-daily-usage", "monthly-usage")


class TestSameRowsOnBothStores:
    @pytest.mark.parametrize("name", QUERIES)
    @pytest.mark.parametrize("developer", [None, "dev_b"])
    def test_backends_agree_with_python(self, usage, name, developer):
        """Local, ClickHouse and plain Python return identical rows, percentiles included
        (nearest rank: DuckDB's list_sort and ClickHouse's arraySort pick the same value)."""
        events, stores = usage
        want = expected(events, name, developer)
        assert len(want) >= 3
        for backend, store in stores.items():
            got = run_query(store, name, developer=developer)
            assert got == {"query": name, "rows": want}, backend

    def test_columns_are_the_contracts(self, usage):
        """Each row carries exactly the documented columns; month is YYYY-MM."""
        _, stores = usage
        for name in QUERIES:
            rows = run_query(stores["local"], name)["rows"]
            assert all(list(r) == list(DEFINITIONS[name].columns) for r in rows)
        months = {r["month"] for r in run_query(stores["clickhouse"], "monthly-usage")["rows"]}
        assert months == {"2026-08", "2026-09", "2026-10"}

    def test_errors_count_5xx_only(self, usage):
        """errors counts 500 and 503 but neither 401 nor the 404s of unmatched requests."""
        events, stores = usage
        for store in stores.values():
            rows = run_query(store, "api-usage")["rows"]
            unmatched = [r for r in rows if r["route"] == "(unmatched)"]
            assert unmatched and all(r["errors"] == 0 for r in unmatched)
            assert sum(r["errors"] for r in rows) > 0

    def test_date_range(self, usage):
        """--since/--until bound the usage reports like every other query, on both stores."""
        events, stores = usage
        since, until = date(2026, 9, 1), date(2026, 9, 30)
        rows = {
            b: run_query(s, "monthly-usage", since=since, until=until)["rows"]
            for b, s in stores.items()
        }
        assert rows["local"] == rows["clickhouse"]
        assert {r["month"] for r in rows["local"]} == {"2026-09"}


class TestStatusClassesAndTiles:
    @pytest.mark.parametrize("name", ["api-daily-status", "overview"])
    @pytest.mark.parametrize("developer", [None, "dev_b"])
    def test_backends_agree_with_python(self, usage, name, developer):
        """api-daily-status (4xx and 5xx apart, per day) and the dashboard's tiles (overview)
        are the same on both stores as in plain Python, for everyone and for one developer."""
        events, stores = usage
        want = expected(events, name, developer)
        assert want and (name != "overview" or want[0]["errors_4xx"] > 0)
        for backend, store in stores.items():
            got = run_query(store, name, developer=developer)
            assert got == {"query": name, "rows": want}, backend

    def test_tiles_add_up_to_the_reports(self, usage):
        """The overview's numbers are the other reports' sums over the same range: requests and
        5xx errors of api-usage, memories of monthly-usage, developers of api-usage."""
        _, stores = usage
        for store in stores.values():
            since, until = "2026-09-03", "2026-10-11"
            [tiles] = run_query(store, "overview", since=since, until=until)["rows"]
            usage_rows = run_query(store, "api-usage", since=since, until=until)["rows"]
            monthly = run_query(store, "monthly-usage", since=since, until=until)["rows"]
            status = run_query(store, "api-daily-status", since=since, until=until)["rows"]
            assert tiles["api_requests"] == sum(r["requests"] for r in usage_rows)
            assert tiles["errors_5xx"] == sum(r["errors"] for r in usage_rows)
            assert tiles["errors_4xx"] == sum(
                r["requests"] for r in status if r["status_class"] == "4xx"
            )
            assert tiles["memories"] == sum(r["memories"] for r in monthly)


class TestDevelopersKeptApart:
    @pytest.mark.parametrize("name", QUERIES)
    def test_scoped_report_has_only_that_developer(self, usage, name):
        """With a developer, every row is that developer's and the counts are theirs alone."""
        events, stores = usage
        for store in stores.values():
            rows = run_query(store, name, developer="dev_c")["rows"]
            assert rows and {r["developer_id"] for r in rows} == {"dev_c"}
            everyone = run_query(store, name)["rows"]
            assert sum(r["requests"] for r in rows) == sum(
                r["requests"] for r in everyone if r["developer_id"] == "dev_c"
            )

    def test_opensource_requests_never_count(self, usage):
        """The opensource api_request events are in no usage report (cloud data only)."""
        events, stores = usage
        cloud = len({e.uuid for e in events if e.edition == "cloud" and e.event == "api_request"})
        for store in stores.values():
            assert sum(r["requests"] for r in run_query(store, "api-usage")["rows"]) == cloud


class TestOsDistribution:
    def test_covers_opensource_installations_only(self, usage):
        """os-distribution counts opensource events by os; cloud events no longer appear as
        'unknown'."""
        events, stores = usage
        oss = [e for e in {e.uuid: e for e in events}.values() if e.edition == "opensource"]
        want = defaultdict(int)
        for e in oss:
            want[e.properties["os"]] += 1
        for store in stores.values():
            rows = run_query(store, "os-distribution")["rows"]
            assert {r["os"]: r["count"] for r in rows} == dict(want)


class TestRefusal:
    def test_usage_refused_over_opensource_only_data(self, tmp_path, clickhouse_db):
        """api-usage and monthly-usage over opensource-only data are refused on both stores."""
        oss = [e for e in _usage_events(2000) if e.edition == "opensource"]
        for store in (LocalStore(tmp_path), ClickHouseStore(clickhouse_db)):
            store.write(oss)
            for name in QUERIES:
                with pytest.raises(PrivacyRefused):
                    run_query(store, name)
            store.close()


class TestCharts:
    def test_requests_per_route_per_day(self):
        """api-daily-usage draws one stacked bar trace per route (method and template), summed
        over developers, x on whole days."""
        from tenantry.store.html import chart

        rows = [
            {"developer_id": d, "date": day, "route": r, "method": m, "requests": n, "errors": 0}
            for d, day, m, r, n in [
                ("dev_a", "2026-09-01", "POST", "/v1/memories", 5),
                ("dev_b", "2026-09-01", "POST", "/v1/memories", 2),
                ("dev_a", "2026-09-02", "POST", "/v1/memories", 4),
                ("dev_a", "2026-09-02", "GET", "(unmatched)", 3),
            ]
        ]
        figure = chart({"query": "api-daily-usage", "rows": rows}).figure
        assert [(t["name"], t["x"], t["y"]) for t in figure["data"]] == [
            ("GET (unmatched)", ["2026-09-02"], [3]),
            ("POST /v1/memories", ["2026-09-01", "2026-09-02"], [7, 4]),
        ]
        assert figure["layout"]["barmode"] == "stack"
        assert figure["layout"]["xaxis"]["tickformat"] == "%Y-%m-%d"
