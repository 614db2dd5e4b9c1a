"""Each processor alone, on literal drafts: one class per processor."""

from __future__ import annotations

import logging
import math

import pytest

from tenantry.counters import Counters
from tenantry.errors import ConfigError
from tenantry.events import Event
from tenantry.policy import Chain, build_chain, redact, shape
from tenantry.policy.call_ids import GatherIds
from tenantry.policy.context import AddContext
from tenantry.policy.privacy import FilterPersonalData, StripSecrets
from tenantry.policy.processors import (
    AddProfile,
    CloudIdentity,
    Durations,
    FixSwappedIds,
    NameEvent,
    Pseudonymize,
    apply_kind,
)
from tests.policy.conftest import ANON, SECRET, make_draft


class TestNameEvent:
    def test_none_name_is_dropped_and_counted(self, counters):
        """A None event name drops the event and counts invalid_event_name."""
        assert NameEvent(counters, private=False)({"event": None}) is None
        assert counters.snapshot()["drops"] == {"invalid_event_name": 1}

    def test_blank_name_is_dropped(self, counters):
        """A whitespace-only name is as unnamed as None."""
        assert NameEvent(counters, private=True)({"event": "  "}) is None

    def test_cloud_non_str_names_become_text(self, counters):
        """Cloud names ints, bytes and objects by their text."""
        p = NameEvent(counters, private=False)
        assert p({"event": 404})["event"] == "404"
        assert p({"event": b"bytes_name"})["event"] == "bytes_name"
        assert p({"event": object()})["event"].startswith("<object object")

    def test_cloud_name_is_capped(self, counters):
        """A 10,000-character name is cut to 256 characters in cloud."""
        assert len(NameEvent(counters, private=False)({"event": "x" * 10_000})["event"]) == 256

    def test_opensource_personal_name_becomes_unknown(self, counters):
        """An email or an ID used as an event name never leaves an opensource installation."""
        p = NameEvent(counters, private=True)
        assert p({"event": "alice@example.com"})["event"] == "unknown"
        assert p({"event": "usr_9f8e7d6c5b"})["event"] == "unknown"
        assert p({"event": object()})["event"] == "unknown"
        assert counters.get("redacted_event_name") == 3

    def test_opensource_keeps_ordinary_names(self, counters):
        """Identifier names and short multi-word names pass in opensource."""
        p = NameEvent(counters, private=True)
        assert p({"event": "memory_created"})["event"] == "memory_created"
        assert p({"event": "Memory Created"})["event"] == "Memory Created"


class TestGatherIds:
    def test_ids_become_str_or_none(self):
        """Empty strings, bools and objects are no ID; ints and bytes give their text."""
        gather = GatherIds()
        d = gather({"user_id": "", "developer_id": 42})
        assert (d["user_id"], d["developer_id"]) == (None, "42")
        d = gather({"user_id": True, "developer_id": b"dev_x"})
        assert (d["user_id"], d["developer_id"]) == (None, "dev_x")
        assert gather({"user_id": object(), "developer_id": None})["user_id"] is None

    def test_call_ids_gathered_from_ids_identity_and_secrets(self):
        """The IDs to look for are the draft's IDs, the raw ones shaping handed over and the
        configured secrets; with none of them there is nothing to look for."""
        gather = GatherIds(["amplitude-key-0123456789", "short"])
        d = gather({"user_id": "usr_1", "developer_id": "dev_abc", "call_ids": ("alice", 12345)})
        ids = d["call_ids"]
        for found in ("usr_1", "DEV_ABC", "x-alice-y", "12345", "amplitude-key-0123456789"):
            assert ids.found_in(found), found
        assert not ids.found_in("short") and not ids.found_in("text")
        assert ids.is_number(12345) and ids.is_number(12345.0) and not ids.is_number(1234)
        assert GatherIds()({"user_id": None, "developer_id": None})["call_ids"] is None


