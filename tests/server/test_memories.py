"""The reference API's memories table: batched inserts from the event loop."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from tenantry.server.memories import MemoryTable, memories


class TestMemoryTable:
    def test_concurrent_adds_are_all_committed(self, tmp_path):
        """Concurrent add_async calls each return their own row, and every row is stored."""
        table = MemoryTable(f"sqlite:///{tmp_path / 'm.db'}")

        async def run() -> list[dict]:
            return await asyncio.gather(
                *(table.add_async("dev_1", f"usr_{i}", f"note {i}", {"i": i}) for i in range(50))
            )

        rows = asyncio.run(run())
        assert len({row["id"] for row in rows}) == 50
        assert [row["content"] for row in rows] == [f"note {i}" for i in range(50)]
        with table.engine.connect() as conn:
            assert conn.execute(select(func.count()).select_from(memories)).scalar() == 50
        table.close()

    def test_failed_write_reaches_every_caller(self, tmp_path):
        """When the batch cannot be written, each waiting request gets the error."""
        table = MemoryTable(f"sqlite:///{tmp_path / 'm.db'}")
        memories.drop(table.engine)

        async def run() -> list:
            return await asyncio.gather(
                *(table.add_async("dev_1", None, "note", None) for _ in range(3)),
                return_exceptions=True,
            )

        results = asyncio.run(run())
        assert all(isinstance(r, Exception) for r in results)
        table.close()
