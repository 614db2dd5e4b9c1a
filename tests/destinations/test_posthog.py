"""PostHog over its real wire protocol, against the fake PostHog on 127.0.0.1."""

from __future__ import annotations

import gzip
import platform
import sys

from tenantry import TelemetryService, __version__
from tenantry.config import load_settings
from tenantry.destinations.base import Status
from tenantry.destinations.posthog import PostHogDestination
from tenantry.events import Event, new_uuids


def events(n: int, edition: str = "opensource", developer: str | None = None) -> list[Event]:
    return [
        Event(u, "memory_created", "anon_x1y2z3", 1_700_000_000.25, edition, {"i": i}, developer)
        for i, u in enumerate(new_uuids(n))
    ]


def destination(server, **kw) -> PostHogDestination:
    settings = load_settings(posthog_api_key="phc_key", posthog_host=server.base_url)
    kw.setdefault("timeout", 2.0)
    return PostHogDestination(settings, **kw)


class TestPostHog:
    async def test_opensource_example_arrives_as_the_seed_guide_says(self, fake_posthog):
        """The opensource example reaches PostHog as the guide's "Result in PostHog": a hashed
        distinct_id and anonymous properties, plus uuid and timestamp."""
        svc = TelemetryService(
            edition="opensource",
            providers=("posthog",),
            posthog_api_key="phc_key",
            posthog_host=fake_posthog.base_url,
        )
        await svc.track(
            "memory_created",
            {"type": "text", "has_metadata": True},
            user_id="user_1234",
            developer_id="dev_abc123",
        )
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
