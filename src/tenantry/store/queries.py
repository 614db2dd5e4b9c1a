"""The report queries (the seed guide's analytics), one definition each, for every backend.

Each query is SQL over ``{events}``, a relation the *store* builds from a ``Scope``: cloud rows
only for the cloud queries, one developer's rows when a developer is given, the date range.
The query text never filters by developer itself, so a per-developer query cannot read another
developer's rows by construction. The SQL uses only what DuckDB and ClickHouse 18.16 share,
except the few expressions in ``DIALECTS`` (a property of the ``properties`` JSON, a
percentile), written ``{prop:route}``, ``{num:status}``, ``{p95:ms}`` in the query text.

Percentiles are nearest-rank: ``p95`` of a group of n values is its ceil(95 n / 100)-th
smallest value, an integer rank, so DuckDB and ClickHouse return the same value.

Sampled events (``TelemetryService(sample_rates=...)``) carry their rate as ``$sample_rate``;
the usage reports (``api-usage``, ``api-daily-usage``, ``monthly-usage``) count each as 1/rate
events (``{weight:}``; a missing or invalid rate counts 1), rounded to a whole number, so they
stay unbiased estimates. Percentiles need no weight: a uniform sample keeps them. The other
reports count the events kept.

    run_query(store, "top-developers")
    -> {"query": "top-developers", "rows": [{"developer_id": ..., "unique_end_users": 3}, ...]}
"""

from __future__ import annotations

from collections.abc import Callable
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
    end_users: bool = False  # rows keyed by end_user_id: may show the developer's own names
    across_developers: bool = False  # rows are developers: for the operator, never one developer
    help: str = ""


# The expressions DuckDB and ClickHouse 18.16 spell differently. ``prop``/``num``: a top-level
# property of the ``properties`` JSON ('' / 0 when missing; tenantry writes it with orjson, no
# spaces, as ClickHouse's visitParam functions expect). ``rank``: the nearest-rank percentile.
# ``weight``: what one event counts for in the usage reports, 1/rate of a sampled event (the
# ``$sample_rate`` property) and 1 for the rest.
DIALECTS = {
    "local": {
        "prop": "coalesce(json_extract_string(properties, '$.{key}'), '')",
        "num": "coalesce(TRY_CAST(json_extract(properties, '$.{key}') AS DOUBLE), 0)",
        "rank": "list_sort(list({key}))[({p} * count(*) + 99) // 100]",
        # read the JSON only where the text names the key (most events are not sampled); a
        # rate outside (0, 1] or none weighs 1
        "weight": "(CASE WHEN strpos(properties, '\"{key}\"') = 0 THEN 1.0 ELSE 1.0 / "
        "coalesce(nullif(least(greatest(TRY_CAST(json_extract(properties, '$.\"{key}\"') "
        "AS DOUBLE), 0.0), 1.0), 0.0), 1.0) END)",
    },
    "clickhouse": {
        "prop": "visitParamExtractString(properties, '{key}')",
        "num": "visitParamExtractFloat(properties, '{key}')",
        "rank": "arraySort(groupArray({key}))[intDiv({p} * count() + 99, 100)]",
        # 18.16 evaluates every branch of an if: one extraction (0 when missing), computed once
        "weight": "(1.0 / if(visitParamExtractFloat(properties, '{key}') > 0 AND "
        "visitParamExtractFloat(properties, '{key}') <= 1, "
        "visitParamExtractFloat(properties, '{key}'), 1.0))",
    },
}


class _Spelling:
    """``format(_Spelling(pattern), "route")`` -> the pattern with ``{key}`` = ``route``."""

    def __init__(self, pattern: str, **fixed: Any) -> None:
        self.pattern = pattern
        self.fixed = fixed

    def __format__(self, key: str) -> str:
        return self.pattern.format(key=key, **self.fixed)


def spelled(sql: str, backend: str) -> str:
    """``sql`` with the dialect placeholders written out for ``backend``; ``{events}`` stays."""
    if "{prop:" not in sql and "{num:" not in sql and "{p" not in sql and "{weight:" not in sql:
        return sql
    dialect = DIALECTS.get(backend)
    if dialect is None:
        raise QueryError(f"this query is not available on the {backend!r} store")
    return sql.format(
        events="{events}",
        prop=_Spelling(dialect["prop"]),
        num=_Spelling(dialect["num"]),
        p50=_Spelling(dialect["rank"], p=50),
        p95=_Spelling(dialect["rank"], p=95),
        weight=_Spelling(dialect["weight"]),
    )


