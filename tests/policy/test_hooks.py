"""The service's shaping options, each processor alone on literal drafts: sampling, super
properties, before_send, and the service chain that puts them around the edition's chain."""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime

import pytest

from tenantry.errors import ConfigError
from tenantry.events import new_uuids
from tenantry.policy import shape
from tenantry.policy.hooks import (
    SAMPLE_RATE,
    BeforeSend,
    Hooks,
    Sample,
    ServiceChain,
    SuperProperties,
    check_rates,
    sampled_in,
    stamp_sample_rate,
    view,
)
from tests.policy.conftest import ANON, chain, make_draft


class TestSampledIn:
    def test_same_answer_for_the_same_uuid(self):
        """The decision is a function of the uuid alone: asked twice (two replicas, a relay, a
        replay), it answers the same, and rate 1 keeps everything, rate 0 nothing."""
        ids = new_uuids(2000)
        first = [sampled_in(u, 0.3) for u in ids]
        assert first == [sampled_in(str(uuid.UUID(u)), 0.3) for u in ids]
        assert all(sampled_in(u, 1.0) for u in ids) and not any(sampled_in(u, 0.0) for u in ids)

    @pytest.mark.parametrize("kind", ["random v4", "time-ordered v7"])
    def test_keeps_the_rate_of_any_uuid_version(self, kind):
        """20,000 uuids at rate 0.1 keep 10% within 5 standard deviations (±212), random ones
        and v7-style ones whose first 48 bits are a clock alike (the hash, not the bits)."""
        if kind == "random v4":
            ids = new_uuids(20_000)
        else:
            ids = [f"0190a1b2-{i >> 16 & 0xFFFF:04x}-7{i & 0xFFF:03x}-8000-{i:012x}" for i in range(20_000)]  # fmt: skip
        kept = sum(sampled_in(u, 0.1) for u in ids)
        assert abs(kept - 2000) <= 212, kept

    def test_lower_rates_keep_a_subset(self):
        """What rate 0.05 keeps, rate 0.2 keeps too: a relay sampling again at a higher rate
        drops nothing the library kept."""
        ids = new_uuids(5000)
        low = {u for u in ids if sampled_in(u, 0.05)}
        high = {u for u in ids if sampled_in(u, 0.2)}
        assert low and low <= high


class TestSample:
    def test_kept_events_carry_their_rate_and_the_rest_are_counted(self, counters):
        """Sampled-out drafts return None and count sampled_out (not a drop); kept ones carry
        sample_rate, which stamp_sample_rate writes as $sample_rate."""
        sample = Sample({"api_request": 0.25}, counters)
        drafts = [make_draft(event="api_request") for _ in range(400)]
        kept = [d for d in drafts if sample(d) is not None]
        out = counters.snapshot()
        assert out["sampled_out"] == 400 - len(kept) and out["drops"] == {}
        assert [d["uuid"] for d in kept] == [
            d["uuid"] for d in drafts if sampled_in(d["uuid"], 0.25)
        ]
        assert stamp_sample_rate(kept[0])["properties"][SAMPLE_RATE] == 0.25

    def test_other_names_and_kinds_by_their_sent_name(self, counters):
        """A name without a rate is untouched; track_error is sampled as error_occurred."""
        sample = Sample({"error_occurred": 0.0}, counters)
        assert sample(make_draft(event="memory_created")) is not None
        assert sample(make_draft(kind="error", event="database_error")) is None
        assert counters.get("sampled_out") == 1

    @pytest.mark.parametrize(
        "rates",
        [{"a": 1.5}, {"a": -0.1}, {"a": "0.5"}, {"a": True}, {"": 0.5}, [("a", 0.5)], {"a": 1e-7}],
    )
    def test_bad_rates_fail_at_start(self, rates):
        """A rate outside 0..1, not a number, an empty name, or not a dict: ConfigError naming
        sample_rates."""
        with pytest.raises(ConfigError, match="sample_rates"):
            check_rates(rates)

    def test_the_smallest_rate_is_one_in_a_million(self):
        """0 (keep none) and 1e-6 to 1 are rates: a kept event then weighs at most a million
        in the usage reports, which read no smaller rate."""
        assert check_rates({"a": 0, "b": 1e-6, "c": 1}) == {"a": 0.0, "b": 1e-6, "c": 1.0}
        with pytest.raises(ConfigError, match="from 1e-06 to 1, got 5e-07"):
            check_rates({"a": 5e-7})


class TestSuperProperties:
    def test_merged_under_the_events_own(self):
        """Super properties are added to every draft; the event's own properties win."""
        supers = SuperProperties({"service": "api", "type": "default"})
        draft = supers(make_draft())
        assert draft["properties"] == {"service": "api", "type": "text", "has_metadata": True}
        assert supers(make_draft(properties=None))["properties"] == {
            "service": "api",
            "type": "default",
        }

    def test_an_event_recorded_before_register_does_not_get_them(self):
        """register applies from the moment it is called: a draft recorded earlier (and shaped
        later, as the worker does) gets the earlier version."""
        supers = SuperProperties({"v": 1})
        supers.register({"v": 2, "region": "eu"}, at=100.0)
        before = supers(make_draft(accepted_at=99.5, properties={}))
        after = supers(make_draft(accepted_at=100.5, properties={}))
        assert before["properties"] == {"v": 1}
        assert after["properties"] == {"v": 2, "region": "eu"}

    def test_not_a_mapping(self):
        """properties= that is not a dict fails at start; register of one raises TypeError
        (the service swallows and counts it)."""
        with pytest.raises(ConfigError, match="properties"):
            SuperProperties(["a"])  # type: ignore[arg-type]
        with pytest.raises(TypeError):
            SuperProperties().register("service=api")  # type: ignore[arg-type]


