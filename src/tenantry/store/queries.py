"""The report queries (the seed guide's analytics), one definition each, for every backend.

Each query is SQL over ``{events}``, a relation the *store* builds from a ``Scope``: cloud rows
only for the cloud queries, one developer's rows when a developer is given, the date range.
The query text never filters by developer itself, so a per-developer query cannot read another
developer's rows by construction. The SQL uses only what DuckDB and ClickHouse 18.16 share,
except the few expressions in ``DIALECTS`` (a property of the ``properties`` JSON, a
percentile), written ``{prop:route}``, ``{num:status}``, ``{p95:ms}`` in the query text.

Percentiles are nearest-rank: ``p95`` of a group of n values is its ceil(95 n / 100)-th
smallest value, an integer rank, so DuckDB and ClickHouse return the same value: DuckDB's
``quantile_disc`` at a DECIMAL level is that rank in integer arithmetic; ClickHouse's
``quantileExact`` takes the value at 0-based index floor(level n), which is that rank at
``rank_level(p)``.

Sampled events (``TelemetryService(sample_rates=...)``) carry their rate as ``$sample_rate``;
the usage reports (``api-usage``, ``api-daily-usage``, ``api-daily-status``, ``monthly-usage``
and the overview's request and memory tiles) count each as 1/rate events (``{weight:}``: a rate
that reads as a number in (0, 1], JSON number or numeric string; a missing or other rate counts
1), each sum rounded to a whole number (floor of x + 0.5), so they stay unbiased estimates.
Percentiles need no weight: a uniform sample keeps them. The other reports, and the overview's
events tile, count the events kept.

    run_query(store, "top-developers")
    -> {"query": "top-developers", "rows": [{"developer_id": ..., "unique_end_users": 3}, ...]}
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import orjson

from tenantry.errors import PrivacyRefused, QueryError
from tenantry.store.base import LOCAL_WEIGHT, EventStore, Scope
from tenantry.store.folding import OTHER, Fold, fold_keys, fold_ranked, suppress_small_groups

__all__ = ["DEFINITIONS", "OTHER", "QUERIES", "TOP", "Query", "run_query", "suppress_small_groups"]

TOP = 1000  # groups a report answers at most; the rest are folded into ``other`` (folding.py)
# The range a store can hold (ClickHouse's DateTime ends in 2106): a bound beyond it is no bound.
FIRST_DAY, LAST_DAY = date(1970, 1, 1), date(2105, 12, 31)


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
    fold: Fold | None = None  # bounded to the top N groups plus ``other`` (folding.py)
    one_row: bool = False  # a single row of totals (0, never missing, over an empty range)
    help: str = ""


def rank_level(p: int) -> str:
    """The ``quantileExact`` level whose answer is the nearest rank ceil(p n / 100): p/100 - e
    with e = 1e-12. Index floor((p/100 - e) n) is that rank's for 0 < e n < 0.01, since p n is
    a whole number (the fraction of p n / 100 is 0 or at least 0.01): up to 10^9 values."""
    return f"{p / 100 - 1e-12:.12f}"


# The expressions DuckDB and ClickHouse 18.16 spell differently. ``prop``/``num``: a top-level
# property of the ``properties`` JSON ('' / 0 when missing; tenantry writes it with orjson, no
# spaces, as ClickHouse's visitParam functions expect). ``rank``: the nearest-rank percentile
# (``q``: p / 100; ``level``: ``rank_level(p)``).
# ``columns``: per placeholder, the properties a backend's relation holds as columns of their
# own (the local store's ``REQUEST_FIELDS``), read there instead of the JSON.
# ``weight``: what one event counts for in the usage reports, 1/rate of a sampled event (the
# ``$sample_rate`` property) and 1 for the rest.
DIALECTS = {
    "local": {
        "prop": "coalesce(json_extract_string(properties, '$.{key}'), '')",
        "num": "coalesce(TRY_CAST(json_extract(properties, '$.{key}') AS DOUBLE), 0)",
        "rank": "quantile_disc({key}, {q}::DECIMAL(3, 2))",
        "columns": {
            "prop": {"route": "route", "method": "method"},
            "num": {"status": "status", "duration_ms": "duration_ms"},
            "weight": {"$sample_rate": "weight"},
        },
        # base.LOCAL_WEIGHT: the JSON read only where the text names the key (most events are
        # not sampled)
        "weight": LOCAL_WEIGHT,
    },
    "clickhouse": {
        "prop": "visitParamExtractString(properties, '{key}')",
        "num": "visitParamExtractFloat(properties, '{key}')",
        "rank": "quantileExact({level})({key})",
        "weight": "1.0",  # never spelled: the raw relation has the column (below)
        "columns": {"weight": {"$sample_rate": "weight"}},
    },
}


class _Spelling:
    """``format(_Spelling(pattern), "route")`` -> the pattern with ``{key}`` = ``route`` (or
    the column ``columns["route"]``, when the relation has one)."""

    def __init__(self, pattern: str, columns: dict[str, str] | None = None, **fixed: Any) -> None:
        self.pattern = pattern
        self.columns = columns or {}
        self.fixed = fixed

    def __format__(self, key: str) -> str:
        if key in self.columns:
            return self.columns[key]
        return self.pattern.format(key=key, **self.fixed)


def spelled(sql: str, backend: str) -> str:
    """``sql`` with the dialect placeholders written out for ``backend``; ``{events}`` stays."""
    if "{prop:" not in sql and "{num:" not in sql and "{p" not in sql and "{weight:" not in sql:
        return sql
    dialect = DIALECTS.get(backend)
    if dialect is None:
        raise QueryError(f"this query is not available on the {backend!r} store")
    columns = dialect.get("columns", {})
    return sql.format(
        events="{events}",
        prop=_Spelling(dialect["prop"], columns.get("prop")),
        num=_Spelling(dialect["num"], columns.get("num")),
        p50=_Spelling(dialect["rank"], q="0.50", level=rank_level(50)),
        p95=_Spelling(dialect["rank"], q="0.95", level=rank_level(95)),
        weight=_Spelling(dialect["weight"], columns.get("weight")),
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
_MEMORIES = "sum(CASE WHEN event = 'memory_created' THEN 1 ELSE 0 END)"
_STATUS_CLASS = (
    "CASE WHEN status >= 500 THEN '5xx' WHEN status >= 400 THEN '4xx' "
    "WHEN status >= 300 THEN '3xx' ELSE '2xx' END"
)
_PER_DEVELOPER_DAY = ("date",)


_DEFINITIONS = (
    Query(
        "developer-events",
        ("event", "count"),
        "SELECT event, count(*) AS n FROM {events} GROUP BY event ORDER BY n DESC, event",
        cloud=True,
        needs_developer=True,
        fold=Fold("event", ("count",), total="SELECT count(*) FROM {events}"),
        help="events of one developer, by name",
    ),
    Query(
        "developer-memories",
        ("count",),
        "SELECT count(*) FROM {events} WHERE event = 'memory_created'",
        cloud=True,
        needs_developer=True,
        one_row=True,
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
        fold=Fold(
            "developer_id",
            ("unique_end_users",),
            total="SELECT count(DISTINCT end_user_id) FROM {events} WHERE developer_id IS NOT NULL",
        ),
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
        fold=Fold(
            "end_user_id",
            ("memory_count",),
            total="SELECT count(*) FROM {events} "
            "WHERE event = 'memory_created' AND end_user_id IS NOT NULL",
        ),
        help="memories per end user of one developer",
    ),
    Query(
        "developer-retention",
        ("developer_id", "date", "unique_end_users"),
        "SELECT developer_id, day, count(DISTINCT end_user_id) AS n FROM {events} "
        "WHERE developer_id IS NOT NULL GROUP BY developer_id, day ORDER BY day, developer_id",
        cloud=True,
        distinct_only=True,
        fold=Fold("developer_id", ("unique_end_users",), by=_PER_DEVELOPER_DAY),
        help="distinct end users per developer and day",
    ),
    Query(
        "developer-daily-events",
        ("developer_id", "date", "count"),
        "SELECT developer_id, day, count(*) AS n FROM {events} "
        "WHERE developer_id IS NOT NULL GROUP BY developer_id, day ORDER BY day, developer_id",
        cloud=True,
        fold=Fold("developer_id", ("count",), by=_PER_DEVELOPER_DAY),
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
        fold=Fold("developer_id", ("requests", "errors"), by=("route", "method")),
        help="API requests per developer and route: count, 5xx errors, p50 and p95 latency (ms)",
    ),
    Query(
        "api-daily-usage",
        ("developer_id", "date", "route", "method", "requests", "errors"),
        f"SELECT developer_id, day, route, method, {_REQUESTS} AS requests, {_ERRORS} AS errors "
        f"FROM {_API_REQUESTS} GROUP BY developer_id, day, route, method "
        "ORDER BY day, developer_id, route, method",
        cloud=True,
        fold=Fold("developer_id", ("requests", "errors"), by=("date", "route", "method")),
        help="API requests and 5xx errors per developer, route and day",
    ),
    Query(
        "api-daily-status",
        ("date", "status_class", "requests"),
        f"SELECT day, {_STATUS_CLASS} AS c, {_REQUESTS} AS requests FROM {_API_REQUESTS} "
        "GROUP BY day, c ORDER BY day, c",
        cloud=True,
        help="API requests per day by status class (2xx, 3xx, 4xx client errors, 5xx server "
        "errors)",
    ),
    Query(
        "monthly-usage",
        ("developer_id", "month", "requests", "memories"),
        # per day first: the month's text is then made once per developer and day, not per
        # event; each event weighs 1/rate (a sampled one) and the month's sums are rounded
        "SELECT developer_id, substring(CAST(day AS String), 1, 7) AS m, "
        "CAST(floor(sum(r) + 0.5) AS Int64) AS requests, "
        "CAST(floor(sum(x) + 0.5) AS Int64) AS memories "
        "FROM (SELECT developer_id, day, "
        "sum(CASE WHEN event = 'api_request' THEN w ELSE 0 END) AS r, "
        "sum(CASE WHEN event = 'memory_created' THEN w ELSE 0 END) AS x "
        "FROM (SELECT developer_id, day, event, {weight:$sample_rate} AS w FROM {events} "
        "WHERE developer_id IS NOT NULL AND event IN ('api_request', 'memory_created')) "
        "GROUP BY developer_id, day) "
        "GROUP BY developer_id, m ORDER BY m, developer_id",
        cloud=True,
        fold=Fold("developer_id", ("requests", "memories"), by=("month",)),
        help="API requests and memories per developer and month (YYYY-MM)",
    ),
    Query(
        "overview",
        (
            "developers",
            "end_users",
            "events",
            "api_requests",
            "errors_4xx",
            "errors_5xx",
            "memories",
        ),
        # the request and memory tiles weighed as the usage reports (4xx: 4xx answers); the
        # events tile counts the events stored
        "SELECT count(DISTINCT developer_id), count(DISTINCT end_user_id), count(*), "
        "CAST(floor(sum(CASE WHEN event = 'api_request' THEN w ELSE 0 END) + 0.5) AS Int64), "
        "CAST(floor(sum(CASE WHEN event = 'api_request' AND status >= 400 AND status < 500 "
        "THEN w ELSE 0 END) + 0.5) AS Int64), "
        "CAST(floor(sum(CASE WHEN event = 'api_request' AND status >= 500 THEN w ELSE 0 END) "
        "+ 0.5) AS Int64), "
        "CAST(floor(sum(CASE WHEN event = 'memory_created' THEN w ELSE 0 END) + 0.5) AS Int64) "
        "FROM (SELECT developer_id, end_user_id, event, {num:status} AS status, "
        "{weight:$sample_rate} AS w FROM {events} WHERE developer_id IS NOT NULL)",
        cloud=True,
        one_row=True,
        help="the dashboard's tiles: active developers, active end users, events, API requests, "
        "4xx and 5xx answers, memories",
    ),
    Query(
        "recent-events",
        ("time", "event", "end_user_id", "properties"),
        "SELECT timestamp, event, end_user_id, properties FROM {events} "
        "ORDER BY timestamp DESC, uuid LIMIT 50",
        cloud=True,
        needs_developer=True,
        end_users=True,
        help="one developer's latest 50 events: time (UTC), event, end user, properties",
    ),
    Query(
        "end-user-activity",
        ("end_user_id", "events", "memories", "first_day", "last_day"),
        f"SELECT end_user_id, count(*) AS n, {_MEMORIES} AS m, min(day), max(day) "
        "FROM {events} WHERE end_user_id IS NOT NULL GROUP BY end_user_id "
        "ORDER BY n DESC, end_user_id",
        cloud=True,
        needs_developer=True,
        end_users=True,
        fold=Fold(
            "end_user_id",
            ("events", "memories"),
            total=f"SELECT count(*), {_MEMORIES} FROM {{events}} WHERE end_user_id IS NOT NULL",
        ),
        help="one developer's end users: events, memories, first and last active day",
    ),
    Query(
        "event-counts",
        ("event", "count"),
        "SELECT event, count(*) AS n FROM {events} GROUP BY event ORDER BY n DESC, event",
        fold=Fold("event", ("count",), total="SELECT count(*) FROM {events}"),
        help="events by name (any edition)",
    ),
    Query(
        "installations",
        ("installations", "events"),
        "SELECT count(DISTINCT distinct_id), count(*) FROM {events} WHERE edition = 'opensource'",
        one_row=True,
        help="opensource installations (distinct pseudonyms) and their events",
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


def parse_moment(value: date | str | None, flag: str) -> date | datetime | None:
    """A range bound: a date (``YYYY-MM-DD``, a whole UTC day) or an instant (ISO 8601 with a
    time; read as UTC without an offset), kept within what a store can hold (1970 to 2105): a
    bound beyond that is no bound (``--until 9999-12-31``), never an overflow."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        text = value.strip()
        try:
            value = date.fromisoformat(text) if len(text) == 10 else datetime.fromisoformat(text)
        except ValueError:
            raise QueryError(
                f"--{flag}: {text[:40]!r} is not a date (YYYY-MM-DD) or a time (YYYY-MM-DDTHH:MM)"
            ) from None
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        day = value.date()
    elif isinstance(value, date):
        day = value
    else:
        raise QueryError(f"--{flag}: expected a date")
    if flag == "until" and day > LAST_DAY or flag == "since" and day < FIRST_DAY:
        return None
    if day < FIRST_DAY:
        return FIRST_DAY
    if day > LAST_DAY:
        return LAST_DAY
    return value


