"""Identity resolution latency: warm cache and cold (every lookup hits the database).

For SQLite (file in a temp dir) and PostgreSQL (a temporary database on 127.0.0.1:5432), p50/p99
of ``IdentityStore.resolve`` with an API key, with an API key + external user ID, and with a
session token; cold numbers use ``cache_ttl=0``. Baseline, measured in the same run: a bare
``hashlib.sha256(key).hexdigest()`` plus a dict lookup, timed the same way.

Target (issue "Identity"): warm API-key resolution p50 <= 5 us.
"""

from __future__ import annotations

import hashlib
import tempfile
import time
import uuid
from pathlib import Path

from tenantry.config import load_settings
from tenantry.identity import IdentityStore
from tenantry.identity.enrichment import profile_lookup

PG_ADMIN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres connect_timeout=3"


def _pct(samples: list[int], p: float) -> float:
    samples = sorted(samples)
    return samples[min(len(samples) - 1, int(len(samples) * p))] / 1000.0


def _time(fn, n: int) -> list[int]:
    clock = time.perf_counter_ns
    out = []
    for _ in range(n):
        t0 = clock()
        fn()
        out.append(clock() - t0)
    return out


def baseline(raw: str, n: int) -> list[int]:
    table = {hashlib.sha256(raw.encode()).hexdigest(): ("dev_x", None)}

    def lookup():
        return table[hashlib.sha256(raw.encode()).hexdigest()]

    return _time(lookup, n)


def _row(label: str, samples: list[int], base_p50: float) -> None:
    p50, p99 = _pct(samples, 0.50), _pct(samples, 0.99)
    print(
        f"  {label:<44} p50 {p50:9.2f} us  p99 {p99:9.2f} us  ({p50 / base_p50:7.1f}x baseline p50)"
    )


def run_backend(name: str, url: str, warm_n: int, cold_n: int, base_p50: float) -> None:
    print(f"{name}:")
    with IdentityStore(url) as store:
        dev = store.create_developer(f"bench-{uuid.uuid4().hex[:8]}@example.com", country="US")
        _, raw = store.create_api_key(dev.id)
        session = store.create_session(dev.id)
        store.resolve(api_key=raw, external_user_id="alice")
        store.resolve(session_token=session.token)
        _row("warm  api key", _time(lambda: store.resolve(api_key=raw), warm_n), base_p50)
        _row(
            "warm  api key + external user id",
            _time(lambda: store.resolve(api_key=raw, external_user_id="alice"), warm_n),
            base_p50,
        )
        _row(
            "warm  session token",
            _time(lambda: store.resolve(session_token=session.token), warm_n),
            base_p50,
        )
        counter = iter(range(10**9))
        _row(
            "cold  api key + NEW external user id (insert)",
            _time(lambda: store.resolve(api_key=raw, external_user_id=f"u{next(counter)}"), cold_n),
            base_p50,
        )
    with IdentityStore(url, cache_ttl=0) as cold:
        _row(
            "cold  api key (cache_ttl=0, one SELECT)",
            _time(lambda: cold.resolve(api_key=raw), cold_n),
            base_p50,
        )
        _row(
            "cold  session token (cache_ttl=0)",
            _time(lambda: cold.resolve(session_token=session.token), cold_n),
            base_p50,
        )
    lookup = profile_lookup(load_settings(database_url=url, edition="cloud"))
    lookup(dev.id)
    _row("warm  profile lookup (enrichment)", _time(lambda: lookup(dev.id), warm_n), base_p50)
    lookup.close()


def main(quick: bool = False) -> None:
    warm_n, cold_n = (5_000, 200) if quick else (100_000, 2_000)
    raw = "tnt_" + "k" * 43
    base = baseline(raw, warm_n)
    base_p50 = _pct(base, 0.5)
    print(
        f"baseline: sha256 + dict lookup              p50 {base_p50:9.2f} us  p99 {_pct(base, 0.99):9.2f} us"
    )
    with tempfile.TemporaryDirectory() as tmp:
        run_backend("sqlite", f"sqlite:///{Path(tmp) / 'identity.db'}", warm_n, cold_n, base_p50)
    try:
        import psycopg

        name = f"tenantry_bench_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except Exception as exc:
        print(f"postgresql: not reachable ({exc}); skipped")
        return
    try:
        run_backend(
            "postgresql", f"postgresql://postgres@127.0.0.1:5432/{name}", warm_n, cold_n, base_p50
        )
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
