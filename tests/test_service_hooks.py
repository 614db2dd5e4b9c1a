"""Through ``TelemetryService``: identify and group (cloud; skipped in opensource), the developer's
profile as user properties, super properties, sampling and before_send, personless PostHog
events, and what the jsonl capture keeps."""

from __future__ import annotations

import orjson
import pytest

from tenantry import TelemetryService
from tenantry.errors import ConfigError
from tenantry.testing import InMemoryDestination

PROFILES = {"dev_a": {"email": "a@company.com", "country": "US"}}


def cloud(**kw) -> tuple[TelemetryService, InMemoryDestination]:
    dest = InMemoryDestination(people=True)
    kw.setdefault("profile_lookup", None)
    return TelemetryService(edition="cloud", destinations=[dest], **kw), dest


class TestPeopleAndGroups:
    def test_identify_and_group_reach_a_people_destination(self):
        """identify and group are queued and shaped like events: one $identify and one
        $groupidentify update, in call order, and delivered."""
        svc, dest = cloud()
        svc.identify("dev_a", {"plan": "pro"}, set_once={"first": "free"})
        svc.group("company", "acme", {"seats": 5}, developer_id="dev_a")
        assert svc.flush(5.0)
        ident, grp = dest.events
        assert ident.properties == {"$set": {"plan": "pro"}, "$set_once": {"first": "free"}}
        assert grp.properties["$group_key"] == "acme" and grp.distinct_id == "dev_a"
        assert svc.get_status()["delivered"] == 2
        svc.shutdown(5.0)

    def test_opensource_sends_nothing_and_counts(self):
        """In opensource, identify and group send nothing and are counted identify_skipped."""
        dest = InMemoryDestination(people=True)
        svc = TelemetryService(edition="opensource", destinations=[dest])
        svc.identify("dev_a", {"email": "a@company.com"})
        svc.group("company", "acme", {"plan": "pro"})
        assert svc.flush(5.0) and dest.events == []
        assert svc.get_status()["counters"]["identify_skipped"] == 2
        svc.shutdown(5.0)

    def test_cloud_without_a_people_destination_skips_them(self, tmp_path):
        """With only destinations that keep events (jsonl here), identify is counted
        identify_skipped and the jsonl capture holds events only."""
        path = tmp_path / "events.jsonl"
        svc = TelemetryService(
            edition="cloud", destinations=["jsonl"], jsonl_path=path, profile_lookup=PROFILES.get
        )
        svc.identify("dev_a", {"plan": "pro"})
        svc.track_sync("memory_created", {"type": "text"}, developer_id="dev_a")
        assert svc.shutdown(5.0)
        lines = [orjson.loads(line) for line in path.read_bytes().splitlines()]
        assert [line["event"] for line in lines] == ["memory_created"]
        assert lines[0]["properties"]["email"] == "a@company.com"  # the event properties stay
        assert svc.get_status()["counters"]["identify_skipped"] == 1

    def test_profile_goes_once_per_developer_before_its_first_event(self):
        """The identity store's profile becomes the developer's user properties: one $identify
        just before the developer's first event, none for the following ones; jsonl beside the
        people destination keeps the events only."""
        svc, dest = cloud(profile_lookup=PROFILES.get)
        for i in range(3):
            svc.track_sync("memory_created", {"i": i}, user_id="usr_1", developer_id="dev_a")
        svc.track_sync("memory_created", {}, developer_id="dev_unknown")
        assert svc.flush(5.0)
        names = [e.event for e in dest.events]
        assert names == ["$identify"] + ["memory_created"] * 4
        assert dest.events[0].properties == {"$set": PROFILES["dev_a"]}
        assert dest.events[1].properties["email"] == "a@company.com"
        svc.shutdown(5.0)