class TestFixSwappedIds:
    def test_swapped_ids_are_swapped_back_counted_and_warned_once(self, counters, caplog):
        """user_id=dev_... with developer_id=usr_... is swapped back, counted, warned once."""
        FixSwappedIds.warned = False
        p = FixSwappedIds(counters)
        with caplog.at_level(logging.WARNING, logger="tenantry.policy"):
            d = p({"user_id": "dev_abc", "developer_id": "usr_123"})
            p({"user_id": "dev_abc", "developer_id": "usr_123"})
        assert (d["user_id"], d["developer_id"]) == ("usr_123", "dev_abc")
        assert counters.get("swapped_ids") == 2
        assert len([r for r in caplog.records if "swapped" in r.getMessage()]) == 1

    def test_correct_order_is_untouched(self, counters):
        """Correctly ordered or unprefixed IDs are left alone and not counted."""
        p = FixSwappedIds(counters)
        assert p({"user_id": "usr_1", "developer_id": "dev_1"})["user_id"] == "usr_1"
        assert p({"user_id": "dev_1", "developer_id": "user_1234"})["user_id"] == "dev_1"
        assert counters.get("swapped_ids") == 0


class TestStripSecrets:
    def test_secrets_removed_at_any_depth(self, counters):
        """Secret-named keys vanish in nested dicts and in dicts inside lists."""
        props = {
            "api_key": "k",
            "apiKey": "k",
            "nested": {"Authorization": "Bearer x", "deeper": {"sessionToken": "t", "ok": 1}},
            "items": [{"refresh_token": "r", "keep": True}, {"x-api-key": "k"}],
            "private_key": "p",
            "credentials": {"user": "a"},
            "keyboard_layout": "qwerty",
            "token_count": 3,
        }
        d = StripSecrets(counters)({"properties": props})
        assert d["properties"] == {
            "nested": {"deeper": {"ok": 1}},
            "items": [{"keep": True}, {}],
            "keyboard_layout": "qwerty",
            "token_count": 3,  # a measure under a secret word: a number, not a credential
        }
        assert counters.get("secrets_removed") == 8

    @pytest.mark.parametrize(
        "key",
        ["password", "passwd", "token", "secret", "session_token", "access_token", "cookie",
         "Set-Cookie", "client.secret", "AWS_SECRET_ACCESS_KEY", "apikey"],
    )  # fmt: skip
    def test_each_secret_word(self, counters, key):
        """Each secret spelling from the issue is recognised by its words."""
        assert StripSecrets(counters)({"properties": {key: "v"}})["properties"] == {}


class TestCloudIdentity:
    def test_both_ids(self, counters):
        """developer_id is primary; end_user_id and developer_id are added to properties."""
        d = CloudIdentity(counters, anonymous_id=ANON)(
            {"user_id": "user_1234", "developer_id": "dev_abc123", "properties": {}}
        )
        assert d["distinct_id"] == "dev_abc123"
        assert d["properties"] == {"developer_id": "dev_abc123", "end_user_id": "user_1234"}
        assert (d["developer_id"], d["end_user_id"]) == ("dev_abc123", "user_1234")

    def test_fallback_to_user_id_is_counted(self, counters):
        """Without developer_id the user_id is primary, counted developer_id_fallback."""
        d = CloudIdentity(counters, anonymous_id=ANON)(
            {"user_id": "user_1234", "developer_id": None, "properties": {}}
        )
        assert d["distinct_id"] == "user_1234" and d["properties"] == {}
        assert d["end_user_id"] is None
        assert counters.get("developer_id_fallback") == 1

    def test_no_ids_uses_anonymous_id(self, counters):
        """With neither ID the process's anonymous ID is primary."""
        d = CloudIdentity(counters, anonymous_id=ANON)(
            {"user_id": None, "developer_id": None, "properties": {}}
        )
        assert d["distinct_id"] == ANON and d["developer_id"] is None

    def test_empty_anonymous_id_is_refused(self, counters):
        """The chain cannot be built without an anonymous ID."""
        with pytest.raises(ValueError):
            CloudIdentity(counters, anonymous_id="")


class TestAddProfile:
    def test_profile_fields_added(self, counters):
        """email and country of the developer are added; other profile fields are not."""
        p = AddProfile(lambda d: {"email": "e@x.com", "country": "US", "name": "N"}, counters)
        d = p({"developer_id": "dev_1", "properties": {"type": "text"}})
        assert d["properties"] == {"type": "text", "email": "e@x.com", "country": "US"}

    def test_failing_or_empty_lookup_adds_nothing(self, counters):
        """A lookup that raises or returns None adds nothing and never crashes."""

        def boom(_):
            raise RuntimeError("db down")

        for lookup in (boom, lambda _: None):
            d = AddProfile(lookup, counters)({"developer_id": "dev_1", "properties": {}})
            assert d["properties"] == {}
        assert counters.get("profile_lookup_errors") == 1

    def test_no_developer_no_lookup(self, counters):
        """Without a developer_id the lookup is not even called."""
        calls = []
        AddProfile(calls.append, counters)({"developer_id": None, "properties": {}})
        assert calls == []


