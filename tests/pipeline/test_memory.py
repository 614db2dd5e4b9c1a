"""Memory held to ``TELEMETRY_QUEUE_MAX_BYTES`` (issue 9 item 7): the caller's byte budget, the
compacted backlog, back-pressure from the senders and each sender's hard limit. Real services,
real fake vendors on 127.0.0.1."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

from tenantry import TelemetryService
from tenantry.events import Event
from tenantry.pipeline.backlog import CALL_BYTES, PROP_BYTES, Backlog, Budget
from tenantry.pipeline.sender import event_bytes

MiB = 1024 * 1024
PROPS = {"type": "text", "has_metadata": True, "source": "api", "chars": 120}


def call(i: int, props=None, **kw) -> tuple:
    p = dict(PROPS, i=i) if props is None else props
    return (
        "track",
        "memory_created",
        p,
        f"user_{i}",
        "dev_abc123",
        kw.get("identity"),
        kw.get("timestamp"),
        time.time(),
        None,
    )


class Marker:
    """An object marshal cannot pack (like an identity object)."""

    def __init__(self, n: int) -> None:
        self.n = n

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Marker) and other.n == self.n


class Name(str):
    pass


class TestBacklog:
    def test_compaction_shrinks_the_backlog_and_gives_back_every_call_in_order(self):
        """10,000 waiting calls packed by the worker take under a third of their estimate, and
        come back equal and in order, including calls marshal cannot pack (a datetime, an
        object, a str subclass), which stay as they are."""
        budget = Budget()
        backlog = Backlog(budget, compact_at=100, chunk=512)
        calls = [call(i) for i in range(10_000)]
        calls[7] = call(7, timestamp=datetime(2026, 1, 1, tzinfo=UTC))
        calls[600] = call(600, identity=Marker(600))
        calls[601] = call(601, props={"who": Name("x")})
        for c in calls:
            budget.used += CALL_BYTES + PROP_BYTES * len(c[2])
            backlog.queue.append(c)
        before = budget.used
        packed = backlog.compact()
        print(f"\nbacklog of 10,000: estimate {before:,} B, packed {budget.used:,} B")
        assert packed >= 9_900 and len(backlog) == 10_000
        assert budget.used < before / 3
        out = []
        while backlog:
            out.extend(backlog.take(512))
        assert out == calls
        assert budget.used == 0

    def test_oldest_accept_time_is_the_oldest_waiting_call(self):
        """``oldest_accepted_at`` is the accept time of the first waiting call, packed or not."""
        budget = Budget()
        backlog = Backlog(budget, compact_at=10, chunk=10)
        calls = [call(i) for i in range(30)]
        backlog.queue.extend(calls)
        budget.used += sum(CALL_BYTES + PROP_BYTES * len(c[2]) for c in calls)
        backlog.compact()
        assert backlog.oldest_accepted_at() == calls[0][7]
        backlog.take(10)
        assert backlog.oldest_accepted_at() == calls[10][7]


class TestBudget:
    def test_calls_beyond_the_byte_budget_are_dropped_and_counted(self, fake_posthog):
        """``when_full="drop"``: with a 1 MiB budget and a vendor answering every 0.2 s, a burst
        of 20,000 calls with 40 properties each never blocks; the calls beyond the budget are
        dropped as ``queue_bytes`` (not ``queue_full``: the count bound is far away), memory
        stays near the budget, every call not dropped is delivered, and ``flush`` says that
        not everything was."""
        fake_posthog.script(lambda req: time.sleep(0.2))
        svc = TelemetryService(
            edition="cloud",
            destinations=("posthog",),
            **fake_posthog.settings(),
            queue_max_bytes=MiB,
            queue_size=1_000_000,
            when_full="drop",
        )
        props = {f"k{j}": j for j in range(40)}
        t0 = time.perf_counter()
        for i in range(20_000):
            svc.track_sync("memory_created", props, developer_id=f"dev_{i}")
        took = time.perf_counter() - t0
        st = svc.get_status()
        fake_posthog.script(None)
        assert not svc.flush(60.0)  # everything has a result, and some events were lost
        end = svc.get_status()
        svc.shutdown(5.0)
        print(
            f"\n20,000 calls in {took:.3f} s; memory at the end of the burst "
            f"{st['memory']['bytes']:,} B of {MiB:,}; drops {end['drops']}; "
            f"delivered {end['delivered']}"
        )
        assert end["drops"].get("queue_bytes", 0) > 10_000
        assert "queue_full" not in end["drops"]
        assert st["memory"]["bytes"] <= 1.25 * MiB
        assert end["delivered"] + end["dropped"] == 20_000
        assert len(set(fake_posthog.uuids())) == end["delivered"]
        assert end["memory"]["bytes"] == 0


class TestBackPressure:
    def test_worker_shapes_only_as_fast_as_the_sender_sends(self, fake_posthog):
        """A vendor answering every 50 ms and a tight loop of 30,000 calls: the sender's
        buffer stays near its soft limit (the backlog waits, packed, before shaping), every
        stage together stays well under the calls' unpacked estimate, and all 30,000 arrive."""
        fake_posthog.script(lambda req: time.sleep(0.05))
        svc = TelemetryService(
            edition="opensource",
            destinations=("posthog",),
            **fake_posthog.settings(),
            queue_size=1_000_000,
        )
        svc.flush(10.0)
        sender = svc._worker.fanout.senders[0]
        peak = {"sender": 0, "memory": 0}
        stop = threading.Event()

        def sample() -> None:
            while not stop.is_set():
                st = svc.get_status()
                peak["sender"] = max(peak["sender"], st["per_destination"]["posthog"]["bytes"])
                peak["memory"] = max(peak["memory"], st["memory"]["bytes"])
                time.sleep(0.005)

        sampler = threading.Thread(target=sample)
        sampler.start()
        for i in range(30_000):
            svc.track_sync("memory_created", PROPS, user_id=f"user_{i % 500}")
        try:
            assert svc.flush(60.0)
        finally:
            stop.set()
            sampler.join()
        end = svc.get_status()
        svc.shutdown(5.0)
        group = 512 * event_bytes(Event("u", "e", "d", 0.0, "opensource", dict.fromkeys(range(12))))
        print(
            f"\nsender buffer peak {peak['sender']:,} B (soft limit {sender.soft_bytes:,}); "
            f"all stages peak {peak['memory']:,} B; 30,000 calls would be "
            f"{30_000 * (CALL_BYTES + PROP_BYTES * len(PROPS)):,} B unpacked"
        )
        assert len(set(fake_posthog.uuids())) == 30_000 and end["dropped"] == 0
        assert peak["sender"] <= sender.soft_bytes + group
        # unpacked and shaped at once, the 30,000 would take more than their estimate
        assert peak["memory"] < 0.8 * 30_000 * (CALL_BYTES + PROP_BYTES * len(PROPS))


