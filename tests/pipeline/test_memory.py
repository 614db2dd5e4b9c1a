"""Memory held to ``TELEMETRY_QUEUE_MAX_BYTES`` (issue 9 item 7): the caller's byte budget, the
compacted backlog, back-pressure from the senders and each sender's hard limit. Real services,
real fake vendors on 127.0.0.1."""

from __future__ import annotations

import contextlib
import gc
import os
import threading
import time
import tracemalloc
from datetime import UTC, datetime

import pytest

from tenantry import TelemetryService
from tenantry.events import Event
from tenantry.pipeline.backlog import CALL_BYTES, PROP_BYTES, Backlog, Budget
from tenantry.pipeline.sender import event_bytes
from tenantry.testing import InMemoryDestination

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
            svc.track_sync("memory_created", PROPS, user_id=f"user_{i % 500}")  # noqa: TNT001 - memory use does not depend on IDs
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
        # never all unpacked (nor all shaped, which takes more) at once
        assert peak["memory"] < 30_000 * (CALL_BYTES + PROP_BYTES * len(PROPS))


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


class Gate(InMemoryDestination):
    """Holds every send until ``open`` is set, then delivers."""

    def __init__(self) -> None:
        super().__init__(name="gate")
        self.open = threading.Event()

    def send(self, batch, timeout):
        self.open.wait(60)
        return super().send(batch, timeout)


