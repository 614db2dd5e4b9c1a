"""Event stores and analytics: the embedded ``local`` store (DuckDB over Parquet) and ClickHouse.

``open_store(settings, backend=None)`` picks the backend: an explicit ``backend`` wins; else
``clickhouse`` when ``TENANTRY_CLICKHOUSE_URL`` is set *and* ``clickhouse`` is one of the
destinations (that is where the events go); else ``local`` in ``settings.data_dir / "events"``.
"""

from __future__ import annotations

import time

from tenantry.config import Settings, config_error
from tenantry.errors import PrivacyRefused, QueryError
from tenantry.store.base import EventStore, Scope
from tenantry.store.queries import QUERIES, run_query

__all__ = [
    "BACKENDS",
    "QUERIES",
    "EventStore",
    "PrivacyRefused",
    "QueryError",
    "Scope",
    "apply_retention",
    "open_store",
    "run_query",
]

BACKENDS = ("local", "clickhouse")


def default_backend(settings: Settings) -> str:
    if settings.clickhouse_url and "clickhouse" in settings.destinations:
        return "clickhouse"
    return "local"


def open_store(settings: Settings, backend: str | None = None) -> EventStore:
    """The event store ``backend`` (``local`` or ``clickhouse``) for ``settings``."""
    backend = backend or default_backend(settings)
    store: EventStore
    if backend == "local":
        from tenantry.store.local import LocalStore

        store = LocalStore(settings.data_dir / "events")
    elif backend == "clickhouse":
        if not settings.clickhouse_url:
            raise config_error("clickhouse_url", "not set; the clickhouse backend needs it")
        from tenantry.store.clickhouse import ClickHouseStore

        store = ClickHouseStore(settings.clickhouse_url)
    else:
        raise QueryError(f"unknown backend {backend!r}; choose from {', '.join(BACKENDS)}")
    store.min_group_size = settings.min_group_size
    return store


def apply_retention(store: EventStore, days: int) -> int:
    """Remove events older than ``days`` days from ``store``; return how many. The server
    calls this periodically; ``tenantry maintenance retention`` calls it once per backend."""
    if days < 1:
        raise QueryError("retention needs at least 1 day")
    return store.delete_before(time.time() - days * 86400)
