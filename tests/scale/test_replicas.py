"""Three ``tenantry serve`` replicas (own data dirs, durable spool on) on one PostgreSQL, one
Redis and one ClickHouse; relay clients, library clients and host-API clients spread across them;
one replica SIGKILLed mid-load and restarted. Proves: every accepted event appears exactly once
in each report query (checked against the test's own ledger and an independent count over the
raw rows); a key revoked on one replica is refused by all within 1 s; an installation's relay
allowance (burst 200 per anonymous_id) is shared by the replicas."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
import uuid
from collections import Counter

import httpx
import pytest
from redis import Redis

from tenantry import TelemetryService
from tenantry.identity import IdentityStore
from tenantry.server.app import DEFAULT_ANON_RATE
from tenantry.shared_state import split_url
from tests.scale.replicas import Replica, base_env

PER_REQUEST = 50  # events per flood request

pytestmark = [pytest.mark.postgres, pytest.mark.clickhouse, pytest.mark.slow]

ADMIN = "adm_scale_token_0123456789abcdef"
SECRET = "scale-secret-0123456789abcdef0123456789"
RELAY_THREADS, RELAY_BATCH = 3, 20
LIB_CLIENTS, LIB_EVENTS = 3, 150


@pytest.fixture
def cluster(tmp_path, postgres_url, clickhouse_db, redis_url):
    env = base_env(
        TENANTRY_DATABASE_URL=postgres_url,
        TENANTRY_CLICKHOUSE_URL=clickhouse_db,
        TENANTRY_REDIS_URL=redis_url,
        TELEMETRY_PROVIDER="clickhouse",
        TELEMETRY_EDITION="cloud",
        TELEMETRY_DURABLE="1",
        TELEMETRY_SECRET=SECRET,
        TENANTRY_ADMIN_TOKEN=ADMIN,
        TELEMETRY_MIN_GROUP_SIZE="1",
    )
    replicas = [Replica(f"r{i}", tmp_path, env) for i in range(3)]
    for r in replicas:
        r.start()
    identity = IdentityStore(postgres_url)
    try:
        yield replicas, identity, env
    finally:
        for r in replicas:
            r.stop()
        identity.close()


class Ledger:
    """What the clients were told was accepted: the independent count."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.relay_uuids: set[str] = set()
        self.memories: Counter[str] = Counter()  # developer -> 201s
        self.failures = 0  # requests that failed (killed replica) and were retried elsewhere


def _relay_client(t: int, replicas, ledger: Ledger, stop: threading.Event) -> None:
    """Posts batches with fixed uuids; a failed request is retried on the next replica."""
    n = 0
    with httpx.Client(timeout=5.0) as client:
        while not stop.is_set():
            events = [
                {
                    "event_name": "relay_event",
                    "properties": {"os": "linux", "version": "1.0.0", "n": i},
                    "user_id": f"anon-user-{t}-{i % 3}",
                    "uuid": str(uuid.uuid4()),
                }
                for i in range(RELAY_BATCH)
            ]
            body = {"events": events, "anonymous_id": f"inst-{t}-{n % 8}"}
            target = (t + n) % len(replicas)
            while True:
                try:
                    r = client.post(replicas[target].url + "/v1/telemetry/events", json=body)
                    if r.status_code == 200:
                        break
                    assert r.status_code in (429, 503), r.text
                except httpx.HTTPError:
                    pass
                with ledger.lock:
                    ledger.failures += 1
                target = (target + 1) % len(replicas)
                time.sleep(0.02)
            with ledger.lock:
                ledger.relay_uuids.update(e["uuid"] for e in events)
            n += 1
            time.sleep(0.01)


def _host_client(replica, key: str, dev: str, ledger: Ledger, stop: threading.Event) -> None:
    """A host application calling the reference API (each 201 tracks one memory_created)."""
    n = 0
    with httpx.Client(timeout=5.0) as client:
        while not stop.is_set():
            body = {"content": f"memory {n}", "metadata": {"external_user_id": f"ext-{n % 4}"}}
            r = client.post(replica.url + "/v1/memories", json=body, headers={"X-API-Key": key})
            assert r.status_code == 201, r.text
            with ledger.lock:
                ledger.memories[dev] += 1
            n += 1
            time.sleep(0.01)


def _report(replica, name: str, **params) -> list[dict]:
    r = httpx.get(
        f"{replica.url}/v1/analytics/{name}",
        params=params,
        headers={"Authorization": f"Bearer {ADMIN}"},
        timeout=30.0,
    )
    assert r.status_code == 200, r.text
    return r.json()["rows"]


