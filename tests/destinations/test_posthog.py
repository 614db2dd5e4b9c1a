"""PostHog over its real wire protocol, against the fake PostHog on 127.0.0.1."""

from __future__ import annotations

import gzip
import platform
import sys
import time
from datetime import UTC, datetime, timedelta

import pytest

from tenantry import __version__
from tenantry.config import load_settings
from tenantry.destinations.base import Status
from tenantry.destinations.posthog import PostHogDestination
from tenantry.events import Event, new_uuids
from tests.destinations.vendors import destination, service
from tests.fixtures.seed_guide import track_example_1


def events(n: int, edition: str = "opensource", developer: str | None = None) -> list[Event]:
    return [
        Event(u, "memory_created", "anon_x1y2z3", 1_700_000_000.25, edition, {"i": i}, developer)
        for i, u in enumerate(new_uuids(n))
    ]


class TestPostHog:
    async def test_opensource_example_arrives_as_the_seed_guide_says(self, fake_posthog):
        """The opensource example reaches PostHog as the guide's "Result in PostHog": a hashed
        distinct_id and anonymous properties, plus uuid and timestamp, as a personless event."""
        svc = service(fake_posthog, edition="opensource")
        await track_example_1(svc)
        assert svc.shutdown(5.0)
        [req] = fake_posthog.requests
        body = req.body
        assert body["api_key"] == "phc_key" and body["historical_migration"] is False
        assert body["sent_at"].endswith("+00:00")
        [event] = body["batch"]
        assert event["distinct_id"].startswith("anon_") and "user_1234" not in event["distinct_id"]
        assert event["timestamp"].endswith("Z") and len(event["uuid"]) == 36
        assert event["event"] == "memory_created"
        assert event["properties"] == {
            "type": "text",
            "has_metadata": True,
            "edition": "opensource",
            "os": platform.system(),
            "arch": platform.machine(),
            "version": __version__,
            "python_version": f"{sys.version_info.major}.{sys.version_info.minor}",
            "$lib": "tenantry",
            "$lib_version": __version__,
            "$geoip_disable": True,
            "$ip": "0.0.0.0",
            "$is_server": True,
            "$process_person_profile": False,
        }
        assert b"user_1234" not in req.raw and b"dev_abc123" not in req.raw

    def test_cloud_events_carry_the_developer_group(self, fake_posthog):
        """In cloud, an event with a developer gets $groups = {"developer": developer_id}."""
        dest = destination(fake_posthog)
        evs = events(1, "cloud", "dev_abc123") + events(1, "opensource")
        assert all(r.status is Status.DELIVERED for r in dest.send(evs, 2.0))
        cloud, oss = fake_posthog.events
        assert cloud["properties"]["$groups"] == {"developer": "dev_abc123"}
        assert "$groups" not in oss["properties"]
        assert "$groups" not in evs[0].properties  # the Event itself is untouched

    def test_large_bodies_are_gzipped(self, fake_posthog):
        """A body over 64 KB goes gzipped with Content-Encoding: gzip; small ones go plain."""
        dest = destination(fake_posthog)
        dest.send(events(2), 2.0)
        dest.send(events(1000), 2.0)
        small, big = fake_posthog.requests
        assert "content-encoding" not in small.headers
        assert big.headers["content-encoding"] == "gzip"
        assert len(gzip.decompress(big.raw)) > 64 * 1024 > big.size
        assert len(fake_posthog.events) == 1002

    def test_other_4xx_are_rejected_with_their_code(self, fake_posthog):
        """401 (bad key) rejects the request's events as http_401."""
        fake_posthog.fail_next(1, 401)
        results = destination(fake_posthog).send(events(3), 2.0)
        assert {(r.status, r.reason) for r in results} == {(Status.REJECTED, "http_401")}

    def test_5xx_and_connection_errors_retry(self, fake_posthog):
        """503 and a refused connection are both RETRY."""
        dest = destination(fake_posthog)
        fake_posthog.fail_next(1, 503)
        assert {r.status for r in dest.send(events(2), 2.0)} == {Status.RETRY}
        fake_posthog.close()
        results = dest.send(events(2), 2.0)
        assert {r.status for r in results} == {Status.RETRY}
        assert results[0].reason.startswith("connect_error")


