"""The operator's dashboard: server time to render the admin overview (``GET /dashboard``) over
1,000,000 events in the local store and over ClickHouse (18.16 here) at 10,000,000 events; the
page's weight; and what a flood of distinct event names costs once reports are bounded.

1. Overview time: a real server (uvicorn on loopback) with 20 developers; the events span the
   last 60 days (cloud: api_request with statuses and durations, memory_created, searches;
   opensource installations' events beside). Median of 5 requests per range preset, measured
   at the client on loopback (so it includes the HTTP round trip: an upper bound of server
   time). Beside it, in the same run: the same page's queries run straight on the store,
   without HTTP or HTML, and the same queries the old way (median of 3): locally, over the same
   events in a file as written before issue 24 (no request-field columns, not sorted by time:
   the fields read from the JSON); on ClickHouse, without the API rollup (the API reports and
   the tiles' statuses from the raw rows).
2. Weight: the HTML of /dashboard; plotly.js as served (gzip) beside its raw size.
3. Bounded reports: 800,000 events with distinct names from opensource installations (issue 20:
   event-counts answered 27 MB, /dashboard 17.5 MB): bytes of event-counts and /dashboard.

Target: the overview in <= 500 ms on each store (issue 22).
"""

from __future__ import annotations

import random
import re
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench_store import api_request, old_local  # noqa: E402  (bench/ is on the path)

from tenantry.config import load_settings  # noqa: E402
from tenantry.events import Event, new_uuids  # noqa: E402
from tenantry.identity import IdentityStore  # noqa: E402
from tenantry.server import ServerThread, create_app  # noqa: E402
from tenantry.server.web import views  # noqa: E402
from tenantry.server.web.ranges import parse_range  # noqa: E402
from tenantry.store.clickhouse import _RELATION, TABLE, ClickHouseStore  # noqa: E402
from tenantry.store.dedup import LocalDedup  # noqa: E402
from tenantry.store.html import Names  # noqa: E402
from tenantry.store.local import LocalStore  # noqa: E402
from tenantry.store.queries import DEFINITIONS, spelled  # noqa: E402

TOKEN = "bench-admin-token"
TARGET = 0.5


def generate(n: int, developers: list[str], rnd: random.Random) -> list[Event]:
    """``n`` events over the last 60 days: 70% cloud (api_request 60%, memory_created 25%,
    others), 30% from 3,000 opensource installations."""
    now = time.time()
    users = [f"usr_{i:05d}" for i in range(5000)]
    anons = [f"anon_{i:05d}" for i in range(3000)]
    rand, choice = rnd.random, rnd.choice
    out = []
    for u in new_uuids(n):
        ts = now - rand() * 60 * 86400
        if rand() < 0.3:
            props = {"os": choice(("linux", "darwin", "windows")), "version": "1.2.0"}
            out.append(
                Event(
                    u, choice(("memory_created", "search")), choice(anons), ts, "opensource", props
                )
            )
            continue
        dev = developers[min(int(rnd.expovariate(0.25)), len(developers) - 1)]
        user = choice(users)
        r = rand()
        if r < 0.6:
            out.append(api_request(u, dev, ts, rnd))
        else:
            name = "memory_created" if r < 0.85 else "memory_searched"
            props = {"type": "text", "developer_id": dev, "end_user_id": user}
            out.append(Event(u, name, dev, ts, "cloud", props, dev, user))
    return out


# the queries the API rollup answers since issue 22's speed-up (raw rows before)
_API_ROLLED = {
    spelled(DEFINITIONS[name].sql, "clickhouse")
    for name in ("api-usage", "api-daily-usage", "api-daily-status", "overview")
}


class OldClickHouse(ClickHouseStore):
    """The ClickHouse store without the API rollup: those queries read the raw rows."""

    def select(self, sql: str, scope, limit: int | None = None) -> list[tuple]:
        if sql not in _API_ROLLED:
            return super().select(sql, scope, limit)
        where, params = self._where(scope)
        query = sql.replace("%", "%%").format(events=_RELATION.format(where=where))
        if limit is not None:
            query += f" LIMIT {int(limit)}"
        return [tuple(row) for row in self._run(query, params)]


