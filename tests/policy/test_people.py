"""People updates (cloud) on literal drafts: identify, group, and the developer's profile."""

from __future__ import annotations

from tenantry.events import Event
from tenantry.policy.hooks import BeforeSend
from tenantry.policy.people import People
from tests.policy.conftest import ANON, make_draft


def identify(**fields):
    return make_draft(kind="identify", event="$identify", user_id=None, **fields)


def group(pair, **fields):
    return make_draft(kind="group", event="$groupidentify", user_id=None, duration_ms=pair,
                      **fields)  # fmt: skip


class TestIdentify:
    def test_set_and_set_once(self, counters):
        """An identify becomes a $identify update of the developer with $set and $set_once;
        its uuid and time are the call's."""
        draft = identify(properties={"plan": "pro"}, duration_ms={"first": "free"})
        event = People(counters, anonymous_id=ANON).shape(draft)
        assert (event.event, event.distinct_id, event.developer_id) == (
            "$identify", "dev_abc123", "dev_abc123"
        )  # fmt: skip
        assert event.properties == {"$set": {"plan": "pro"}, "$set_once": {"first": "free"}}
        assert (event.uuid, event.timestamp, event.edition) == (
            draft["uuid"], draft["timestamp"], "cloud"
        )  # fmt: skip
        assert event.people_update

    def test_cloud_rules_apply_to_the_values(self, counters):
        """Values are made JSON-safe, secret-named keys removed and credentials masked, in
        $set and $set_once alike."""
        draft = identify(
            properties={"api_key": "tnt_abc", "note": "key tnt_" + "a" * 40, "n": {1, 2}},
            duration_ms={"password": "hunter2", "plan": "free"},
        )
        event = People(counters, anonymous_id=ANON).shape(draft)
        assert event.properties["$set"] == {"note": "key [REDACTED]", "n": [1, 2]}
        assert event.properties["$set_once"] == {"plan": "free"}

    def test_no_developer_or_nothing_to_set_is_dropped(self, counters):
        """Without a developer (or with an API key as one), or with nothing to set, the update
        is dropped, counted invalid_identify."""
        people = People(counters, anonymous_id=ANON)
        assert people.shape(identify(developer_id=None, properties={"a": 1})) is None
        assert people.shape(identify(developer_id="tnt_" + "b" * 40, properties={"a": 1})) is None
        assert people.shape(identify(properties={}, duration_ms=None)) is None
        assert counters.snapshot()["drops"] == {"invalid_identify": 3}
        assert counters.get("credential_ids") == 1


class TestGroup:
    def test_group_update(self, counters):
        """A group becomes $groupidentify with $group_type, $group_key and $group_set, on behalf
        of the developer given, else of the process's anonymous ID; a numeric key is text."""
        people = People(counters, anonymous_id=ANON)
        event = people.shape(group(("company", 42), properties={"plan": "pro"}))
        assert event.properties == {
            "$group_type": "company",
            "$group_key": "42",
            "$group_set": {"plan": "pro"},
        }
        assert event.distinct_id == "dev_abc123"
        anonymous = people.shape(group(("company", "acme"), developer_id=None))
        assert anonymous.distinct_id == ANON and anonymous.developer_id is None

    def test_missing_type_or_key_is_dropped(self, counters):
        """No type, no key, a blank or a credential as key: dropped, counted invalid_group."""
        people = People(counters, anonymous_id=ANON)
        for pair in ((None, "acme"), ("company", ""), ("company", "tnt_" + "c" * 40), "x"):
            assert people.shape(group(pair)) is None
        assert counters.snapshot()["drops"] == {"invalid_group": 4}

    def test_before_send_can_drop_or_change_people_updates(self, counters):
        """before_send sees identify and group calls too: it may scrub or drop them."""

        def fn(e):
            if e["type"] == "group":
                return None
            e["properties"].pop("email", None)
            return e

        people = People(counters, anonymous_id=ANON, before_send=BeforeSend(fn, counters))
        assert people.shape(group(("company", "acme"))) is None
        event = people.shape(identify(properties={"email": "a@b.co", "plan": "pro"}))
        assert event.properties == {"$set": {"plan": "pro"}}


def _event(developer="dev_abc123", ts=1_764_000_000.0):
    return Event("u-1", "memory_created", developer, ts, "cloud", {}, developer)


class TestProfileAnnounce:
    def test_once_per_developer_and_again_when_it_changes(self, counters):
        """The profile is sent before the developer's first event, not again while it stays
        the same, and again once it changed; created_at dates become ISO text."""
        profile = {"email": "dev@company.com", "country": "US", "created_at": "2026-01-02T03:04:05+00:00"}  # fmt: skip
        people = People(counters, anonymous_id=ANON, profile_lookup=lambda d: profile)
        first = people.announce(_event())
        assert first.event == "$identify" and first.distinct_id == "dev_abc123"
        assert first.properties == {"$set": profile}
        assert first.timestamp == 1_764_000_000.0 - 0.001
        assert people.announce(_event()) is None
        profile = {**profile, "country": "FR"}
        assert people.announce(_event()).properties["$set"]["country"] == "FR"
        assert people.announce(_event("dev_other")) is not None

    def test_no_profile_no_update(self, counters):
        """No lookup, an unknown developer, no developer, or a lookup that raises (counted
        profile_lookup_errors): nothing is announced."""

        def broken(_):
            raise RuntimeError("db down")

        assert People(counters, anonymous_id=ANON).announce(_event()) is None
        assert (
            People(counters, anonymous_id=ANON, profile_lookup=lambda d: None).announce(_event())
            is None
        )
        assert People(counters, anonymous_id=ANON, profile_lookup=broken).announce(_event()) is None
        no_dev = Event("u", "e", ANON, 1.0, "cloud", {}, None)
        assert People(counters, anonymous_id=ANON, profile_lookup=dict).announce(no_dev) is None
        assert counters.get("profile_lookup_errors") == 1
