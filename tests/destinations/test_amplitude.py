"""Amplitude over its real wire protocol, against the fake Amplitude on 127.0.0.1."""

from __future__ import annotations

import threading
import time

import pytest

from tenantry import __version__
from tenantry.config import load_settings
from tenantry.destinations.amplitude import AmplitudeDestination
from tenantry.destinations.base import Status
from tenantry.events import Event, new_uuids
from tests.destinations.vendors import destination, service
from tests.fixtures.seed_guide import PROFILES, RESULT_IN_AMPLITUDE, track_example_1


def events(n: int, user: str = "dev_abc123", name: str = "memory_created") -> list[Event]:
    return [
        Event(u, name, user, 1_700_000_000.5 + i, "cloud", {"i": i})
        for i, u in enumerate(new_uuids(n))
    ]


class TestAmplitude:
    async def test_example_1_arrives_as_the_seed_guide_says(self, fake_amplitude):
        """Example 1 through TelemetryService reaches Amplitude as the guide's "Result in
        Amplitude", in the developer's group, after the developer's profile as user properties
        (an $identify, a millisecond earlier)."""
        svc = service(fake_amplitude, edition="cloud", profile_lookup=PROFILES.get)
        await track_example_1(svc)
        assert svc.shutdown(5.0)
        [body] = [r.body for r in fake_amplitude.requests]
        assert body["api_key"] == "amp-key"
        [profile, event] = body["events"]
        assert profile["time"] == event["time"] - 1
        assert isinstance(event.pop("time"), int)
        assert len(event.pop("insert_id")) == 36
        assert event == {
            "user_id": "dev_abc123",
            "event_type": "memory_created",
            "library": f"tenantry/{__version__}",
            "event_properties": RESULT_IN_AMPLITUDE,
            "groups": {"developer": "dev_abc123"},
        }
        assert profile["event_type"] == "$identify" and profile["user_id"] == "dev_abc123"
        assert profile["user_properties"] == {"$set": PROFILES["dev_abc123"]}

    def test_fields_time_insert_id_and_batch_api(self, fake_amplitude):
        """The Batch API path gets the same body; time is ms and insert_id the event uuid."""
        dest = destination(fake_amplitude, server_url=fake_amplitude.batch_url)
        evs = events(3)
        assert all(r.status is Status.DELIVERED for r in dest.send(evs, 2.0))
        assert fake_amplitude.wait_for(3)
        got = fake_amplitude.events
        assert [g["insert_id"] for g in got] == [e.uuid for e in evs]
        assert got[0]["time"] == 1_700_000_000_500
        assert dest.api == "batch"

    def test_short_ids_set_min_id_length(self, fake_amplitude):
        """IDs shorter than 5 characters set options.min_id_length, so Amplitude accepts them."""
        dest = destination(fake_amplitude)
        results = dest.send(events(2, user="ab"), 2.0)
        assert all(r.status is Status.DELIVERED for r in results)
        assert fake_amplitude.requests[-1].body["options"] == {"min_id_length": 2}

    def test_requests_split_at_max_events_and_bytes(self, fake_amplitude):
        """A 2,500-event batch goes as requests of at most 1,000 events, each under 1 MB."""
        dest = destination(fake_amplitude, max_request_bytes=200_000)
        results = dest.send(events(2500), 5.0)
        assert all(r.status is Status.DELIVERED for r in results)
        sizes = [r.size for r in fake_amplitude.requests]
        counts = [len(r.body["events"]) for r in fake_amplitude.requests]
        assert max(counts) <= 1000 and sum(counts) == 2500
        assert max(sizes) < 200_000

    def test_400_rejects_only_the_named_events(self, fake_amplitude):
        """A 400 naming events rejects exactly those (amplitude_invalid); the rest retry at once."""
        fake_amplitude.invalid_event_type = "bad_event"
        evs = events(2) + events(1, name="bad_event") + events(2)
        results = destination(fake_amplitude).send(evs, 2.0)
        assert [r.status for r in results] == [Status.RETRY] * 2 + [Status.REJECTED] + [
            Status.RETRY
        ] * 2
        assert results[2].reason == "amplitude_invalid"
        assert results[0].retry_at <= time.monotonic()

    def test_400_without_named_events_rejects_the_request(self, fake_amplitude):
        """A 400 that names no event (e.g. a bad key) rejects every event as http_400."""
        fake_amplitude.fail_next(1, 400, body={"code": 400, "error": "Invalid API key"})
        results = destination(fake_amplitude).send(events(3), 2.0)
        assert {(r.status, r.reason) for r in results} == {(Status.REJECTED, "http_400")}

    def test_429_throttled_users_wait_others_go_on(self, fake_amplitude):
        """429: throttled users' events retry after ~30 s, daily-quota users are rejected, the
        rest retry at once."""
        fake_amplitude.throttle(["dev_slow1"], 60)
        fake_amplitude.quota(["dev_quota"])
        evs = (
            events(1, user="dev_fast1") + events(1, user="dev_slow1") + events(1, user="dev_quota")
        )
        results = destination(fake_amplitude).send(evs, 2.0)
        now = time.monotonic()
        assert results[0].status is Status.RETRY and results[0].retry_at <= now
        assert results[1].status is Status.RETRY and results[1].retry_at >= now + 25
        assert (results[2].status, results[2].reason) == (Status.REJECTED, "daily_quota")

    @pytest.mark.parametrize("status", [500, 502, 503, 504])
    def test_server_errors_retry_with_the_same_insert_ids(self, fake_amplitude, status):
        """5xx answers are retried; the retry carries the same insert_ids."""
        dest = destination(fake_amplitude)
        evs = events(3)
        fake_amplitude.fail_next(1, status)
        assert all(r.status is Status.RETRY for r in dest.send(evs, 2.0))
        assert all(r.status is Status.DELIVERED for r in dest.send(evs, 2.0))
        first, second = (r.body["events"] for r in fake_amplitude.requests)
        assert [e["insert_id"] for e in first] == [e["insert_id"] for e in second]

    def test_413_splits_within_the_call(self, fake_amplitude):
        """Above the server's size limit the request is split in halves until each part fits."""
        fake_amplitude.max_body = 3000
        results = destination(fake_amplitude).send(events(40), 2.0)
        assert all(r.status is Status.DELIVERED for r in results)
        assert len(fake_amplitude.events) == 40
        assert fake_amplitude.statuses[413] >= 1

    def test_no_api_key_rejects_everything_and_logs(self, fake_amplitude, caplog):
        """Without an API key nothing is sent, each event is rejected no_api_key, and it is logged."""
        settings = load_settings(amplitude_server_url=fake_amplitude.url)
        dest = AmplitudeDestination(settings)
        results = dest.send(events(2), 1.0)
        assert {(r.status, r.reason) for r in results} == {(Status.REJECTED, "no_api_key")}
        assert fake_amplitude.requests == []
        assert "AMPLITUDE_API_KEY" in caplog.text

    def test_timeout_is_honoured(self, fake_amplitude):
        """A server that never answers costs at most the timeout, and the events are retried."""
        fake_amplitude.hang = True
        t0 = time.monotonic()
        results = destination(fake_amplitude, timeout=0.3).send(events(2), 5.0)
        assert time.monotonic() - t0 < 1.0
        assert {(r.status, r.reason) for r in results} == {(Status.RETRY, "timeout")}
        fake_amplitude.release()

    def test_429_naming_none_of_the_events_backs_off(self, fake_amplitude):
        """A 429 whose throttled lists name none of the request's events is not retried at once
        (that would spin): it waits for Retry-After like any 429."""
        fake_amplitude.fail_next(
            1,
            429,
            {"Retry-After": "5"},
            body={"code": 429, "throttled_users": {}, "throttled_events": []},
        )
        results = destination(fake_amplitude).send(events(2), 2.0)
        assert all(r.status is Status.RETRY for r in results)
        assert all(r.retry_at >= time.monotonic() + 4 for r in results)


