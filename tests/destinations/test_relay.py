"""The relay destination over tenantry's relay protocol, against the fake relay on 127.0.0.1."""

from __future__ import annotations

import time

import pytest

from tenantry.config import load_settings
from tenantry.destinations.base import Status
from tenantry.destinations.relay import RelayDestination
from tenantry.errors import ConfigError
from tenantry.events import Event, new_uuids


def events(n: int) -> list[Event]:
    return [
        Event(u, "memory_created", "anon_abc", 1_700_000_000.0, "opensource", {"i": i})
        for i, u in enumerate(new_uuids(n))
    ]


class TestRelay:
    def test_wire_format(self, fake_relay):
        """Events go as {"events": [{event_name, properties, user_id, timestamp, uuid}], anonymous_id}."""
        dest = RelayDestination(load_settings(relay_url=fake_relay.base_url), timeout=2.0)
        evs = events(2)
        assert {r.status for r in dest.send(evs, 2.0)} == {Status.DELIVERED}
        body = fake_relay.requests[0].body
        assert body["anonymous_id"].startswith("anon_")
        assert body["events"][0] == {
            "event_name": "memory_created",
            "properties": {"i": 0},
            "user_id": "anon_abc",
            "timestamp": "2023-11-14T22:13:20.000Z",
            "uuid": evs[0].uuid,
        }

    def test_unsuccessful_answer_is_retried(self, fake_relay):
        """A 200 whose body says success: false is retried, not counted as delivered."""
        fake_relay.fail_next(
            1, 200, body={"success": False, "events_received": 1, "events_processed": 0}
        )
        dest = RelayDestination(load_settings(relay_url=fake_relay.base_url), timeout=2.0)
        assert dest.send(events(1), 2.0)[0].status is Status.RETRY

    def test_429_honours_retry_after(self, fake_relay):
        """429 with Retry-After: 7 is retried no earlier than 7 s later."""
        fake_relay.fail_next(1, 429, {"Retry-After": "7"})
        dest = RelayDestination(load_settings(relay_url=fake_relay.base_url), timeout=2.0)
        [result] = dest.send(events(1), 2.0)
        assert result.status is Status.RETRY and result.retry_at >= time.monotonic() + 6

    def test_needs_a_url(self):
        """Without TELEMETRY_RELAY_URL the relay destination refuses to start, naming it."""
        with pytest.raises(ConfigError, match="TELEMETRY_RELAY_URL"):
            RelayDestination(load_settings())
