"""The relay over real HTTP: limits, validation, dedup and re-anonymisation."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime

import httpx
import orjson
import pytest

from tenantry.server import Rate
from tenantry.store import open_store
from tenantry.store.base import Scope
from tests.server.conftest import start, stop

RAW = ["alice@example.com", "usr_1234abcd", "dev_abc123", "Alice Smith", "10.1.2.3"]


def _event(**extra):
    return {
        "event_name": "memory_created",
        "properties": {"type": "text"},
        "user_id": "anon_0123456789abcdef",
        "timestamp": "2026-11-29T01:02:03.000Z",
        "uuid": str(uuid.uuid4()),
        **extra,
    }


class TestLimits:
    def test_oversized_body(self, running):
        """A body over 1 MB is refused with 413 and a JSON body, by Content-Length."""
        body = orjson.dumps({"events": [_event(properties={"pad": "x" * 1_100_000})]})
        r = running.client.post(
            "/v1/telemetry/events", content=body, headers={"content-type": "application/json"}
        )
        assert r.status_code == 413 and r.json()["code"] == "payload_too_large"

    def test_oversized_chunked_body(self, running):
        """A chunked body (no Content-Length) over 1 MB is refused with 413 too."""
        body = orjson.dumps({"events": [_event(properties={"pad": "x" * 1_100_000})]})

        def chunks():
            for i in range(0, len(body), 65536):
                yield body[i : i + 65536]

        r = running.client.post(
            "/v1/telemetry/events", content=chunks(), headers={"content-type": "application/json"}
        )
        assert r.status_code == 413

    def test_too_many_events(self, running):
        """More than 1,000 events in one request is 413."""
        events = [{"event_name": "e"} for _ in range(1001)]
        r = running.client.post("/v1/telemetry/events", json={"events": events})
        assert r.status_code == 413 and r.json()["code"] == "too_many_events"

    @pytest.mark.parametrize(
        "body",
        [b"{", b"[]", b'{"events": "x"}', b'{"anonymous_id": "x"}', b"\xff\xfe"],
    )
    def test_malformed(self, running, body):
        """Malformed JSON or a body that is not the envelope is 422 with a JSON error body."""
        r = running.client.post(
            "/v1/telemetry/events", content=body, headers={"content-type": "application/json"}
        )
        assert r.status_code == 422 and r.json()["code"] == "invalid_request"

    def test_flood(self, tmp_path):
        """A flood from one installation gets 429 with Retry-After once its bucket is empty."""
        server, running = start(tmp_path, anon_rate=Rate(per_second=1, burst=5))
        try:
            codes = []
            for _ in range(8):
                r = running.client.post(
                    "/v1/telemetry/events", json={"events": [_event()], "anonymous_id": "flooder"}
                )
                codes.append(r.status_code)
            assert codes[:5] == [200] * 5 and 429 in codes[5:]
            limited = running.client.post(
                "/v1/telemetry/events", json={"events": [_event()], "anonymous_id": "flooder"}
            )
            assert limited.status_code == 429
            assert int(limited.headers["Retry-After"]) >= 1
            assert limited.json()["code"] == "rate_limited"
            other = running.client.post(
                "/v1/telemetry/events", json={"events": [_event()], "anonymous_id": "quiet"}
            )
            assert other.status_code == 200
        finally:
            stop(server, running)


class TestReanonymisation:
    def test_raw_identifiers_never_stored(self, running):
        """A client sending raw emails, IDs, names and IPs (as user_id and in properties, at
        any depth) gets them stripped or re-keyed: none reaches the store."""
        events = [
            _event(
                user_id=raw,
                properties={
                    "type": "text",
                    "email": raw,
                    "note": f"contact {raw}",
                    "nested": {"ref": raw, "list": [raw]},
                    "os": "Linux",
                },
            )
            for raw in RAW
        ]
        r = running.client.post(
            "/v1/telemetry/events", json={"events": events, "anonymous_id": "inst-1"}
        )
        assert r.status_code == 200, r.text
        assert r.json() == {
            "success": True,
            "events_received": 5,
            "events_processed": 5,
            "rejected": [],
        }
        running.flush()
        relayed = [e for e in running.relayed.events if e.uuid in {ev["uuid"] for ev in events}]
        assert len(relayed) == 5
        dumped = orjson.dumps([e.to_record() for e in relayed]).decode()
        for raw in RAW:
            assert raw not in dumped
        assert all(e.edition == "opensource" and e.developer_id is None for e in relayed)
        assert all(e.properties["os"] == "Linux" for e in relayed)
        assert len({e.distinct_id for e in relayed}) == 5
        store = open_store(running.state.settings)
        try:
            rows = store.select(
                "SELECT uuid, distinct_id, properties, developer_id, end_user_id FROM {events}",
                Scope(),
            )
        finally:
            store.close()
        stored = orjson.dumps([list(map(str, row)) for row in rows]).decode()
        assert events[0]["uuid"] in stored
        for raw in RAW:
            assert raw not in stored

    def test_duplicates_dropped(self, running):
        """The same uuid sent twice is processed once."""
        event = _event()
        first = running.client.post("/v1/telemetry/events", json={"events": [event]})
        second = running.client.post("/v1/telemetry/events", json={"events": [event, event]})
        assert first.json()["events_processed"] == 1
        assert second.json() == {
            "success": True,
            "events_received": 2,
            "events_processed": 0,
            "rejected": [],
        }

    def test_library_through_relay(self, running, tmp_path):
        """An opensource installation's own relay provider delivers through this relay."""
        from tenantry import TelemetryService

        oss = TelemetryService(
            data_dir=tmp_path, edition="opensource", destinations=("relay",), relay_url=running.url
        )
        oss.track_sync("memory_created", {"type": "text"}, user_id="usr_x1", developer_id="dev_y1")
        assert oss.flush(10.0)
        oss.shutdown(2.0)
        running.flush()
        assert any(
            e.event == "memory_created"
            and e.properties.get("type") == "text"
            and e.distinct_id.startswith("anon_")
            for e in running.relayed.events
        )


