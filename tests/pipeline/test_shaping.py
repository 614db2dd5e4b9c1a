"""Shaping (tenantry.pipeline.shaping), seen through the service's public calls so the test
holds whatever the intake looks like inside: each kind of call becomes its event, every event
gets a uuid of its own and the time it was given, and one call that fails to shape costs only
itself."""

from __future__ import annotations

from datetime import UTC, datetime

from tenantry import TelemetryService
from tenantry.facts import RequestFacts, TaskFacts
from tenantry.testing import InMemoryDestination


def service(**kw) -> tuple[TelemetryService, InMemoryDestination]:
    memory = InMemoryDestination()
    return TelemetryService(edition="cloud", destinations=[memory], **kw), memory


class TestShaping:
    def test_each_kind_of_call_becomes_its_event(self):
        """track, track_error, track_performance, record_request and record_task become their
        events with the facts they were given (cloud: exact)."""
        svc, memory = service()
        svc.track_sync("memory_created", {"type": "text"}, developer_id="dev_abc123")
        svc.track_error_sync("TimeoutError", developer_id="dev_abc123")
        svc.track_performance_sync("search", 12.5, developer_id="dev_abc123")
        svc.record_request(
            RequestFacts("/v1/memories/{memory_id}", "GET", 200, 3.2), developer_id="dev_abc123"
        )
        svc.record_task(TaskFacts("billing.send", "SUCCESS", 40.0), developer_id="dev_abc123")
        assert svc.flush(5.0)
        svc.shutdown(5.0)
        by_name = {e.event: e.properties for e in memory.events}
        assert set(by_name) == {
            "memory_created",
            "error_occurred",
            "performance_metric",
            "api_request",
            "task_run",
        }
        assert by_name["memory_created"]["type"] == "text"
        assert by_name["error_occurred"]["error_type"] == "TimeoutError"
        assert by_name["performance_metric"]["duration_ms"] == 12.5
        assert by_name["api_request"]["route"] == "/v1/memories/{memory_id}"
        assert by_name["api_request"]["status"] == 200
        assert by_name["task_run"]["state"] == "SUCCESS"

    def test_every_event_has_its_own_uuid_and_the_time_it_was_given(self):
        """1,000 events get 1,000 distinct uuids; a timestamp passed to track is the event's."""
        svc, memory = service()
        when = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
        for i in range(1000):
            svc.track_sync("memory_created", {"i": i}, developer_id="dev_abc123", timestamp=when)
        assert svc.flush(5.0)
        svc.shutdown(5.0)
        assert len({e.uuid for e in memory.events}) == 1000
        assert {e.timestamp for e in memory.events} == {when.timestamp()}

    def test_a_call_that_fails_to_shape_costs_only_itself(self):
        """One call whose event name is not a name (None) is dropped and counted; the nine
        calls around it are delivered."""
        svc, memory = service()
        for i in range(10):
            name = None if i == 4 else "memory_created"
            svc.track_sync(name, {"i": i}, developer_id="dev_abc123")
        svc.flush(5.0)
        status = svc.get_status()
        svc.shutdown(5.0)
        assert sorted(e.properties["i"] for e in memory.events) == [0, 1, 2, 3, 5, 6, 7, 8, 9]
        assert status["dropped"] == 1 and status["accepted"] == 10
