"""The worker (tenantry.pipeline.worker) on its own: its status is its own account (the status
file it writes needs no service), a full batch wakes it early, a failed setup drops and says
why, and stop() keeps its deadline with a destination that never answers."""

from __future__ import annotations

import threading
import time

import orjson

from tenantry.config import load_settings
from tenantry.counters import Counters
from tenantry.pipeline.intake import Call
from tenantry.pipeline.status import FILE_KEYS
from tenantry.pipeline.worker import Worker
from tenantry.testing import InMemoryDestination


def call(i: int) -> Call:
    """A queued ``track`` call, built by its fields' names."""
    return Call(
        kind="track",
        event="memory_created",
        properties={"i": i},
        user_id=None,
        developer_id="dev_abc123",
        identity=None,
        timestamp=None,
        accepted_at=time.time(),
        extra=None,
    )


def enqueue(worker: Worker, n: int) -> None:
    for i in range(n):
        worker.queue.append(call(i))


class Hang(InMemoryDestination):
    """Never answers until released."""

    def __init__(self) -> None:
        super().__init__(name="hang")
        self.gate = threading.Event()

    def send(self, batch, timeout):
        self.gate.wait()
        return super().send(batch, timeout)


class TestWorker:
    def test_the_status_file_comes_from_the_workers_own_account(self, tmp_path):
        """A worker built without any service writes <data dir>/status/<pid>.json from its own
        counters and status(): the file's keys are FILE_KEYS, its counts the worker's."""
        settings = load_settings(data_dir=tmp_path, edition="cloud", status_interval=0.05)
        memory = InMemoryDestination()
        worker = Worker(settings, Counters(), destinations=[memory])
        enqueue(worker, 20)
        assert worker.flush(time.monotonic() + 5.0)
        files = list((tmp_path / "status").glob("*.json"))
        deadline = time.monotonic() + 5.0
        while time.monotonic() < deadline:
            files = list((tmp_path / "status").glob("*.json"))
            if files and orjson.loads(files[0].read_bytes())["delivered"] == 20:
                break
            time.sleep(0.02)
        doc = orjson.loads(files[0].read_bytes())
        assert set(doc) == {*FILE_KEYS, "updated_at"}
        assert doc["providers"] == ["memory"] and doc["accepted"] == 20
        assert doc["per_destination"]["memory"]["delivered"] == 20
        assert worker.status()["queued"] == 0
        worker.stop(time.monotonic() + 5.0)
        assert not list((tmp_path / "status").glob("*.json"))  # the final report removes it

    def test_a_full_batch_wakes_the_worker_early(self, tmp_path):
        """With a 30 s interval, wake_at calls and a set wake get shaped at once."""
        settings = load_settings(data_dir=tmp_path, edition="cloud")
        memory = InMemoryDestination()
        worker = Worker(settings, Counters(), destinations=[memory], interval=30.0, wake_at=10)
        worker.wait_ready(5.0)
        enqueue(worker, 10)
        worker.wake.set()  # what the service does when a call makes the queue wake_at long
        deadline = time.monotonic() + 5.0
        while worker.counters.get("accepted") < 10 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert worker.counters.get("accepted") == 10
        worker.stop(time.monotonic() + 5.0)

    def test_a_failed_setup_drops_and_says_why(self, tmp_path):
        """Setup that cannot make the secret (the data dir is under a file) leaves the error in
        status()["error"], flush() False, and calls dropped as setup_failed."""
        (tmp_path / "file").write_text("x")
        settings = load_settings(data_dir=tmp_path / "file" / "data")
        worker = Worker(settings, Counters(), destinations=[InMemoryDestination()])
        assert worker.wait_ready(5.0)
        enqueue(worker, 3)
        assert worker.flush(time.monotonic() + 2.0) is False
        assert worker.status()["error"]
        assert worker.counters.snapshot()["drops"] == {"setup_failed": 3}
        worker.stop(time.monotonic() + 2.0)

    def test_stop_keeps_its_deadline_with_a_destination_that_never_answers(self, tmp_path):
        """stop(deadline 0.5 s ahead) returns within about 0.5 s and counts what it left."""
        hang = Hang()
        worker = Worker(load_settings(data_dir=tmp_path, edition="cloud"), Counters(),
                        destinations=[hang])  # fmt: skip
        enqueue(worker, 5)
        worker.flush(time.monotonic() + 0.3)
        t0 = time.monotonic()
        left = worker.stop(t0 + 0.5)
        assert time.monotonic() - t0 < 1.0
        assert left == 5
        hang.gate.set()
