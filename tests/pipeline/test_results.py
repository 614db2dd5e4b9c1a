"""Results that tell the truth (issue 20 items 8 and 9): ``flush()`` is True only when every event
accepted so far reached every destination it was meant for, and ``get_status()`` counts each
event once, the same whichever destination answers last, with counters per destination."""

from __future__ import annotations

import threading
import time

import pytest

from tenantry import TelemetryService
from tenantry.destinations.base import DELIVERED, Result
from tenantry.testing import InMemoryDestination

EVENTS = 10


class Gated(InMemoryDestination):
    """Answers only once ``gate`` is set; rejects (reason ``nope``) the events ``rejects``
    picks and delivers the others."""

    def __init__(self, name: str, rejects) -> None:
        super().__init__(name=name)
        self.rejects = rejects
        self.gate = threading.Event()

    def send(self, batch, timeout):
        self.gate.wait(30)
        super().send(batch, timeout)
        return [Result.rejected("nope") if self.rejects(e) else DELIVERED for e in batch]


def numbers(st: dict) -> dict:
    """What must not depend on the order of answers."""
    per = {
        name: {k: d[k] for k in ("delivered", "rejected", "failed")}
        for name, d in st["per_destination"].items()
    }
    return {k: st[k] for k in ("delivered", "failed", "dropped", "drops")} | {"per": per}


def run(first_opens: str) -> tuple[bool, dict]:
    """Two destinations, ``picky`` (rejects one event) and ``stern`` (rejects every event);
    ``first_opens`` answers first, the other once that answer is counted."""
    picky = Gated("picky", lambda e: e.properties["i"] == 3)
    stern = Gated("stern", lambda e: True)
    svc = TelemetryService(edition="cloud", destinations=[picky, stern])
    for i in range(EVENTS):
        svc.track_sync("memory_created", {"i": i}, developer_id="dev_abc123")
    first, second = (picky, stern) if first_opens == "picky" else (stern, picky)
    first.gate.set()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:  # its results are counted, on its sender thread
        mine = svc.get_status()["per_destination"].get(first.name, {})
        if mine.get("delivered", 0) + sum(mine.get("rejected", {}).values()) == EVENTS:
            break
        time.sleep(0.005)
    second.gate.set()
    flushed = svc.flush(10)
    st = svc.get_status()
    svc.shutdown(2)
    return flushed, st


class TestOrderOfAnswers:
    def test_the_same_numbers_whichever_destination_answers_last(self):
        """Ten events to two destinations, one rejecting one event and the other all ten: no
        event reached both, so ``delivered`` is 0 and ``failed`` 10 in both orders; ``picky``
        delivered 9 and rejected 1, ``stern`` rejected 10; ``flush`` says False."""
        a_flushed, a = run("picky")
        b_flushed, b = run("stern")
        print(f"\npicky first: {numbers(a)}\nstern first: {numbers(b)}")
        assert numbers(a) == numbers(b)
        assert not a_flushed and not b_flushed
        assert a["delivered"] == 0 and a["failed"] == EVENTS
        assert a["per_destination"]["picky"]["delivered"] == EVENTS - 1
        assert a["per_destination"]["picky"]["rejected"] == {"nope": 1}
        assert a["per_destination"]["stern"]["rejected"] == {"nope": EVENTS}
        assert a["per_destination"]["stern"]["delivered"] == 0
        assert a["drops"] == {"rejected:nope": EVENTS + 1} and a["dropped"] == EVENTS + 1

    def test_events_delivered_everywhere_are_counted_once(self):
        """Two destinations delivering all ten: ``delivered`` is 10 (events, not deliveries),
        each destination counts its own 10, and ``flush`` is True."""
        one, two = InMemoryDestination(name="one"), InMemoryDestination(name="two")
        svc = TelemetryService(edition="cloud", destinations=[one, two])
        for i in range(EVENTS):
            svc.track_sync("memory_created", {"i": i}, developer_id="dev_abc123")
        assert svc.flush(10)
        st = svc.get_status()
        svc.shutdown(2)
        assert st["delivered"] == EVENTS and st["failed"] == 0 and st["dropped"] == 0
        assert {n: d["delivered"] for n, d in st["per_destination"].items()} == {
            "one": EVENTS,
            "two": EVENTS,
        }
        assert st["destinations"] == st["providers"] == ["one", "two"]


class TestFlush:
    @pytest.mark.parametrize(
        ("kw", "reason"),
        [
            ({"destinations": ("posthog",)}, "rejected:no_api_key"),
            ({"destinations": ("relay",)}, "no_destination"),  # no TELEMETRY_RELAY_URL: none built
        ],
    )
    def test_false_when_every_event_was_rejected_or_had_nowhere_to_go(self, kw, reason):
        """PostHog without an API key rejects every event; a relay without its URL cannot be
        built, so events have no destination: ``flush`` is False (it was True on main), and
        the drops say why."""
        svc = TelemetryService(edition="cloud", **kw)
        for i in range(EVENTS):
            svc.track_sync("memory_created", {"i": i}, developer_id="dev_abc123")
        flushed = svc.flush(10)
        st = svc.get_status()
        svc.shutdown(2)
        assert not flushed
        assert st["drops"] == {reason: EVENTS} and st["delivered"] == 0

    def test_true_when_only_the_caller_s_choices_dropped_events(self):
        """An event without a name is dropped by the policy, as asked (``invalid_event_name``):
        not a loss, so ``flush`` is True once the others are delivered."""
        memory = InMemoryDestination()
        svc = TelemetryService(edition="cloud", destinations=[memory])
        svc.track_sync(None, {"i": 0}, developer_id="dev_abc123")
        for i in range(EVENTS):
            svc.track_sync("memory_created", {"i": i}, developer_id="dev_abc123")
        assert svc.flush(10)
        st = svc.get_status()
        svc.shutdown(2)
        assert st["drops"] == {"invalid_event_name": 1} and len(memory.events) == EVENTS
