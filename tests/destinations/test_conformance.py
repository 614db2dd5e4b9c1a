"""One conformance suite over every vendor destination (amplitude, posthog, relay), over real
sockets: results for 200, 429, 413 and 403; flush on shutdown, drop after shutdown, and the
shutdown deadline and the time left for a re-encoded batch with a destination that never
answers. [Vector's sink compliance harness]"""

from __future__ import annotations

import time

import pytest

from tenantry.destinations.base import Status
from tenantry.events import Event, new_uuids
from tests.destinations.vendors import KINDS, destination, service


def events(n: int) -> list[Event]:
    return [
        Event(u, "memory_created", "dev_abc123", time.time(), "cloud", {"i": i}, "dev_abc123")
        for i, u in enumerate(new_uuids(n))
    ]


@pytest.fixture(params=sorted(KINDS))
def vendor(request):
    """A fake vendor server of each kind in turn."""
    with KINDS[request.param]() as server:
        yield server


class TestConformance:
    def test_200_is_delivered(self, vendor):
        """A 2xx answer makes every event of the batch DELIVERED, and all of them arrived."""
        server = vendor
        evs = events(5)
        assert [r.status for r in destination(server).send(evs, 2.0)] == [Status.DELIVERED] * 5
        assert sorted(server.uuids()) == sorted(e.uuid for e in evs)

    def test_429_is_retried_after_retry_after(self, vendor):
        """429 with Retry-After: 3 gives RETRY not before 3 s from now."""
        server = vendor
        server.fail_next(1, 429, {"Retry-After": "3"})
        results = destination(server).send(events(2), 2.0)
        assert {r.status for r in results} == {Status.RETRY}
        assert all(r.retry_at >= time.monotonic() + 2.5 for r in results)

    def test_413_splits_and_delivers(self, vendor):
        """413 above a size splits the request until the parts fit, and everything arrives."""
        server = vendor
        server.max_body = 2500
        results = destination(server).send(events(30), 2.0)
        assert [r.status for r in results] == [Status.DELIVERED] * 30
        assert server.statuses[413] >= 1 and len(server.events) == 30

    def test_413_for_one_event_is_rejected(self, vendor):
        """A single event that alone exceeds the server's limit is REJECTED as too_large."""
        server = vendor
        server.max_body = 10
        [result] = destination(server).send(events(1), 2.0)
        assert (result.status, result.reason) == (Status.REJECTED, "too_large")

    @pytest.mark.parametrize("status", [500, 501, 502, 503, 504, 507])
    def test_every_5xx_is_retried(self, vendor, status):
        """Every 5xx, 501 included, is RETRY with its code as the reason; the retry delivers."""
        server = vendor
        server.fail_next(1, status)
        dest = destination(server)
        evs = events(2)
        assert {(r.status, r.reason) for r in dest.send(evs, 2.0)} == {
            (Status.RETRY, f"http_{status}")
        }
        assert {r.status for r in dest.send(evs, 2.0)} == {Status.DELIVERED}

    def test_413_size_limit_recovers_over_time(self, vendor):
        """After a 413 the cut size limit is used at once (30 events go in several requests),
        then recovers by doubling per size_recovery period: later the same 30 events go in
        one request again, instead of staying split for the life of the process."""
        server = vendor
        server.max_body = 2500
        now = [1000.0]  # a fake clock for the size recovery: no waiting
        dest = destination(
            server, size_recovery=60.0, max_request_bytes=64_000, clock=lambda: now[0]
        )
        assert {r.status for r in dest.send(events(30), 2.0)} == {Status.DELIVERED}
        server.max_body = None
        before = len(server.requests)
        assert {r.status for r in dest.send(events(30), 2.0)} == {Status.DELIVERED}
        assert len(server.requests) - before > 1  # still cut
        now[0] += 60.0 * 7  # 2**7 x the cut limit (< 2.5 KB) is past 64 KB
        before = len(server.requests)
        assert {r.status for r in dest.send(events(30), 2.0)} == {Status.DELIVERED}
        assert len(server.requests) - before == 1
        assert len(server.events) == 90

    def test_403_is_rejected(self, vendor):
        """403 is final: REJECTED with reason http_403."""
        server = vendor
        server.fail_next(1, 403)
        results = destination(server).send(events(3), 2.0)
        assert {(r.status, r.reason) for r in results} == {(Status.REJECTED, "http_403")}

    def test_flush_on_shutdown(self, vendor):
        """Events tracked just before shutdown() are delivered by it."""
        server = vendor
        svc = service(server, edition="cloud")
        for i in range(50):
            svc.track_sync(
                "memory_created", {"i": i}, user_id="user_1234", developer_id="dev_abc123"
            )
        assert svc.shutdown(5.0) is True
        assert len(server.events) == 50
        assert svc.get_status()["delivered"] == 50

    def test_drop_after_shutdown(self, vendor):
        """track() after shutdown() sends nothing and is counted as dropped (shutdown)."""
        server = vendor
        svc = service(server, edition="cloud")
        svc.shutdown(2.0)
        svc.track_sync("memory_created", {}, user_id="u1", developer_id="dev_abc123")
        assert svc.get_status()["drops"].get("shutdown") == 1
        assert server.requests == []

    def test_shutdown_deadline_with_a_destination_that_never_answers(self, vendor):
        """shutdown(timeout=0.5) returns within about 0.5 s although the server never answers."""
        server = vendor
        server.hang = True
        svc = service(server, edition="cloud")
        svc.track_sync("memory_created", {}, user_id="u1", developer_id="dev_abc123")
        assert svc.flush(0.3) is False
        t0 = time.monotonic()
        assert svc.shutdown(0.5) is False
        assert time.monotonic() - t0 < 0.9
        server.release()

    def test_a_reencoded_batch_gets_the_time_left_not_the_full_timeout(self, vendor):
        """A batch holding one unencodable event, sent with timeout=0.5 to a server that never
        answers, returns within about 0.5 s (not the destination's 10 s): the bad event is
        rejected, the others are retried as timed out."""
        server = vendor
        server.hang = True
        dest = destination(server, timeout=10.0)
        bad = Event(new_uuids(1)[0], "memory_created", "dev_abc123", time.time(), "cloud",
                    {"unencodable": object()}, "dev_abc123")  # fmt: skip
        t0 = time.monotonic()
        results = dest.send([*events(2), bad], 0.5)
        assert time.monotonic() - t0 < 1.2
        assert [(r.status, r.reason) for r in results] == [
            (Status.RETRY, "timeout"),
            (Status.RETRY, "timeout"),
            (Status.REJECTED, "unencodable"),
        ]
        server.release()
        dest.shutdown(1.0)
