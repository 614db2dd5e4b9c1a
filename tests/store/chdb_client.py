"""A current ClickHouse engine in-process (chdb), behind clickhouse-driver's ``Client.execute``.

The ClickHouse store talks to a ``client`` with clickhouse-driver's call shape:
``execute(sql, params)`` with ``%(name)s`` parameters substituted client-side, ``execute("INSERT
... VALUES", rows_or_columns, columnar=...)``, results as a list of tuples. This adapter gives
chdb (ClickHouse 25+ as a library) that shape, so the store's own SQL runs unchanged on a
current engine: nothing of tenantry is replaced. chdb holds one engine per process, so every
client shares one session and switches database with ``USE``.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

from clickhouse_driver.errors import ServerException

_SESSION: Any = None
_CURRENT: list[str] = [""]


def session(path: Path) -> Any:
    """The process's one chdb session (created at ``path`` on first use)."""
    global _SESSION
    if _SESSION is None:
        from chdb import session as chdb_session

        _SESSION = chdb_session.Session(str(path))
    return _SESSION


def literal(value: Any) -> str:
    """A ClickHouse SQL literal, as clickhouse-driver renders parameters."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, datetime):
        return "'" + value.strftime("%Y-%m-%d %H:%M:%S") + "'"
    if isinstance(value, date):
        return "'" + value.isoformat() + "'"
    if isinstance(value, list | tuple):
        return "(" + ", ".join(literal(v) for v in value) + ")"
    text = str(value).replace("\\", "\\\\").replace("'", "\\'")
    return "'" + text + "'"


class ChdbClient:
    """``execute``/``disconnect`` like ``clickhouse_driver.Client``, on database ``database`` of
    the process's chdb session."""

    def __init__(self, path: Path, database: str = "default") -> None:
        self._session = session(path)
        self.database = database
        self.queries = 0

    def _query(self, sql: str, fmt: str = "ArrowTable") -> Any:
        try:
            if _CURRENT[0] != self.database:
                self._session.query(f"USE {self.database}", "CSV")
                _CURRENT[0] = self.database
            self.queries += 1
            return self._session.query(sql, fmt)
        except Exception as exc:  # chdb raises its own RuntimeError subclasses
            raise ServerException(str(exc)) from exc

    def execute(self, sql: str, params: Any = None, *, columnar: bool = False, **_: Any) -> list:
        if isinstance(params, list):  # INSERT ... VALUES with data
            rows = list(zip(*params, strict=True)) if columnar else params
            if not rows:
                return []
            values = ", ".join(literal(tuple(row)) for row in rows)
            self._query(f"{sql} {values}", "CSV")
            return []
        if isinstance(params, dict):
            sql = sql % {k: literal(v) for k, v in params.items()}
        head = sql.lstrip().split(None, 1)[0].upper()
        if head not in ("SELECT", "WITH", "EXISTS", "SHOW"):
            self._query(sql, "CSV")
            return []
        table = self._query(sql)
        columns = [column.to_pylist() for column in table.columns]
        return list(zip(*columns, strict=True)) if columns else []

    def disconnect(self) -> None:
        """Nothing to close per client: the session lives for the process."""