class TestWhatPostHogKeeps:
    """Issue 11 item 3: PostHog keeps no IP and no location for tenantry's events."""

    @pytest.mark.parametrize("edition", ["cloud", "opensource"])
    async def test_no_ip_and_no_geoip_in_either_edition(self, fake_posthog, edition):
        """Every event says $geoip_disable and carries the truthy $ip placeholder, so PostHog's
        ingestion rule (socket address when $ip is missing or falsy) stores no address and no
        location, even when a caller passes its own $ip."""
        svc = service(fake_posthog, edition=edition)
        await svc.track(
            "memory_created",
            {"type": "text", "$ip": "203.0.113.9"},
            user_id="user_1234",
            developer_id="dev_abc123",
        )
        assert svc.shutdown(5.0)
        [sent] = fake_posthog.events
        assert sent["properties"]["$geoip_disable"] is True
        [kept] = fake_posthog.stored
        assert kept["properties"]["$ip"] == "0.0.0.0"
        assert not [
            k for k in kept["properties"] if k.startswith("$geoip_") and k != "$geoip_disable"
        ]
        assert b"127.0.0.1" not in fake_posthog.requests[0].raw
        assert b"203.0.113.9" not in fake_posthog.requests[0].raw


class TestPostHogHosts:
    """Issue 11 item 4: the app hosts people copy from the browser map to ingestion hosts."""

    @pytest.mark.parametrize(
        ("host", "expected"),
        [
            ("https://us.posthog.com", "https://us.i.posthog.com"),
            ("https://app.posthog.com", "https://us.i.posthog.com"),
            ("https://eu.posthog.com", "https://eu.i.posthog.com"),
            ("https://eu.posthog.com/", "https://eu.i.posthog.com"),
            ("https://us.i.posthog.com", "https://us.i.posthog.com"),
            ("https://eu.i.posthog.com", "https://eu.i.posthog.com"),
            ("https://posthog.example.com", "https://posthog.example.com"),
        ],
    )
    def test_app_hosts_post_to_ingestion_hosts_as_the_sdk_does(self, host, expected):
        """POSTHOG_HOST=<app host> posts to the ingestion host's /batch/, the same host that
        posthog-python's determine_server_host picks; other hosts are used as given."""
        from posthog.request import determine_server_host

        dest = PostHogDestination(load_settings(posthog_api_key="phc_key", posthog_host=host))
        assert dest.url == expected + "/batch/"
        assert determine_server_host(host).rstrip("/") == expected


class TestHistoricalMigration:
    """Issue 11 item 5: backfills are marked historical_migration, as the SDK sends it."""

    def test_backfilled_events_go_as_historical_migration(self, fake_posthog):
        """An event timestamped 30 days back goes in a request with historical_migration: true;
        live events and a one-hour-old one go in requests with false; all arrive once."""
        svc = service(fake_posthog, edition="cloud")
        now = datetime.now(UTC)
        for name, when in (
            ("backfilled", now - timedelta(days=30)),
            ("live", None),
            ("hour_old", now - timedelta(hours=1)),
        ):
            svc.track_sync(name, {}, user_id="u1", developer_id="dev_abc123", timestamp=when)
        assert svc.shutdown(5.0)
        flag = {
            e["event"]: r.body["historical_migration"]
            for r in fake_posthog.requests
            for e in r.body["batch"]
        }
        assert flag == {"backfilled": True, "live": False, "hour_old": False}
        assert len(fake_posthog.events) == 3

    def test_one_batch_is_split_by_age_and_results_stay_in_order(self, fake_posthog):
        """A mixed batch becomes one live and one historical request; the results line up with
        the events given, and a failure of one request does not touch the other's events."""
        dest = destination(fake_posthog)
        old, live = (
            [Event(u, "e", "anon_x1y2z3", ts, "opensource", {}) for u in new_uuids(2)]
            for ts in (time.time() - 49 * 3600, time.time())
        )
        mixed = [old[0], *live, old[1]]
        fake_posthog.fail_next(1, 503)  # the first request (the live one) fails
        results = dest.send(mixed, 2.0)
        assert [r.status for r in results] == [
            Status.DELIVERED, Status.RETRY, Status.RETRY, Status.DELIVERED
        ]  # fmt: skip
        [stored] = [r.body for r in fake_posthog.requests if r.body["historical_migration"]]
        assert [e["uuid"] for e in stored["batch"]] == [old[0].uuid, old[1].uuid]
