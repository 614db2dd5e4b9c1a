"""Engines for the identity database: ``postgresql://`` URLs go through psycopg 3, SQLite files
get WAL, foreign keys and a busy timeout so concurrent writers wait instead of failing.

One engine per database per process: ``shared_engine(url)`` hands every part of a process (the
identity store, the reference API's memories, cloud profile lookups) the same engine, and
``release_engine`` disposes of it when the last one is done. And the database file is never
opened or closed outside SQLite once it exists: closing any descriptor of a file drops every
POSIX lock this process holds on it, so another process's SQLite would take itself for the last
connection and delete this one's ``-wal``/``-shm`` (SQLite, "How To Corrupt An SQLite Database
File", 2.2). The file is created 0600 with ``O_EXCL`` only when it does not exist yet; an
existing one is ``chmod``-ed by path.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
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


_shared: dict[str, list] = {}  # key -> [engine, holders]
_shared_lock = threading.Lock()


def _key(url: URL) -> str | None:
    """One spelling per database: the resolved file for SQLite; None for an in-memory SQLite
    database (each engine has its own, so it is never shared)."""
    if url.get_backend_name() == "sqlite":
        path = sqlite_path(url)
        return None if path is None else f"sqlite:{path.resolve()}"
    return url.render_as_string(hide_password=False)


def shared_engine(url: str | URL) -> Engine:
    """This process's engine for ``url``, made on first use; hand it back with
    ``release_engine`` (each call to this one needs one call to that one)."""
    parsed = normalize_url(url)
    key = _key(parsed)
    if key is None:
        return make_engine(parsed)
    with _shared_lock:
        entry = _shared.get(key)
        if entry is None:
            entry = _shared[key] = [make_engine(parsed), 0]
        entry[1] += 1
        return entry[0]


def release_engine(engine: Engine) -> None:
    """One holder of a ``shared_engine`` is done; the last one disposes of it (an engine that
    was never shared is disposed of at once)."""
    with _shared_lock:
        for key, entry in _shared.items():
            if entry[0] is engine:
                entry[1] -= 1
                if entry[1] > 0:
                    return
                del _shared[key]
                break
    engine.dispose()


def make_engine(url: str | URL, *, create_dirs: bool = True, pragmas: bool = True) -> Engine:
    """A new engine for ``url``: use ``shared_engine`` instead wherever a process may already
    hold connections to the same database."""
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
    An existing looser directory is warned about once (``_files.warn_if_loose``). The file is
    opened here only to create it (``O_EXCL``): nobody can hold a lock on a file that did not
    exist, while a close of an existing one would drop this process's locks on it."""
    from tenantry._files import chmod_private, open_private, private_dir

    private_dir(path.parent)
    with contextlib.suppress(FileExistsError):
        os.close(open_private(path, os.O_RDWR | os.O_CREAT | os.O_EXCL))
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
