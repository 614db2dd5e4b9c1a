"""The relay under attack (issue 10, items 1-5), over real HTTP on loopback: personal data in
context fields and uuids, batches sunk by one bad event, forgotten people, unreadable 413s, and
limits that did not bound volume."""

from __future__ import annotations

import socket
import urllib.error
import urllib.request
import uuid

import orjson
import pytest

from tenantry._installation import load_or_create_secret
from tenantry.limits import MAX_EVENT_NAME, MAX_EVENTS_PER_REQUEST
from tenantry.pipeline.suppression import SuppressionList
from tenantry.policy.processors import MAX_NAME
from tenantry.policy.pseudonym import Pseudonymizer
from tenantry.server import Rate
from tests.server.conftest import start, stop

PATH = "/v1/telemetry/events"


def _event(**extra):
    return {
        "event_name": "memory_created",
        "properties": {"type": "text"},
        "user_id": "anon_0123456789abcdef",
        "uuid": str(uuid.uuid4()),
        **extra,
    }


def _relayed(running, uuids):
    running.flush()
    return [e for e in running.relayed.events if e.uuid in set(uuids)]


class TestContextAndUuid:
    """Item 1: context fields pass the value filter and an allow-list of shapes; a uuid is kept
    only when it parses."""

    ATTACKS = [
        # the examples
        {
            "os": "10.20.30.40",
            "arch": "+14155550100",
            "version": "usr_13b3c0ffee42",
            "python_version": "alice@example.com",
        },
        # my own: a phone as a version, a name as an OS, an email as an arch, a token
        {
            "os": "Alice",
            "arch": "bob@example.com",
            "version": "415.555.0100",
            "python_version": "3.12.99999",
        },
        {
            "os": "sk_live_abcdef123456",
            "arch": "dev_abc123",
            "version": "1.0+alice",
            "python_version": "10.1.2.3",
        },
        {
            "os": "Linux\u202eecila",
            "arch": "x86_64 alice",
            "version": "2026.11.29.1",
            "python_version": "+1 415",
        },
    ]

    @pytest.mark.parametrize("context", ATTACKS)
    def test_personal_context_values_become_unknown(self, running, context):
        """Context values that carry a phone number, an IP, an ID, an email or a token are
        stored as ``unknown``, never as sent."""
        event = _event(properties={"type": "text", **context})
        r = running.client.post(PATH, json={"events": [event], "anonymous_id": "inst-ctx"})
        assert r.status_code == 200 and r.json()["events_processed"] == 1
        [stored] = _relayed(running, [event["uuid"]])
        for key, value in context.items():
            assert stored.properties[key] == "unknown", (key, value)
        dumped = orjson.dumps(stored.to_record()).decode()
        for value in context.values():
            assert value not in dumped

    def test_real_context_values_are_kept(self, running):
        """What real installations send (an OS name, an architecture, a release number,
        ``major.minor``) is kept as sent."""
        real = [
            ("Linux", "x86_64", "0.10.12", "3.12"),
            ("Darwin", "arm64", "1.2.0rc1", "3.13"),
            ("Windows", "AMD64", "2026.1.15", "3.11"),
        ]
        events = [
            _event(properties={"os": o, "arch": a, "version": v, "python_version": p})
            for o, a, v, p in real
        ]
        r = running.client.post(PATH, json={"events": events})
        assert r.json()["events_processed"] == 3
        got = {
            (
                e.properties["os"],
                e.properties["arch"],
                e.properties["version"],
                e.properties["python_version"],
            )
            for e in _relayed(running, [e["uuid"] for e in events])
        }
        assert got == set(real)

    @pytest.mark.parametrize(
        "bad",
        ["415-555-0100", "10.20.30.40-aaaa", "ffffffff", "0123456789abcdef0123456789abcdefff"],
    )
    def test_uuid_kept_only_when_it_parses(self, running, bad):
        """A uuid field that is not a UUID (a phone number, hex of the wrong length) is replaced
        by a fresh uuid; a UUID in canonical form is kept as it is."""
        real = uuid.uuid4()
        events = [_event(uuid=bad), _event(uuid=str(real))]
        r = running.client.post(PATH, json={"events": events})
        assert r.json()["events_processed"] == 2
        running.flush()
        stored = [e.uuid for e in running.relayed.events]
        assert bad not in stored and bad.lower() not in stored
        assert str(real) in stored

    def test_only_the_canonical_spelling_passes(self, running):
        """Issue 19 item 5: the field is no data channel: upper case, braces, bare hex or a URN
        of a UUID are each replaced by a fresh canonical uuid4 (so they are new events, not
        duplicates); the canonical spelling is kept, and deduplicated when sent again."""
        u = uuid.uuid4()
        spellings = [str(u).upper(), "{" + str(u) + "}", u.hex, u.urn, str(u), str(u)]
        r = running.client.post(PATH, json={"events": [_event(uuid=s) for s in spellings]})
        assert r.json()["events_processed"] == 5
        running.flush()
        stored = [e.uuid for e in running.relayed.events]
        assert stored.count(str(u)) == 1
        assert not {str(u).upper(), "{" + str(u) + "}", u.hex, u.urn} & set(stored)
        fresh = [x for x in stored[-5:] if x != str(u)]
        assert len(fresh) == 4 and all(
            uuid.UUID(x).version == 4 and str(uuid.UUID(x)) == x for x in fresh
        )


