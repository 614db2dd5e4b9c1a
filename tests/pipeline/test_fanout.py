"""The fan-out alone: one account of the results of several destinations, stop, back-pressure."""

from __future__ import annotations

import threading
import time

from tenantry.counters import Counters
from tenantry.destinations.base import DELIVERED, Result
from tenantry.events import Event, new_uuids
from tenantry.pipeline.fanout import FanOut
from tenantry.pipeline.spool import Spool
from tenantry.testing import InMemoryDestination

MB = 1024 * 1024


def events(n: int) -> list[Event]:
    return [
        Event(uuid=u, event="e", distinct_id="d", timestamp=1.0, edition="cloud", properties={})
        for u in new_uuids(n)
    ]


class Rejecting(InMemoryDestination):
    """Rejects every event whose position in its batch is odd, with reason ``odd``."""

    def send(self, batch, timeout):
        super().send(batch, timeout)
        return [DELIVERED if i % 2 == 0 else Result.rejected("odd") for i in range(len(batch))]


class Held(InMemoryDestination):
    """Holds every send until ``open`` is set."""

    def __init__(self, name: str) -> None:
        super().__init__(name=name)
        self.open = threading.Event()

    def send(self, batch, timeout):
        self.open.wait(30)
        return super().send(batch, timeout)


class TestFanOut:
    def test_results_of_several_destinations_are_counted_once(self):
        """Two destinations: an event is delivered once, not once per destination, and only
        when both delivered it; each rejection is a ``rejected:<reason>`` drop and reaches
        ``on_error``; an event one of them rejected is ``failed``, once."""
        counters = Counters()
        errors: list[tuple[str, int]] = []
        good, odd = InMemoryDestination(name="good"), Rejecting(name="odd")
        fanout = FanOut(
            [good, odd],
            counters=counters,
            soft_bytes=MB,
            hard_bytes=16 * MB,
            on_error=lambda name, es, rs: errors.append((name, len(es))),
        )
        fanout.submit(events(10))
        assert fanout.flush(time.monotonic() + 5)
        snap = counters.snapshot()
        rejected = snap["drops"]["rejected:odd"]
        assert len(good.events) == len(odd.events) == 10 and rejected > 0
        assert snap["failed"] == rejected and sum(n for _, n in errors) == rejected
        assert {name for name, _ in errors} == {"odd"}
        assert snap["delivered"] == 10 - rejected
        status = fanout.status()
        assert status["good"]["delivered"] == 10 and status["good"]["rejected"] == {}
        assert status["odd"]["delivered"] == 10 - rejected
        assert status["odd"]["rejected"] == {"odd": rejected}
        assert fanout.stop(time.monotonic() + 1) == 0

    def test_stop_returns_and_counts_what_was_never_sent(self, tmp_path):
        """A destination that holds its send: ``stop`` ends by its deadline and returns every
        event not delivered, the batch whose send has not returned included; those it never
        sent are counted ``shutdown:<name>`` drops, or ``shutdown_spooled:<name>`` with a
        spool (the batch in flight is not: its send may still land)."""
        for spool in (None, Spool(tmp_path / "spool", 64 * MB, Counters())):
            counters = Counters()
            held = Held("held")
            fanout = FanOut(
                [held], counters=counters, soft_bytes=MB, hard_bytes=16 * MB, spool=spool
            )
            fanout.submit(events(held.batch.max_events * 3))
            t0 = time.monotonic()
            left = fanout.stop(time.monotonic() + 0.3)
            assert time.monotonic() - t0 < 1.0
            held.open.set()
            snap = counters.snapshot()
            in_flight = held.batch.max_events
            assert left == held.batch.max_events * 3
            if spool is None:
                assert snap["drops"] == {"shutdown:held": left - in_flight}
            else:
                assert snap["shutdown_spooled:held"] == left - in_flight and not snap["drops"]

    def test_half_full_and_soft_limit(self):
        """``half_full`` (the relay's 503) once a destination holds half its bytes;
        ``over_soft_limit`` (the worker's wait) past the soft limit."""
        held = Held("held")
        fanout = FanOut([held], counters=Counters(), soft_bytes=10_000, hard_bytes=100_000)
        assert not fanout.half_full() and not fanout.over_soft_limit()
        fanout.submit(events(100))  # 256 bytes each: 25,600
        assert fanout.over_soft_limit() and not fanout.half_full()
        fanout.submit(events(100))
        assert fanout.half_full()
        held.open.set()
        assert fanout.flush(time.monotonic() + 5) and not fanout.half_full()
        fanout.stop(time.monotonic() + 1)
