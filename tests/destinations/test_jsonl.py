"""The jsonl destination writes the contract's line format."""

from __future__ import annotations

import os
import time

import orjson

from tenantry.config import load_settings
from tenantry.destinations.base import Status
from tenantry.destinations.jsonl import JsonlDestination
from tenantry.events import Event, new_uuids


class TestJsonlDestination:
    def test_contract_line_format(self, tmp_path):
        """One JSON object per line with exactly uuid, event, distinct_id, timestamp (UTC ISO), edition, properties."""
        path = tmp_path / "out.jsonl"
        dest = JsonlDestination(load_settings(jsonl_path=path))
        [u] = new_uuids(1)
        e = Event(
            u,
            "memory_created",
            "dev_abc123",
            1767323045.5,
            "cloud",
            {"type": "text"},
            developer_id="dev_abc123",
            end_user_id="user_1234",
        )
        results = dest.send([e], 1.0)
        dest.shutdown(1.0)
        assert [r.status for r in results] == [Status.DELIVERED]
        rec = orjson.loads(path.read_bytes())
        assert rec == {
            "uuid": u,
            "event": "memory_created",
            "distinct_id": "dev_abc123",
            "timestamp": "2026-01-02T03:04:05.500Z",
            "edition": "cloud",
            "properties": {"type": "text"},
        }
        assert os.stat(path).st_mode & 0o777 == 0o600

    def test_two_writers_never_interleave_lines(self, tmp_path):
        """Two destinations appending to one file produce only whole lines."""
        path = tmp_path / "shared.jsonl"
        a = JsonlDestination(load_settings(jsonl_path=path))
        b = JsonlDestination(load_settings(jsonl_path=path))
        evs = [
            Event(u, "e", "d", time.time(), "opensource", {"pad": "x" * 50})
            for u in new_uuids(2000)
        ]
        for i in range(0, 2000, 100):
            (a if i % 200 else b).send(evs[i : i + 100], 1.0)
        lines = path.read_bytes().splitlines()
        assert len(lines) == 2000
        assert {orjson.loads(line)["uuid"] for line in lines} == {e.uuid for e in evs}
