"""The reference API's own data: a plain ``memories`` table in the identity database.

It exists to show how a host application calls ``track()``; it is not a memory product.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import Column, DateTime, Index, MetaData, String, Table, Text, select

from tenantry.identity._engine import make_engine

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
    """Insert and search memories; one SQLAlchemy engine, created tables on open. Thread-safe."""

    def __init__(self, url: Any) -> None:
        self.engine = make_engine(url)
        metadata.create_all(self.engine)

    def add(
        self, developer_id: str, end_user_id: str | None, content: str, meta: dict | None
    ) -> dict:
        row = {
            "id": "mem_" + secrets.token_hex(12),
            "developer_id": developer_id,
            "end_user_id": end_user_id,
            "content": content,
            "metadata": orjson.dumps(meta).decode() if meta else None,
            "created_at": datetime.now(UTC),
        }
        with self.engine.begin() as conn:
            conn.execute(memories.insert().values(**row))
        return row

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
        self.engine.dispose()