def _plain(column: str, value: Any) -> Any:
    if column == "time" and isinstance(value, int | float):  # epoch seconds (chdb)
        value = datetime.fromtimestamp(value, UTC)
    if isinstance(value, float):  # durations: ms to the microsecond, equal on every backend
        return round(value, 3)
    if isinstance(value, datetime):
        if column == "time":  # an event's moment: ISO 8601, UTC, to the second
            if value.tzinfo is not None:
                value = value.astimezone(UTC).replace(tzinfo=None)
            return value.isoformat(timespec="seconds") + "Z"
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if column == "properties" and isinstance(value, str):
        try:
            return orjson.loads(value)
        except orjson.JSONDecodeError:
            return {}
    return value


def _check_edition(store: EventStore, query: Query, editions: set[str] | None) -> None:
    if not query.cloud:
        return
    if editions is None:
        editions = store.editions()
    if editions and "cloud" not in editions:
        raise PrivacyRefused(
            f"{query.name} is a user-level query and this store holds only anonymous "
            "(opensource) data; user-level queries over it are refused"
        )


def _select(
    store: EventStore, query: Query, scope: Scope, top: int | None, min_group_size: int
) -> list[dict]:
    """The query's rows as dicts, bounded to ``top`` groups plus ``other``."""
    sql = spelled(query.sql, store.backend)
    fold = query.fold if top is not None else None
    ranked = fold is not None and fold.total is not None
    rows = store.select(sql, scope, limit=top + 1 if ranked else None)
    if query.suppress:
        rows = suppress_small_groups(rows, min_group_size)
    if query.one_row:
        rows = [tuple(v or 0 for v in row) for row in rows[:1]] or [(0,) * len(query.columns)]
    out = [{col: _plain(col, v) for col, v in zip(query.columns, row, strict=True)} for row in rows]
    if ranked and len(out) > top:
        [totals] = store.select(spelled(fold.total, store.backend), scope)
        return fold_ranked(out, fold, top, totals)
    if fold is not None and not ranked:
        return fold_keys(out, fold, top)
    return out