class TestFilterPersonalData:
    def test_keys_matched_on_words(self, counters):
        """Personal keys go, innocent look-alikes (keyboard_layout, monkey_count) stay."""
        personal = ["user_email", "userEmail", "ip_address", "filePath", "memory_id", "email",
                    "name", "first_name", "phone", "address", "ip", "user_id", "end_user_id",
                    "developer_id", "external_user_id", "id", "uuid", "path", "file", "url",
                    "uri", "host", "hostname", "location", "lat", "lon", "ssn", "dob",
                    "birthday", "content", "text", "query", "message", "body"]  # fmt: skip
        innocent = {"keyboard_layout": "qwerty", "monkey_count": 3, "type": "text",
                    "has_metadata": True, "result_count": 10}  # fmt: skip
        props = {k: "v" for k in personal} | innocent
        d = FilterPersonalData(counters)({"properties": props})
        assert d["properties"] == innocent
        assert counters.get("pii_removed") == len(personal)

    def test_values_checked_at_depth_and_lists_become_counts(self, counters):
        """Nested identifying values are dropped, lists become their lengths."""
        props = {
            "a": {"b": {"c": "alice@example.com", "d": "ok_value"}},
            "tags": ["x", "alice@example.com"],
            "n": 1.5,
            "flag": False,
            "nothing": None,
        }
        d = FilterPersonalData(counters)({"properties": props})
        assert d["properties"] == {
            "a": {"b": {"d": "ok_value"}},
            "tags": 2,
            "n": 1.5,
            "flag": False,
            "nothing": None,
        }

    def test_long_ints_dropped(self, counters):
        """Ints of 15+ digits (a card number, a snowflake ID) are dropped; ms timestamps stay."""
        props = {"x": 4111111111111111, "y": -(10**18), "ts": 1_764_000_000_000, "n": 7}
        d = FilterPersonalData(counters)({"properties": props})
        assert d["properties"] == {"ts": 1_764_000_000_000, "n": 7}

    def test_count_and_flag_keys_keep_numbers_only(self, counters):
        """has_email=True and url_count=3 survive; has_email="a@b.c" does not."""
        props = {"has_email": True, "url_count": 3, "email_count": "a@b.co"}
        d = FilterPersonalData(counters)({"properties": props})
        assert d["properties"] == {"has_email": True, "url_count": 3}

    def test_issue_phone_forms_dropped(self, counters):
        """Issue 11 item 2: a tel: URI and a phone number written as an int are dropped."""
        props = {"contact": "tel:+14155550100", "c_int": 4155550100, "type": "text"}
        d = FilterPersonalData(counters)({"properties": props})
        assert d["properties"] == {"type": "text"}
        assert counters.get("pii_removed") == 2

    @pytest.mark.parametrize(
        "value",
        ["tel:+14155550100", "TEL:+1-415-555-0100", "sms:+14155550100", "smsto:4155550100",
         "mailto:alice@example.com", "callto:+14155550100", "sip:alice@example.com",
         "facetime:+14155550100", "whatsapp:+14155550100", "geo:37.7749,-122.4194",
         "tel:%2B14155550100", "x-contact:%2B14155550100", "urn:uuid:550e8400-e29b-41d4-a716-446655440000",
         "alice%40example.com", "ref:4155550100", "callback:+14155550100;ext=12"],
    )  # fmt: skip
    def test_uris_judged_by_what_they_carry(self, counters, value):
        """Contact schemes are personal whatever follows; other schemes and percent-encoding are
        judged by what they carry."""
        d = FilterPersonalData(counters)({"properties": {"v": value, "nested": {"v": value}}})
        assert d["properties"] == {"nested": {}}

    @pytest.mark.parametrize("value", ["error:timeout", "lang:en", "model:gpt-4o", "v1:ok"])
    def test_harmless_scheme_like_values_kept(self, counters, value):
        """A ``word:word`` value that carries nothing identifying stays."""
        assert FilterPersonalData(counters)({"properties": {"v": value}})["properties"] == {
            "v": value
        }

    def test_phone_length_numbers_need_a_measure_key(self, counters):
        """Numbers whose integral part has 7-14 digits go under other keys (a phone number with
        a fraction too); counts, sizes, durations and times keep theirs; short ints and floats
        with a short integral part stay everywhere."""
        big = 4155550100
        kept = {"bytes": big, "count": big, "duration_ms": big, "memory_size": big,
                "created_at": 1_764_000_000_000, "ts": 1_764_000_000, "max_items": 2_000_000,
                "latency_us": 1_500_000, "small": 999_999, "ratio": 0.8372619,
                "mean_ms": 4155550100.5, "score": 999_999.75}  # fmt: skip
        dropped = {"c_int": big, "value": big, "neg": -big, "f": float(big), "contact": 1_234_567,
                   "x": {"y": 14155550100}, "fraction": 4155550100.5}  # fmt: skip
        d = FilterPersonalData(counters)({"properties": kept | dropped})
        assert d["properties"] == kept | {"x": {}}
        assert counters.get("pii_removed") == len(dropped)

    def test_measures_of_secrets_kept_times_of_persons_not(self, counters):
        """A number under a measure of a secret word stays (session_duration_ms, token_count);
        a time or duration of something personal goes (dob_ts, age_days), as do strings."""
        props = {"session_duration_ms": 1234, "token_count": 812, "max_tokens": 4096,
                 "dob_ts": 631152000, "age_days": 12000, "session_ttl": "3600"}  # fmt: skip
        d = FilterPersonalData(counters)({"properties": props})
        assert d["properties"] == {
            "session_duration_ms": 1234,
            "token_count": 812,
            "max_tokens": 4096,
        }

    def test_personal_data_as_key_is_dropped(self, counters):
        """A dict keyed by emails or paths loses those keys."""
        props = {"alice@example.com": 1, "/home/alice/x": 2, "plain": 3}
        assert FilterPersonalData(counters)({"properties": props})["properties"] == {"plain": 3}