class TestPerEventValidation:
    """Item 2: one bad event is rejected alone, with the same limits as the library."""

    def test_long_name_rejects_only_its_event(self, running):
        """A name over the limit is listed in ``rejected``; the batch's other events are kept and
        the answer is 200. A name of exactly the library's limit (256) is accepted, and so is an
        unreadable timestamp (the event gets the relay's clock, see ``tenantry.timestamps``)."""
        events = [
            _event(),
            _event(event_name="x" * (MAX_EVENT_NAME + 1)),
            _event(event_name="y" * MAX_EVENT_NAME),
            "not an event",
            _event(properties=["not", "a", "dict"]),
            _event(event_name=""),
            {"properties": {}},
            _event(timestamp="yesterday"),
            _event(),
        ]
        counters = running.state.relay.counters
        before = counters.get("invalid_timestamps")
        r = running.client.post(PATH, json={"events": events})
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["events_received"] == 9 and body["events_processed"] == 4
        assert [x["index"] for x in body["rejected"]] == [1, 3, 4, 5, 6]
        assert counters.get("invalid_timestamps") == before + 1
        assert all(x["reason"] for x in body["rejected"])
        assert "x" * 50 not in r.text  # the input is never echoed

    def test_cloud_library_through_relay_loses_nothing(self, running, tmp_path):
        """A cloud installation whose event names run to the library's limit (a 300-character
        name is cut to 256) sends through the relay without losing a batch."""
        from tenantry import TelemetryService

        cloud = TelemetryService(
            data_dir=tmp_path, edition="cloud", destinations=("relay",), relay_url=running.url
        )
        for name in ("short", "n" * 300, "m" * MAX_NAME):
            cloud.track_sync(name, {"type": "text"}, developer_id="dev_limits1")
        assert cloud.flush(10.0)
        status = cloud.get_status()
        cloud.shutdown(2.0)
        assert status["delivered"] == 3 and status["failed"] == 0 and status["dropped"] == 0

    def test_relay_destination_marks_only_the_rejected_event(self, running, tmp_path):
        """The library's relay destination reads ``rejected``: an event the relay refuses is
        REJECTED alone, its neighbours DELIVERED (events built directly, past the policy)."""
        from tenantry.config import load_settings
        from tenantry.destinations.base import Status
        from tenantry.destinations.relay import RelayDestination
        from tenantry.events import Event

        dest = RelayDestination(load_settings(data_dir=tmp_path, relay_url=running.url))
        events = [
            Event(str(uuid.uuid4()), name, "anon_x", 1.7e9, "opensource", {})
            for name in ("ok", "z" * (MAX_EVENT_NAME + 1), "ok2")
        ]
        results = dest.send(events, 10.0)
        dest.shutdown(1.0)
        assert [r.status for r in results] == [Status.DELIVERED, Status.REJECTED, Status.DELIVERED]

    def test_envelope_errors_are_still_4xx(self, running):
        """A body that is not the envelope is 422; more than the event cap is 413."""
        assert running.client.post(PATH, json={"events": {"a": 1}}).status_code == 422
        many = {"events": [{"event_name": "e"}] * (MAX_EVENTS_PER_REQUEST + 1)}
        assert running.client.post(PATH, json=many).status_code == 413


class TestForget:
    """Item 3: the relay honours the suppression list for the raw and the re-keyed ID."""

    def test_forgotten_ids_are_not_stored_again(self, running):
        """After ``forget`` of a raw ID, and of a re-keyed ID seen in the store, new events for
        either are dropped as ``suppressed``; others still pass."""
        settings = running.state.settings
        raw = "end-user-to-forget-7"
        other = "end-user-staying-7"
        rekeyed_source = "end-user-known-by-pseudonym-7"
        secret = load_or_create_secret(settings.data_dir, settings.secret)
        rekeyed = Pseudonymizer(secret)(rekeyed_source)
        suppression = SuppressionList(settings.data_dir)
        suppression.add(raw)
        suppression.add(rekeyed)
        import time

        time.sleep(0.15)  # the list is re-read at most every 0.1 s
        before = running.state.relay.counters.snapshot()["drops"].get("suppressed", 0)
        events = [_event(user_id=raw), _event(user_id=rekeyed_source), _event(user_id=other)]
        anon = {"events": [_event(user_id=None)], "anonymous_id": raw}
        r = running.client.post(PATH, json={"events": events})
        assert r.json()["events_processed"] == 1
        assert running.client.post(PATH, json=anon).json()["events_processed"] == 0
        kept = _relayed(running, [e["uuid"] for e in events])
        assert [e.uuid for e in kept] == [events[2]["uuid"]]
        after = running.state.relay.counters.snapshot()["drops"]["suppressed"]
        assert after - before == 3


