"""Engines for the identity database: ``postgresql://`` URLs go through psycopg 3, SQLite files
get WAL, foreign keys and a busy timeout so concurrent writers wait instead of failing."""

from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path

from sqlalchemy import URL, Engine, create_engine, event, make_url
from sqlalchemy.pool import StaticPool

SQLITE_BUSY_TIMEOUT = 30.0  # seconds a writer waits for SQLite's lock


def normalize_url(url: str | URL) -> URL:
    """``postgresql://`` and ``postgres://`` mean psycopg 3 (``postgresql+psycopg://``)."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def sqlite_path(url: URL) -> Path | None:
    """The file behind a SQLite URL, or None (not SQLite, or in memory)."""
    if url.get_backend_name() != "sqlite":
        return None
    db = url.database
    if not db or db == ":memory:" or db.startswith("file:"):
        return None
    return Path(db)


def make_engine(url: str | URL, *, create_dirs: bool = True, pragmas: bool = True) -> Engine:
    parsed = normalize_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(parsed, pool_pre_ping=True, pool_size=5, max_overflow=15)
    path = sqlite_path(parsed)
    if path is None:  # in memory: one shared connection, or every thread sees its own empty DB
        engine = create_engine(
            parsed, poolclass=StaticPool, connect_args={"check_same_thread": False}
        )
    else:
        if create_dirs:
            _private_file(path)
        engine = create_engine(
            parsed, connect_args={"timeout": SQLITE_BUSY_TIMEOUT, "check_same_thread": False}
        )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record) -> None:  # pragma: no branch
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        if pragmas and path is not None:
            _use_wal(cursor)
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    return engine


def _private_file(path: Path) -> None:
    """The database's directory 0700 and the file 0600 before SQLite opens it: SQLite gives the
    ``-wal``/``-shm`` files the main file's mode, so they are private too, whatever the umask.
    An existing looser directory is warned about once (``_files.warn_if_loose``)."""
    from tenantry._files import chmod_private, open_private, private_dir

    private_dir(path.parent)
    os.close(open_private(path, os.O_RDWR | os.O_CREAT))
    for suffix in ("", "-wal", "-shm"):
        side = path.with_name(path.name + suffix)
        if side.exists() and side.stat().st_mode & 0o077:
            chmod_private(side)


def _use_wal(cursor) -> None:
    """Switch a database file to WAL (persistent, so once per file). Switching needs the file to
    itself and does not wait on SQLite's busy handler, so retry briefly while another connection
    holds a lock; if it never frees, stay in rollback mode (correct, just less concurrent)."""
    deadline = time.monotonic() + 5.0
    while cursor.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
        if time.monotonic() > deadline:
            return
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
        except sqlite3.OperationalError:
            time.sleep(0.02)
