"""The report queries (the seed guide's analytics), one definition each, for every backend.

Each query is SQL over ``{events}``, a relation the *store* builds from a ``Scope``: cloud rows
only for the cloud queries, one developer's rows when a developer is given, the date range.
The query text never filters by developer itself, so a per-developer query cannot read another
developer's rows by construction. The SQL uses only what DuckDB and ClickHouse 18.16 share.

    run_query(store, "top-developers")
    -> {"query": "top-developers", "rows": [{"developer_id": ..., "unique_end_users": 3}, ...]}
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from tenantry.errors import PrivacyRefused, QueryError
from tenantry.store.base import EventStore, Scope

OTHER = "other"


@dataclass(frozen=True, slots=True)
class Query:
    name: str
    columns: tuple[str, ...]
    sql: str
    cloud: bool = False  # user-level: cloud rows only; refused over opensource-only data
    needs_developer: bool = False
    suppress: bool = False  # small-group suppression: last SQL column is the distinct_id count
    distinct_only: bool = False  # counts only distinct values: the store may skip uuid dedupe
    help: str = ""


_DEFINITIONS = (
    Query(
        "developer-events",
        ("event", "count"),
        "SELECT event, count(*) AS n FROM {events} GROUP BY event ORDER BY n DESC, event",
        cloud=True,
        needs_developer=True,
        help="events of one developer, by name",
    ),
    Query(
        "developer-memories",
        ("count",),
        "SELECT count(*) FROM {events} WHERE event = 'memory_created'",
        cloud=True,
        needs_developer=True,
        help="memories one developer created, across all their end users",
    ),
    Query(
        "top-developers",
        ("developer_id", "unique_end_users"),
        "SELECT developer_id, count(DISTINCT end_user_id) AS n FROM {events} "
        "WHERE developer_id IS NOT NULL GROUP BY developer_id ORDER BY n DESC, developer_id",
        cloud=True,
        distinct_only=True,
        help="developers by distinct active end users",
    ),
    Query(
        "memories-per-end-user",
        ("end_user_id", "memory_count"),
        "SELECT end_user_id, count(*) AS n FROM {events} "
        "WHERE event = 'memory_created' AND end_user_id IS NOT NULL "
        "GROUP BY end_user_id ORDER BY n DESC, end_user_id",
        cloud=True,
        needs_developer=True,
        help="memories per end user of one developer",
    ),
    Query(
        "developer-retention",
        ("developer_id", "date", "unique_end_users"),
        "SELECT developer_id, day, count(DISTINCT end_user_id) AS n FROM {events} "
        "WHERE developer_id IS NOT NULL GROUP BY developer_id, day ORDER BY day, developer_id",
        cloud=True,
        distinct_only=True,
        help="distinct end users per developer and day",
    ),
    Query(
        "developer-daily-events",
        ("developer_id", "date", "count"),
        "SELECT developer_id, day, count(*) AS n FROM {events} "
        "WHERE developer_id IS NOT NULL GROUP BY developer_id, day ORDER BY day, developer_id",
        cloud=True,
        help="events per day per developer",
    ),
    Query(
        "event-counts",
        ("event", "count"),
        "SELECT event, count(*) AS n FROM {events} GROUP BY event ORDER BY n DESC, event",
        help="events by name (any edition)",
    ),
    Query(
        "edition-distribution",
        ("edition", "count"),
        "SELECT edition, count(*), count(DISTINCT distinct_id) FROM {events} GROUP BY edition",
        suppress=True,
        help="events by edition",
    ),
    Query(
        "os-distribution",
        ("os", "count"),
        "SELECT coalesce(os, 'unknown') AS o, count(*), count(DISTINCT distinct_id) "
        "FROM {events} GROUP BY o",
        suppress=True,
        help="events by operating system",
    ),
)
DEFINITIONS = {q.name: q for q in _DEFINITIONS}
QUERIES = tuple(DEFINITIONS)


def _date(value: date | str | None, flag: str) -> date | None:
    if value is None or isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, datetime):
        return value.date()
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise QueryError(f"--{flag}: {value!r} is not a date (YYYY-MM-DD)") from None


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def suppress_small_groups(rows: list[tuple], min_group_size: int) -> list[tuple[Any, int]]:
    """Fold groups seen by fewer than ``min_group_size`` distinct ids into one ``other`` row.
    ``rows`` are ``(key, count, distinct_ids)``; the result is ``(key, count)``, count desc,
    ``other`` last."""
    kept = [(k, int(n)) for k, n, ids in rows if ids >= min_group_size]
    folded = sum(int(n) for _, n, ids in rows if ids < min_group_size)
    kept.sort(key=lambda r: (-r[1], str(r[0])))
    if folded:
        kept.append((OTHER, folded))
    return kept


def run_query(
    store: EventStore,
    name: str,
    *,
    developer: str | None = None,
    since: date | str | None = None,
    until: date | str | None = None,
    min_group_size: int | None = None,
) -> dict:
    """Run the report query ``name``; return ``{"query": name, "rows": [{column: value}]}``."""
    query = DEFINITIONS.get(name)
    if query is None:
        raise QueryError(f"unknown query {name!r}; choose from {', '.join(QUERIES)}")
    if query.needs_developer and not developer:
        raise QueryError(f"{name} needs --developer")
    scope = Scope(
        cloud_only=query.cloud,
        developer=developer or None,
        since=_date(since, "since"),
        until=_date(until, "until"),
        dedupe=not query.distinct_only,
    )
    if scope.since and scope.until and scope.since > scope.until:
        raise QueryError("--since is after --until")
    if query.cloud:
        editions = store.editions()
        if editions and "cloud" not in editions:
            raise PrivacyRefused(
                f"{name} is a user-level query and this store holds only anonymous "
                "(opensource) data; user-level queries over it are refused"
            )
    rows = store.select(query.sql, scope)
    if query.suppress:
        rows = suppress_small_groups(rows, min_group_size or store.min_group_size)
    return {
        "query": name,
        "rows": [
            {col: _plain(v) for col, v in zip(query.columns, row, strict=True)} for row in rows
        ],
    }
