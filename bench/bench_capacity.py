"""Capacity: relay -> ClickHouse throughput of one and two ``tenantry serve`` replicas, with and
without Redis (``TENANTRY_REDIS_URL``: shared limits and relay dedup).

Each configuration gets a fresh ClickHouse database; load comes from two client processes
(4 threads each) posting batches of 200 relay events, each with its own uuid, to the replicas in
turn for ``DURATION`` seconds. Printed per configuration:

- accepted/s: events the relay answered 200 for, per second of load;
- stored/s: the same events divided by the time until the last one was in ClickHouse;
- CPU per event (user + system, from /proc) of the replicas, Redis and ClickHouse: the figure
  the capacity plan is built on, since it holds however busy the machine is;
- ratios against the baseline measured in the same run (one replica, no Redis).

Everything (replicas, load generators, ClickHouse, Redis) shares this machine's cores, so a
second replica adds processes, not CPU: on 2 cores the scaling figure shows the overhead of
running two, not what a second machine would add.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

BATCH = 200
THREADS = 4
PROCESSES = 2


def _body(n_anon: int, seq: int) -> bytes:
    import orjson

    events = [
        {
            "event_name": ("memory_created", "search_performed", "api_request")[i % 3],
            "properties": {"type": "text", "os": "linux", "version": "1.2.3", "result_count": i},
            "user_id": f"anon-user-{i % 50}",
            "timestamp": time.time(),
            "uuid": str(uuid.uuid4()),
        }
        for i in range(BATCH)
    ]
    return orjson.dumps({"events": events, "anonymous_id": f"inst-{seq % n_anon}"})


def _load(urls: list[str], until: float, out: mp.Queue, worker: int) -> None:
    """One load process: THREADS threads posting until ``until``; puts the accepted count."""
    import threading

    import httpx

    accepted = [0] * THREADS
    errors = [0] * THREADS

    def run(t: int) -> None:
        seq = worker * 1_000_000 + t * 10_000
        headers = {"content-type": "application/json"}
        with httpx.Client(timeout=30.0) as client:
            while time.time() < until:
                body = _body(1000, seq)
                url = urls[seq % len(urls)] + "/v1/telemetry/events"
                seq += 1
                try:
                    r = client.post(url, content=body, headers=headers)
                except httpx.HTTPError:
                    errors[t] += 1
                    continue
                if r.status_code == 200:
                    accepted[t] += r.json()["events_processed"]
                else:
                    errors[t] += 1

    threads = [threading.Thread(target=run, args=(t,)) for t in range(THREADS)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    out.put((sum(accepted), sum(errors)))


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` so far (0.0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def pid_of(fragment: str) -> int | None:
    """The process whose command line contains ``fragment`` (the bench's own ClickHouse)."""
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if fragment in (entry / "cmdline").read_bytes().decode(errors="replace"):
                    return int(entry.name)
            except OSError:
                continue
    return None


def _count(client, db: str) -> int:
    try:
        return client.execute(f"SELECT count() FROM {db}.tenantry_events")[0][0]
    except Exception:
        return 0


def run_config(
    root: Path, ch_url: str, redis, replicas: int, duration: float, ch_pid: int | None
) -> dict:
    redis_url = redis.url if redis is not None else None
    from clickhouse_driver import Client
    from tests.scale.replicas import Replica, base_env

    db = f"cap_{replicas}_{'redis' if redis_url else 'local'}_{os.getpid()}"
    client = Client.from_url(ch_url)
    client.execute(f"DROP DATABASE IF EXISTS {db}")
    client.execute(f"CREATE DATABASE {db}")
    env = base_env(
        TENANTRY_CLICKHOUSE_URL=ch_url.rsplit("/", 1)[0] + f"/{db}",
        TELEMETRY_PROVIDER="clickhouse",
        TELEMETRY_DURABLE="1",
        TELEMETRY_SECRET="capacity-bench-secret-0123456789abcdef",
    )
    if redis_url:
        env["TENANTRY_REDIS_URL"] = redis_url + f"?prefix={db}"
    servers = [Replica(f"{db}-r{i}", root, env).start() for i in range(replicas)]
    try:
        urls = [s.url for s in servers]
        out: mp.Queue = mp.Queue()
        pids = {"replicas": [s.proc.pid for s in servers], "clickhouse": [ch_pid] if ch_pid else []}
        pids["redis"] = [redis.proc.pid] if redis is not None else []
        cpu0 = {k: sum(cpu_seconds(p) for p in v) for k, v in pids.items()}
        start = time.time()
        until = start + duration
        procs = [mp.Process(target=_load, args=(urls, until, out, w)) for w in range(PROCESSES)]
        for p in procs:
            p.start()
        results = [out.get() for _ in procs]
        for p in procs:
            p.join()
        load_s = time.time() - start
        accepted = sum(a for a, _ in results)
        errors = sum(e for _, e in results)
        deadline = time.time() + 120
        stored = _count(client, db)
        while stored < accepted and time.time() < deadline:
            time.sleep(0.2)
            stored = _count(client, db)
        done_s = time.time() - start
        cpu = {k: sum(cpu_seconds(p) for p in v) - cpu0[k] for k, v in pids.items()}
        client.execute(f"OPTIMIZE TABLE {db}.tenantry_events FINAL")
        disk = client.execute(
            "SELECT sum(rows), sum(data_compressed_bytes), sum(data_uncompressed_bytes) "
            f"FROM system.parts WHERE database = '{db}' AND active"
        )[0]
    finally:
        for s in servers:
            s.stop()
        client.execute(f"DROP DATABASE IF EXISTS {db}")
        client.disconnect()
    return {
        "accepted": accepted,
        "errors": errors,
        "stored": stored,
        "accepted_per_s": accepted / load_s,
        "stored_per_s": stored / done_s,
        "cpu_us": {k: v / max(stored, 1) * 1e6 for k, v in cpu.items()},
        "bytes_per_event": (disk[1] / max(disk[0], 1), disk[2] / max(disk[0], 1)),
    }


def main(quick: bool = False) -> None:
    from tests.fixtures.clickhouse import running_clickhouse
    from tests.fixtures.redis import RedisProcess

    duration = 3.0 if quick else 8.0
    print(
        f"relay -> ClickHouse, {duration:g} s of load per configuration, batches of {BATCH}, "
        f"{PROCESSES}x{THREADS} client threads, durable relay spool on, {os.cpu_count()} cores"
    )
    with tempfile.TemporaryDirectory(prefix="tenantry-capacity-") as tmp:
        root = Path(tmp)
        redis = RedisProcess(root / "redis").start()
        try:
            with running_clickhouse(root / "clickhouse") as ch_url:
                ch_pid = pid_of(str(root / "clickhouse" / "config.xml"))
                rows = {}
                for replicas in (1, 2):
                    for shared in (False, True):
                        rows[(replicas, shared)] = r = run_config(
                            root, ch_url, redis if shared else None, replicas, duration, ch_pid
                        )
                        c = r["cpu_us"]
                        print(
                            f"  {replicas} replica(s), {'Redis ' if shared else 'no Redis'}: "
                            f"accepted {r['accepted_per_s']:>8,.0f}/s  stored "
                            f"{r['stored_per_s']:>8,.0f}/s  ({r['accepted']:,} accepted, "
                            f"{r['stored']:,} stored, {r['errors']} failed requests)\n"
                            f"      CPU per event: replicas {c['replicas']:.1f} us, Redis "
                            f"{c['redis']:.1f} us, ClickHouse {c['clickhouse']:.1f} us; "
                            f"on disk {r['bytes_per_event'][0]:.0f} bytes/event compressed "
                            f"({r['bytes_per_event'][1]:.0f} uncompressed)",
                            flush=True,
                        )
        finally:
            redis.stop()
    base = rows[(1, False)]["stored_per_s"]
    print("ratios (stored/s against 1 replica without Redis, same run):")
    for (replicas, shared), r in rows.items():
        print(
            f"  {replicas} replica(s) {'Redis   ' if shared else 'no Redis'}: "
            f"{r['stored_per_s'] / base:.2f}x"
        )
    for replicas in (1, 2):
        cost = rows[(replicas, True)]["stored_per_s"] / rows[(replicas, False)]["stored_per_s"]
        with_redis = rows[(replicas, True)]["cpu_us"]
        cpu = (with_redis["replicas"] + with_redis["redis"]) / rows[(replicas, False)]["cpu_us"][
            "replicas"
        ]
        print(
            f"  cost of shared state, {replicas} replica(s): throughput Redis/no-Redis = "
            f"{cost:.2f}; CPU per event (replicas + Redis) / (replicas alone) = {cpu:.2f}"
        )
    print(
        "  note: this machine has 2 cores shared by replicas, load generators, ClickHouse and "
        "Redis; a second replica here adds processes, not CPU, so it cannot scale."
    )


if __name__ == "__main__":
    main(quick="--quick" in sys.argv)