class TestPseudonymize:
    def test_user_id_wins_and_raw_ids_cleared(self):
        """distinct_id is the pseudonym of user_id; developer/end-user fields are None."""
        p = Pseudonymize(SECRET, anonymous_id=ANON)
        d = p({"user_id": "user_1234", "developer_id": "dev_abc123"})
        assert d["distinct_id"] == p.pseudonym("user_1234")
        assert d["developer_id"] is None and d["end_user_id"] is None and d["user_id"] is None

    def test_developer_id_then_anonymous(self):
        """Without user_id the developer_id is pseudonymised; with neither, the anonymous ID."""
        p = Pseudonymize(SECRET, anonymous_id=ANON)
        d = p({"user_id": None, "developer_id": "dev_abc123"})
        assert d["distinct_id"] == p.pseudonym("dev_abc123")
        assert p({"user_id": None, "developer_id": None})["distinct_id"] == ANON

    def test_empty_secret_refused(self, counters):
        """An opensource chain without a secret cannot be built."""
        with pytest.raises(ConfigError, match="TELEMETRY_SECRET"):
            build_chain(
                type("S", (), {"edition": "opensource"})(),
                secret=b"",
                anonymous_id=ANON,
                profile_lookup=None,
                counters=counters,
            )


class TestApplyKind:
    def test_error_and_performance(self):
        """error -> error_occurred + error_type; performance -> performance_metric + operation."""
        d = apply_kind({"kind": "error", "event": "database_error", "properties": {}})
        assert d["event"] == "error_occurred"
        assert d["properties"] == {"error_type": "database_error"}
        d = apply_kind({"kind": "performance", "event": "search", "properties": {"operation": 1}})
        assert (d["event"], d["properties"]) == ("performance_metric", {"operation": "search"})
        assert apply_kind({"kind": "track", "event": "e", "properties": {}})["event"] == "e"


