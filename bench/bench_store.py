"""Event store ingest and report-query latency: local (DuckDB over Parquet) beside ClickHouse.

1. Ingest: ``LocalStore.write`` in batches of 1,000 and 10,000 events (Event objects in, Parquet
   file out), beside ``ClickHouseStore.write`` of the same batches and, as the floor, appending
   the same events as orjson lines to a file.
2. Queries: each report query over N events (10 million; ``--quick``: 1 million), median of 3,
   local (compacted) beside ClickHouse (18.16 here, ``FINAL``), with the ratio.
   The first million events are generated in Python and written through ``write``; beyond that
   both stores are scaled up in SQL (copies with new uuids), because generating 10 million
   Python objects would measure Python, not the stores.

Targets (issue "Event store and analytics"): ingest >= 200,000 events/s; each query <= 1 s.
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
from tenantry.store.clickhouse import TABLE, ClickHouseStore  # noqa: E402
from tenantry.store.local import LocalStore, _files, _lit  # noqa: E402
from tenantry.store.queries import DEFINITIONS, QUERIES, run_query  # noqa: E402

START = 1_788_000_000.0  # 2026-08-29
OSES = ("linux", "darwin", "windows")
NAMES = ("memory_created", "memory_searched", "session_started", "error_occurred")


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
            props = {"type": "text", "developer_id": dev}
            out.append(Event(u, choice(NAMES), dev, ts, "cloud", props, dev, choice(users)))
        else:
            props = {"os": choice(OSES), "version": "1.2.0", "edition": "opensource"}
            out.append(Event(u, choice(NAMES), choice(anons), ts, "opensource", props))
    return out


def _rate(n: int, seconds: float) -> str:
    return f"{n / seconds:>12,.0f} ev/s"


def ingest(local: LocalStore, ch: ClickHouseStore, events: list[Event], tmp: Path) -> None:
    print("ingest (events/s; higher is better)")
    for batch in (1000, 10_000):
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
        n = len(events)
        print(
            f"  batch {batch:>6,}: local {_rate(n, loc)} | clickhouse {_rate(n, click)} "
            f"({click / loc:.1f}x slower) | jsonl floor {_rate(n, floor)} "
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


def latency(store, name: str) -> float:
    q = DEFINITIONS[name]
    dev = "dev_007" if q.needs_developer else None
    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        run_query(store, name, developer=dev)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main(quick: bool = False) -> None:
    from tests.fixtures.clickhouse import running_clickhouse

    total = 1_000_000 if quick else 10_000_000
    base = min(total, 1_000_000)
    rnd = random.Random(11)
    with tempfile.TemporaryDirectory(prefix="bench-store-") as tmpdir:
        tmp = Path(tmpdir)
        with running_clickhouse(tmp / "clickhouse") as url:
            local, ch = LocalStore(tmp / "events"), ClickHouseStore(url)
            half = generate(base // 2, rnd)
            ingest(local, ch, half, tmp)
            # the other half: two copies of the first... no: new events, written in big batches
            rest = generate(base - len(half), rnd)
            for i in range(0, len(rest), 50_000):
                local.write(rest[i : i + 50_000])
                ch.write(rest[i : i + 50_000])
            del half, rest
            # the ingest phase wrote each of the first half twice (batch 1000 and 10,000):
            # the stores dedupe them, which the counts below check.
            t0 = time.perf_counter()
            merged = local.compact()
            print(f"  compaction of {merged} files: {time.perf_counter() - t0:.2f} s")
            if total > base:
                scale_up(local, ch, total // base)
            n_local, n_ch = local.count(), ch.count()
            print(f"events stored: local {n_local:,} | clickhouse {n_ch:,}")
            print(f"query latency over {n_local:,} events (median of 3; lower is better)")
            for name in QUERIES:
                loc, click = latency(local, name), latency(ch, name)
                verdict = "OK" if loc <= 1.0 else "MISSED"
                print(
                    f"  {name:<22} local {loc * 1000:>8.1f} ms | clickhouse {click * 1000:>8.1f} ms"
                    f" | ratio {click / loc:>5.1f}x   target <= 1 s: {verdict}"
                )
            local.close()
            ch.close()


if __name__ == "__main__":
    main(quick="--quick" in sys.argv)
