"""The per-destination sender: batching triggers, retry with backoff (one time per outage window,
owned by the sender alone), final results."""

from __future__ import annotations

import threading
import time

from tenantry.counters import Counters
from tenantry.destinations.base import DELIVERED, BatchConfig, Destination, Result, Status
from tenantry.events import Event, new_uuids
from tenantry.pipeline.sender import Sender
from tenantry.retry import Backoff, Outage


def events(n: int) -> list[Event]:
    return [
        Event(u, "e", "dev_1", time.time(), "cloud", {"i": i}) for i, u in enumerate(new_uuids(n))
    ]


class Scripted(Destination):
    """Answers each send with results from ``script(batch, call_number)``."""

    name = "scripted"

    def __init__(self, script, batch=None):
        self.script = script
        self.batch = batch or BatchConfig(max_events=10, max_age=0.05)
        self.calls: list[list[str]] = []
        self.lock = threading.Lock()

    def send(self, batch, timeout):
        with self.lock:
            self.calls.append([e.uuid for e in batch])
            n = len(self.calls)
        return self.script(batch, n)


def run(dest, evs, timeout=5.0, **kw):
    finals: list[tuple[str, Status, str | None]] = []
    lock = threading.Lock()

    def on_final(name, es, rs):
        with lock:
            finals.extend((e.uuid, r.status, r.reason) for e, r in zip(es, rs, strict=True))

    counters = Counters()
    kw.setdefault("backoff", Backoff(0.01, 0.05))
    sender = Sender(dest, counters=counters, on_final=on_final, **kw)
    sender.submit(evs)
    deadline = time.monotonic() + timeout
    while len(finals) < len(evs) and time.monotonic() < deadline:
        time.sleep(0.005)
    sender.stop(1.0)
    return finals, sender


class TestBatching:
    def test_max_events_splits_batches(self):
        """25 events with max_events=10 go as batches of 10, 10 and 5."""
        dest = Scripted(lambda b, n: [DELIVERED] * len(b))
        finals, _ = run(dest, events(25))
        assert [len(c) for c in dest.calls] == [10, 10, 5]
        assert len(finals) == 25

    def test_max_age_sends_a_partial_batch(self):
        """A lone event is sent after max_age even though the batch is not full."""
        dest = Scripted(lambda b, n: [DELIVERED] * len(b), BatchConfig(max_events=100, max_age=0.1))
        t0 = time.monotonic()
        finals, _ = run(dest, events(1))
        assert len(finals) == 1 and 0.05 <= time.monotonic() - t0 < 2

    def test_max_bytes_limits_a_batch(self):
        """A byte limit smaller than ten events' estimate gives more, smaller batches."""
        dest = Scripted(
            lambda b, n: [DELIVERED] * len(b),
            BatchConfig(max_events=100, max_bytes=1000, max_age=0.01),
        )
        run(dest, events(10))
        assert all(len(c) <= 3 for c in dest.calls) and sum(map(len, dest.calls)) == 10


class TestRetry:
    def test_retry_resends_the_same_events(self):
        """RETRY results are resent with the same uuid until delivered; nothing is duplicated."""
        seen: dict[str, int] = {}

        def script(batch, n):
            out = []
            for e in batch:
                seen[e.uuid] = seen.get(e.uuid, 0) + 1
                out.append(Result.retry("http_503") if seen[e.uuid] <= 2 else DELIVERED)
            return out

        dest = Scripted(script)
        evs = events(5)
        finals, sender = run(dest, evs)
        sent = [u for call in dest.calls for u in call]
        assert all(sent.count(e.uuid) == 3 for e in evs) and len(sent) == 15
        assert {f[0] for f in finals} == {e.uuid for e in evs}
        assert all(f[1] is Status.DELIVERED for f in finals)
        assert sender.stats["retried"] == 10

    def test_partial_rejection(self):
        """Only the events a destination rejects are final failures; the others are delivered."""

        def script(batch, n):
            return [
                Result.rejected("invalid") if e.properties["i"] % 2 else DELIVERED for e in batch
            ]

        finals, _ = run(Scripted(script), events(6))
        rejected = [f for f in finals if f[1] is Status.REJECTED]
        assert len(rejected) == 3 and all(f[2] == "invalid" for f in rejected)

    def test_retry_at_is_honoured(self):
        """A RETRY with retry_at 0.3 s ahead is not resent before then."""

        def script(batch, n):
            return (
                [Result.retry("http_429", after=0.3)] * len(batch)
                if n == 1
                else [DELIVERED] * len(batch)
            )

        dest = Scripted(script)
        t0 = time.monotonic()
        finals, _ = run(dest, events(1))
        assert len(finals) == 1 and time.monotonic() - t0 >= 0.3

    def test_raising_destination_is_retried_not_fatal(self):
        """A destination that raises breaks its contract; the sender retries instead of dying."""

        def script(batch, n):
            if n == 1:
                raise RuntimeError("boom")
            return [DELIVERED] * len(batch)

        finals, _ = run(Scripted(script), events(3))
        assert len(finals) == 3 and all(f[1] is Status.DELIVERED for f in finals)


