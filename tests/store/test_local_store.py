"""The local store: many processes at once, idempotence, compaction, forget and retention."""

from __future__ import annotations

import multiprocessing
import time

from tenantry.events import Event
from tenantry.store.local import LocalStore
from tenantry.store.queries import run_query


def _events(prefix: int, n: int, ts: float = 1.79e9) -> list[Event]:
    return [
        Event(
            f"{prefix:08x}-0000-4000-8000-{i:012x}",
            "memory_created" if i % 3 else "search",
            f"dev_{i % 7}",
            ts + i,
            "cloud",
            {"n": i},
            developer_id=f"dev_{i % 7}",
            end_user_id=f"usr_{i % 101}",
        )
        for i in range(n)
    ]


def write_with_replay(store, prefix: int, n: int) -> list[Event]:
    """Write ``n`` events, then their first half again (a replay, as after a crash); return them."""
    batch = _events(prefix, n)
    store.write(batch)
    store.write(batch[: n // 2])
    return batch


def _writer(root: str, prefix: int) -> None:
    store = LocalStore(root, compact_after=40)  # low, so writers compact while others write
    events = _events(prefix, 50_000)
    for i in range(0, len(events), 1000):
        store.write(events[i : i + 1000])


def _reader(root: str, stop, result) -> None:
    store = LocalStore(root)
    runs = errors = 0
    while not stop.is_set():
        try:
            run_query(store, "event-counts")
            run_query(store, "top-developers")
            runs += 1
        except Exception:  # noqa: BLE001 - counted and asserted on
            errors += 1
    result.put((runs, errors))


class TestManyProcesses:
    def test_four_writers_and_a_reader(self, tmp_path):
        """Four processes write 50,000 events each while a fifth reports: 200,000 stored, no errors."""
        ctx = multiprocessing.get_context("spawn")
        stop, result = ctx.Event(), ctx.Queue()
        reader = ctx.Process(target=_reader, args=(str(tmp_path), stop, result))
        reader.start()
        writers = [ctx.Process(target=_writer, args=(str(tmp_path), p)) for p in range(1, 5)]
        for w in writers:
            w.start()
        for w in writers:
            w.join(120)
        stop.set()
        runs, errors = result.get(timeout=60)
        reader.join(30)
        assert [w.exitcode for w in writers] == [0, 0, 0, 0]
        assert errors == 0 and runs > 0
        store = LocalStore(tmp_path)
        assert store.count() == 200_000
        rows = run_query(store, "event-counts")["rows"]
        assert sum(r["count"] for r in rows) == 200_000
        fresh, compacted = store._list()
        assert compacted, "writers compacted on the way"


class TestIdempotence:
    def test_replays_stored_once_before_and_after_compaction(self, tmp_path):
        """The same uuids written three times count once, fresh or compacted."""
        store = LocalStore(tmp_path)
        batch = write_with_replay(store, 9, 1000)
        assert store.count() == 1000
        assert store.compact() == 2
        store.write(batch[250:750])  # replay after compaction
        assert store.count() == 1000
        store.compact()
        assert len(store._list()[0]) == 0 and store.count() == 1000
        assert run_query(store, "developer-memories", developer="dev_1")["rows"] == [
            {
                "count": sum(
                    1 for e in batch if e.developer_id == "dev_1" and e.event == "memory_created"
                )
            }
        ]


class TestDeletion:
    def test_forget_removes_every_trace_locally(self, tmp_path):
        """delete_person removes a developer's and an end user's events across all files."""
        store = LocalStore(tmp_path)
        events = _events(3, 7000)
        store.write(events[:3500])
        store.compact()
        store.write(events[3500:])
        removed, ids = store.delete_person("dev_2")
        assert removed == sum(e.developer_id == "dev_2" for e in events) and ids == {"dev_2"}
        removed, _ = store.delete_person("usr_5")
        left = [e for e in events if e.developer_id != "dev_2" and e.end_user_id != "usr_5"]
        assert removed == 7000 - len(left) - sum(e.developer_id == "dev_2" for e in events)
        assert store.count() == len(left)
        assert run_query(store, "developer-events", developer="dev_2")["rows"] == []

    def test_retention_drops_old_events_only(self, tmp_path):
        """delete_before removes exactly the events older than the cutoff."""
        store = LocalStore(tmp_path)
        now = time.time()
        old = _events(4, 300, ts=now - 100 * 86400)
        new = _events(5, 200, ts=now - 86400)
        store.write(old + new)
        assert store.delete_before(now - 90 * 86400) == 300
        assert store.count() == 200
        assert store.delete_before(now - 90 * 86400) == 0