def test_relay_answers_json_on_wrong_method(running):
    """GET on the relay is a 405 with a JSON body, not a crash."""
    r = httpx.get(running.url + "/v1/telemetry/events")
    assert r.status_code == 405 and "error" in r.json()


def test_relay_forwards_with_service_keys(tmp_path, fake_posthog):
    """A relay configured with the posthog provider forwards re-shaped events to PostHog with
    the server's own project key (clients never hold it)."""
    from tenantry.config import load_settings
    from tenantry.server import ServerThread, create_app

    settings = load_settings(
        data_dir=tmp_path,
        destinations=("posthog",),
        posthog_api_key="phc_service_key",
        posthog_host=fake_posthog.base_url,
    )
    with ServerThread(create_app(settings)) as server:
        r = httpx.post(
            server.url + "/v1/telemetry/events",
            json={"events": [_event(user_id="carol@example.com")], "anonymous_id": "inst-9"},
        )
        assert r.status_code == 200 and r.json()["events_processed"] == 1
        assert fake_posthog.wait_for(1, timeout=10)
    sent = fake_posthog.events[0]
    assert sent["event"] == "memory_created" and sent["distinct_id"].startswith("anon_")
    assert "carol@example.com" not in orjson.dumps(sent).decode()
    assert fake_posthog.requests[-1].body["api_key"] == "phc_service_key"


def test_relay_follows_the_timestamp_rule(running):
    """Relayed timestamps follow the library's rule (tenantry.timestamps): ISO 8601 with or
    without offset (then UTC) and epoch seconds are kept; more than an hour ahead, milliseconds
    or unreadable become the relay's clock; each fix is counted."""
    when = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    kept = ["2026-01-02T03:04:05Z", "2026-01-02T03:04:05", when.timestamp()]
    fixed = [time.time() + 7200, when.timestamp() * 1000, "soon"]
    events = [_event(timestamp=ts) for ts in kept + fixed]
    counters = running.state.relay.counters
    before = {k: counters.get(k) for k in ("naive_timestamps", "invalid_timestamps")}
    r = running.client.post("/v1/telemetry/events", json={"events": events})
    assert r.status_code == 200 and r.json()["events_processed"] == 6, r.text
    running.flush()
    by_uuid = {e.uuid: e for e in running.relayed.events}
    times = [by_uuid[e["uuid"]].timestamp for e in events]
    assert times[:3] == [when.timestamp()] * 3
    assert all(abs(t - time.time()) < 60 for t in times[3:])
    assert counters.get("naive_timestamps") == before["naive_timestamps"] + 1
    assert counters.get("invalid_timestamps") == before["invalid_timestamps"] + 3


