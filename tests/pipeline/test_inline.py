"""``TELEMETRY_MODE=sync`` (``TelemetryService(mode="sync")``): no threads; ``track`` shapes,
``flush()`` sends on the calling thread within its timeout, against real HTTP servers."""

from __future__ import annotations

import threading
import time

import pytest

from tenantry import TelemetryService
from tenantry.errors import ConfigError
from tenantry.testing import InMemoryDestination


def _tenantry_threads() -> set[str]:
    return {t.name for t in threading.enumerate() if t.name.startswith("tenantry-")}


class TestSyncMode:
    def test_no_threads_shaped_on_track_sent_on_flush(self, monkeypatch):
        """TELEMETRY_MODE=sync starts no thread; a tracked event (and an identify) is shaped at
        once and held (queued) until flush() delivers it."""
        monkeypatch.setenv("TELEMETRY_MODE", "sync")
        before = _tenantry_threads()
        dest = InMemoryDestination(people=True)
        svc = TelemetryService(edition="cloud", destinations=[dest], profile_lookup=None)
        svc.track_sync("memory_created", {"type": "text"}, developer_id="dev_a")
        svc.identify("dev_a", {"plan": "pro"})
        assert svc.mode == "sync" and svc.get_status()["mode"] == "sync"
        assert dest.events == [] and svc.get_status()["queued"] == 2
        assert svc.flush(5.0)
        assert [e.event for e in dest.events] == ["memory_created", "$identify"]
        status = svc.get_status()
        assert (status["delivered"], status["queued"]) == (2, 0)
        assert svc.shutdown(5.0)
        assert _tenantry_threads() == before

    def test_retries_within_flush(self, fake_amplitude):
        """Two 503s then success: one flush retries (backoff) and delivers the event once."""
        fake_amplitude.fail_next(2, 503)
        svc = TelemetryService(
            edition="cloud", mode="sync", destinations=["amplitude"], profile_lookup=None,
            amplitude_api_key="amp-key", amplitude_server_url=fake_amplitude.url,
        )  # fmt: skip
        svc.track_sync("memory_created", {}, developer_id="dev_abc123")
        assert svc.flush(10.0)
        assert len(fake_amplitude.requests) == 3 and len(fake_amplitude.events) == 1
        assert svc.get_status()["per_destination"]["amplitude"]["retried"] == 2
        svc.shutdown(1.0)

    def test_a_rejection_is_final_and_counted(self, fake_posthog):
        """A 400 is final: flush returns True, the event counts failed, the drop is
        rejected:http_400, and the destination's status has it by reason."""
        fake_posthog.fail_next(1, 400)
        svc = TelemetryService(
            edition="opensource", mode="sync", destinations=["posthog"], **fake_posthog.settings()
        )
        svc.track_sync("memory_created", {}, developer_id="dev_a")
        assert svc.flush(5.0)
        status = svc.get_status()
        assert (status["failed"], status["delivered"]) == (1, 0)
        assert status["drops"] == {"rejected:http_400": 1}
        assert status["per_destination"]["posthog"]["rejected"] == {"http_400": 1}
        svc.shutdown(1.0)

    def test_deadline_keeps_the_rest_for_the_next_flush(self, fake_posthog):
        """A destination that does not answer: flush keeps to its timeout and returns False;
        the event stays queued and the next flush, once the vendor answers, delivers it."""
        fake_posthog.hang = True
        svc = TelemetryService(
            edition="opensource", mode="sync", destinations=["posthog"], **fake_posthog.settings()
        )
        svc.track_sync("memory_created", {}, developer_id="dev_a")
        started = time.monotonic()
        assert svc.flush(0.5) is False
        assert time.monotonic() - started < 3.0
        assert svc.get_status()["queued"] == 1
        fake_posthog.release()
        assert svc.flush(10.0)
        assert len(fake_posthog.events) == 1 and svc.get_status()["delivered"] == 1
        svc.shutdown(1.0)

    def test_shutdown_counts_what_is_left(self, fake_posthog):
        """What shutdown cannot send is counted shutdown:<destination>; later calls are
        counted as dropped (shutdown)."""
        fake_posthog.fail_next(100, 503)
        svc = TelemetryService(
            edition="opensource", mode="sync", destinations=["posthog"], **fake_posthog.settings()
        )
        svc.track_sync("a", {}, developer_id="dev_a")
        assert svc.shutdown(0.3) is False
        svc.track_sync("b", {}, developer_id="dev_a")
        drops = svc.get_status()["drops"]
        assert drops["shutdown:posthog"] == 1 and drops["shutdown"] == 1

    def test_integrations_flush_at_the_end_of_each_request(self):
        """In sync mode the ASGI middleware's request_done sends the request's api_request
        before the request is over: no flush() call, no thread."""
        import asyncio

        from tenantry.asgi import TelemetryMiddleware

        dest = InMemoryDestination()
        svc = TelemetryService(edition="cloud", mode="sync", destinations=[dest])

        async def app(scope, receive, send):
            await send({"type": "http.response.start", "status": 204, "headers": []})
            await send({"type": "http.response.body", "body": b""})

        async def call():
            async def receive():
                return {"type": "http.request", "body": b"", "more_body": False}

            async def send(message):
                pass

            scope = {"type": "http", "method": "GET", "path": "/v1/x", "headers": []}
            await TelemetryMiddleware(app, resolve=lambda r: ("dev_a", None), telemetry=svc)(
                scope, receive, send
            )

        asyncio.run(call())
        assert [e.event for e in dest.events] == ["api_request"]
        assert svc.get_status()["queued"] == 0
        svc.shutdown(1.0)

    def test_sync_and_durable_refused(self):
        """TELEMETRY_DURABLE needs the threads: asking for both fails at start, naming
        TELEMETRY_MODE."""
        with pytest.raises(ConfigError, match="TELEMETRY_MODE"):
            TelemetryService(mode="sync", durable=True)
