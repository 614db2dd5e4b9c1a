"""ClickHouse rollup tables: the whole-table report queries without reading the raw events.

Four small tables, each fed by a materialized view on every insert into ``tenantry_events``:

| table | engine | key | holds |
|---|---|---|---|
| ``tenantry_daily_counts`` | SummingMergeTree | day, edition, developer_id, event, os | ``n``: events |
| ``tenantry_daily_users`` | AggregatingMergeTree | day, developer_id (cloud) | distinct end users |
| ``tenantry_daily_ids`` | AggregatingMergeTree | day, edition, os | distinct ``distinct_id`` |
| ``tenantry_daily_api`` | AggregatingMergeTree | day, developer_id, event, route, method, status | see below |

``tenantry_daily_api`` holds the cloud ``api_request`` and ``memory_created`` events for the usage
reports (api-usage, api-daily-usage, api-daily-status, monthly-usage, the overview's request and
memory tiles): ``n``, their count; ``w``, the sum of their weights (1/``$sample_rate`` of a sampled event, else 1, as the local store's
``REQUEST_FIELDS``); ``ms``, every duration, as a ``quantilesExact`` state. The raw table is ordered by developer, so
a date range cannot skip its blocks and each report parsed the JSON of every request; the rollup
has a row per day and key, and its duration states merge without a parse. Percentiles stay
exact and nearest-rank: the states keep every value, and ``quantilesExact`` at the levels of
``queries.rank_level`` picks the nearest rank.

Counts are sums, so a duplicate that reaches the raw table is counted twice here: writers
dedup on uuid before the insert (``store/dedup.py``), and ``repair`` (``tenantry maintenance
dedupe``) corrects the rare one that gets through by inserting the difference against a
deduplicated count of the raw rows; the API rollup's (day, developer) pairs whose count then
differs from the counts rollup's are rebuilt from the raw rows. The distinct tables hold ``uniqExact`` states of the IDs'
64-bit ``cityHash64`` (three times cheaper to merge than states of the strings, which ClickHouse
hashes to 128 bits): two IDs of one developer and day collide with odds of about n²/2⁶⁵
(10⁻¹² at 5,000 end users). A duplicate cannot change a distinct count. Deletion (forget,
retention) subtracts the deleted rows from the counts, rebuilds the distinct states of the days
it touched and the API rollup of those days' developers. (An API rollup rebuilt while the same
developer's events of that day are inserted can count those twice; the next ``repair`` finds
and rebuilds such a pair once its day is over.)

The SQL is what ClickHouse 18.16 (Debian) and current releases (chdb in the tests) share:
``TO`` views, ``-State``/``-Merge`` combinators, ``ALL INNER JOIN ... USING``.
"""

from __future__ import annotations

from tenantry.store.queries import DEFINITIONS, rank_level, spelled

RAW = "tenantry_events"  # the events table (``clickhouse.TABLE``)
COUNTS = "tenantry_daily_counts"
USERS = "tenantry_daily_users"
IDS = "tenantry_daily_ids"
API = "tenantry_daily_api"
USAGE_EVENTS = "('api_request', 'memory_created')"  # the events the API rollup holds
KEY = "day, edition, developer_id, event, os"
# p50 and p95 as quantileExact levels that give the nearest rank (queries.rank_level)
LEVELS = f"{rank_level(50)}, {rank_level(95)}"

# SELECTs over the raw table, used by the views (``{where}`` = "1") and by rebuilds.
FEEDS = {
    COUNTS: (
        "SELECT toDate(timestamp) AS day, edition, developer_id, event, os, toInt64(count()) AS n "
        "FROM {raw} WHERE {where} GROUP BY day, edition, developer_id, event, os"
    ),
    USERS: (
        "SELECT toDate(timestamp) AS day, developer_id, "
        "uniqExactIfState(cityHash64(end_user_id), end_user_id != '') AS users FROM {raw} "
        "WHERE edition = 'cloud' AND developer_id != '' AND {where} GROUP BY day, developer_id"
    ),
    IDS: (
        "SELECT toDate(timestamp) AS day, edition, os, uniqExactState(cityHash64(distinct_id)) AS ids "
        "FROM {raw} WHERE {where} GROUP BY day, edition, os"
    ),
    API: (  # the properties read as queries.py's ``{prop:}`` and ``{num:}`` read them
        "SELECT toDate(timestamp) AS day, developer_id, event, "
        "visitParamExtractString(properties, 'route') AS route, "
        "visitParamExtractString(properties, 'method') AS method, "
        "visitParamExtractFloat(properties, 'status') AS status, countState() AS n, "
        f"sumState(weight) AS w, quantilesExactState({LEVELS})"
        "(visitParamExtractFloat(properties, 'duration_ms')) AS ms FROM {raw} "
        f"WHERE event IN {USAGE_EVENTS} AND edition = 'cloud' AND developer_id != '' AND {{where}} "
        "GROUP BY day, developer_id, event, route, method, status"
    ),
}
TABLES = {
    COUNTS: (
        "(day Date, edition String, developer_id String, event String, os String, n Int64) "
        "ENGINE = SummingMergeTree() PARTITION BY toYYYYMM(day) "
        "ORDER BY (edition, developer_id, day, event, os)"
    ),
    USERS: (
        "(day Date, developer_id String, users AggregateFunction(uniqExactIf, UInt64, UInt8)) "
        "ENGINE = AggregatingMergeTree() PARTITION BY toYYYYMM(day) ORDER BY (developer_id, day)"
    ),
    IDS: (
        "(day Date, edition String, os String, ids AggregateFunction(uniqExact, UInt64)) "
        "ENGINE = AggregatingMergeTree() PARTITION BY toYYYYMM(day) ORDER BY (edition, os, day)"
    ),
    API: (
        "(day Date, developer_id String, event String, route String, method String, "
        "status Float64, "
        "n AggregateFunction(count), w AggregateFunction(sum, Float64), "
        f"ms AggregateFunction(quantilesExact({LEVELS}), Float64)) "
        "ENGINE = AggregatingMergeTree() PARTITION BY toYYYYMM(day) "
        "ORDER BY (day, developer_id, event, route, method, status)"
    ),
}
REBUILT = (USERS, IDS)  # distinct states: rebuilt per day after a deletion
# (API is rebuilt per day and developer: ClickHouseStore._rebuild_api)


