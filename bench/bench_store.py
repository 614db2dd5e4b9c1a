"""Event store ingest and report-query latency: local (DuckDB over Parquet) beside ClickHouse.

1. Ingest: ``LocalStore.write`` in batches of 1,000 and 10,000 events (Event objects in, Parquet
   file out), beside ``ClickHouseStore.write`` of the same batches and, as the floor, appending
   the same events as orjson lines to a file.
2. Queries: each report query over N events (10 million; ``--quick``: 1 million), median of 3,
   local (compacted) beside ClickHouse (18.16 here): the store's path (rollup tables for the
   whole-table queries, the raw table without ``FINAL`` for one developer) and, measured in the
   same run as the baseline, the old path (the raw table read with ``FINAL``); whether
   ClickHouse's rows are identical to the local store's (DuckDB, an independent engine). For
   the API usage reports, the local old path too: the same events in files without the request
   fields' columns (as written before), read from the JSON.
3. Repair: ``tenantry maintenance dedupe`` (``ClickHouseStore.repair``) after the ingest, which
   writes the first half twice through two writers with their own dedup windows (duplicates
   that got through), and again at N events with nothing to repair (the daily cost).
   The first million events are generated in Python and written through ``write``; beyond that
   both stores are scaled up in SQL (copies with new uuids), because generating 10 million
   Python objects would measure Python, not the stores.

The cloud events are 40% ``api_request`` (route, method, status, duration) since issue 24; the
``LAST`` figures (printed beside) were measured before, without them.

Targets: ingest >= 200,000 events/s; each query <= 1 s locally; on ClickHouse at 10 million
events on 2 cores, each query <= 300 ms (issues 12 and 24).
"""

from __future__ import annotations

import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tenantry.events import Event, new_uuids  # noqa: E402
from tenantry.store.base import COLUMNS, Scope  # noqa: E402
from tenantry.store.clickhouse import _RELATION, TABLE, ClickHouseStore  # noqa: E402
from tenantry.store.clickhouse_rollups import COUNTS, IDS, USERS  # noqa: E402
from tenantry.store.dedup import LocalDedup  # noqa: E402
from tenantry.store.local import LocalStore, _files, _lit  # noqa: E402
from tenantry.store.queries import DEFINITIONS, QUERIES, run_query, spelled  # noqa: E402

START = 1_788_000_000.0  # 2026-08-29
OSES = ("linux", "darwin", "windows")
NAMES = ("memory_created", "memory_searched", "session_started", "error_occurred")
ROUTES = (("POST", "/v1/memories"), ("GET", "/v1/memories/{memory_id}"), ("POST", "/v1/search"))
USAGE = ("api-usage", "api-daily-usage", "monthly-usage")  # issue 24
LAST = {  # ms at 10M, ClickHouse 18.16 reading FINAL (previous run of this bench)
    "developer-events": 88,
    "top-developers": 308,
    "developer-retention": 333,
    "event-counts": 1195,
    "edition-distribution": 1636,
    "os-distribution": 1672,
}


def api_request(u: str, dev: str, ts: float, rnd: random.Random) -> Event:
    """An ``api_request`` of ``dev``: one of ``ROUTES``, 1% answered 500 and 5% 422, durations
    log-normal (median 12 ms) to the microsecond."""
    method, route = rnd.choice(ROUTES)
    status = 500 if rnd.random() < 0.01 else (422 if rnd.random() < 0.05 else 200)
    props = {
        "route": route,
        "method": method,
        "status": status,
        "duration_ms": round(rnd.lognormvariate(2.5, 1.0), 3),
        "developer_id": dev,
    }
    return Event(u, "api_request", dev, ts, "cloud", props, dev, None)


def generate(n: int, rnd: random.Random) -> list[Event]:
    devs = [f"dev_{i:03d}" for i in range(20)]
    users = [f"usr_{i:05d}" for i in range(5000)]
    anons = [f"anon_{i:05d}" for i in range(3000)]
    out = []
    rand, choice = rnd.random, rnd.choice
    for u in new_uuids(n):
        ts = START + rand() * 60 * 86400
        if rand() < 0.6:
            dev = choice(devs)
            if rand() < 0.4:
                out.append(api_request(u, dev, ts, rnd))
                continue
            props = {"type": "text", "developer_id": dev}
            out.append(Event(u, choice(NAMES), dev, ts, "cloud", props, dev, choice(users)))
        else:
            props = {"os": choice(OSES), "version": "1.2.0", "edition": "opensource"}
            out.append(Event(u, choice(NAMES), choice(anons), ts, "opensource", props))
    return out