def run_query(
    store: EventStore,
    name: str,
    *,
    developer: str | None = None,
    since: date | str | None = None,
    until: date | str | None = None,
    min_group_size: int | None = None,
    external_ids: Callable[[str, list[str]], dict[str, str]] | None = None,
    top: int | None = TOP,
    editions: set[str] | None = None,
) -> dict:
    """Run the report query ``name``; return ``{"query": name, "rows": [{column: value}]}``.

    ``since``/``until``: dates (whole UTC days, both inclusive) or instants (``until``
    exclusive); see ``parse_moment``. ``top``: at most that many groups (event names, end
    users, developers), the rest summed into ``other`` rows (None: every group).
    ``editions``: the store's ``editions()`` when the caller already asked (a page of queries).

    ``external_ids(developer_id, end_user_ids) -> {end_user_id: external_user_id}`` (the
    identity store's ``external_ids``): rows keyed by an end user of ``developer`` also show
    the developer's own ID for them, as ``external_user_id``. Pass it only for a viewer allowed
    to see them (that developer, or the admin) and only in the cloud edition."""
    query = DEFINITIONS.get(name)
    if query is None:
        raise QueryError(f"unknown query {name!r}; choose from {', '.join(QUERIES)}")
    if query.needs_developer and not developer:
        raise QueryError(f"{name} needs --developer")
    if top is not None and top < 1:
        raise QueryError("--top must be at least 1")
    scope = Scope(
        cloud_only=query.cloud,
        developer=developer or None,
        since=parse_moment(since, "since"),
        until=parse_moment(until, "until"),
        dedupe=not query.distinct_only,
    )
    start, end = scope.bounds()
    if start is not None and end is not None and start >= end:
        raise QueryError("--since is after --until")
    _check_edition(store, query, editions)
    k = min_group_size or store.min_group_size
    result = {"query": name, "rows": _select(store, query, scope, top, k)}
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
