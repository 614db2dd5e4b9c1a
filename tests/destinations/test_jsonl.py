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

    def test_an_event_that_cannot_be_encoded_is_rejected_alone(self, tmp_path):
        """One event with a lone surrogate in a batch of 1,000: that one is rejected
        (``unencodable``), the other 999 are written, one line each."""
        path = tmp_path / "out.jsonl"
        dest = JsonlDestination(load_settings(jsonl_path=path))
        evs = [
            Event(u, "e", "d", time.time(), "cloud", {"i": i})
            for i, u in enumerate(new_uuids(1000))
        ]
        evs[500].properties = {"bad": "\ud800"}
        results = dest.send(evs, 1.0)
        dest.shutdown(1.0)
        assert [i for i, r in enumerate(results) if r.status is not Status.DELIVERED] == [500]
        assert results[500].reason == "unencodable"
        lines = path.read_bytes().splitlines()
        assert [orjson.loads(line)["uuid"] for line in lines] == [
            e.uuid for e in evs if e is not evs[500]
        ]


FULL_DISK_CHILD = """
import json, resource, signal, sys, time
from tenantry import TelemetryService
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # over the limit: EFBIG, as a full disk's ENOSPC
path, n, limit = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
svc = TelemetryService(edition="cloud", destinations=("jsonl",), jsonl_path=path)
svc.flush(10.0)
resource.setrlimit(resource.RLIMIT_FSIZE, (limit, resource.RLIM_INFINITY))
for i in range(n):
    svc.track_sync("memory_created", {"i": i, "pad": "x" * 50}, developer_id="dev_abc123")
time.sleep(1.0)  # batches hit the limit: cut short, then refused
torn = open(path, "rb").read()
resource.setrlimit(resource.RLIMIT_FSIZE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
ok = svc.flush(30.0)
st = svc.get_status()
svc.shutdown(5.0)
print(json.dumps({"flushed": ok, "size_when_full": len(torn), "ends_whole": torn.endswith(b"\\n"),
                  "drops": st["drops"]}))
"""


class TestFullDisk:
    def test_no_torn_line_and_no_duplicate_when_the_disk_fills(self, tmp_path):
        """A process whose file size limit stops the jsonl file at 100,000 bytes (mid-line, as
        a full disk does) while 3,000 events are written: the file never holds a torn line,
        the events are retried until there is room again, and in the end every event is there
        exactly once."""
        import json
        import subprocess
        import sys
        from pathlib import Path

        path = tmp_path / "out.jsonl"
        root = Path(__file__).resolve().parents[2]
        env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEMETRY_", "TENANTRY_"))}
        env.update(PYTHONPATH=str(root / "src"), TENANTRY_DATA_DIR=str(tmp_path / "data"))
        proc = subprocess.run(
            [sys.executable, "-c", FULL_DISK_CHILD, str(path), "3000", "100000"],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert proc.returncode == 0, proc.stderr[-2000:]
        out = json.loads(proc.stdout.strip().splitlines()[-1])
        lines = path.read_bytes().splitlines()
        records = [orjson.loads(line) for line in lines]  # every line parses: none is torn
        print(f"\n{out}; {len(lines)} lines in the end")
        assert out["flushed"] and not out["drops"]
        # the limit was hit (3,000 lines take ~540,000 bytes) and cut back to a whole line
        assert out["ends_whole"] and 0 < out["size_when_full"] <= 100_000
        assert len(records) == 3000
        assert sorted(r["properties"]["i"] for r in records) == list(range(3000))


class TestJsonlBatchEncoding:
    def test_lines_are_those_of_each_event_encoded_alone(self, tmp_path):
        """The batch's one-``dumps`` lines equal the per-event lines, also for values that
        look like the cut between two events (a nested ``"uuid"`` list, quotes, braces)."""
        tricky = [
            {"type": "text"},
            {"s": '},{"uuid":"x"}', "n": [{"uuid": 1}, {"uuid": 2}]},
            {"q": '"\\n{}', "empty": {}},
            {"list": [{"uuid": "a"}]},
        ]
        for props in tricky:
            evs = [
                Event(u, "e", "d", 1767323045.5 + i, "cloud", dict(props, i=i))
                for i, u in enumerate(new_uuids(5))
            ]
            path = tmp_path / f"{len(list(tmp_path.iterdir()))}.jsonl"
            dest = JsonlDestination(load_settings(jsonl_path=path))
            assert all(r.status is Status.DELIVERED for r in dest.send(evs, 1.0))
            dest.shutdown(1.0)
            expected = b"".join(
                orjson.dumps(e.to_dict(), option=orjson.OPT_APPEND_NEWLINE) for e in evs
            )
            assert path.read_bytes() == expected

    def test_a_people_update_in_the_batch_is_skipped_and_the_rest_written(self, tmp_path):
        """A batch with a people update falls back to one line per event: the update is
        acknowledged, not written; the events around it are."""
        path = tmp_path / "p.jsonl"
        dest = JsonlDestination(load_settings(jsonl_path=path))
        a, b, c = new_uuids(3)
        evs = [
            Event(a, "e", "d", 1767323045.5, "cloud", {}),
            Event(b, "$identify", "d", 1767323045.5, "cloud", {"$set": {"x": 1}}),
            Event(c, "e", "d", 1767323045.5, "cloud", {}),
        ]
        results = dest.send(evs, 1.0)
        dest.shutdown(1.0)
        assert [r.status for r in results] == [Status.DELIVERED] * 3
        assert [orjson.loads(x)["uuid"] for x in path.read_bytes().splitlines()] == [a, c]