def _post_urllib(url: str, body: bytes) -> int:
    request = urllib.request.Request(
        url, data=body, headers={"Content-Type": "application/json"}, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


class TestReadable413:
    """Item 4: a plain client that writes its whole body reads the 413."""

    def test_urllib_reads_413_every_time(self, running):
        """15 of 15 ``urllib`` posts of a 2.4 MB body to the relay read 413 (no broken pipe)."""
        body = orjson.dumps({"events": [_event(properties={"pad": "x" * 2_400_000})]})
        codes = [_post_urllib(running.url + PATH, body) for _ in range(15)]
        assert codes == [413] * 15

    def test_other_routes_too(self, running):
        """The same on a route with a small cap (login: 8 KiB) and on a path nobody serves
        (default cap 16 KiB): 413 over the cap, 404 under it (the body drained first)."""
        body = b'{"email": "a@b.co", "password": "' + b"p" * 600_000 + b'"}'
        assert [_post_urllib(running.url + "/v1/auth/sessions", body) for _ in range(5)] == [
            413
        ] * 5
        assert [_post_urllib(running.url + "/no/such/route", body) for _ in range(5)] == [413] * 5
        small = b"x" * 15_000
        assert [_post_urllib(running.url + "/no/such/route", small) for _ in range(5)] == [404] * 5


class TestVolumeLimits:
    """Item 5: limits charge per event, per address and per installation; forwarded headers are
    believed only from configured proxies."""

    def test_rotating_installation_ids_hit_the_address_limit(self, tmp_path):
        """A client that changes ``anonymous_id`` on every request is limited per address, by
        events (5 requests of 100 events against 300 allowed): 429 with Retry-After."""
        server, running = start(tmp_path, ip_rate=Rate(per_second=10, burst=300))
        try:
            codes = []
            for i in range(5):
                body = {"events": [_event() for _ in range(100)], "anonymous_id": f"rot-{i}"}
                r = running.client.post(PATH, json=body)
                codes.append(r.status_code)
            assert codes[:3] == [200] * 3 and codes[3:] == [429, 429]
            assert int(r.headers["Retry-After"]) >= 1 and r.json()["code"] == "rate_limited"
        finally:
            stop(server, running)

    def test_forged_forwarded_for_buys_nothing(self, tmp_path):
        """With no trusted proxy configured, a different ``X-Forwarded-For`` on every request
        does not get a fresh allowance."""
        server, running = start(tmp_path, ip_rate=Rate(per_second=1, burst=100))
        try:
            codes = []
            for i in range(4):
                body = {"events": [_event() for _ in range(50)]}
                r = running.client.post(
                    PATH, json=body, headers={"X-Forwarded-For": f"203.0.113.{i}"}
                )
                codes.append(r.status_code)
            assert codes == [200, 200, 429, 429]
        finally:
            stop(server, running)

    def test_trusted_proxy_forwards_client_addresses(self, tmp_path):
        """With 127.0.0.1 trusted, each forwarded client has its own allowance, and a client
        cannot prepend a fake hop to escape its own (the right-most untrusted hop counts)."""
        server, running = start(
            tmp_path, ip_rate=Rate(per_second=1, burst=100), trusted_proxies="127.0.0.1"
        )
        try:

            def post(xff):
                body = {"events": [_event() for _ in range(60)]}
                return running.client.post(PATH, json=body, headers={"X-Forwarded-For": xff})

            assert post("198.51.100.1").status_code == 200
            assert post("198.51.100.2").status_code == 200
            assert post("6.6.6.6, 198.51.100.1").status_code == 429  # still .1's bucket
            assert post("198.51.100.3").status_code == 200
        finally:
            stop(server, running)

    def test_default_allowances_stop_a_flood(self, tmp_path):
        """With the default allowances, one address sending batches of 1,000 events as fast as
        it can is refused (429) after about 50,000 events, while the requests before it (what
        a real installation sends in a long while) all pass."""
        import time

        server, running = start(tmp_path)
        try:
            body = orjson.dumps(
                {"events": [{"event_name": "flood", "properties": {}}] * 1000, "anonymous_id": None}
            )
            headers = {"content-type": "application/json"}
            started, accepted, code = time.monotonic(), 0, 200
            while code == 200 and accepted < 200_000:
                code = running.client.post(PATH, content=body, headers=headers).status_code
                accepted += 1000 if code == 200 else 0
            elapsed = time.monotonic() - started
            assert code == 429
            assert 50_000 <= accepted <= 50_000 + 5000 * elapsed + 1000
        finally:
            stop(server, running)


def test_oversized_header_declared_body_is_refused_without_reading(running):
    """A declared 150 MB body is answered 413 at once, before its bytes are sent (raw socket:
    the client sends only the headers)."""
    with socket.create_connection(("127.0.0.1", int(running.url.rsplit(":", 1)[1])), 10) as s:
        s.sendall(
            b"POST " + PATH.encode() + b" HTTP/1.1\r\nHost: x\r\nContent-Type: application/json"
            b"\r\nContent-Length: 157286400\r\n\r\n"
        )
        s.settimeout(10)
        head = s.recv(4096)
    assert head.startswith(b"HTTP/1.1 413")