class TestShapingOptions:
    def test_super_properties_and_register(self):
        """properties= go on every event, register adds to them for later events only, and
        the event's own properties win; in opensource they are still filtered."""
        svc, dest = cloud(properties={"service": "api", "type": "default"})
        svc.track_sync("first", {"type": "text"}, developer_id="dev_a")
        svc.register({"region": "eu"})
        svc.track_sync("second", {}, developer_id="dev_a")
        svc.register("not a dict")  # type: ignore[arg-type] - swallowed, counted
        assert svc.flush(5.0)
        first, second = (e.properties for e in dest.events)
        assert first["service"] == "api" and first["type"] == "text" and "region" not in first
        assert second["region"] == "eu" and second["type"] == "default"
        assert svc.get_status()["counters"]["invalid_properties"] == 1
        svc.shutdown(5.0)
        oss_dest = InMemoryDestination()
        oss = TelemetryService(
            edition="opensource", destinations=[oss_dest],
            properties={"owner": "alice@example.com", "tier": "pro"},
        )  # fmt: skip
        oss.track_sync("e", {}, developer_id="dev_a")
        assert oss.shutdown(5.0)
        [event] = oss_dest.events
        assert event.properties["tier"] == "pro" and "owner" not in event.properties

    def test_sampling_counts_and_stamps(self):
        """2,000 api_request calls at 0.2: the kept ones carry $sample_rate 0.2, the others are
        counted sampled_out, and other events are not sampled."""
        svc, dest = cloud(sample_rates={"api_request": 0.2})
        for _ in range(2000):
            svc.track_sync("api_request", {"route": "/v1/x"}, developer_id="dev_a")
        svc.track_sync("memory_created", {}, developer_id="dev_a")
        assert svc.flush(5.0)
        kept = [e for e in dest.events if e.event == "api_request"]
        status = svc.get_status()
        assert len(kept) + status["counters"]["sampled_out"] == 2000
        assert 300 <= len(kept) <= 500  # 400 expected; 5 standard deviations either way
        assert {e.properties["$sample_rate"] for e in kept} == {0.2}
        assert "$sample_rate" not in dest.events[-1].properties
        assert status["drops"] == {}
        svc.shutdown(5.0)

    def test_before_send_runs_on_the_worker_and_errors_keep_the_event(self):
        """before_send drops, changes, and when it raises the event goes on unchanged."""

        def fn(event):
            if event["event"] == "healthcheck":
                return None
            if event["event"] == "boom":
                raise RuntimeError("bug in the hook")
            event["properties"]["hooked"] = True
            return event

        svc, dest = cloud(before_send=fn)
        for name in ("healthcheck", "boom", "ok"):
            svc.track_sync(name, {"a": 1}, developer_id="dev_a")
        assert svc.flush(5.0)
        assert [(e.event, e.properties.get("hooked")) for e in dest.events] == [
            ("boom", None),
            ("ok", True),
        ]
        counters = svc.get_status()["counters"]
        assert counters["before_send_dropped"] == 1 and counters["before_send_errors"] == 1
        svc.shutdown(5.0)

    @pytest.mark.parametrize(
        "kw", [{"before_send": "print"}, {"sample_rates": {"x": 2}}, {"properties": 3}]
    )
    def test_bad_options_fail_at_construction(self, kw):
        """A before_send that is not callable, a bad rate or non-dict properties: ConfigError."""
        with pytest.raises(ConfigError):
            TelemetryService(edition="cloud", destinations=["none"], **kw)


class TestPersonProfiles:
    @pytest.mark.parametrize("opt_in", [False, True])
    def test_opensource_posthog_events_are_personless_unless_opted_in(
        self, fake_posthog, monkeypatch, opt_in
    ):
        """Opensource events reach PostHog with $process_person_profile false; with
        TELEMETRY_PERSON_PROFILES=1 without it (PostHog's default: a person profile)."""
        if opt_in:
            monkeypatch.setenv("TELEMETRY_PERSON_PROFILES", "1")
        svc = TelemetryService(
            edition="opensource", destinations=["posthog"], **fake_posthog.settings()
        )
        svc.track_sync("memory_created", {"type": "text"}, user_id="user_1", developer_id="dev_a")
        assert svc.shutdown(5.0)
        [event] = fake_posthog.requests[0].body["batch"]
        assert event["properties"].get("$process_person_profile") is (None if opt_in else False)

    def test_relayed_events_are_personless_and_keep_their_sample_rate(self, fake_posthog, tmp_path):
        """An installation's event through the relay to PostHog: personless too (the posthog
        destination decides it by edition), and the client's $sample_rate survives the relay's
        opensource rules, so the report scaling still applies."""
        from tenantry.config import load_settings
        from tenantry.destinations.posthog import PostHogDestination
        from tenantry.server.relay import Relay, RelayBatch

        settings = load_settings(data_dir=tmp_path, **fake_posthog.settings())
        relay = Relay(settings, destinations=[PostHogDestination(settings)])
        event = {
            "event_name": "api_request",
            "user_id": "anon_1",
            "properties": {"$sample_rate": 0.1},
        }
        assert relay.accept(RelayBatch(events=[event]))[0] == 1
        assert relay.flush(5.0)
        relay.shutdown(1.0)
        [sent] = fake_posthog.requests[0].body["batch"]
        assert sent["properties"]["$process_person_profile"] is False
        assert sent["properties"]["$sample_rate"] == 0.1