def ddl(raw: str) -> list[str]:
    """CREATE statements for the rollup tables and their views (after the raw table's)."""
    out = []
    for table, body in TABLES.items():
        out.append(f"CREATE TABLE IF NOT EXISTS {table} {body}")
        feed = FEEDS[table].format(raw=raw, where="1")
        out.append(f"CREATE MATERIALIZED VIEW IF NOT EXISTS {table}_mv TO {table} AS {feed}")
    return out


_OS = "if(os = '', 'unknown', os)"
_CLOUD = "edition = 'cloud' AND developer_id != ''"
# The usage reports' requests and 5xx errors from the API rollup: each request weighs 1/rate
# (``w``), the sums rounded as queries.py rounds them
_ROUNDED = "CAST(floor({} + 0.5) AS Int64)"
_REQUESTS = _ROUNDED.format("sumMerge(w)")
_ERRORS = _ROUNDED.format("sumMergeIf(w, status >= 500)")
_MONTH_REQUESTS = _ROUNDED.format("sumMergeIf(w, event = 'api_request')")
_MONTH_MEMORIES = _ROUNDED.format("sumMergeIf(w, event = 'memory_created')")
_REQUESTS_OF = f"{API} WHERE event = 'api_request' AND {{days}}"  # the API rollup's requests
_STATUS_CLASS = (  # as queries.py's api-daily-status
    "CASE WHEN status >= 500 THEN '5xx' WHEN status >= 400 THEN '4xx' "
    "WHEN status >= 300 THEN '3xx' ELSE '2xx' END"
)
# Per query name: the SQL over the rollups, and the definition's SQL it stands for. ``{cloud}``
# and ``{days}`` are the scope's conditions; a developer-scoped query reads the raw table, and so
# does a range of instants (the dashboard's last 24 hours).
_SQL = {
    "top-developers": (
        f"SELECT developer_id, uniqExactIfMerge(users) AS n FROM {USERS} WHERE {{days}} "
        "GROUP BY developer_id ORDER BY n DESC, developer_id"
    ),
    "developer-retention": (
        f"SELECT developer_id, day, uniqExactIfMerge(users) AS n FROM {USERS} WHERE {{days}} "
        "GROUP BY developer_id, day ORDER BY day, developer_id"
    ),
    "developer-daily-events": (
        f"SELECT developer_id, day, sum(n) AS c FROM {COUNTS} WHERE edition = 'cloud' "
        "AND developer_id != '' AND {days} GROUP BY developer_id, day HAVING c > 0 "
        "ORDER BY day, developer_id"
    ),
    "event-counts": (
        f"SELECT event, sum(n) AS c FROM {COUNTS} WHERE {{cloud}} AND {{days}} GROUP BY event "
        "HAVING c > 0 ORDER BY c DESC, event"
    ),
    "edition-distribution": (
        f"SELECT edition, c, ids FROM (SELECT edition, sum(n) AS c FROM {COUNTS} "
        "WHERE {cloud} AND {days} GROUP BY edition HAVING c > 0) AS s ALL INNER JOIN "
        f"(SELECT edition, uniqExactMerge(ids) AS ids FROM {IDS} WHERE {{cloud}} AND {{days}} "
        "GROUP BY edition) AS i USING edition"
    ),
    "os-distribution": (  # opensource installations only, as the definition says
        f"SELECT o, c, ids FROM (SELECT {_OS} AS o, sum(n) AS c FROM {COUNTS} "
        "WHERE edition = 'opensource' AND {cloud} AND {days} GROUP BY o HAVING c > 0) AS s "
        f"ALL INNER JOIN (SELECT {_OS} AS o, uniqExactMerge(ids) AS ids FROM {IDS} "
        "WHERE edition = 'opensource' AND {cloud} AND {days} GROUP BY o) AS i USING o"
    ),
    "api-usage": (
        "SELECT developer_id, route, method, requests, errors, q[1], q[2] FROM "
        f"(SELECT developer_id, route, method, {_REQUESTS} AS requests, {_ERRORS} AS errors, "
        f"quantilesExactMerge({LEVELS})(ms) AS q FROM {_REQUESTS_OF} "
        "GROUP BY developer_id, route, method) ORDER BY developer_id, requests DESC, route, method"
    ),
    "api-daily-usage": (
        f"SELECT developer_id, day, route, method, {_REQUESTS} AS requests, {_ERRORS} AS errors "
        f"FROM {_REQUESTS_OF} GROUP BY developer_id, day, route, method "
        "ORDER BY day, developer_id, route, method"
    ),
    "api-daily-status": (
        f"SELECT day, {_STATUS_CLASS} AS c, {_REQUESTS} AS requests FROM {_REQUESTS_OF} "
        "GROUP BY day, c ORDER BY day, c"
    ),
    "overview": (
        "SELECT (SELECT count() FROM (SELECT developer_id, sum(n) AS c FROM "
        f"{COUNTS} WHERE {_CLOUD} AND {{days}} GROUP BY developer_id HAVING c > 0)), "
        f"(SELECT uniqExactIfMerge(users) FROM {USERS} WHERE {{days}}), "
        f"(SELECT sum(n) FROM {COUNTS} WHERE {_CLOUD} AND {{days}}), "
        f"(SELECT {_REQUESTS} FROM {_REQUESTS_OF}), "
        f"(SELECT {_ROUNDED.format('sumMergeIf(w, status >= 400 AND status < 500)')} "
        f"FROM {_REQUESTS_OF}), "
        f"(SELECT {_ERRORS} FROM {_REQUESTS_OF}), "
        f"(SELECT {_ROUNDED.format('sumMerge(w)')} FROM {API} "
        "WHERE event = 'memory_created' AND {days})"
    ),
    "monthly-usage": (  # each request and memory weighed, the month's sums rounded
        "SELECT developer_id, substring(toString(day), 1, 7) AS m, "
        f"{_MONTH_REQUESTS} AS requests, {_MONTH_MEMORIES} AS memories "
        f"FROM {API} WHERE {{days}} GROUP BY developer_id, m ORDER BY m, developer_id"
    ),
    "installations": (
        f"SELECT ids, c FROM (SELECT edition, sum(n) AS c FROM {COUNTS} "
        "WHERE edition = 'opensource' AND {days} GROUP BY edition HAVING c > 0) AS s "
        f"ALL INNER JOIN (SELECT edition, uniqExactMerge(ids) AS ids FROM {IDS} "
        "WHERE edition = 'opensource' AND {days} GROUP BY edition) AS i USING edition"
    ),
}
# The totals a top-N query subtracts what it kept from (``Fold.total``), per query name.
_TOTALS = {
    "top-developers": f"SELECT uniqExactIfMerge(users) FROM {USERS} WHERE {{days}}",
    "event-counts": f"SELECT sum(n) FROM {COUNTS} WHERE {{cloud}} AND {{days}}",
}
# Keyed by the definition's SQL text as the store is given it (spelled for ClickHouse): a
# definition that changes falls back to the raw table (right, only slower) until its rollup SQL
# is updated here.
BY_DEFINITION = {
    spelled(DEFINITIONS[name].sql, "clickhouse"): sql
    for name, sql in _SQL.items()
    if name in DEFINITIONS
}
BY_DEFINITION.update(
    {
        spelled(DEFINITIONS[name].fold.total, "clickhouse"): sql
        for name, sql in _TOTALS.items()
        if name in DEFINITIONS and DEFINITIONS[name].fold and DEFINITIONS[name].fold.total
    }
)


