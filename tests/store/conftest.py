"""Store fixtures: the generated dataset written once per session to every backend, and fresh
ClickHouse stores on both engines (the Debian server and chdb, a current ClickHouse)."""

from __future__ import annotations

import itertools
import os

import pytest

from tenantry.store.clickhouse import ClickHouseStore
from tenantry.store.dedup import LocalDedup
from tenantry.store.local import LocalStore
from tests.store import dataset
from tests.store.chdb_client import ChdbClient

ENGINES = ("server", "chdb")
_names = itertools.count()


@pytest.fixture(scope="session")
def events():
    """The seeded 200,000-event dataset, plus 2,000 replayed duplicates."""
    evs = dataset.generate()
    return evs + evs[:2000]


@pytest.fixture(scope="session")
def chdb_path(tmp_path_factory):
    """Where the process's one chdb engine keeps its data."""
    return tmp_path_factory.mktemp("chdb")


def chdb_store(path, database: str, **kw) -> ClickHouseStore:
    """A ClickHouse store on a fresh database of the in-process chdb engine."""
    ChdbClient(path).execute(f"CREATE DATABASE IF NOT EXISTS {database}")
    return ClickHouseStore(f"chdb:{database}", client=ChdbClient(path, database), **kw)


@pytest.fixture(scope="session")
def stores(events, clickhouse_url, chdb_path, tmp_path_factory):
    """``{"local": LocalStore, "clickhouse": ClickHouseStore, "chdb": ClickHouseStore on a
    current engine}`` holding ``events``, written in batches of 10,000. The ClickHouse stores'
    dedup windows hold the whole dataset: the replays come 200,000 events after the originals,
    beyond the default window (a replay that late is the repair path's job, tested apart)."""
    from clickhouse_driver import Client

    client = Client.from_url(clickhouse_url)
    client.execute("CREATE DATABASE IF NOT EXISTS dataset")
    client.disconnect()
    all_stores = {
        "local": LocalStore(tmp_path_factory.mktemp("events")),
        "clickhouse": ClickHouseStore(
            clickhouse_url.rsplit("/", 1)[0] + "/dataset", dedup=LocalDedup(len(events) * 2)
        ),
        "chdb": chdb_store(chdb_path, "dataset", dedup=LocalDedup(len(events) * 2)),
    }
    for i in range(0, len(events), 10_000):
        for store in all_stores.values():
            store.write(events[i : i + 10_000])
    yield all_stores
    for store in all_stores.values():
        store.close()


@pytest.fixture(params=ENGINES)
def clickhouse_store(request, clickhouse_url, chdb_path):
    """A factory of ClickHouse stores on one fresh database, on the Debian server (18.16) and
    on chdb: ``make(**kw) -> ClickHouseStore``. The database is dropped afterwards."""
    name = f"t{os.getpid()}_{next(_names)}"
    made = []
    if request.param == "server":
        from clickhouse_driver import Client

        admin = Client.from_url(clickhouse_url)
        admin.execute(f"CREATE DATABASE {name}")
        url = clickhouse_url.rsplit("/", 1)[0] + f"/{name}"

        def make(**kw):
            made.append(ClickHouseStore(url, **kw))
            return made[-1]
    else:
        admin = ChdbClient(chdb_path)

        def make(**kw):
            made.append(chdb_store(chdb_path, name, **kw))
            return made[-1]

    yield make
    for store in made:
        store.close()
    admin.execute(f"DROP DATABASE IF EXISTS {name}")
    admin.disconnect()


def both_stores(events, clickhouse_url: str, database: str, path, batch: int = 10_000) -> dict:
    """``{"local": LocalStore, "clickhouse": ClickHouseStore}``, both holding ``events``: the
    local one under ``path``, the ClickHouse one in ``database`` (created when missing)."""
    from clickhouse_driver import Client

    client = Client.from_url(clickhouse_url)
    client.execute(f"CREATE DATABASE IF NOT EXISTS {database}")
    client.disconnect()
    local = LocalStore(path)
    ch = ClickHouseStore(
        clickhouse_url.rsplit("/", 1)[0] + "/" + database, dedup=LocalDedup(len(events) * 2 + 1)
    )
    for i in range(0, len(events), batch):
        local.write(events[i : i + batch])
        ch.write(events[i : i + batch])
    return {"local": local, "clickhouse": ch}