class TestBeforeSend:
    def test_sees_the_call_as_made(self, counters):
        """The event before_send gets: type, event, properties (a copy), user_id, developer_id,
        an aware UTC timestamp and the uuid."""
        seen = []
        draft = make_draft()
        original = draft["properties"]
        BeforeSend(lambda e: seen.append(e) or e, counters)(draft)
        [event] = seen
        assert event == {
            "type": "track",
            "event": "memory_created",
            "properties": {"type": "text", "has_metadata": True},
            "user_id": "user_1234",
            "developer_id": "dev_abc123",
            "timestamp": datetime.fromtimestamp(1_764_000_000.0, UTC),
            "uuid": draft["uuid"],
        }
        assert event["properties"] is not original  # its own copy

    def test_changes_are_taken_and_none_drops(self, counters):
        """A returned event's name, properties and IDs replace the draft's; None drops it,
        counted before_send_dropped (not a drop: the caller chose it)."""

        def fn(e):
            if e["event"] == "healthcheck":
                return None
            e["properties"]["scrubbed"] = True
            e["event"] = "renamed"
            return e

        hook = BeforeSend(fn, counters)
        draft = hook(make_draft())
        assert draft["event"] == "renamed" and draft["properties"]["scrubbed"] is True
        assert hook(make_draft(event="healthcheck")) is None
        assert counters.get("before_send_dropped") == 1 and counters.snapshot()["drops"] == {}

    def test_an_exception_leaves_the_event_unchanged_logged_once_per_type(self, counters, caplog):
        """A raising before_send (even after changing its copy) leaves the draft as it was; each
        exception type is logged once and every error counted before_send_errors; a return
        that is not a dict counts as an error too."""

        def fn(e):
            e["properties"].clear()
            raise (KeyError if e["event"] == "k" else ValueError)("boom")

        hook = BeforeSend(fn, counters)
        with caplog.at_level(logging.WARNING, logger="tenantry"):
            drafts = [hook(make_draft(event=n)) for n in ("k", "v", "k", "v")]
        assert [d["properties"] for d in drafts] == [{"type": "text", "has_metadata": True}] * 4
        assert counters.get("before_send_errors") == 4
        assert sorted(r.exc_info[0].__name__ for r in caplog.records) == ["KeyError", "ValueError"]
        assert BeforeSend(lambda e: "nope", counters)(make_draft()) is not None
        assert counters.get("before_send_errors") == 5

    def test_views_of_other_kinds(self):
        """performance has duration_ms; an api_request and a task_run have their facts;
        identify its set_once; group its type and key."""
        perf = view(make_draft(kind="performance", event="search", duration_ms=12.5))
        req = view(make_draft(kind="request", event="api_request",
                              duration_ms=("/v1/x/{id}", "GET", 200, 3.5, 10, 20)))  # fmt: skip
        task = view(make_draft(kind="task", event="task_run",
                               duration_ms=("billing.send", "SUCCESS", 8.0, 1)))  # fmt: skip
        ident = view(make_draft(kind="identify", event="$identify", duration_ms={"a": 1}))
        group = view(make_draft(kind="group", event="$groupidentify", duration_ms=("co", "acme")))
        assert perf["duration_ms"] == 12.5
        assert req["request"] == {"route": "/v1/x/{id}", "method": "GET", "status": 200,
                                  "duration_ms": 3.5}  # fmt: skip
        assert task["task"] == {"name": "billing.send", "state": "SUCCESS", "duration_ms": 8.0,
                                "retries": 1}  # fmt: skip
        assert ident["set_once"] == {"a": 1}
        assert (group["group_type"], group["group_key"]) == ("co", "acme")

    def test_group_changes_are_taken(self, counters):
        """For a group update, before_send may change the key (and the type stays)."""
        hook = BeforeSend(lambda e: {**e, "group_key": "acme-inc"}, counters)
        draft = hook(make_draft(kind="group", event="$groupidentify", duration_ms=("co", "acme")))
        assert draft["duration_ms"] == ("co", "acme-inc")


class TestServiceChain:
    def test_before_send_output_is_still_filtered_in_opensource(self, counters):
        """What before_send adds (an email, a raw ID) goes through the opensource rules after
        it: the shaped event has neither."""

        def fn(e):
            e["properties"].update(email="alice@example.com", plan="pro", user="u_123456789")
            return e

        hooks = Hooks(before_send=fn, properties={"service": "api"})
        svc_chain = ServiceChain(
            chain("opensource", counters), hooks, counters=counters, people=False,
            anonymous_id=ANON,
        )  # fmt: skip
        event = shape(svc_chain, make_draft())
        assert event.properties["service"] == "api" and event.properties["plan"] == "pro"
        assert "email" not in event.properties and "user" not in event.properties
        assert svc_chain.people is None

    def test_sample_rate_is_stamped_after_the_chain(self, counters):
        """A kept sampled event leaves the chain with $sample_rate (a caller's value of that
        name is replaced); without sampling there is no stamp."""
        hooks = Hooks(sample_rates={"memory_created": 0.5})
        svc_chain = ServiceChain(
            chain("cloud", counters), hooks, counters=counters, people=True, anonymous_id=ANON
        )
        events = [shape(svc_chain, make_draft(properties={SAMPLE_RATE: 9})) for _ in range(200)]
        kept = [e for e in events if e is not None]
        assert 0 < len(kept) < 200 and {e.properties[SAMPLE_RATE] for e in kept} == {0.5}
        plain = ServiceChain(
            chain("cloud", counters), None, counters=counters, people=False, anonymous_id=ANON
        )
        assert SAMPLE_RATE not in shape(plain, make_draft()).properties