class TestOneValidation:
    """The relay's body parser and its per-event check give what the standard parser and the
    ``RelayEvent`` model give, without building a model per event."""

    BODIES = (
        b'{"a": 1, "b": [1.5, -2, true, null], "c": {"d": "x"}}',
        b'{"a": 123456789012345678901234567890}',  # past 64 bits: orjson would make it a float
        b'{"a": -9223372036854775809, "b": 18446744073709551616}',
        b'{"a": "\\ud800"}',  # a lone surrogate: kept, each event checked later
        b'{"a": NaN, "b": Infinity}',
        b'{"a": "caf\\u00e9 \\ud83d\\ude00", "a": 2}',  # a pair, and a repeated key
        b'\xef\xbb\xbf{"a": 1}',  # a byte order mark
        '{"a": 1}'.encode("utf-16"),
    )

    def test_parse_body_reads_what_json_loads_reads(self):
        """Every body parses to exactly what ``json.loads`` gives (types included), and only a
        body orjson read whole is marked encodable."""
        import json

        from tenantry.server.relay_routes import parse_body

        for body in self.BODIES:
            try:
                expected = json.loads(body)
            except ValueError:
                with pytest.raises(ValueError):
                    parse_body(body)
                continue
            value, encodable = parse_body(body)
            assert repr(value) == repr(expected), body
            if b"\\ud800" in body or b"NaN" in body:
                assert not encodable

    def test_not_json_is_a_decode_error(self):
        """Malformed JSON raises the error FastAPI turns into a 422."""
        import json

        from tenantry.server.relay_routes import parse_body

        with pytest.raises(json.JSONDecodeError):
            parse_body(b'{"events": [')

    def test_the_check_accepts_what_the_model_accepts(self):
        """For well-formed, malformed and edge events, the relay's check and ``RelayEvent``
        agree: the same ones pass, with the same fields."""
        from pydantic import ValidationError

        from tenantry.limits import MAX_EVENT_NAME, MAX_ID, MAX_UUID
        from tenantry.server.relay import _EVENT, _event_fields

        cases = [
            {"event_name": "e"},
            {
                "event_name": "e",
                "properties": {"a": 1},
                "user_id": "u",
                "uuid": "x",
                "timestamp": 1,
            },
            {"event_name": "e" * MAX_EVENT_NAME},
            {"event_name": "e" * (MAX_EVENT_NAME + 1)},
            {"event_name": ""},
            {"event_name": 5},
            {"event_name": None},
            {"properties": {}},
            {"event_name": "e", "properties": None},
            {"event_name": "e", "properties": [1]},
            {"event_name": "e", "user_id": "u" * MAX_ID},
            {"event_name": "e", "user_id": "u" * (MAX_ID + 1)},
            {"event_name": "e", "user_id": 7},
            {"event_name": "e", "uuid": "x" * MAX_UUID},
            {"event_name": "e", "uuid": "x" * (MAX_UUID + 1)},
            {"event_name": "e", "uuid": 3},
            {"event_name": "e", "extra": "ignored", "timestamp": {"odd": True}},
            ["event_name", "e"],
            "e",
            None,
        ]
        for raw in cases:
            fast = _event_fields(raw)
            try:
                item = _EVENT.validate_python(raw)
            except ValidationError:
                assert fast is None, raw
                continue
            assert fast == (
                item.event_name,
                item.properties,
                item.user_id,
                item.timestamp,
                item.uuid,
            ), raw

    def test_canonical_uuid_is_what_uuid_prints(self):
        """A uuid is kept exactly when ``str(uuid.UUID(value)) == value``."""
        from tenantry.server.relay import _uuid

        good = str(uuid.uuid4())
        for value in [
            good,
            good.upper(),
            good.replace("-", ""),
            "{" + good + "}",
            "urn:uuid:" + good,
            good + "\n",
            good[:-1] + "g",
            "",
            None,
        ]:
            try:
                canonical = value is not None and str(uuid.UUID(value)) == value
            except ValueError:
                canonical = False
            assert _uuid(value) == (value if canonical else None), value
