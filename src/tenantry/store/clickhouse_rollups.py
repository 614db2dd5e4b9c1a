"""ClickHouse rollup tables: the whole-table report queries without reading the raw events.

Three small tables, each fed by a materialized view on every insert into ``tenantry_events``:

| table | engine | key | holds |
|---|---|---|---|
| ``tenantry_daily_counts`` | SummingMergeTree | day, edition, developer_id, event, os | ``n``: events |
| ``tenantry_daily_users`` | AggregatingMergeTree | day, developer_id (cloud) | distinct end users |
| ``tenantry_daily_ids`` | AggregatingMergeTree | day, edition, os | distinct ``distinct_id`` |

Counts are sums, so a duplicate that reaches the raw table is counted twice here: writers
dedup on uuid before the insert (``store/dedup.py``), and ``repair`` (``tenantry maintenance
dedupe``) corrects the rare one that gets through by inserting the difference against a
deduplicated count of the raw rows. The distinct tables hold ``uniqExact`` states of the IDs'
64-bit ``cityHash64`` (three times cheaper to merge than states of the strings, which ClickHouse
hashes to 128 bits): two IDs of one developer and day collide with odds of about n²/2⁶⁵
(10⁻¹² at 5,000 end users). A duplicate cannot change a distinct count. Deletion (forget, retention) subtracts the deleted rows from the counts
and rebuilds the distinct states of the days it touched.

The SQL is what ClickHouse 18.16 (Debian) and current releases (chdb in the tests) share:
``TO`` views, ``-State``/``-Merge`` combinators, ``ALL INNER JOIN ... USING``.
"""

from __future__ import annotations

from tenantry.store.queries import DEFINITIONS

RAW = "tenantry_events"  # the events table (``clickhouse.TABLE``)
COUNTS = "tenantry_daily_counts"
USERS = "tenantry_daily_users"
IDS = "tenantry_daily_ids"
KEY = "day, edition, developer_id, event, os"

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
}
REBUILT = (USERS, IDS)  # distinct states: rebuilt per day after a deletion


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
_STATUSES = (  # the status of each cloud API request in range (``{raw_days}``: on the raw table)
    f"(SELECT visitParamExtractFloat(properties, 'status') AS s FROM {RAW} "
    f"WHERE event = 'api_request' AND {_CLOUD} AND {{raw_days}})"
)
# Per query name: the SQL over the rollups, and the definition's SQL it stands for. ``{cloud}``
# and ``{days}`` are the scope's conditions (``{raw_days}``: the same days on the raw table); a
# developer-scoped query reads the raw table.
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
    "monthly-usage": (
        "SELECT developer_id, substring(toString(day), 1, 7) AS m, "
        "sumIf(n, event = 'api_request') AS requests, sumIf(n, event = 'memory_created') AS mem "
        f"FROM {COUNTS} WHERE edition = 'cloud' AND developer_id != '' "
        "AND event IN ('api_request', 'memory_created') AND {days} "
        "GROUP BY developer_id, m HAVING requests + mem > 0 ORDER BY m, developer_id"
    ),
    # the tiles: counts from the rollups; 4xx and 5xx need each request's status (raw rows)
    "overview": (
        "SELECT (SELECT count() FROM (SELECT developer_id, sum(n) AS c FROM "
        f"{COUNTS} WHERE {_CLOUD} AND {{days}} GROUP BY developer_id HAVING c > 0)), "
        f"(SELECT uniqExactIfMerge(users) FROM {USERS} WHERE {{days}}), "
        f"(SELECT sum(n) FROM {COUNTS} WHERE {_CLOUD} AND {{days}}), "
        f"(SELECT sumIf(n, event = 'api_request') FROM {COUNTS} WHERE {_CLOUD} AND {{days}}), "
        f"(SELECT countIf(s >= 400 AND s < 500) FROM {_STATUSES}), "
        f"(SELECT countIf(s >= 500) FROM {_STATUSES}), "
        f"(SELECT sumIf(n, event = 'memory_created') FROM {COUNTS} WHERE {_CLOUD} AND {{days}})"
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
# Keyed by the definition's SQL text: a definition that changes falls back to the raw table
# (right, only slower) until its rollup SQL is updated here.
BY_DEFINITION = {DEFINITIONS[name].sql: sql for name, sql in _SQL.items() if name in DEFINITIONS}
BY_DEFINITION.update(
    {
        DEFINITIONS[name].fold.total: sql
        for name, sql in _TOTALS.items()
        if name in DEFINITIONS and DEFINITIONS[name].fold and DEFINITIONS[name].fold.total
    }
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