def settle(condition, timeout: float = 30.0) -> None:
    """Wait until ``condition()`` holds and the worker has had a moment more."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not condition():
        time.sleep(0.01)
    time.sleep(0.2)


class TestAccounting:
    @pytest.mark.parametrize("edition", ["cloud", "opensource"])
    def test_the_budget_counts_what_is_really_allocated(self, edition):
        """``Budget.used`` is within 25% of the memory ``tracemalloc`` sees the pipeline hold, at
        three moments, each dominated by one stage: shaped events in a destination's buffer,
        calls waiting as they were recorded, and calls packed by the worker."""

        def track(svc: TelemetryService, n: int) -> None:
            for i in range(n):
                svc.track_sync(
                    "memory_created", dict(PROPS, i=i), user_id=f"user_{i % 500}", developer_id="d"
                )

        # first-use allocations (lazy imports, compiled patterns) and the policy's bounded memos
        # of keys, values and the call's IDs (a fixed cost, whatever the traffic) filled now
        warm = TelemetryService(edition=edition, destinations=[InMemoryDestination()])
        track(warm, 6_000)
        warm.shutdown(10.0)
        gate = Gate()
        svc = TelemetryService(
            edition=edition,
            destinations=[gate],
            queue_size=10_000_000,
            when_full="drop",
        )
        svc.flush(5.0)
        worker = svc._worker
        backlog = worker.backlog

        def held() -> int:
            gc.collect()
            return tracemalloc.get_traced_memory()[0]

        tracemalloc.start()
        try:
            base_mem, base_budget = held(), worker.budget.used
            ratios = {}
            track(svc, 6_000)  # shaped until the buffer is past its soft limit (2 MiB); it stays
            settle(lambda: worker.fanout.over_soft_limit() and len(backlog) < 6_000)
            mem, used = held() - base_mem, worker.budget.used - base_budget
            ratios["shaped"] = (used / mem, mem)
            backlog.compact_at = 10**9  # the worker waits for the buffer and packs nothing
            track(svc, 12_000)
            settle(lambda: len(backlog.queue) >= 12_000)  # the worker waits, packing nothing
            mem, used = held() - base_mem, worker.budget.used - base_budget
            ratios["recorded"] = (used / mem, mem)
            backlog.compact_at = 2048
            track(svc, 50_000)
            settle(lambda: len(backlog.queue) <= 2048)
            mem, used = held() - base_mem, worker.budget.used - base_budget
            ratios["packed"] = (used / mem, mem)
        finally:
            tracemalloc.stop()
            gate.open.set()
            svc.shutdown(10.0)
        print(
            f"\n{edition}: " + ", ".join(f"{k} {r:.2f} of {m:,} B" for k, (r, m) in ratios.items())
        )
        for ratio, _ in ratios.values():
            assert 0.75 <= ratio <= 1.25


def spilled_files(directory) -> list:
    """The open descriptors of this process that point into ``directory``."""
    out = []
    for fd in os.listdir("/proc/self/fd"):
        with contextlib.suppress(OSError):
            target = os.readlink(f"/proc/self/fd/{fd}")
            if target.startswith(str(directory)):
                out.append((int(fd), target))
    return out


class TestOverflow:
    def test_a_burst_larger_than_memory_waits_on_disk_and_arrives_in_order(
        self, fake_amplitude, tmp_path
    ):
        """Default ``when_full`` (``overflow``), a 1 MiB budget and a vendor answering every
        50 ms: 30,000 calls in a tight loop, far more than memory holds, all arrive, in the
        order they were made; none is dropped, ``flush`` is True, memory stays near the budget
        while the overflow holds the rest."""
        fake_amplitude.script(lambda req: time.sleep(0.05))
        svc = TelemetryService(
            edition="cloud",
            destinations=("amplitude",),
            **fake_amplitude.settings(),
            queue_max_bytes=MiB,
        )
        svc.flush(5.0)
        peak = {"memory": 0, "spilled": 0}
        stop = threading.Event()

        def sample() -> None:
            while not stop.wait(0.005):
                mem = svc.get_status()["memory"]
                peak["memory"] = max(peak["memory"], mem["bytes"])
                peak["spilled"] = max(peak["spilled"], mem["overflow"]["calls"])

        sampler = threading.Thread(target=sample)
        sampler.start()
        try:
            for i in range(30_000):
                svc.track_sync("memory_created", {"i": i}, developer_id=f"dev_{i % 20:03d}")
            flushed = svc.flush(120.0)
        finally:
            stop.set()
            sampler.join()
        st = svc.get_status()
        svc.shutdown(5.0)
        order = [e["event_properties"]["i"] for e in fake_amplitude.events]
        print(
            f"\npeak memory {peak['memory']:,} B of {MiB:,}; most calls on disk {peak['spilled']:,}"
        )
        assert flushed and st["dropped"] == 0 and st["memory"]["when_full"] == "overflow"
        assert order == list(range(30_000))
        assert peak["spilled"] > 10_000 and peak["memory"] <= 1.25 * MiB
        assert st["memory"]["overflow"] == {
            "bytes": 0,
            "max_bytes": 1024**3,
            "chunks": 0,
            "calls": 0,
        }

    def test_the_overflow_keeps_nothing_readable_on_disk(self, tmp_path):
        """While calls wait in the overflow, its files have no name (the directory lists
        nothing) and their bytes hold none of the calls' IDs or values; once the service is
        shut down no descriptor to them is left."""
        gate = Gate()
        data = tmp_path / "data"
        svc = TelemetryService(
            edition="cloud", destinations=[gate], data_dir=data, queue_max_bytes=MiB
        )
        svc.flush(5.0)
        for i in range(40_000):
            svc.track_sync(
                "memory_created",
                {"note": "secret-note-value", "email": "alice@example.com"},  # noqa: TNT003 - the test looks for them on disk
                user_id=f"usr_alice_{i}",
                developer_id="dev_confidential",
            )
        settle(lambda: svc.get_status()["memory"]["overflow"]["calls"] > 20_000)
        files = spilled_files(data / "overflow")
        spilled = svc.get_status()["memory"]["overflow"]
        raw = b"".join(os.pread(fd, 1 << 30, 0) for fd, _ in files)
        names = os.listdir(data / "overflow")
        gate.open.set()
        assert svc.flush(60.0)
        svc.shutdown(5.0)
        print(f"\n{spilled}; {len(files)} file(s): {files}; {len(raw):,} B")
        assert files and names == [] and len(raw) > 0
        for secret in (b"usr_alice_", b"dev_confidential", b"secret-note-value", b"alice@"):
            assert secret not in raw
        assert spilled_files(data / "overflow") == []
        assert len(gate.events) == 40_000

    def test_beyond_its_bound_events_are_dropped_and_counted(self, tmp_path):
        """``overflow_max_bytes`` of 16 KiB and a destination that does not answer: the overflow
        fills, then new events are dropped as ``overflow_full``; every event is delivered or
        counted once the destination answers, and ``flush`` says not all were delivered."""
        gate = Gate()
        svc = TelemetryService(
            edition="cloud",
            destinations=[gate],
            queue_max_bytes=MiB,
            overflow_max_bytes=16 * 1024,
        )
        svc.flush(5.0)
        for i in range(60_000):
            svc.track_sync("memory_created", {"i": i}, developer_id="dev_abc123")
        gate.open.set()
        flushed = svc.flush(60.0)
        st = svc.get_status()
        svc.shutdown(5.0)
        print(f"\ndrops {st['drops']}; delivered {st['delivered']}")
        assert not flushed and st["drops"]["overflow_full"] > 0
        assert st["delivered"] + st["dropped"] == 60_000 == len(gate.events) + st["dropped"]


class TestBlock:
    def test_the_caller_waits_for_room_and_nothing_is_dropped(self, fake_posthog):
        """``when_full="block"`` (for imports): with a 1 MiB budget and a vendor answering every
        50 ms, a burst of 10,000 calls fills memory, and instead of dropping, the calls wait
        for room: all 10,000 are delivered and ``flush`` is True."""
        fake_posthog.script(lambda req: time.sleep(0.05))
        svc = TelemetryService(
            edition="cloud",
            destinations=("posthog",),
            **fake_posthog.settings(),
            queue_max_bytes=MiB,
            when_full="block",
        )
        svc.flush(5.0)
        peak = 0
        t0 = time.perf_counter()
        for i in range(10_000):
            svc.track_sync("memory_created", {"i": i}, developer_id=f"dev_{i}")
            if i % 100 == 0:
                peak = max(peak, svc.get_status()["memory"]["bytes"])
        took = time.perf_counter() - t0
        assert svc.flush(60.0)
        st = svc.get_status()
        svc.shutdown(5.0)
        print(f"\n10,000 calls took {took:.2f} s; memory peak {peak:,} B; drops {st['drops']}")
        assert peak >= MiB - 4096  # memory was full: these calls waited
        assert st["dropped"] == 0 and len(set(fake_posthog.uuids())) == 10_000

    def test_a_wait_ends_at_the_timeout_and_the_event_is_counted(self):
        """A destination that does not answer and ``block_timeout=0.3``: once memory is full,
        a call waits 0.3 s, then its event is dropped (``queue_bytes``); tenantry's own threads
        never wait."""
        gate = Gate()
        svc = TelemetryService(
            edition="cloud",
            destinations=[gate],
            queue_max_bytes=MiB,
            when_full="block",
            block_timeout=0.3,
        )
        svc.flush(5.0)
        waited = 0.0
        for i in range(200_000):
            t0 = time.perf_counter()
            svc.track_sync("memory_created", {"i": i}, developer_id="dev_abc123")
            waited = time.perf_counter() - t0
            if svc.get_status()["dropped"]:
                break
        st = svc.get_status()
        gate.open.set()
        svc.shutdown(5.0)
        assert st["drops"] == {"queue_bytes": 1} and waited >= 0.3