def api_reconcile_sql() -> str:
    """Per (day, developer): the counts rollup's cloud API requests minus the API rollup's, where
    they differ, for days before ``%(before)s`` (after the counts rollup is repaired)."""
    return (
        "SELECT day, developer_id, sum(c) AS diff FROM ("
        f"SELECT day, developer_id, n AS c FROM {COUNTS} WHERE event IN {USAGE_EVENTS} "
        f"AND {_CLOUD} "
        "AND day < toDate(%(before)s) UNION ALL "
        f"SELECT day, developer_id, -toInt64(countMerge(n)) AS c FROM {API} "
        "WHERE day < toDate(%(before)s) GROUP BY day, developer_id) "
        "GROUP BY day, developer_id HAVING diff != 0"
    )


def reconcile_sql(raw: str) -> str:
    """Per counts key: deduplicated raw count minus the rollup's sum, where they differ, for
    days before ``%(before)s`` (one UNION ALL, no join: 18.16 fills a FULL JOIN's keys badly)."""
    truth = FEEDS[COUNTS].format(raw=f"{raw} FINAL", where="toDate(timestamp) < toDate(%(before)s)")
    have = f"SELECT {KEY}, -n AS n FROM {COUNTS} WHERE day < toDate(%(before)s)"
    return (
        f"SELECT {KEY}, sum(n) AS diff FROM ({truth} UNION ALL {have}) "
        f"GROUP BY {KEY} HAVING diff != 0"
    )
