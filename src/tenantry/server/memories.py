"""The reference API's own data: a plain ``memories`` table in the identity database.

It exists to show how a host application calls ``track()``; it is not a memory product.

Inserts from the event loop go through ``add_async``: rows that arrive while a write is in
flight are written together, in one transaction (one executemany) on one worker thread. A
thread per request would have them queue on SQLite's single write lock, whose busy handler
sleeps up to 100 ms between tries: that was the server's p99.
"""

from __future__ import annotations

import asyncio
import secrets
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import Column, DateTime, Index, MetaData, String, Table, Text, select
from starlette.concurrency import run_in_threadpool

from tenantry.identity._engine import release_engine, shared_engine

metadata = MetaData()

memories = Table(
    "memories",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("developer_id", String(40), nullable=False),
    Column("end_user_id", String(40)),
    Column("content", Text, nullable=False),
    Column("metadata", Text),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index("ix_memories_owner", "developer_id", "end_user_id"),
)


class MemoryTable:
    """Insert and search memories on the identity database's engine (``shared_engine``: one per
    database per process); created tables on open. Thread-safe."""

    def __init__(self, url: Any) -> None:
        self.engine = shared_engine(url)
        self._closed = False
        metadata.create_all(self.engine)
        self._pending: list[tuple[dict, asyncio.Future]] = []
        self._writer: asyncio.Task | None = None

    def add(
        self, developer_id: str, end_user_id: str | None, content: str, meta: dict | None
    ) -> dict:
        row = _row(developer_id, end_user_id, content, meta)
        self.add_many([row])
        return row

    def add_many(self, rows: list[dict]) -> None:
        """Insert ``rows`` (as built by ``add``) in one transaction."""
        with self.engine.begin() as conn:
            conn.execute(memories.insert(), rows)

    async def add_async(
        self, developer_id: str, end_user_id: str | None, content: str, meta: dict | None
    ) -> dict:
        """``add`` for the event loop: returns once the row is committed, batched with the
        rows of concurrent requests."""
        loop = asyncio.get_running_loop()
        row = _row(developer_id, end_user_id, content, meta)
        done = loop.create_future()
        self._pending.append((row, done))
        if self._writer is None:
            self._writer = loop.create_task(self._write_pending(), name="tenantry-memories")
        await done
        return row

    async def _write_pending(self) -> None:
        try:
            while self._pending:
                batch, self._pending = self._pending, []
                try:
                    await run_in_threadpool(self.add_many, [row for row, _ in batch])
                except Exception as exc:
                    for _, done in batch:
                        if not done.done():
                            done.set_exception(exc)
                else:
                    for _, done in batch:
                        if not done.done():
                            done.set_result(None)
        finally:
            self._writer = None

    def search(
        self, developer_id: str, end_user_id: str | None, text: str, limit: int
    ) -> list[dict]:
        """Memories of ``developer_id`` (and of ``end_user_id`` when given) containing ``text``."""
        query = select(memories.c.id, memories.c.content, memories.c.end_user_id).where(
            memories.c.developer_id == developer_id,
            memories.c.content.contains(text, autoescape=True),
        )
        if end_user_id is not None:
            query = query.where(memories.c.end_user_id == end_user_id)
        query = query.order_by(memories.c.created_at.desc()).limit(limit)
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(query)]

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            release_engine(self.engine)


def _row(developer_id: str, end_user_id: str | None, content: str, meta: dict | None) -> dict:
    return {
        "id": "mem_" + secrets.token_hex(12),
        "developer_id": developer_id,
        "end_user_id": end_user_id,
        "content": content,
        "metadata": orjson.dumps(meta).decode() if meta else None,
        "created_at": datetime.now(UTC),
    }
