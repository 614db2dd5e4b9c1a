"""The ClickHouse event store (native protocol, clickhouse-driver; works with 18.16 and later).

Table ``tenantry_events``: ``ReplacingMergeTree`` partitioned by month and ordered by
``(developer_id, timestamp, uuid)``, so a per-developer query reads one contiguous range and a
replayed uuid collapses on merge; queries read ``FINAL`` so duplicates never count before that.
Null IDs are stored as ``''`` (18.16 cannot key on Nullable) and turned back into NULL in the
query relation. Deletion and retention are ``ALTER TABLE ... DELETE`` mutations, awaited.
clickhouse-driver is imported only here and in ``destinations/clickhouse.py``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from datetime import UTC, datetime

from tenantry.errors import ConfigError, StoreError
from tenantry.events import Event
from tenantry.store.base import EventStore, Scope, columns_of

try:
    from clickhouse_driver import Client
    from clickhouse_driver.errors import Error as ClickHouseError
except ImportError as exc:  # pragma: no cover - the dependency ships with tenantry
    raise ConfigError(
        "TENANTRY_CLICKHOUSE_URL: needs clickhouse-driver; pip install clickhouse-driver"
    ) from exc

# The driver logs every failed connect with a traceback; a failure here is a StoreError instead.
logging.getLogger("clickhouse_driver").addHandler(logging.NullHandler())

TABLE = "tenantry_events"
_DDL = f"""
CREATE TABLE IF NOT EXISTS {TABLE} (
    uuid String,
    event String,
    timestamp DateTime('UTC'),
    distinct_id String,
    developer_id String,
    end_user_id String,
    edition String,
    os String,
    version String,
    properties String
) ENGINE = ReplacingMergeTree()
PARTITION BY toYYYYMM(timestamp)
ORDER BY (developer_id, timestamp, uuid)
"""
# The filter runs on the stored columns (so the primary key prunes) in an inner query; the outer
# one turns '' back into NULL. One level would not do: ClickHouse aliases are query-global, so a
# WHERE on developer_id would then mean nullIf(developer_id, '') and read every row.
_RELATION = (
    "(SELECT uuid, event, timestamp, distinct_id, nullIf(developer_id, '') AS developer_id, "
    "nullIf(end_user_id, '') AS end_user_id, edition, nullIf(os, '') AS os, "
    "nullIf(version, '') AS version, properties, toDate(timestamp) AS day "
    f"FROM (SELECT * FROM {TABLE} {{final}} WHERE {{where}}))"
)
_NULLABLE = ("developer_id", "end_user_id", "os", "version")
MUTATION_TIMEOUT = 120.0


def _one_line(exc: BaseException) -> str:
    """A server exception's message without its stack trace, on one line."""
    text = str(getattr(exc, "message", "") or exc).split("Stack trace", 1)[0]
    return " ".join(text.split())[:300] or type(exc).__name__


class ClickHouseStore(EventStore):
    """Events in ClickHouse at ``url`` (``clickhouse://host:9000/database``)."""

    backend = "clickhouse"

    def __init__(self, url: str) -> None:
        if not url.startswith(("clickhouse://", "clickhouses://")):
            raise ConfigError(
                "TENANTRY_CLICKHOUSE_URL: expected clickhouse://host:9000/database, "
                f"got a {url.split(':', 1)[0]!r} URL"
            )
        try:
            self._client = Client.from_url(url)
        except (ValueError, ClickHouseError) as exc:
            raise ConfigError(f"TENANTRY_CLICKHOUSE_URL: {exc}") from None
        self._lock = threading.Lock()  # one native connection: one query at a time
        self._ready = False

    def _run(self, sql: str, params=None, **kw):
        with self._lock:
            try:
                if not self._ready:
                    self._client.execute(_DDL)
                    self._ready = True
                return self._client.execute(sql, params, **kw)
            except (ClickHouseError, OSError, EOFError) as exc:
                self._client.disconnect()
                raise StoreError(f"ClickHouse: {_one_line(exc)}") from exc

    def write(self, events: Sequence[Event]) -> int:
        if not events:
            return 0
        cols = columns_of(events)
        cols["timestamp"] = [datetime.fromtimestamp(t, UTC) for t in cols["timestamp"]]
        for name in _NULLABLE:
            cols[name] = [v or "" for v in cols[name]]
        names = ", ".join(cols)
        self._run(f"INSERT INTO {TABLE} ({names}) VALUES", list(cols.values()), columnar=True)
        return len(events)

    @staticmethod
    def _where(scope: Scope) -> tuple[str, dict]:
        conds, params = ["1"], {}
        if scope.cloud_only or scope.developer is not None:
            conds.append("edition = 'cloud'")
        if scope.developer is not None:
            conds.append("developer_id = %(developer)s")
            params["developer"] = scope.developer
        if scope.since is not None:
            conds.append("toDate(timestamp) >= toDate(%(since)s)")
            params["since"] = scope.since.isoformat()
        if scope.until is not None:
            conds.append("toDate(timestamp) <= toDate(%(until)s)")
            params["until"] = scope.until.isoformat()
        return " AND ".join(conds), params

    def select(self, sql: str, scope: Scope) -> list[tuple]:
        where, params = self._where(scope)
        final = "FINAL" if scope.dedupe else ""
        relation = _RELATION.format(final=final, where=where)
        query = sql.replace("%", "%%").format(events=relation)
        return [tuple(row) for row in self._run(query, params)]

    def editions(self) -> set[str]:
        # two probes that stop at the first row, instead of a scan of the edition column
        found = set()
        for cond in ("edition = 'cloud'", "edition != 'cloud'"):
            found |= {r[0] for r in self._run(f"SELECT edition FROM {TABLE} WHERE {cond} LIMIT 1")}
        return found

    def count(self) -> int:
        return self._run(f"SELECT count() FROM {TABLE} FINAL")[0][0]

    def _delete_where(self, cond: str, params: dict) -> tuple[int, set[str]]:
        [(removed, ids)] = self._run(
            f"SELECT uniqExact(uuid), groupUniqArray(distinct_id) FROM {TABLE} WHERE {cond}", params
        )
        if removed:
            self._run(f"ALTER TABLE {TABLE} DELETE WHERE {cond}", params)
            self._await_mutations()
        return int(removed), set(ids)

    def _await_mutations(self) -> None:
        deadline = time.monotonic() + MUTATION_TIMEOUT
        while self._run(
            "SELECT count() FROM system.mutations WHERE database = currentDatabase() "
            f"AND table = '{TABLE}' AND is_done = 0"
        )[0][0]:
            if time.monotonic() > deadline:
                raise StoreError("ClickHouse: a delete mutation did not finish in time")
            time.sleep(0.05)

    def delete_person(self, person_id: str) -> tuple[int, set[str]]:
        cond = "(developer_id = %(p)s OR end_user_id = %(p)s OR distinct_id = %(p)s)"
        return self._delete_where(cond, {"p": person_id})

    def delete_before(self, cutoff: float) -> int:
        cond = "timestamp < toDateTime(%(cutoff)s, 'UTC')"
        return self._delete_where(cond, {"cutoff": int(cutoff)})[0]

    def close(self) -> None:
        with self._lock:
            self._client.disconnect()