def _rate(n: int, seconds: float) -> str:
    return f"{n / seconds:>12,.0f} ev/s"


def _bare_store(url: str, batch: int) -> ClickHouseStore:
    """A store in a database of its own whose rollup views are dropped: the ingest baseline."""
    name = f"bare_{batch}"
    ClickHouseStore(url)._run(f"CREATE DATABASE IF NOT EXISTS {name}")
    bare = ClickHouseStore(url.rsplit("/", 1)[0] + f"/{name}")
    for table in (COUNTS, USERS, IDS):
        bare._run(f"DROP TABLE IF EXISTS {table}_mv")
    return bare


def ingest(local: LocalStore, url: str, events: list[Event], tmp: Path) -> None:
    print("ingest (events/s; higher is better)")
    for batch in (1000, 10_000):
        ch = ClickHouseStore(url)  # a writer of its own: its dedup window is empty
        chunks = [events[i : i + batch] for i in range(0, len(events), batch)]
        t0 = time.perf_counter()
        with open(tmp / f"floor-{batch}.jsonl", "ab") as fh:
            for chunk in chunks:
                fh.write(b"".join(orjson.dumps(e.to_record()) + b"\n" for e in chunk))
        floor = time.perf_counter() - t0
        t0 = time.perf_counter()
        for chunk in chunks:
            local.write(chunk)
        loc = time.perf_counter() - t0
        t0 = time.perf_counter()
        for chunk in chunks:
            ch.write(chunk)
        click = time.perf_counter() - t0
        ch.close()
        bare = _bare_store(url, batch)
        t0 = time.perf_counter()
        for chunk in chunks:
            bare.write(chunk)
        plain = time.perf_counter() - t0
        bare.close()
        n = len(events)
        print(
            f"  batch {batch:>6,}: local {_rate(n, loc)} | clickhouse {_rate(n, click)} "
            f"({click / loc:.1f}x slower; without the rollup views {_rate(n, plain)}: the views "
            f"cost {click / plain:.2f}x) | jsonl floor {_rate(n, floor)} "
            f"(local = {floor / loc:.2f}x of floor)   target local >= 200,000: "
            f"{'OK' if n / loc >= 200_000 else 'MISSED'}"
        )


def scale_up(local: LocalStore, ch: ClickHouseStore, factor: int) -> None:
    """Multiply both stores' rows by ``factor`` with new uuids (same distribution)."""
    t0 = time.perf_counter()
    fresh, compacted = local._list()
    files = fresh + compacted
    target = local.segments / "c-scaled.parquet"
    cur = local._cursor()
    cur.execute(
        f"COPY (SELECT uuid || '-' || k AS uuid, * EXCLUDE (uuid) "
        f"FROM read_parquet({_files(files)}), range(1, {factor}) t(k)) "
        f"TO {_lit(str(target))} (FORMAT parquet)"
    )
    cur.close()
    local_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    cols = (
        "event, timestamp, distinct_id, developer_id, end_user_id, edition, os, version, properties"
    )
    for k in range(1, factor):
        ch._run(
            f"INSERT INTO {TABLE} (uuid, {cols}) SELECT concat(uuid, '-{k}'), {cols} FROM {TABLE} "
            f"WHERE NOT like(uuid, '%-%-%-%-%-%')"
        )
    ch._run(f"OPTIMIZE TABLE {TABLE} FINAL")
    print(f"  scaled x{factor}: local {local_s:.1f} s, clickhouse {time.perf_counter() - t0:.1f} s")


def _median(fn) -> float:
    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def latency(store, name: str) -> tuple[float, dict]:
    dev = "dev_007" if DEFINITIONS[name].needs_developer else None
    return _median(lambda: run_query(store, name, developer=dev)), run_query(
        store, name, developer=dev
    )


def old_path(ch: ClickHouseStore, name: str) -> float:
    """The same query the way the store ran it before: the raw table, read ``FINAL`` unless the
    query counts only distinct values."""
    q = DEFINITIONS[name]
    scope = Scope(cloud_only=q.cloud, developer="dev_007" if q.needs_developer else None)
    where, params = ch._where(scope)
    relation = _RELATION.format(where=where)
    if not q.distinct_only:
        relation = relation.replace(f"FROM {TABLE} WHERE", f"FROM {TABLE} FINAL WHERE")
    sql = spelled(q.sql, "clickhouse").replace("%", "%%").format(events=relation)
    return _median(lambda: ch._run(sql, params))


