"""The ClickHouse event store (native protocol, clickhouse-driver; works with 18.16 and later).

Table ``tenantry_events``: ``ReplacingMergeTree`` partitioned by month and ordered by
``(developer_id, timestamp, uuid)``, so a per-developer query reads one contiguous range.
The report queries never read with ``FINAL`` (only ``count()`` does): ``write`` asks a dedup
window (``store/dedup.py``; shared through Redis across replicas when configured) and inserts
only uuids it has not seen, so a duplicate within the window never reaches the table. The
report queries that have a rollup (``clickhouse_rollups.BY_DEFINITION``) read the small rollup
tables that materialized views feed on every insert, unless they are scoped to one developer;
the others read the raw table. ``repair`` (``tenantry maintenance dedupe``) merges away the
duplicates that got past the window and corrects the rollups.

Null IDs are stored as ``''`` (18.16 cannot key on Nullable) and turned back into NULL in the
query relation. Deletion and retention are ``ALTER TABLE ... DELETE`` mutations, awaited, on
the raw table; the counts rollup gets the deleted rows as negative counts, the distinct
rollups of the days they were on are rebuilt, and so is the API rollup of those days and
developers. Of tenantry's modules only this one imports
clickhouse-driver (a ``client`` with the same ``execute`` can be handed in: the tests run the
store on chdb that way).
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
import time
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime

from tenantry.config import config_error
from tenantry.errors import StoreError
from tenantry.events import Event
from tenantry.store import clickhouse_rollups as rollups
from tenantry.store.base import EventStore, Scope, columns_of, weight_of
from tenantry.store.dedup import Dedup, LocalDedup

try:
    from clickhouse_driver import Client
    from clickhouse_driver.errors import Error as ClickHouseError
except ImportError as exc:  # pragma: no cover - the dependency ships with tenantry
    raise config_error(
        "clickhouse_url", "needs clickhouse-driver; pip install clickhouse-driver"
    ) from exc

# The driver logs every failed connect with a traceback; a failure here is a StoreError instead.
logging.getLogger("clickhouse_driver").addHandler(logging.NullHandler())
logger = logging.getLogger("tenantry.store")

TABLE = rollups.RAW
_DDL_RAW = f"""
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
    properties String,
    weight Float64 DEFAULT 1
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
    "nullIf(version, '') AS version, properties, weight, toDate(timestamp) AS day "
    f"FROM (SELECT * FROM {TABLE} WHERE {{where}}))"
)
# ``weight`` (what the event counts for in the usage reports, ``base.weight_of``) came after the
# first release: a table without it gets it, with 1 for the rows already there (none was sampled)
_HAS_WEIGHT = (
    "SELECT count() FROM system.columns WHERE database = currentDatabase() "
    f"AND table = '{TABLE}' AND name = 'weight'"
)
_ADD_WEIGHT = f"ALTER TABLE {TABLE} ADD COLUMN weight Float64 DEFAULT 1"
_NULLABLE = ("developer_id", "end_user_id", "os", "version")
MUTATION_TIMEOUT = 120.0


def _one_line(exc: BaseException) -> str:
    """A server exception's message without its stack trace, on one line."""
    text = str(getattr(exc, "message", "") or exc).split("Stack trace", 1)[0]
    return " ".join(text.split())[:300] or type(exc).__name__