# ``{weight:$sample_rate}``: a sampled event's weight, 1/rate (DIALECTS). Sums of weights are
# rounded the same way on both backends (floor of x + 0.5, as an integer).
_API_REQUESTS = (
    "(SELECT developer_id, day, {prop:route} AS route, {prop:method} AS method, "
    "{num:status} AS status, {num:duration_ms} AS ms, {weight:$sample_rate} AS w FROM {events} "
    "WHERE event = 'api_request' AND developer_id IS NOT NULL)"
)
_REQUESTS = "CAST(floor(sum(w) + 0.5) AS Int64)"
_ERRORS = "CAST(floor(sum(CASE WHEN status >= 500 THEN w ELSE 0 END) + 0.5) AS Int64)"


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
        across_developers=True,
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
        end_users=True,
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
        "api-usage",
        ("developer_id", "route", "method", "requests", "errors", "p50_ms", "p95_ms"),
        f"SELECT developer_id, route, method, {_REQUESTS} AS requests, {_ERRORS} AS errors, "
        "{p50:ms}, {p95:ms} "
        f"FROM {_API_REQUESTS} GROUP BY developer_id, route, method "
        "ORDER BY developer_id, requests DESC, route, method",
        cloud=True,
        help="API requests per developer and route: count, 5xx errors, p50 and p95 latency (ms)",
    ),
    Query(
        "api-daily-usage",
        ("developer_id", "date", "route", "method", "requests", "errors"),
        f"SELECT developer_id, day, route, method, {_REQUESTS} AS requests, {_ERRORS} AS errors "
        f"FROM {_API_REQUESTS} GROUP BY developer_id, day, route, method "
        "ORDER BY day, developer_id, route, method",
        cloud=True,
        help="API requests and 5xx errors per developer, route and day",
    ),
    Query(
        "monthly-usage",
        ("developer_id", "month", "requests", "memories"),
        "SELECT developer_id, substring(CAST(day AS String), 1, 7) AS m, "
        "CAST(floor(sum(CASE WHEN event = 'api_request' THEN w ELSE 0 END) + 0.5) AS Int64) "
        "AS requests, "
        "CAST(floor(sum(CASE WHEN event = 'memory_created' THEN w ELSE 0 END) + 0.5) AS Int64) "
        "AS memories FROM (SELECT developer_id, day, event, {weight:$sample_rate} AS w "
        "FROM {events} WHERE developer_id IS NOT NULL "
        "AND event IN ('api_request', 'memory_created')) "
        "GROUP BY developer_id, m ORDER BY m, developer_id",
        cloud=True,
        help="API requests and memories per developer and month (YYYY-MM)",
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
        "FROM {events} WHERE edition = 'opensource' GROUP BY o",
        suppress=True,
        help="events of opensource installations by operating system",
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
    if isinstance(value, float):  # durations: ms to the microsecond, equal on every backend
        return round(value, 3)
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
    external_ids: Callable[[str, list[str]], dict[str, str]] | None = None,
) -> dict:
    """Run the report query ``name``; return ``{"query": name, "rows": [{column: value}]}``.

    ``external_ids(developer_id, end_user_ids) -> {end_user_id: external_user_id}`` (the
    identity store's ``external_ids``): rows keyed by an end user of ``developer`` also show
    the developer's own ID for them, as ``external_user_id``. Pass it only for a viewer allowed
    to see them (that developer, or the admin) and only in the cloud edition."""
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
    rows = store.select(spelled(query.sql, store.backend), scope)
    if query.suppress:
        rows = suppress_small_groups(rows, min_group_size or store.min_group_size)
    result = {
        "query": name,
        "rows": [
            {col: _plain(v) for col, v in zip(query.columns, row, strict=True)} for row in rows
        ],
    }
    if query.end_users and external_ids is not None and scope.developer:
        _add_external_ids(result["rows"], scope.developer, external_ids)
    return result


def _add_external_ids(
    rows: list[dict], developer: str, external_ids: Callable[[str, list[str]], dict[str, str]]
) -> None:
    """Each row gains ``external_user_id`` right after ``end_user_id`` (None when the
    developer gave none: the developer's own session, an end user created otherwise)."""
    ids = [r["end_user_id"] for r in rows if r.get("end_user_id")]
    names = external_ids(developer, ids) if ids else {}
    for i, row in enumerate(rows):
        out = {}
        for col, value in row.items():
            out[col] = value
            if col == "end_user_id":
                out["external_user_id"] = names.get(value)
        rows[i] = out
