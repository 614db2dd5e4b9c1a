"""Store fixtures: the generated dataset written once per session to both backends."""

from __future__ import annotations

import pytest

from tenantry.store.clickhouse import ClickHouseStore
from tenantry.store.local import LocalStore
from tests.store import dataset


@pytest.fixture(scope="session")
def events():
    """The seeded 200,000-event dataset, plus 2,000 replayed duplicates."""
    evs = dataset.generate()
    return evs + evs[:2000]


@pytest.fixture(scope="session")
def stores(events, clickhouse_url, tmp_path_factory):
    """``{"local": LocalStore, "clickhouse": ClickHouseStore}`` holding ``events``."""
    stores = both_stores(events, clickhouse_url, "dataset", tmp_path_factory.mktemp("events"))
    yield stores
    for store in stores.values():
        store.close()


def both_stores(events, clickhouse_url: str, database: str, path, batch: int = 10_000) -> dict:
    """``{"local": LocalStore, "clickhouse": ClickHouseStore}``, both holding ``events``: the
    local one under ``path``, the ClickHouse one in ``database`` (created when missing)."""
    from clickhouse_driver import Client

    client = Client.from_url(clickhouse_url)
    client.execute(f"CREATE DATABASE IF NOT EXISTS {database}")
    client.disconnect()
    local = LocalStore(path)
    ch = ClickHouseStore(clickhouse_url.rsplit("/", 1)[0] + "/" + database)
    for i in range(0, len(events), batch):
        local.write(events[i : i + batch])
        ch.write(events[i : i + batch])
    return {"local": local, "clickhouse": ch}