class CountingBackoff(Backoff):
    """A fixed short delay that records each attempt number it is asked for."""

    def delay(self, attempt, rng=None):
        ASKED.append(attempt)
        return 0.2


ASKED: list[int] = []


class TestOutage:
    def test_one_time_per_window_growing_once_and_reset_by_success(self):
        """Failures within a window share its end; the next window is longer by one step; a
        success starts again from the first step."""
        ASKED.clear()
        outage = Outage(CountingBackoff())
        first = outage.retry_at(100.0)
        assert first == 100.2 and outage.retry_at(100.1) == first and ASKED == [0]
        assert outage.retry_at(100.25) == 100.45 and ASKED == [0, 1]
        outage.succeeded()
        outage.retry_at(100.5)
        assert ASKED == [0, 1, 0]

    def test_queued_batches_share_one_retry_time(self):
        """Four batches failing back to back (no Retry-After) ask the backoff once, come back
        as the same four batches, and the second failed round asks for the next step only once;
        the success after it resets the backoff for the next outage."""
        ASKED.clear()

        def script(batch, n):
            if n <= 8 or n == 13:  # two rounds of four failed batches, later one more
                return [Result.retry("http_503")] * len(batch)
            return [DELIVERED] * len(batch)

        dest = Scripted(script, BatchConfig(max_events=5, max_age=0.01))
        counters = Counters()
        sender = Sender(
            dest, counters=counters, on_final=lambda *a: None, backoff=CountingBackoff()
        )
        evs = events(20)
        sender.submit(evs)
        deadline = time.monotonic() + 5
        while len(dest.calls) < 12 and time.monotonic() < deadline:
            time.sleep(0.005)
        assert dest.calls[4:8] == dest.calls[0:4] == dest.calls[8:12]
        assert ASKED == [0, 1]
        sender.submit(events(1))  # call 13 fails: a new outage starts from the first step
        while len(dest.calls) < 14 and time.monotonic() < deadline:
            time.sleep(0.005)
        sender.stop(1.0)
        assert ASKED == [0, 1, 0] and sender.stats["delivered"] == 21

    def test_vendor_time_is_kept_and_does_not_grow_the_backoff(self):
        """A retry the vendor timed (Retry-After) waits for that time and asks no backoff."""
        ASKED.clear()

        def script(batch, n):
            return [Result.retry("http_429", after=0.3)] * len(batch) if n == 1 else [DELIVERED]

        t0 = time.monotonic()
        finals, _ = run(Scripted(script), events(1), backoff=CountingBackoff())
        assert len(finals) == 1 and time.monotonic() - t0 >= 0.3 and ASKED == []


def test_buffer_bound_drops_and_counts():
    """Past max_buffer, new events are dropped and counted as buffer_full:<name>."""
    gate = threading.Event()

    def script(batch, n):
        gate.wait(5)
        return [DELIVERED] * len(batch)

    counters = Counters()
    sender = Sender(Scripted(script), counters=counters, on_final=lambda *a: None, max_buffer=20)
    sender.submit(events(15))
    sender.submit(events(15))
    assert counters.snapshot()["drops"]["buffer_full:scripted"] == 10
    gate.set()
    sender.stop(2)
