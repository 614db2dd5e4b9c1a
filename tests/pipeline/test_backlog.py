"""The backlog (tenantry.pipeline.backlog), seen through the service so the test holds whatever
the packing looks like inside: a burst far larger than the memory budget arrives whole and in
order, and the budget is back to zero afterwards; with TELEMETRY_WHEN_FULL=drop every call is
either accepted or counted."""

from __future__ import annotations

import threading

from tenantry import TelemetryService
from tenantry.testing import InMemoryDestination

MB = 1024 * 1024


class Slow(InMemoryDestination):
    """Holds its first send until released, so the backlog builds up behind it."""

    def __init__(self) -> None:
        super().__init__(name="slow")
        self.gate = threading.Event()

    def send(self, batch, timeout):
        self.gate.wait(10.0)
        return super().send(batch, timeout)


class TestBacklog:
    def test_a_burst_beyond_the_budget_arrives_whole_and_in_order(self, tmp_path):
        """30,000 calls against a 1 MiB budget (the overflow takes what memory cannot) while the
        destination is held: all delivered, in the order tracked, none dropped, and the memory
        budget is 0 once flushed."""
        slow = Slow()
        svc = TelemetryService(
            edition="cloud", destinations=[slow], queue_max_bytes=MB, data_dir=tmp_path
        )
        assert svc.flush(5.0)  # set up: the overflow is ready (before, a full budget drops)
        for i in range(30_000):
            svc.track_sync("memory_created", {"i": i}, developer_id="dev_abc123")
        slow.gate.set()
        assert svc.flush(60.0)
        status = svc.get_status()
        svc.shutdown(5.0)
        assert [e.properties["i"] for e in slow.events] == list(range(30_000))
        assert status["dropped"] == 0 and status["memory"]["bytes"] == 0

    def test_with_drop_every_call_is_accepted_or_counted(self, tmp_path):
        """TELEMETRY_WHEN_FULL=drop, a 1 MiB budget and a held destination: 20,000 calls are
        each either delivered or counted as dropped (queue_bytes), never lost unseen."""
        slow = Slow()
        svc = TelemetryService(
            edition="cloud",
            destinations=[slow],
            queue_max_bytes=MB,
            when_full="drop",
            data_dir=tmp_path,
        )
        for i in range(20_000):
            svc.track_sync("memory_created", {"i": i}, developer_id="dev_abc123")
        slow.gate.set()
        svc.flush(30.0)
        status = svc.get_status()
        svc.shutdown(5.0)
        assert status["drops"].get("queue_bytes", 0) > 0
        assert len(slow.events) + status["dropped"] == 20_000