class TestHardLimit:
    def test_a_hanging_destination_holds_at_most_half_the_budget(
        self, fake_posthog, fake_amplitude
    ):
        """PostHog stops answering; Amplitude still gets all 12,000 events, PostHog's buffer
        stops at half the 8 MiB budget and the rest of its events are dropped as
        ``buffer_full:posthog``."""
        fake_posthog.hang = True
        svc = TelemetryService(
            edition="cloud",
            destinations=("posthog", "amplitude"),
            **fake_posthog.settings(),
            **fake_amplitude.settings(),
            queue_max_bytes=8 * MiB,
        )
        for i in range(2_000):
            svc.track_sync("memory_created", PROPS, developer_id=f"dev_{i % 20}")
        time.sleep(1.5)  # posthog has had no final result for longer than STALLED_AFTER
        for i in range(2_000, 12_000):
            svc.track_sync("memory_created", PROPS, developer_id=f"dev_{i % 20}")
            if i % 500 == 0:
                time.sleep(0.05)
        assert fake_amplitude.wait_for(12_000, timeout=30.0)
        st = svc.get_status()
        svc.shutdown(0.5)
        fake_posthog.release()
        held = st["per_destination"]["posthog"]["bytes"]
        print(f"\nposthog holds {held:,} B; drops {st['drops']}")
        assert len(set(fake_amplitude.uuids())) == 12_000
        assert held <= 4 * MiB
        assert st["drops"].get("buffer_full:posthog", 0) > 0
        assert "buffer_full:amplitude" not in st["drops"]