def old_local(local: LocalStore, root: Path) -> LocalStore:
    """The local store's events in one file as written before issue 24: no request-field
    columns (the store reads those fields from the JSON), in no time order."""
    old = LocalStore(root)
    fresh, compacted = local._list()
    cur = local._cursor()
    cur.execute(
        f"COPY (SELECT {', '.join(COLUMNS)} FROM read_parquet({_files(fresh + compacted)}) "
        f"ORDER BY uuid) TO {_lit(str(old.segments / 'c-old.parquet'))} (FORMAT parquet)"
    )
    cur.close()
    return old


def repair(ch: ClickHouseStore, label: str) -> None:
    t0 = time.perf_counter()
    done = ch.repair(settle=1.0)
    took = (
        time.perf_counter() - t0 - (1.0 if done["corrected_keys"] or done["unsettled_keys"] else 0)
    )
    print(
        f"  maintenance dedupe, {label}: {took:.2f} s (+1 s settle when there is something to "
        f"correct): {done['duplicates']:,} duplicates merged away, {done['corrected_events']:,} "
        f"events taken out of {done['corrected_keys']:,} rollup keys, {done['left']} left"
    )


def main(quick: bool = False) -> None:
    from tests.fixtures.clickhouse import running_clickhouse

    total = 1_000_000 if quick else 10_000_000
    base = min(total, 1_000_000)
    rnd = random.Random(11)
    with tempfile.TemporaryDirectory(prefix="bench-store-") as tmpdir:
        tmp = Path(tmpdir)
        with running_clickhouse(tmp / "clickhouse") as url:
            local = LocalStore(tmp / "events")
            ch = ClickHouseStore(url, dedup=LocalDedup(2 * base))
            half = generate(base // 2, rnd)
            ingest(local, url, half, tmp)
            # the other half: two copies of the first... no: new events, written in big batches
            rest = generate(base - len(half), rnd)
            for i in range(0, len(rest), 50_000):
                local.write(rest[i : i + 50_000])
                ch.write(rest[i : i + 50_000])
            del half, rest
            # the ingest phase wrote each of the first half twice (batch 1000 and 10,000), by
            # two ClickHouse writers with their own windows: duplicates that got through, which
            # the repair path removes (the local store dedupes them at read and compaction).
            repair(ch, f"{base:,} events, {base // 2:,} written twice")
            t0 = time.perf_counter()
            merged = local.compact()
            print(f"  compaction of {merged} files: {time.perf_counter() - t0:.2f} s")
            if total > base:
                scale_up(local, ch, total // base)
            n_local, n_ch = local.count(), ch.count()
            print(f"events stored: local {n_local:,} | clickhouse {n_ch:,}")
            repair(ch, f"{n_ch:,} events, nothing to repair")
            legacy = old_local(local, tmp / "legacy")
            print(f"query latency over {n_local:,} events (median of 3; lower is better)")
            for name in QUERIES:
                (loc, want), (click, got) = latency(local, name), latency(ch, name)
                before = old_path(ch, name)
                last = (
                    f"{LAST[name]:>5,} ms" if name in LAST and total >= 10_000_000 else "    -   "
                )
                local_before = ""
                if name in USAGE:
                    old, rows = latency(legacy, name)
                    local_before = (
                        f" (from the JSON, same run {old * 1000:>7.1f} ms: {old / loc:>4.1f}x; "
                        f"rows {'same' if rows == want else 'DIFFER'}; target <= 1 s: "
                        f"{'OK' if loc <= 1 else 'MISSED'})"
                    )
                print(
                    f"  {name:<22} local {loc * 1000:>7.1f} ms{local_before} | clickhouse "
                    f"{click * 1000:>7.1f} ms (old path, same run {before * 1000:>7.1f} ms: "
                    f"{before / click:>5.1f}x; last time {last}) | rows identical to local: "
                    f"{'yes' if got == want else 'NO'} | target <= 300 ms: "
                    f"{'OK' if click <= 0.3 else 'MISSED'}"
                )
            legacy.close()
            local.close()
            ch.close()


if __name__ == "__main__":
    main(quick="--quick" in sys.argv)
