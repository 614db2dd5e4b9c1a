"""One weight rule on every path: a generated corpus of ``$sample_rate`` spellings (floats across
sixteen orders of magnitude, ints, numeric strings in every notation, booleans, nulls, lists,
objects, the key nested inside another property or named inside a string) gives the same usage
rows on the local store (fresh files and compacted), on ClickHouse's raw table and its rollup
(the Debian server, 18.16, and chdb), and in plain Python (``test_usage.weight``: 1/rate for a
float from 1e-6 to 1, else 1)."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import orjson
import pytest

from tenantry.events import Event
from tenantry.store.clickhouse import TABLE
from tenantry.store.local import LocalStore
from tenantry.store.queries import run_query
from tests.store.test_usage import START, expected

REPORTS = ("api-usage", "api-daily-usage", "api-daily-status", "overview", "monthly-usage")
DAYS = ("2026-08-01", "2026-09-30")  # whole days: the ClickHouse rollup answers
INSTANTS = ("2026-08-01T00:00", "2026-10-01T00:00")  # the same span as instants: raw rows


def _rate(rnd: random.Random):
    """One ``$sample_rate`` value, of a kind drawn at random."""
    x = 10 ** rnd.uniform(-9, 1)
    kinds = (
        lambda: x,  # a float, most often in range
        lambda: rnd.choice((0.1, 0.25, 0.5, 1.0, 1e-6, 1e-7, 1.0000001, 0.0, -0.5, 5e-324)),
        lambda: rnd.choice((0, 1, 2, -1, 10**18)),
        lambda: rnd.choice((f"{x}", f"{x:e}", f" {x}", f"{x} ", f"+{x}", f"{x:.3f}", ".5")),
        lambda: rnd.choice(("nan", "inf", "-inf", "", "0,5", "1/2", "0x1p-1", "٠.٥", "０.５")),
        lambda: rnd.choice((True, False, None, [0.5], {"rate": 0.5}, [])),
    )
    return rnd.choice(kinds)()


def _props(rnd: random.Random, i: int, event: str) -> dict:
    """The properties of event ``i``: a request's fields, then a rate placed in one of the ways
    a careless or hostile caller could place one."""
    p = (
        {"route": f"/v1/r{i % 4}", "method": "GET", "status": rnd.choice((200, 404, 500)),
         "duration_ms": round(rnd.uniform(1, 50), 3)}
        if event == "api_request" else {"type": "text"}
    )  # fmt: skip
    way = rnd.randrange(6)
    if way == 0:
        return p  # no rate
    if way == 1:  # nested first, then (maybe) the real one: a key found at any depth misleads
        p = {"meta": {"$sample_rate": 0.01}, **p}
        if rnd.random() < 0.5:
            p["$sample_rate"] = _rate(rnd)
        return p
    if way == 2:  # the key's text inside a string value
        return {**p, "note": '"$sample_rate":0.01', "$sample_rate": _rate(rnd)}
    if way == 3:  # a look-alike key
        return {**p, "x$sample_rate": 0.01, "$sample_rate ": 0.02}
    return {**p, "$sample_rate": _rate(rnd)}


def _corpus(seed: int, n: int = 1500) -> list[Event]:
    rnd = random.Random(seed)
    out = []
    for i in range(n):
        event = "api_request" if rnd.random() < 0.7 else "memory_created"
        dev = f"dev_w{i % 3}"
        ts = START + 86400 * (3 + i % 25) + 60 * (i % 600)
        uuid = f"0000beef-0000-4000-8000-{seed:04x}{i:08x}"
        out.append(Event(uuid, event, dev, ts, "cloud", _props(rnd, i, event), dev, None))
    return out


def _reports(store, since=None, until=None) -> dict:
    return {name: run_query(store, name, since=since, until=until)["rows"] for name in REPORTS}


@pytest.fixture(scope="module")
def corpus():
    return _corpus(seed=7)


class TestOneWeightRule:
    def test_the_corpus_is_wide(self, corpus):
        """The corpus holds rates that weigh (from 1e-6 to 1), rates out of range, strings that
        read as numbers elsewhere, and rates hidden where a key search would find them."""
        rates = [e.properties.get("$sample_rate", "missing") for e in corpus]
        assert sum(isinstance(r, float) and 1e-6 <= r <= 1 for r in rates) >= 100
        assert sum(isinstance(r, float) and not 1e-6 <= r <= 1 for r in rates) >= 20
        assert sum(isinstance(r, str) and r != "missing" for r in rates) >= 50
        assert sum("meta" in e.properties for e in corpus) >= 100

    def test_local_store_fresh_and_compacted(self, corpus, tmp_path):
        """The local store's reports equal plain Python before compaction (weights read from
        the JSON) and after (weights in their column)."""
        want = {name: expected(corpus, name) for name in REPORTS}
        assert sum(r["requests"] for r in want["api-usage"]) > len(corpus)  # weights did count
        store = LocalStore(tmp_path)
        for i in range(0, len(corpus), 100):
            store.write(corpus[i : i + 100])
        assert _reports(store) == want
        assert store.compact() > 0
        assert _reports(store) == want
        store.close()

    def test_clickhouse_raw_and_rollup(self, corpus, clickhouse_store):
        """ClickHouse's raw rows (instants) and its rollup (whole days) equal plain Python."""
        store = clickhouse_store()
        store.write(corpus)
        want = {name: expected(corpus, name) for name in REPORTS}
        assert _reports(store) == want
        assert _reports(store, *DAYS) == _reports(store, *INSTANTS) == want


class TestUpgrade:
    def test_a_table_from_before_the_weight_column_gets_it(self, clickhouse_store):
        """A raw table made without ``weight`` (the first release) gains the column when a store
        opens it: the rows already there weigh 1 (none was sampled then), new sampled rows
        weigh 1/rate."""
        store = clickhouse_store()
        store._client.execute(  # before the store's first statement, which creates its tables
            f"CREATE TABLE {TABLE} (uuid String, event String, timestamp DateTime('UTC'), "
            "distinct_id String, developer_id String, end_user_id String, edition String, "
            "os String, version String, properties String) ENGINE = ReplacingMergeTree() "
            "PARTITION BY toYYYYMM(timestamp) ORDER BY (developer_id, timestamp, uuid)"
        )
        request = {"route": "/v1/a", "method": "GET", "status": 200, "duration_ms": 1.0}
        store._client.execute(
            f"INSERT INTO {TABLE} (uuid, event, timestamp, distinct_id, developer_id, "
            "end_user_id, edition, os, version, properties) VALUES",
            [("0000beef-0000-4000-8000-000000000001", "api_request",
              datetime.fromtimestamp(START + 86400 * 4, UTC), "dev_u", "dev_u", "", "cloud", "",
              "", orjson.dumps(request).decode())],
        )  # fmt: skip
        new = Event(
            "0000beef-0000-4000-8000-000000000002", "api_request", "dev_u", START + 86400 * 4,
            "cloud", {**request, "$sample_rate": 0.25}, "dev_u", None,
        )  # fmt: skip
        store.write([new])
        [row] = run_query(store, "api-usage", since=INSTANTS[0], until=INSTANTS[1])["rows"]
        assert row["requests"] == 1 + 4
