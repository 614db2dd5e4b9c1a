"""tenantry's payload for one event beside what the official SDK sends for the same event, in
both editions, both captured by the same fake vendor server on 127.0.0.1: posthog-python for
PostHog, amplitude-analytics for Amplitude (the ``bench`` extra). Field names, JSON types, the
envelope, and the library fields (``$lib``/``$lib_version``/``$geoip_disable``/``$is_server``,
Amplitude's ``library``) must match; the few differences are listed here on purpose.

The same for people and groups (cloud): ``identify`` beside posthog-python's ``set`` and
amplitude-analytics' ``identify``, ``identify(set_once=...)`` beside ``set_once``, ``group``
beside ``group_identify``; and an opensource (personless) event beside posthog-python's
personless ``capture``. Allowed differences, all listed below: the library's name and version,
PostHog's ``$ip`` placeholder (``POSTHOG_TENANTRY_ONLY``), posthog-python's environment
properties on events (``POSTHOG_SDK_ONLY``), the uuid and time of each, and the distinct_id of
a personless event (tenantry's pseudonym; the SDK's random UUID)."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime

import pytest

from tenantry import TelemetryService

PROPS = {"type": "text", "has_metadata": True}
#: environment details posthog-python adds that tenantry does not send: in cloud they would
#: describe tenantry's server, in opensource the policy sends its own coarse os/arch/python
POSTHOG_SDK_ONLY = {"$python_runtime", "$python_version", "$os", "$os_version", "$os_distro"}
#: what tenantry adds: the truthy $ip placeholder that keeps PostHog from storing the socket's
#: address (posthog-python sends no $ip, so PostHog stores the sender's address)
POSTHOG_TENANTRY_ONLY = {"$ip"}


def _track(edition: str, **settings) -> None:
    svc = TelemetryService(edition=edition, **settings)
    svc.track_sync("memory_created", dict(PROPS), user_id="user_1234", developer_id="dev_abc123")
    assert svc.shutdown(5.0)


def _types(d: dict) -> dict[str, type]:
    return {k: type(v) for k, v in d.items()}


def _utc(text: str) -> datetime:
    when = datetime.fromisoformat(text)
    assert when.utcoffset() is not None and when.utcoffset().total_seconds() == 0
    return when.astimezone(UTC)


@pytest.mark.parametrize("edition", ["cloud", "opensource"])
class TestPayloadsMatchTheOfficialSdks:
    def test_posthog_matches_posthog_python(self, fake_posthog, edition):
        """One event through tenantry and through posthog-python (same name, distinct_id,
        properties and groups): same envelope keys and types, same event keys and types, both
        timestamps ISO 8601 UTC, the same library fields with the same types, and only the
        listed property differences."""
        from posthog import Posthog

        _track(edition, destinations=("posthog",), posthog_api_key="phc_key",
               posthog_host=fake_posthog.base_url)  # fmt: skip
        [ours_req] = fake_posthog.requests
        [ours] = ours_req.body["batch"]
        props = ours["properties"]
        client = Posthog("phc_key", host=fake_posthog.base_url, sync_mode=True)
        client.capture(
            "memory_created",
            # opensource: the SDK's personless event (no distinct_id: it makes up a UUID)
            distinct_id=ours["distinct_id"] if edition == "cloud" else None,
            properties={k: v for k, v in props.items() if not k.startswith("$")},
            groups=props.get("$groups"),
        )
        client.shutdown()
        [sdk_req] = fake_posthog.requests[1:]
        [sdk] = sdk_req.body["batch"]

        assert _types(ours_req.body) == _types(sdk_req.body)  # api_key, batch, sent_at, ...
        assert ours_req.body["historical_migration"] is sdk_req.body["historical_migration"]
        assert _types(ours) == _types(sdk)  # event, distinct_id, properties, timestamp, uuid
        assert ours["event"] == sdk["event"]
        if edition == "cloud":
            assert ours["distinct_id"] == sdk["distinct_id"]
        assert abs((_utc(ours["timestamp"]) - _utc(sdk["timestamp"])).total_seconds()) < 60
        assert uuid.UUID(ours["uuid"]) and uuid.UUID(sdk["uuid"])
        sdk_props = sdk["properties"]
        for key in ("$lib", "$lib_version", "$geoip_disable", "$is_server"):
            assert type(props[key]) is type(sdk_props[key]), key
        assert (props["$lib"], sdk_props["$lib"]) == ("tenantry", "posthog-python")
        assert props["$geoip_disable"] is sdk_props["$geoip_disable"] is True
        assert props["$is_server"] is sdk_props["$is_server"] is True
        assert props.get("$groups") == sdk_props.get("$groups")
        assert ("$groups" in props) is (edition == "cloud")
        # personless in opensource, as the SDK's event without a distinct_id; a person in cloud
        personless = props.get("$process_person_profile")
        assert personless is sdk_props.get("$process_person_profile")
        assert personless is (False if edition == "opensource" else None)
        assert set(sdk_props) - set(props) == POSTHOG_SDK_ONLY
        assert set(props) - set(sdk_props) == POSTHOG_TENANTRY_ONLY
        for req in (ours_req, sdk_req):
            assert req.headers["content-type"].startswith("application/json")
        assert re.fullmatch(r"tenantry/\S+", ours_req.headers["user-agent"])

    def test_amplitude_matches_amplitude_analytics(self, fake_amplitude, edition):
        """One event through tenantry and through amplitude-analytics (same event_type,
        user_id, event_properties): the same envelope keys, the same event keys with the same
        types, a ``library`` of the form name/version, and no ``ip`` in either."""
        from amplitude import Amplitude, BaseEvent, Config

        _track(edition, destinations=("amplitude",), amplitude_api_key="amp-key",
               amplitude_server_url=fake_amplitude.url)  # fmt: skip
        [ours_req] = fake_amplitude.requests
        [ours] = ours_req.body["events"]
        client = Amplitude("amp-key", Config(server_url=fake_amplitude.url))
        client.track(  # noqa: TNT004 - the official SDK is the oracle
            BaseEvent(
                ours["event_type"],
                user_id=ours["user_id"],
                event_properties=ours["event_properties"],
                insert_id=str(uuid.uuid4()),
                groups=ours.get("groups"),
            )
        )
        client.shutdown()
        [sdk_req] = fake_amplitude.requests[1:]
        [sdk] = sdk_req.body["events"]

        assert _types(ours_req.body) == _types(sdk_req.body)  # api_key, events
        assert _types(ours) == _types(sdk)
        assert set(ours) == {
            "user_id", "event_type", "time", "insert_id", "event_properties", "library"
        } | ({"groups"} if edition == "cloud" else set())  # fmt: skip
        # cloud: the developer as a group, as the SDK sends BaseEvent(groups=...)
        assert ours.get("groups") == sdk.get("groups")
        assert ("groups" in ours) is (edition == "cloud")
        assert abs(ours["time"] - sdk["time"]) < 60_000  # both milliseconds since the epoch
        assert uuid.UUID(ours["insert_id"])
        assert re.fullmatch(r"tenantry/\d+\.\d+\.\d+\S*", ours["library"])
        assert re.fullmatch(r"amplitude-python/\d+\.\d+\.\d+\S*", sdk["library"])
        assert "ip" not in ours and "ip" not in sdk


DEV = "dev_abc123"
SET = {"plan": "pro", "seats": 12}
ONCE = {"first_plan": "free"}
GROUP = {"name": "Acme", "employees": 11}

#: each people call through tenantry, and the same through posthog-python
POSTHOG_CALLS = {
    "identify": (
        lambda svc: svc.identify(DEV, SET),
        lambda client: client.set(distinct_id=DEV, properties=SET),
    ),
    "set_once": (
        lambda svc: svc.identify(DEV, set_once=ONCE),
        lambda client: client.set_once(distinct_id=DEV, properties=ONCE),
    ),
    "group": (
        lambda svc: svc.group("company", "acme", GROUP, developer_id=DEV),
        lambda client: client.group_identify(  # noqa: TNT004 - the official SDK is the oracle
            "company", "acme", GROUP, distinct_id=DEV
        ),
    ),
}


def _amplitude_calls():
    from amplitude import EventOptions, Identify

    def ident(**ops):
        obj = Identify()
        for op, values in ops.items():
            for k, v in values.items():
                getattr(obj, op)(k, v)
        return obj

    return {
        "identify": (
            lambda svc: svc.identify(DEV, SET),
            lambda c: c.identify(ident(set=SET), EventOptions(user_id=DEV)),
        ),
        "set_once": (
            lambda svc: svc.identify(DEV, SET, set_once=ONCE),
            lambda c: c.identify(ident(set=SET, set_once=ONCE), EventOptions(user_id=DEV)),
        ),
        "group": (
            lambda svc: svc.group("company", "acme", GROUP, developer_id=DEV),
            lambda c: c.group_identify(
                "company", "acme", ident(set=GROUP), EventOptions(user_id=DEV)
            ),
        ),
    }


def _people(call, **settings) -> TelemetryService:
    svc = TelemetryService(edition="cloud", profile_lookup=None, **settings)
    call(svc)
    assert svc.shutdown(5.0)
    return svc


@pytest.mark.parametrize("name", ["identify", "set_once", "group"])
class TestPeopleMatchTheOfficialSdks:
    def test_posthog_matches_posthog_python(self, fake_posthog, name):
        """identify / set_once / group through tenantry and through posthog-python's set /
        set_once / group_identify: the same envelope, the same item keys and JSON types, the
        same event name, distinct_id and person or group fields, and the same properties
        except tenantry's $ip placeholder."""
        from posthog import Posthog

        ours_call, sdk_call = POSTHOG_CALLS[name]
        _people(ours_call, destinations=("posthog",), **fake_posthog.settings())
        [ours_req] = fake_posthog.requests
        [ours] = ours_req.body["batch"]
        client = Posthog("phc_key", host=fake_posthog.base_url, sync_mode=True)
        sdk_call(client)
        client.shutdown()
        [sdk_req] = fake_posthog.requests[1:]
        [sdk] = sdk_req.body["batch"]

        assert _types(ours_req.body) == _types(sdk_req.body)
        assert _types(ours) == _types(sdk)  # event, distinct_id, [$set/$set_once], properties, ...
        assert (ours["event"], ours["distinct_id"]) == (sdk["event"], sdk["distinct_id"])
        assert ours["event"] == {"identify": "$set", "set_once": "$set_once"}.get(
            name, "$groupidentify"
        )
        for key in ("$set", "$set_once"):
            assert ours.get(key) == sdk.get(key)
        props, sdk_props = ours["properties"], sdk["properties"]
        assert set(props) - set(sdk_props) == POSTHOG_TENANTRY_ONLY
        assert set(sdk_props) <= set(props)
        for key in sdk_props:
            if key not in ("$lib", "$lib_version"):
                assert props[key] == sdk_props[key], key
        assert "$process_person_profile" not in props  # people updates are never personless
        assert abs((_utc(ours["timestamp"]) - _utc(sdk["timestamp"])).total_seconds()) < 60
        assert uuid.UUID(ours["uuid"])

    def test_amplitude_matches_amplitude_analytics(self, fake_amplitude, name):
        """identify (with set_once) / group through tenantry and through amplitude-analytics'
        identify / group_identify: the same keys and JSON types, event_type, user_id,
        user_properties ($set, $setOnce) or groups and group_properties."""
        from amplitude import Amplitude, Config

        ours_call, sdk_call = _amplitude_calls()[name]
        _people(ours_call, destinations=("amplitude",), amplitude_api_key="amp-key",
                amplitude_server_url=fake_amplitude.url)  # fmt: skip
        [ours_req] = fake_amplitude.requests
        [ours] = ours_req.body["events"]
        client = Amplitude("amp-key", Config(server_url=fake_amplitude.url))
        sdk_call(client)
        client.shutdown()
        [sdk_req] = fake_amplitude.requests[1:]
        [sdk] = sdk_req.body["events"]

        assert _types(ours_req.body) == _types(sdk_req.body)
        assert _types(ours) == _types(sdk)
        for key in ("event_type", "user_id", "user_properties", "groups", "group_properties"):
            assert ours.get(key) == sdk.get(key), key
        assert "event_properties" not in ours and "event_properties" not in sdk
        assert abs(ours["time"] - sdk["time"]) < 60_000
        assert re.fullmatch(r"tenantry/\d+\.\d+\.\d+\S*", ours["library"])
