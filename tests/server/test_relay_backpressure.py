"""The relay accepts only what it can deliver: a destination that falls behind makes the relay
answer 503 with Retry-After, never accept events its sender would drop."""

from __future__ import annotations

import threading
import time
import uuid

import httpx

from tenantry.config import load_settings
from tenantry.destinations.base import DELIVERED
from tenantry.server import ServerThread, create_app
from tenantry.server.limits import Rate
from tenantry.server.relay import Relay, RelayBatch
from tenantry.testing import InMemoryDestination

UNLIMITED = Rate(per_second=1e9, burst=1e9)


class Gate(InMemoryDestination):
    """Holds every send until opened (a destination that stopped keeping up)."""

    def __init__(self) -> None:
        super().__init__(name="gate")
        self.open = threading.Event()

    def send(self, batch, timeout):
        self.open.wait(30)
        super().send(batch, timeout)
        return [DELIVERED] * len(batch)


def test_a_stalled_destination_turns_into_503_not_drops(tmp_path):
    """Batches of 1,000 events while the destination holds every send: after the buffer is half
    full the relay answers 503 with Retry-After; once the destination goes on, every event
    answered 200 is delivered, and nothing was dropped as buffer_full."""
    gate = Gate()
    settings = load_settings(data_dir=tmp_path, destinations=("none",))
    app = create_app(settings, relay_destinations=[gate], ip_rate=UNLIMITED, anon_rate=UNLIMITED)
    accepted, statuses = 0, []
    with ServerThread(app) as server, httpx.Client(base_url=server.url, timeout=30) as client:
        for _ in range(400):
            events = [
                {"event_name": "memory_created", "properties": {"n": i}, "uuid": str(uuid.uuid4())}
                for i in range(1000)
            ]
            r = client.post("/v1/telemetry/events", json={"events": events, "anonymous_id": "a1"})
            statuses.append(r.status_code)
            if r.status_code == 200:
                accepted += r.json()["events_processed"]
            else:
                assert r.status_code == 503 and r.headers["retry-after"] == "1", r.text
                assert r.json()["code"] == "busy"
                break
        assert statuses[-1] == 503, f"never busy after {len(statuses)} requests"
        gate.open.set()
        relay = app.state.server_state.relay
        deadline = time.monotonic() + 60
        while len(gate.events) < accepted and time.monotonic() < deadline:
            time.sleep(0.05)
        drops = relay.counters.snapshot().get("drops", {})
    print(
        f"\n{accepted:,} events accepted in {len(statuses) - 1} requests, then 503; drops {drops}"
    )
    assert len(gate.events) == accepted > 0
    assert not any(k.startswith("buffer_full") for k in drops), drops


def test_shutdown_counts_what_was_never_sent(tmp_path):
    """Relay.shutdown(timeout) ends by its deadline while the destination holds a send, and
    returns every event not delivered, the batch held in the send included; those it never
    sent are counted (shutdown:<destination>), as the library does (the held batch is not: its
    send may still land)."""
    gate = Gate()
    relay = Relay(load_settings(data_dir=tmp_path, destinations=("none",)), destinations=[gate])
    events = [{"event_name": "memory_created", "uuid": str(uuid.uuid4())} for _ in range(2000)]
    processed, _ = relay.accept(RelayBatch(events=events))
    time.sleep(0.2)  # the sender takes its first batch and waits at the gate
    t0 = time.monotonic()
    left = relay.shutdown(0.3)
    took = time.monotonic() - t0
    gate.open.set()
    drops = relay.counters.snapshot()["drops"]
    assert processed == 2000 and took < 1.0
    in_flight = gate.batch.max_events
    assert left == 2000 and drops == {"shutdown:gate": left - in_flight}