class ClickHouseStore(EventStore):
    """Events in ClickHouse at ``url`` (``clickhouse://host:9000/database``). ``dedup``: the
    window ``write`` asks (default: this process's own ``LocalDedup``)."""

    backend = "clickhouse"

    def __init__(self, url: str, *, dedup: Dedup | None = None, client=None) -> None:
        if client is None:
            if not url.startswith(("clickhouse://", "clickhouses://")):
                raise config_error(
                    "clickhouse_url",
                    f"expected clickhouse://host:9000/database, got a {url.split(':', 1)[0]!r} URL",
                )
            try:
                client = Client.from_url(url)
            except (ValueError, ClickHouseError) as exc:
                raise config_error("clickhouse_url", str(exc)) from None
        self._client = client
        self.dedup = dedup if dedup is not None else LocalDedup()
        self.skipped = 0  # events not inserted: their uuid was seen before
        self._retry: set[str] = set()  # failed inserts, when the dedup cannot forget
        self._lock = threading.Lock()  # one native connection: one query at a time
        self._ready = False

    def _run(self, sql: str, params=None, **kw):
        with self._lock:
            try:
                if not self._ready:
                    self._create()
                    self._ready = True
                return self._client.execute(sql, params, **kw)
            except (ClickHouseError, OSError, EOFError) as exc:
                self._client.disconnect()
                raise StoreError(f"ClickHouse: {_one_line(exc)}") from exc

    def _create(self) -> None:
        """Create the tables and views; warn when a rollup is new beside old events."""
        had = all(self._client.execute(f"EXISTS TABLE {t}")[0][0] for t in rollups.TABLES)
        self._client.execute(_DDL_RAW)
        if not self._client.execute(_HAS_WEIGHT)[0][0]:
            self._client.execute(_ADD_WEIGHT)
        for statement in rollups.ddl(TABLE):
            self._client.execute(statement)
        if not had and self._client.execute(f"SELECT count() FROM {TABLE}")[0][0]:
            logger.warning(
                "ClickHouse: rollup tables created beside existing events; "
                "run `tenantry maintenance dedupe --rebuild` once to fill them"
            )

    # -- writing -------------------------------------------------------------------------------

    def write(self, events: Sequence[Event]) -> int:
        """Insert the events whose uuid is seen for the first time; return how many were
        handed in. A window with ``seen``/``mark`` (every tenantry dedup) is asked first and
        told after the insert, so a crash in between costs a duplicate (repaired by
        ``tenantry maintenance dedupe``), never a loss; with ``first_seen`` alone, an insert
        that fails is unmarked, so a retry gets in."""
        if not events:
            return 0
        ids = [e.uuid for e in events]
        two_step = hasattr(self.dedup, "seen") and hasattr(self.dedup, "mark")
        flags = [not s for s in self.dedup.seen(ids)] if two_step else self.dedup.first_seen(ids)
        keep, uuids = [], set()
        for event, new in zip(events, flags, strict=True):
            if (new or event.uuid in self._retry) and event.uuid not in uuids:
                uuids.add(event.uuid)
                keep.append(event)
        self.skipped += len(events) - len(keep)
        if not keep:
            return len(events)
        try:
            self._insert(keep)
        except StoreError:
            if not two_step:
                self._unmark(uuids)
            raise
        if two_step:
            self.dedup.mark(list(uuids))
        if self._retry:
            self._retry -= uuids
        return len(events)

    def _unmark(self, uuids: set[str]) -> None:
        forget = getattr(self.dedup, "forget", None)
        if forget is not None:
            forget(uuids)
            return
        if len(self._retry) > 1_000_000:  # bounded: the oldest failures are given up
            self._retry.clear()
        self._retry |= uuids

    def _insert(self, events: Sequence[Event]) -> None:
        cols = columns_of(events)
        cols["weight"] = [weight_of(e.properties) for e in events]
        cols["timestamp"] = [datetime.fromtimestamp(t, UTC) for t in cols["timestamp"]]
        for name in _NULLABLE:
            cols[name] = [v or "" for v in cols[name]]
        names = ", ".join(cols)
        self._run(f"INSERT INTO {TABLE} ({names}) VALUES", list(cols.values()), columnar=True)

    # -- reading -------------------------------------------------------------------------------

    @staticmethod
    def _where(scope: Scope, day: str = "toDate(timestamp)") -> tuple[str, dict]:
        conds, params = ["1"], {}
        if scope.cloud_only or scope.developer is not None:
            conds.append("edition = 'cloud'")
        if scope.developer is not None:
            conds.append("developer_id = %(developer)s")
            params["developer"] = scope.developer
        if not scope.whole_days:  # an instant: compare timestamps (no rollup can answer)
            start, end = scope.bounds()
            if start is not None:
                conds.append("timestamp >= toDateTime(%(since)s, 'UTC')")
                params["since"] = start.isoformat(sep=" ", timespec="seconds")
            if end is not None:
                conds.append("timestamp < toDateTime(%(until)s, 'UTC')")
                params["until"] = end.isoformat(sep=" ", timespec="seconds")
            return " AND ".join(conds), params
        if scope.since is not None:
            conds.append(f"{day} >= toDate(%(since)s)")
            params["since"] = scope.since.isoformat()
        if scope.until is not None:
            conds.append(f"{day} <= toDate(%(until)s)")
            params["until"] = scope.until.isoformat()
        return " AND ".join(conds), params

    def select(self, sql: str, scope: Scope, limit: int | None = None) -> list[tuple]:
        rollup = rollups.BY_DEFINITION.get(sql)
        if rollup is not None and scope.developer is None and scope.whole_days:
            days, params = self._where(Scope(since=scope.since, until=scope.until), "day")
            cloud = "edition = 'cloud'" if scope.cloud_only else "1"
            query = rollup.format(days=days, cloud=cloud)
        else:
            where, params = self._where(scope)
            query = sql.replace("%", "%%").format(events=_RELATION.format(where=where))
        if limit is not None:
            query += f" LIMIT {int(limit)}"
        return [tuple(row) for row in self._run(query, params)]

    def editions(self) -> set[str]:
        # two probes that stop at the first row, instead of a scan of the edition column
        found = set()
        for cond in ("edition = 'cloud'", "edition != 'cloud'"):
            found |= {r[0] for r in self._run(f"SELECT edition FROM {TABLE} WHERE {cond} LIMIT 1")}
        return found

    def count(self) -> int:
        return self._run(f"SELECT count() FROM {TABLE} FINAL")[0][0]

    # -- deletion, retention, repair -------------------------------------------------------------

    def _delete_where(self, cond: str, params: dict) -> tuple[int, set[str]]:
        """Delete raw rows matching ``cond``; subtract them from the counts rollup, rebuild the
        distinct rollups of the days they were on and the API rollup of those days' developers
        whose API requests went."""
        [(removed, ids)] = self._run(
            f"SELECT uniqExact(uuid), groupUniqArray(distinct_id) FROM {TABLE} WHERE {cond}", params
        )
        if not removed:
            return 0, set()
        gone = self._run(rollups.FEEDS[rollups.COUNTS].format(raw=TABLE, where=cond), params)
        self._run(f"ALTER TABLE {TABLE} DELETE WHERE {cond}", params)
        self._await_mutations()
        self._add_counts([(*key, -n) for *key, n in gone])
        self._rebuild_distinct({row[0] for row in gone})
        self._rebuild_api(
            {
                (day, developer)
                for day, edition, developer, event, _, _ in gone
                if event in ("api_request", "memory_created") and edition == "cloud" and developer
            }
        )
        return int(removed), set(ids)

    def _add_counts(self, rows: Iterable[tuple]) -> int:
        """Insert ``(day, edition, developer_id, event, os, n)`` rows into the counts rollup."""
        rows = list(rows)
        if rows:
            self._run(f"INSERT INTO {rollups.COUNTS} ({rollups.KEY}, n) VALUES", rows)
        return len(rows)

    def _rebuild_distinct(self, days: set[date]) -> None:
        """Recompute the distinct rollups of ``days`` from the raw rows. Safe beside inserts:
        the states are sets, so a row counted both by the rebuild and by its view is one."""
        if not days:
            return
        listed = ", ".join(f"toDate('{d.isoformat()}')" for d in sorted(days))
        for table in rollups.REBUILT:
            self._run(f"ALTER TABLE {table} DELETE WHERE day IN ({listed})")
            self._await_mutations()
            feed = rollups.FEEDS[table].format(raw=TABLE, where=f"toDate(timestamp) IN ({listed})")
            self._run(f"INSERT INTO {table} {feed}")

    def _rebuild_api(self, pairs: set[tuple[date, str]]) -> None:
        """Recompute the API rollup of the (day, developer) ``pairs`` from the deduplicated raw
        rows (of each listed day, each listed developer: a superset of the pairs)."""
        if not pairs:
            return
        days = ", ".join(f"toDate('{d.isoformat()}')" for d in sorted({d for d, _ in pairs}))
        params = {"developers": tuple(sorted({dev for _, dev in pairs}))}
        self._run(
            f"ALTER TABLE {rollups.API} DELETE WHERE day IN ({days}) "
            "AND developer_id IN %(developers)s",
            params,
        )
        self._await_mutations()
        where = f"toDate(timestamp) IN ({days}) AND developer_id IN %(developers)s"
        feed = rollups.FEEDS[rollups.API].format(raw=f"{TABLE} FINAL", where=where)
        self._run(f"INSERT INTO {rollups.API} {feed}", params)

    def _await_mutations(self) -> None:
        deadline = time.monotonic() + MUTATION_TIMEOUT
        while self._run(
            "SELECT count() FROM system.mutations WHERE database = currentDatabase() "
            "AND is_done = 0"
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

    def duplicates(self) -> dict[int, int]:
        """Duplicate rows still in the raw table, per month partition (``YYYYMM``)."""
        rows = self._run(
            f"SELECT toYYYYMM(timestamp) AS p, count() - uniqExact(uuid) AS d FROM {TABLE} "
            "GROUP BY p HAVING d > 0 ORDER BY p"
        )
        return {int(p): int(d) for p, d in rows}

    def _merge_away(self, found: dict[int, int]) -> dict[int, int]:
        """``OPTIMIZE ... FINAL`` the partitions in ``found`` until no duplicate is left (an
        OPTIMIZE is silently skipped while a background merge holds the parts), at most
        ``MUTATION_TIMEOUT`` seconds; return what is left."""
        deadline = time.monotonic() + MUTATION_TIMEOUT
        while found and time.monotonic() < deadline:
            for partition in found:
                self._run(f"OPTIMIZE TABLE {TABLE} PARTITION {partition} FINAL")
            found = self.duplicates()
            if found:
                time.sleep(0.5)
        return found

    def _compact_rollups(self) -> None:
        """Merge each rollup partition into one part (small tables; a query then merges one
        state per key instead of one per insert)."""
        for table in rollups.TABLES:
            partitions = self._run(
                "SELECT DISTINCT partition FROM system.parts WHERE database = currentDatabase() "
                "AND table = %(t)s AND active",
                {"t": table},
            )
            for (partition,) in partitions:
                self._run(f"OPTIMIZE TABLE {table} PARTITION {partition} FINAL")

    def repair(
        self, *, before: date | None = None, settle: float = 1.0, rebuild: bool = False
    ) -> dict:
        """The repair path for duplicates that got past the dedup window: merge them away in
        the raw table (``OPTIMIZE ... FINAL`` of the partitions that hold some), then give the
        counts rollup, for the days before ``before`` (default: today, UTC), the difference
        against a deduplicated count of the raw rows. The difference is computed twice,
        ``settle`` seconds apart, and only what both agree on is applied, so an insert in flight
        (raw row written, view not yet) is never taken for a fault. Then the API rollup's
        (day, developer) pairs whose request count differs from the counts rollup's, in two
        looks alike, are rebuilt from the raw rows. Last, each rollup partition is merged into
        one part. Idempotent.

        ``rebuild`` (once, after an upgrade that added the rollups beside existing events): also
        recompute the distinct rollups of every day, and correct the counts and the API rollup
        of every day."""
        found = self.duplicates()
        left = self._merge_away(found)
        if rebuild:
            days = self._run(f"SELECT DISTINCT toDate(timestamp) FROM {TABLE}")
            self._rebuild_distinct({d for (d,) in days})
            before = date.fromordinal(datetime.now(UTC).date().toordinal() + 1)
        before = before or datetime.now(UTC).date()
        params = {"before": before.isoformat()}
        sql = rollups.reconcile_sql(TABLE)
        first = {tuple(r) for r in self._run(sql, params)}
        if first and settle:
            time.sleep(settle)
        second = {tuple(r) for r in self._run(sql, params)} if first else set()
        stable = first & second
        self._add_counts(stable)
        api = self._repair_api(params, settle)
        self._compact_rollups()
        return {
            "duplicates": sum(found.values()),
            "partitions": sorted(found),
            "left": sum(left.values()),
            "corrected_keys": len(stable),
            "corrected_events": -sum(r[-1] for r in stable),
            "unsettled_keys": len(first ^ second),
            "api_rebuilt": api,
            "before": before.isoformat(),
        }

    def _repair_api(self, params: dict, settle: float) -> int:
        """Rebuild the API rollup's (day, developer) pairs whose request count differs from the
        (repaired) counts rollup's, the same in two looks ``settle`` seconds apart; return how
        many pairs."""
        sql = rollups.api_reconcile_sql()
        first = {tuple(r[:2]) for r in self._run(sql, params)}
        if first and settle:
            time.sleep(settle)
        stable = first & {tuple(r[:2]) for r in self._run(sql, params)} if first else set()
        self._rebuild_api(stable)
        return len(stable)

    def close(self, timeout: float | None = None) -> None:
        """Disconnect. With ``timeout``: when a query still holds the connection after that
        many seconds (a server that never answers), its socket is shut under it, so the query
        fails at once (a ``StoreError``: the sender retries it later) instead of holding a
        shutdown past its deadline."""
        if self._lock.acquire(timeout=-1 if timeout is None else max(0.0, timeout)):
            try:
                self._client.disconnect()
            finally:
                self._lock.release()
            return
        sock = getattr(getattr(self._client, "connection", None), "socket", None)
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