class TestDurations:
    @pytest.mark.parametrize(
        "ms,bucket",
        [(0, "<10ms"), (9.99, "<10ms"), (10, "10-50ms"), (49.9, "10-50ms"), (50, "50-100ms"),
         (150.5, "100-500ms"), (500, "500ms-1s"), (999, "500ms-1s"), (1000, "1-5s"),
         (4999.9, "1-5s"), (5000, ">5s"), (1e9, ">5s")],
    )  # fmt: skip
    def test_buckets(self, counters, ms, bucket):
        """Opensource gets the documented bucket and never the exact duration."""
        d = Durations(counters, bucket=True)(
            {"kind": "performance", "duration_ms": ms, "properties": {"duration_ms": 1}}
        )
        assert d["properties"] == {"duration_bucket": bucket}

    def test_cloud_exact(self, counters):
        """Cloud keeps duration_ms exactly as given."""
        d = Durations(counters, bucket=False)(
            {"kind": "performance", "duration_ms": 150.5, "properties": {}}
        )
        assert d["properties"] == {"duration_ms": 150.5}

    @pytest.mark.parametrize("ms", [None, "fast", math.nan, math.inf, -1, True])
    def test_invalid_durations_add_nothing(self, counters, ms):
        """A duration that is not a finite number >= 0 is left out and counted."""
        d = Durations(counters, bucket=False)(
            {"kind": "performance", "duration_ms": ms, "properties": {}}
        )
        assert d["properties"] == {} and counters.get("invalid_duration") == 1


class TestAddContext:
    def test_context_wins_over_caller(self):
        """edition/os/arch/version/python_version are added and override caller values."""
        d = AddContext("opensource")({"properties": {"os": "TempleOS", "edition": "cloud"}})
        assert d["properties"]["edition"] == "opensource"
        assert d["properties"]["os"] != "TempleOS"
        assert set(d["properties"]) == {"edition", "os", "arch", "version", "python_version"}


class TestChainEdition:
    def test_edition_stamped_and_validated(self, cloud, oss):
        """Each chain stamps its edition on the events it shapes; an unknown edition is refused
        up front."""
        assert shape(cloud, make_draft()).edition == "cloud"
        assert shape(oss, make_draft()).edition == "opensource"
        with pytest.raises(ValueError):
            Chain([], Counters(), edition="enterprise")

    def test_kinds_kept_by_a_chain_of_a_chain(self, oss):
        """A chain built from another chain's bound processors (the service's hooks around the
        edition's chain) still leaves a kind-specific processor out for the other kinds."""
        wrapped = Chain(list(oss), oss.counters, edition=oss.edition)
        for kind in ("track", "performance", "request"):
            assert wrapped.by_kind[kind] == oss.by_kind[kind]
        assert len(wrapped.by_kind["track"]) < len(wrapped)


class TestShape:
    def test_processor_exception_drops_and_counts(self):
        """A raising processor gives None and a shaping_error drop, never an exception."""
        counters = Counters()

        def boom(draft):
            raise KeyError("bad")

        assert shape(Chain([boom], counters), make_draft()) is None
        assert counters.snapshot()["drops"] == {"shaping_error": 1}

    def test_returns_event(self, cloud):
        """A full chain gives an Event with the draft's uuid and timestamp."""
        draft = make_draft()
        event = shape(cloud, draft)
        assert isinstance(event, Event)
        assert event.uuid == draft["uuid"] and event.timestamp == draft["timestamp"]

    def test_edition_chosen_by_settings(self, cloud, oss):
        """settings.edition picks the chain; an unknown edition is a ConfigError."""
        assert shape(cloud, make_draft()).edition == "cloud"
        assert shape(oss, make_draft()).edition == "opensource"
        with pytest.raises(ConfigError):
            build_chain(
                type("S", (), {"edition": "x"})(),
                secret=SECRET,
                anonymous_id=ANON,
                profile_lookup=None,
                counters=Counters(),
            )


class TestRedact:
    def test_secrets_masked_for_logs(self):
        """redact masks secret-keyed values and tokens inside text, keeping the rest."""
        obj = {
            "api_key": "abc",
            "nested": [{"password": "p", "ok": 1}],
            "note": "use sk_live_4eC39HqLyjWDarjtT1zdp7dc now",
        }
        out = redact(obj)
        assert out["api_key"] == "[REDACTED]"
        assert out["nested"] == [{"password": "[REDACTED]", "ok": 1}]
        assert out["note"] == "use [REDACTED] now"
        assert obj["api_key"] == "abc"  # the original is untouched
