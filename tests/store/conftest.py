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
    from clickhouse_driver import Client

    client = Client.from_url(clickhouse_url)
    client.execute("CREATE DATABASE IF NOT EXISTS dataset")
    client.disconnect()
    local = LocalStore(tmp_path_factory.mktemp("events"))
    ch = ClickHouseStore(clickhouse_url.rsplit("/", 1)[0] + "/dataset")
    for i in range(0, len(events), 10_000):
        local.write(events[i : i + 10_000])
        ch.write(events[i : i + 10_000])
    yield {"local": local, "clickhouse": ch}
    local.close()
    ch.close()