def _raw(clickhouse_url: str, sql: str) -> list[tuple]:
    from clickhouse_driver import Client

    client = Client.from_url(clickhouse_url)
    try:
        return client.execute(sql)
    finally:
        client.disconnect()


class TestReplicas:
    def test_three_replicas_one_killed(self, cluster, tmp_path):
        """The whole scenario; see the module docstring."""
        replicas, identity, env = cluster
        ch = env["TENANTRY_CLICKHOUSE_URL"]
        devs = {}
        for name in ("A", "B"):
            dev = identity.create_developer(f"scale-{name.lower()}@example.com", country="US")
            devs[name] = (dev.id, identity.create_api_key(dev.id)[1])

        # 1. The relay allowance of one installation is shared: 2 clients per replica, 900
        # requests of 50 events each at once (charged per event, 45,000 in all; invalid events,
        # so nothing is stored, but each is charged). Three in-process buckets would each allow
        # the installation's burst.
        def flood(replica, out):
            with httpx.Client(timeout=10.0) as c:
                for _ in range(150):
                    r = c.post(
                        replica.url + "/v1/telemetry/events",
                        json={"events": [{}] * PER_REQUEST, "anonymous_id": "one-installation"},
                    )
                    out.append(r.status_code)

        codes: list[int] = []
        t0 = time.monotonic()
        threads = [threading.Thread(target=flood, args=(r, codes)) for r in replicas * 2]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.monotonic() - t0
        allowed = codes.count(200)
        assert set(codes) <= {200, 429} and len(codes) == 900
        # the installation's burst plus its refill, whichever replica answers
        rate = DEFAULT_ANON_RATE
        assert allowed * PER_REQUEST <= rate.burst + rate.per_second * elapsed + PER_REQUEST, (
            allowed,
            elapsed,
        )
        assert codes.count(429) > 0
        url, prefix = split_url(env["TENANTRY_REDIS_URL"])
        with Redis.from_url(url) as r:  # the replicas' one bucket for the installation
            assert r.exists(f"{prefix}rl:relay_installation:one-installation") == 1

        # 2. A key revoked on one replica is refused by all three within 1 s.
        dev_c = identity.create_developer("scale-c@example.com")
        key_c, raw_c = identity.create_api_key(dev_c.id)

        def status(replica) -> int:  # 404 (unknown query) once authenticated, 401 refused
            return httpx.get(
                f"{replica.url}/v1/analytics/no-such-query",
                headers={"X-API-Key": raw_c},
                timeout=5.0,
            ).status_code

        assert [status(r) for r in replicas] == [404, 404, 404]  # cached on every replica
        heard = Redis.from_url(url).pubsub()  # an independent ear on the revocation channel
        heard.subscribe(f"{prefix}revoked")
        assert heard.get_message(timeout=5)["type"] == "subscribe"
        heard_at: list[float] = []
        ear = threading.Thread(
            target=lambda: heard.get_message(timeout=30) and heard_at.append(time.monotonic())
        )
        ear.start()
        cli = subprocess.Popen(
            [sys.executable, "-m", "tenantry", "keys", "revoke", key_c.id],
            env=dict(env, TENANTRY_DATA_DIR=str(tmp_path / "cli")),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 60
        while identity.get_api_key(key_c.id).revoked_at is None:  # committed by the CLI
            assert time.monotonic() < deadline and cli.poll() in (None, 0)
            time.sleep(0.005)
        revoked_at = time.monotonic()
        refused_after: dict[int, float] = {}

        def watch(i: int) -> None:
            while time.monotonic() - revoked_at < 3.0:
                if status(replicas[i]) == 401:
                    refused_after[i] = time.monotonic() - revoked_at
                    return

        watchers = [threading.Thread(target=watch, args=(i,)) for i in range(3)]
        for w in watchers:
            w.start()
        for w in watchers:
            w.join()
        assert cli.wait(60) == 0, cli.stderr.read()
        ear.join(30)
        heard.close()
        published = [round(t - revoked_at, 3) for t in heard_at]
        print(f"\nrevocation: heard on the channel after {published} s, refused {refused_after}")
        assert sorted(refused_after) == [0, 1, 2], refused_after
        assert max(refused_after.values()) < 1.0, refused_after

        # 3. Load on all replicas; r0 is SIGKILLed mid-load and restarted.
        ledger, stop = Ledger(), threading.Event()
        workers = [
            threading.Thread(target=_relay_client, args=(t, replicas, ledger, stop))
            for t in range(RELAY_THREADS)
        ]
        # Host-API clients on the replicas that are not killed: track() is in memory until the
        # replica's worker spools it, so a SIGKILL there could lose a tracked event (see report).
        workers += [
            threading.Thread(
                target=_host_client, args=(replicas[1 + i], devs[n][1], devs[n][0], ledger, stop)
            )
            for i, n in enumerate(("A", "B"))
        ]
        libs = [
            TelemetryService(
                edition="opensource",
                destinations=("relay",),
                relay_url=replicas[i].url,
                durable=True,
                data_dir=tmp_path / f"lib{i}",
            )
            for i in range(LIB_CLIENTS)
        ]

        def library(i):
            for n in range(LIB_EVENTS):
                libs[i].track_sync("lib_event", {"n": n}, user_id=f"lib-user-{n % 5}")
                time.sleep(0.012)

        workers += [threading.Thread(target=library, args=(i,)) for i in range(LIB_CLIENTS)]
        for w in workers:
            w.start()
        time.sleep(1.0)
        replicas[0].kill()
        time.sleep(0.7)
        replicas[0].start()
        time.sleep(0.8)
        stop.set()
        for w in workers:
            w.join(60)
        assert all(lib.flush(timeout=60.0) for lib in libs)
        for lib in libs:
            status_ = lib.get_status()
            assert status_["delivered"] == LIB_EVENTS and status_["dropped"] == 0, status_
            lib.shutdown(5.0)
        assert ledger.failures > 0  # the kill really hit traffic

        # 4. Stop every replica gracefully (flushes their senders), then count.
        for r in replicas:
            r.stop()
        relay_n = len(ledger.relay_uuids)
        lib_n = LIB_CLIENTS * LIB_EVENTS
        mem = ledger.memories
        # each answered /v1/memories request also tracked one api_request (the usage reports)
        expected = {
            "relay_event": relay_n,
            "lib_event": lib_n,
            "memory_created": sum(mem.values()),
            "api_request": sum(mem.values()),
        }

        raw = dict(_raw(ch, "SELECT event, uniqExact(uuid) FROM tenantry_events GROUP BY event"))
        assert raw == expected
        stored = {
            u for (u,) in _raw(ch, "SELECT uuid FROM tenantry_events WHERE event = 'relay_event'")
        }
        assert stored == ledger.relay_uuids
        physical = _raw(ch, "SELECT count() FROM tenantry_events")[0][0]
        print(
            f"\nrows {physical} for {sum(expected.values())} events; "
            f"retried requests {ledger.failures}; revocation seen after {refused_after}; "
            f"allowance {allowed}/900 in {elapsed:.2f} s"
        )

        # 5. Every report query answers the same counts (one replica up again to ask).
        replicas[2].start()
        ask = replicas[2]
        counts = {row["event"]: row["count"] for row in _report(ask, "event-counts")}
        assert counts == expected
        editions = {row["edition"]: row["count"] for row in _report(ask, "edition-distribution")}
        assert editions == {"opensource": relay_n + lib_n, "cloud": 2 * sum(mem.values())}
        raw_os = dict(
            _raw(
                ch,
                "SELECT if(os = '', 'unknown', os) AS o, uniqExact(uuid) "
                "FROM tenantry_events WHERE edition = 'opensource' GROUP BY o",
            )
        )
        oses = {row["os"]: row["count"] for row in _report(ask, "os-distribution")}
        assert oses == raw_os and sum(oses.values()) == relay_n + lib_n  # installations only
        for name in ("A", "B"):
            dev_id = devs[name][0]
            rows = _report(ask, "developer-events", developer=dev_id)
            assert {r["event"]: r["count"] for r in rows} == {
                "memory_created": mem[dev_id],
                "api_request": mem[dev_id],
            }
            rows = _report(ask, "developer-memories", developer=dev_id)
            assert rows[0]["count"] == mem[dev_id]
            daily = _report(ask, "developer-daily-events", developer=dev_id)
            assert sum(r["count"] for r in daily) == 2 * mem[dev_id]
        top = {r["developer_id"]: r["unique_end_users"] for r in _report(ask, "top-developers")}
        raw_top = dict(
            _raw(
                ch,
                "SELECT developer_id, uniqExact(end_user_id) FROM tenantry_events "
                "WHERE edition = 'cloud' AND end_user_id != '' GROUP BY developer_id",
            )
        )
        assert top == raw_top and set(top) == {devs["A"][0], devs["B"][0]}