class TestWhatAmplitudeKeeps:
    """Issue 11 item 3, Amplitude's side: its ``ip`` field."""

    @pytest.mark.parametrize("edition", ["cloud", "opensource"])
    async def test_no_ip_field_so_no_address_and_no_location(self, fake_amplitude, edition):
        """No event carries ``ip`` (Amplitude reads the socket's address only for "$remote"),
        so under Amplitude's documented rule the stored event has no IP and no location."""
        svc = service(fake_amplitude, edition=edition)
        await svc.track("memory_created", {"type": "text", "ip": "203.0.113.9"},
                        user_id="user_1234", developer_id="dev_abc123")  # fmt: skip
        assert svc.shutdown(5.0)
        [sent] = fake_amplitude.events
        assert "ip" not in sent and "location_lat" not in sent
        [kept] = fake_amplitude.stored
        assert kept["ip"] is None and "country" not in kept


QUOTA_429 = {
    "code": 429,
    "error": "Too many requests for some devices and users",
    "eps_threshold": 30,
    "throttled_devices": {},
    "throttled_users": {},
    "throttled_events": [1],
    "exceeded_daily_quota_users": {"dev_quota": 500_001},
    "exceeded_daily_quota_devices": {},
}


class TestDailyQuota:
    """Issue 11 item 5: a 429 drops only the events it names as throttled, as amplitude-python."""

    def _once_429(self, server):
        answered = []

        def script(req):
            if not answered:
                answered.append(req)
                return 429, {}, QUOTA_429
            return None

        server.script(script)

    def test_only_throttled_events_of_quota_users_are_dropped(self, fake_amplitude):
        """Of two events of a user over quota, only the one listed in throttled_events is
        rejected (daily_quota); the other one, and another user's, are retried at once."""
        self._once_429(fake_amplitude)
        evs = events(2, user="dev_quota") + events(1, user="dev_other")
        results = destination(fake_amplitude).send(evs, 2.0)
        assert [(r.status, r.reason) for r in results] == [
            (Status.RETRY, "amplitude_429_other"),
            (Status.REJECTED, "daily_quota"),
            (Status.RETRY, "amplitude_429_other"),
        ]
        assert results[0].retry_at <= time.monotonic()

    def test_amplitude_python_drops_the_same_event(self, fake_amplitude):
        """The official SDK, given the same 429, drops exactly the same event (index 1) and
        delivers the other two on retry: tenantry's verdict matches it."""
        from amplitude import Amplitude, BaseEvent, Config

        self._once_429(fake_amplitude)
        outcomes: dict[str, tuple[int, str]] = {}
        done = threading.Event()

        def callback(event, code, message=None):
            outcomes[event.insert_id] = (code, message)
            if len(outcomes) == 3:
                done.set()

        client = Amplitude(
            "amp-key",
            Config(server_url=fake_amplitude.url, callback=callback, flush_interval_millis=50),
        )
        ids = new_uuids(3)
        for insert_id, user in zip(ids, ("dev_quota", "dev_quota", "dev_other"), strict=True):
            client.track(BaseEvent("memory_created", user_id=user, insert_id=insert_id))  # noqa: TNT004 - the official SDK is the oracle
        client.flush()
        assert done.wait(10.0), outcomes
        client.shutdown()
        assert [outcomes[i][0] for i in ids] == [200, 429, 200]
        assert outcomes[ids[1]][1] == "Exceeded daily quota"