def _median_ms(fn, runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1000


def _identity(tmp: Path) -> tuple[IdentityStore, list[str]]:
    identity = IdentityStore.open(_settings(tmp))
    return identity, [identity.create_developer(f"dev{i}@bench.example").id for i in range(20)]


def _settings(tmp: Path):
    return load_settings(data_dir=tmp, edition="cloud", destinations=("none",), admin_token=TOKEN)


def _serve(tmp: Path, store, identity) -> tuple[ServerThread, httpx.Client]:
    app = create_app(_settings(tmp), identity=identity, store=store)
    server = ServerThread(app).start()
    headers = {"Authorization": f"Bearer {TOKEN}"}
    return server, httpx.Client(base_url=server.url, timeout=60.0, headers=headers)


def _queries_only(store, identity, preset: str) -> None:
    """The overview's queries and names, without HTTP or HTML (the baseline)."""
    runner = views.Runner(
        store, parse_range(preset, None, None), developer=None, external_ids=None, min_group_size=5
    )
    views.overview(
        runner,
        lambda results: Names(identity.developer_emails(views.developer_ids(results))),
        admin=True,
    )


def overview_times(label: str, client: httpx.Client, store, old, identity) -> dict[str, float]:
    out = {}
    client.get("/dashboard")  # first request: templates compiled, connections opened
    for preset in ("24h", "7d", "30d"):
        page = _median_ms(
            lambda p=preset: client.get("/dashboard", params={"range": p}).raise_for_status()
        )
        bare = _median_ms(lambda p=preset: _queries_only(store, identity, p))
        before = _median_ms(lambda p=preset: _queries_only(old, identity, p), runs=3)
        out[preset] = page
        print(
            f"  {label:<28} range {preset:>3}: GET /dashboard {page:7.1f} ms (queries alone, no "
            f"HTTP/HTML: {bare:7.1f} ms; the old way, same run: {before:7.1f} ms = "
            f"{before / bare:5.1f}x)   target <= 500 ms: "
            f"{'OK' if page <= TARGET * 1000 else 'MISSED'}"
        )
    return out


def weight(client: httpx.Client) -> None:
    page = client.get("/dashboard")
    html = len(page.content)
    [src] = re.findall(r'src="(/static/plotly-[^"]+)"', page.text)
    gzip = {"Accept-Encoding": "gzip"}
    with (
        httpx.Client(base_url=str(client.base_url), headers=gzip) as raw,
        raw.stream("GET", src) as r,
    ):
        wire = sum(len(chunk) for chunk in r.iter_raw())
        headers = r.headers
    plain = len(client.get(src, headers={"Accept-Encoding": "identity"}).content)
    print(
        f"  /dashboard HTML {html:,} bytes (budget 150,000: {'OK' if html <= 150_000 else 'MISSED'});"
        f" plotly.js {wire:,} bytes gzipped on the wire ({plain:,} raw), Content-Encoding "
        f"{headers.get('content-encoding')}, Cache-Control {headers.get('cache-control')}"
    )


def flood(tmp: Path, identity) -> None:
    """800,000 distinct event names (issue 20's flood) in a local store of their own."""
    store = LocalStore(tmp / "flood")
    now = time.time()
    for start in range(0, 800_000, 100_000):
        store.write(
            [
                Event(
                    u,
                    f"evt_{start + i:07d}",
                    f"anon_{i % 20}",
                    now - 3600,
                    "opensource",
                    {"os": "linux"},
                )
                for i, u in enumerate(new_uuids(100_000))
            ]
        )
    store.compact()
    server, client = _serve(tmp / "server", store, identity)
    try:
        t0 = time.perf_counter()
        counts = client.get("/v1/analytics/event-counts")
        took = time.perf_counter() - t0
        t0 = time.perf_counter()
        page = client.get("/dashboard")
        page_took = time.perf_counter() - t0
        rows = counts.json()["rows"]
        print(
            f"  800,000 distinct names: event-counts {len(counts.content):,} bytes, {len(rows):,} rows "
            f"(top 1,000 + other = {rows[-1]['count']:,} events) in {took * 1000:.0f} ms; /dashboard "
            f"{len(page.content):,} bytes in {page_took * 1000:.0f} ms (issue 20 before: 27 MB and 17.5 MB)"
        )
    finally:
        client.close()
        server.stop()
        store.close()


def _scale(ch: ClickHouseStore, factor: int) -> None:
    """Multiply ClickHouse's rows by ``factor`` with new uuids (same distribution), in SQL."""
    cols = (
        "event, timestamp, distinct_id, developer_id, end_user_id, edition, os, version, properties"
    )
    for k in range(1, factor):
        ch._run(
            f"INSERT INTO {TABLE} (uuid, {cols}) SELECT concat(uuid, '-{k}'), {cols} "
            f"FROM {TABLE} WHERE NOT like(uuid, '%-%-%-%-%-%')"
        )
    ch._run(f"OPTIMIZE TABLE {TABLE} FINAL")


def main(quick: bool = False) -> None:
    from tests.fixtures.clickhouse import running_clickhouse

    total_local = 200_000 if quick else 1_000_000
    total_ch = 1_000_000 if quick else 10_000_000
    rnd = random.Random(22)
    with tempfile.TemporaryDirectory(prefix="bench-dash-") as tmpdir:
        tmp = Path(tmpdir)
        print(f"admin overview, median of 5 ({datetime.now(UTC):%Y-%m-%d})")
        identity, developers = _identity(tmp / "server")
        with running_clickhouse(tmp / "clickhouse") as url:
            local = LocalStore(tmp / "events")
            ch = ClickHouseStore(url, dedup=LocalDedup(2 * total_local))
            t0 = time.perf_counter()
            for _ in range(0, total_local, 100_000):
                chunk = generate(100_000, developers, rnd)
                local.write(chunk)
                ch.write(chunk)
            local.compact()
            _scale(ch, total_ch // total_local)
            ch.repair(settle=0)  # the daily `tenantry maintenance dedupe`: rollup parts merged
            print(
                f"  stores filled in {time.perf_counter() - t0:.1f} s: local {local.count():,} "
                f"events, clickhouse {ch.count():,}"
            )
            old_ch = OldClickHouse(url)
            for label, store, old in (
                (f"local, {total_local:,} events", local, old_local(local, tmp / "old-events")),
                (f"clickhouse, {total_ch:,} events", ch, old_ch),
            ):
                server, client = _serve(tmp / "server", store, identity)
                try:
                    overview_times(label, client, store, old, identity)
                    if store is local:
                        weight(client)
                finally:
                    client.close()
                    server.stop()
                    old.close()
            local.close()
            ch.close()
        print("bounded reports")
        flood(tmp, identity)
        identity.close()


if __name__ == "__main__":
    main(quick="--quick" in sys.argv)
