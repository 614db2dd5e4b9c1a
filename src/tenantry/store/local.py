"""The embedded event store: DuckDB over immutable Parquet segments in ``data_dir/events``.

Why not one DuckDB database file? A DuckDB file admits one writing process at a time, and
tenantry has several at once (app workers using the ``local`` destination, ``tenantry serve``,
``tenantry report``). So every writer writes its own immutable Parquet file with pyarrow, under
a temporary name, and renames it into ``segments/`` (atomic on POSIX): no writer ever waits for
another and a reader sees a file whole or not at all. Readers query ``read_parquet([...])`` with
an in-memory DuckDB, which scans Parquet in parallel and prunes by column.

Files are ``w-*.parquet`` (fresh, as written) and ``c-*.parquet`` (compacted). Compaction,
deletion and retention run one at a time under ``mutate.lock`` and build their output beside
the segments; only the final swap (rename in, unlink old) takes ``read.lock`` exclusively, which
every reader holds shared while it lists and scans, so a query never loses a file mid-scan.

Idempotent on uuid: compacted files hold each uuid once (compaction drops uuids it already
has), and queries dedupe the fresh files against each other and against the compacted ones.

Compacted files also keep what the API usage reports read of the properties in columns of
their own (``REQUEST_FIELDS``: route, method, status, duration, and the weight of a sampled
event, 1/``$sample_rate``), computed by DuckDB when it compacts, so the reports parse no JSON
there; fresh files, and compacted files written before those columns, give the same values
from their JSON when read (``_scan``). Compacted files are sorted by time, so a date range reads
only the row groups it covers.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import secrets
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from tenantry._files import chmod_private, open_private, private_dir
from tenantry.errors import StoreError
from tenantry.events import Event
from tenantry.store.base import COLUMNS, LOCAL_WEIGHT, EventStore, Scope, columns_of

SCHEMA = pa.schema(  # of the files a write adds
    [
        ("uuid", pa.string()),
        ("event", pa.string()),
        ("timestamp", pa.timestamp("us")),  # UTC, stored naive
        ("distinct_id", pa.string()),
        ("developer_id", pa.string()),
        ("end_user_id", pa.string()),
        ("edition", pa.string()),
        ("os", pa.string()),
        ("version", pa.string()),
        ("properties", pa.string()),
    ]
)
# The request fields a compacted file keeps as columns: name -> (type, value from the JSON, as
# the reports' ``{prop:}``/``{num:}`` read it; the rate only where the text names it, since
# most events are not sampled; a rate outside (0, 1] weighs 1).
REQUEST_FIELDS = {
    "route": ("VARCHAR", "coalesce(json_extract_string(properties, '$.route'), '')"),
    "method": ("VARCHAR", "coalesce(json_extract_string(properties, '$.method'), '')"),
    "status": ("DOUBLE", "coalesce(TRY_CAST(json_extract(properties, '$.status') AS DOUBLE), 0)"),
    "duration_ms": (
        "DOUBLE",
        "coalesce(TRY_CAST(json_extract(properties, '$.duration_ms') AS DOUBLE), 0)",
    ),
    "weight": ("DOUBLE", LOCAL_WEIGHT),
}
_ALL = ", ".join([*COLUMNS, *REQUEST_FIELDS])
_TYPES = {pa.string(): "VARCHAR", pa.timestamp("us"): "TIMESTAMP"}
_EMPTY = (
    "(SELECT "
    + ", ".join(
        [f"NULL::{_TYPES[f.type]} AS {f.name}" for f in SCHEMA]
        + [f"NULL::{kind} AS {name}" for name, (kind, _) in REQUEST_FIELDS.items()]
    )
    + " WHERE false)"
)
_DICTIONARY_COLUMNS = [c for c in COLUMNS if c not in ("uuid", "timestamp", "properties")]
_STATISTICS_COLUMNS = ["timestamp", "developer_id", "edition", "event"]
COMPACT_AFTER = 256  # fresh files that trigger a compaction after a write
MAX_COMPACTED = 8  # compacted files merged into one beyond this


def _lit(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _files(paths: Sequence[Path]) -> str:
    return "[" + ", ".join(_lit(str(p)) for p in paths) + "]"


def _naive_utc(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC).replace(tzinfo=None)


@contextmanager
def _flock(path: Path, mode: int, *, blocking: bool = True) -> Iterator[bool]:
    fd = open_private(path, os.O_RDWR | os.O_CREAT)
    try:
        try:
            fcntl.flock(fd, mode if blocking else mode | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        os.close(fd)  # releases the lock


class LocalStore(EventStore):
    """Parquet segments under ``root``; safe for many processes at once."""

    backend = "local"

    def __init__(self, root: Path, *, compact_after: int = COMPACT_AFTER) -> None:
        self.root = Path(root)
        self.segments = self.root / "segments"
        self._tmp = self.root / "tmp"
        try:
            private_dir(self.segments)
            private_dir(self._tmp)
        except OSError as exc:
            raise StoreError(f"cannot create the event store in {self.root}: {exc}") from exc
        self._read_lock = self.root / "read.lock"
        self._mutate_lock = self.root / "mutate.lock"
        self.compact_after = compact_after
        self._con: duckdb.DuckDBPyConnection | None = None
        self._con_lock = threading.Lock()
        self._seq = 0
        self._writes = 0
        self._fields: dict[str, bool] = {}  # file name -> has the request fields' columns
        self.ingest_pending()

    # -- writing -------------------------------------------------------------------------------

    def _name(self, kind: str) -> str:
        self._seq += 1
        return f"{kind}-{time.time_ns():020d}-{os.getpid()}-{self._seq}-{secrets.token_hex(4)}"

    def write(self, events: Sequence[Event]) -> int:
        if not events:
            return 0
        cols = columns_of(events)
        micros = pc.round(pc.multiply(pa.array(cols["timestamp"], pa.float64()), 1_000_000))
        cols["timestamp"] = micros.cast(pa.int64()).cast(pa.timestamp("us"))
        table = pa.Table.from_pydict(cols, schema=SCHEMA)
        name = self._name("w")
        tmp = self._tmp / f"{name}.tmp"
        pq.write_table(
            table,
            tmp,
            compression="snappy",
            use_dictionary=_DICTIONARY_COLUMNS,
            write_statistics=_STATISTICS_COLUMNS,
        )
        chmod_private(tmp)  # pyarrow creates it per the umask: 0600 before it is renamed in
        os.replace(tmp, self.segments / f"{name}.parquet")
        self._writes += 1
        if self._writes % 32 == 0 and len(self._list()[0]) > self.compact_after:
            self.compact(blocking=False)
        return len(events)

    def ingest_pending(self) -> int:
        """Load the batches a core install (no ``store`` extra) left in ``pending/`` as JSON
        lines (see ``tenantry.destinations.local``); each file is deleted once its Parquet
        segment is in place. Idempotent on uuid, like every write. Returns events loaded."""
        pending = self.root / "pending"
        try:
            files = sorted(pending.glob("p-*.jsonl"))
        except OSError:
            return 0
        if not files:
            return 0
        loaded = 0
        with _flock(self._mutate_lock, fcntl.LOCK_EX):
            for path in files:
                try:
                    lines = path.read_bytes().splitlines()
                except FileNotFoundError:  # another process loaded it first
                    continue
                events = [Event.from_record(orjson.loads(line)) for line in lines if line.strip()]
                loaded += self.write(events)
                path.unlink(missing_ok=True)
        return loaded

    # -- reading -------------------------------------------------------------------------------

    def _list(self) -> tuple[list[Path], list[Path]]:
        fresh, compacted = [], []
        for entry in os.scandir(self.segments):
            if entry.name.endswith(".parquet"):
                (fresh if entry.name[0] == "w" else compacted).append(Path(entry.path))
        if len(self._fields) > 2 * (len(fresh) + len(compacted)) + 64:  # files gone since
            names = {p.name for p in fresh + compacted}
            self._fields = {k: v for k, v in self._fields.items() if k in names}
        return sorted(fresh), sorted(compacted)

    def _cursor(self) -> duckdb.DuckDBPyConnection:
        with self._con_lock:
            if self._con is None:
                self._con = duckdb.connect(":memory:")
            return self._con.cursor()

    @staticmethod
    def _where(scope: Scope) -> tuple[str, dict]:
        conds, params = ["true"], {}
        if scope.cloud_only or scope.developer is not None:
            conds.append("edition = 'cloud'")
        if scope.developer is not None:
            conds.append("developer_id = $developer")
            params["developer"] = scope.developer
        start, end = scope.bounds()
        if start is not None:
            conds.append("timestamp >= $since")
            params["since"] = start
        if end is not None:
            conds.append("timestamp < $until")
            params["until"] = end
        return " AND ".join(conds), params

    def _has_fields(self, path: Path) -> bool:
        """Whether the file has the request fields' columns (a compacted file of this version;
        files never change: asked once)."""
        known = self._fields.get(path.name)
        if known is None:
            known = self._fields[path.name] = "weight" in pq.read_schema(path).names
        return known

    def _scan(self, paths: Sequence[Path]) -> str:
        """A relation over the files ``paths`` with the columns ``COLUMNS`` and
        ``REQUEST_FIELDS``, in that order; a file without the fields' columns gives them from
        its JSON."""
        typed = [p for p in paths if self._has_fields(p)]
        old = [p for p in paths if not self._has_fields(p)]
        if not old:
            return f"read_parquet({_files(typed)})" if typed else _EMPTY
        parts = [f"SELECT {_ALL} FROM read_parquet({_files(typed)})"] if typed else []
        fields = ", ".join(f"{expr} AS {name}" for name, (_, expr) in REQUEST_FIELDS.items())
        parts.append(f"SELECT {', '.join(COLUMNS)}, {fields} FROM read_parquet({_files(old)})")
        return "(" + " UNION ALL ".join(parts) + ")"

    def _relation(self, fresh: list[Path], compacted: list[Path], where: str, dedupe: bool) -> str:
        if not dedupe and (fresh or compacted):
            every = self._scan(compacted + fresh)
            return f"(SELECT *, CAST(timestamp AS DATE) AS day FROM {every} WHERE {where})"
        parts = []
        if compacted:
            part = f"SELECT * FROM {self._scan(compacted)} WHERE {where}"
            if fresh:
                part += f" AND uuid NOT IN (SELECT uuid FROM {self._scan(fresh)} WHERE {where})"
            parts.append(part)
        if fresh:
            parts.append(f"SELECT DISTINCT ON (uuid) * FROM {self._scan(fresh)} WHERE {where}")
        body = " UNION ALL ".join(parts) if parts else f"SELECT * FROM {_EMPTY} WHERE {where}"
        return f"(SELECT *, CAST(timestamp AS DATE) AS day FROM ({body}))"

    def select(self, sql: str, scope: Scope, limit: int | None = None) -> list[tuple]:
        where, params = self._where(scope)
        cur = self._cursor()
        try:
            with _flock(self._read_lock, fcntl.LOCK_SH):
                fresh, compacted = self._list()
                query = sql.format(events=self._relation(fresh, compacted, where, scope.dedupe))
                if limit is not None:
                    query += f" LIMIT {int(limit)}"
                return cur.execute(query, params).fetchall()
        except duckdb.Error as exc:
            raise StoreError(f"local event store query failed: {exc}") from exc
        finally:
            cur.close()

    def editions(self) -> set[str]:
        # two probes that stop at the first row, instead of a scan of the edition column
        found = set()
        for cond in ("edition = 'cloud'", "edition != 'cloud'"):
            sql = f"SELECT edition FROM {{events}} WHERE {cond}"
            found |= {row[0] for row in self.select(sql, Scope(dedupe=False), limit=1)}
        return found

    def count(self) -> int:
        return self.select("SELECT count(*) FROM {events}", Scope())[0][0]

    # -- compaction, deletion, retention ---------------------------------------------------------

    def _swap(self, new: list[tuple[Path, Path]], old: list[Path]) -> None:
        with _flock(self._read_lock, fcntl.LOCK_EX):
            for tmp, final in new:
                chmod_private(tmp)  # DuckDB's COPY creates it per the umask
                os.replace(tmp, final)
            for path in old:
                path.unlink(missing_ok=True)

    def _sweep_tmp(self, age: float = 3600.0) -> None:
        """Remove staging files a crashed process left behind (never a live writer's: an hour)."""
        cutoff = time.time() - age
        for entry in os.scandir(self._tmp):
            with contextlib.suppress(OSError):
                if entry.stat().st_mtime < cutoff:
                    os.unlink(entry.path)

    def compact(self, *, blocking: bool = True) -> int:
        """Merge fresh files into one compacted file sorted by time, dropping uuids already
        stored. Returns the number of files merged (0 when another process is compacting and
        ``blocking`` is False)."""
        with _flock(self._mutate_lock, fcntl.LOCK_EX, blocking=blocking) as got:
            if not got:
                return 0
            self._sweep_tmp()
            fresh, compacted = self._list()
            # beyond MAX_COMPACTED, or when one was written before the request fields' columns
            merge_all = len(compacted) >= MAX_COMPACTED or not all(map(self._has_fields, compacted))
            if not fresh and not merge_all:
                return 0
            sql = "SELECT * FROM " + _EMPTY
            if fresh:
                sql = f"SELECT DISTINCT ON (uuid) * FROM {self._scan(fresh)}"
                if compacted:
                    sql += f" WHERE uuid NOT IN (SELECT uuid FROM {self._scan(compacted)})"
            if merge_all:
                sql = f"SELECT * FROM {self._scan(compacted)} UNION ALL {sql}"
            name = self._name("c")
            tmp = self._tmp / f"{name}.tmp"
            cur = self._cursor()
            try:
                cur.execute(
                    f"COPY (SELECT {_ALL} FROM ({sql}) ORDER BY timestamp) "
                    f"TO {_lit(str(tmp))} (FORMAT parquet)"
                )
            finally:
                cur.close()
            old = fresh + (compacted if merge_all else [])
            self._swap([(tmp, self.segments / f"{name}.parquet")], old)
            return len(old)

    def _rewrite_without(self, cond: str) -> tuple[int, set[str]]:
        """Rewrite every file holding rows matching ``cond`` (SQL over literals) without them."""
        with _flock(self._mutate_lock, fcntl.LOCK_EX):
            fresh, compacted = self._list()
            files = fresh + compacted
            if not files:
                return 0, set()
            cur = self._cursor()
            try:
                src = f"read_parquet({_files(files)}, filename = true, union_by_name = true)"
                hits = cur.execute(
                    f"SELECT filename, count(*) FROM {src} WHERE {cond} GROUP BY filename"
                ).fetchall()
                if not hits:
                    return 0, set()
                removed, ids = cur.execute(
                    f"SELECT count(DISTINCT uuid), list(DISTINCT distinct_id) FROM {src} WHERE {cond}"
                ).fetchone()
                new, old = [], []
                for filename, _ in hits:
                    path = Path(filename)
                    old.append(path)
                    rest = f"FROM {self._scan([path])} WHERE NOT coalesce({cond}, false)"
                    if cur.execute(f"SELECT count(*) {rest}").fetchone()[0]:
                        name = self._name(path.name[0])
                        tmp = self._tmp / f"{name}.tmp"
                        cur.execute(
                            f"COPY (SELECT {_ALL} {rest}) TO {_lit(str(tmp))} (FORMAT parquet)"
                        )
                        new.append((tmp, self.segments / f"{name}.parquet"))
            finally:
                cur.close()
            self._swap(new, old)
            return int(removed), set(ids or ())

    def delete_person(self, person_id: str) -> tuple[int, set[str]]:
        p = _lit(person_id)
        return self._rewrite_without(
            f"(developer_id = {p} OR end_user_id = {p} OR distinct_id = {p})"
        )

    def delete_before(self, cutoff: float) -> int:
        moment = _naive_utc(cutoff).isoformat(sep=" ")
        return self._rewrite_without(f"(timestamp < TIMESTAMP {_lit(moment)})")[0]

    def close(self) -> None:
        with self._con_lock:
            if self._con is not None:
                self._con.close()
                self._con = None
