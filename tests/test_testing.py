"""tenantry.testing: the in-memory destination is reachable only as an instance from here, never
by a destination name (issue 15, item 6). [OpenTelemetry InMemorySpanExporter]"""

from __future__ import annotations

import pytest

from tenantry import TelemetryService
from tenantry.config import PROVIDERS, load_settings
from tenantry.destinations import _CLASSES, build
from tenantry.errors import ConfigError
from tenantry.testing import InMemoryDestination, capture_events


class TestInMemoryDestination:
    def test_memory_is_refused_as_a_destination_name(self, monkeypatch):
        """TELEMETRY_PROVIDER=memory fails at start-up, naming the variable and the valid names."""
        monkeypatch.setenv("TELEMETRY_PROVIDER", "memory")
        with pytest.raises(ConfigError) as info:
            TelemetryService(enabled=True, do_not_track=False)
        message = str(info.value)
        assert message.startswith("TELEMETRY_PROVIDER: unknown destination 'memory'")
        assert "valid names: " + ", ".join(PROVIDERS) in message
        assert "InMemoryDestination()" in message  # and says what to do instead

    def test_build_refuses_memory_too(self):
        """destinations.build has no memory entry: the name fails there as well, with the list."""
        with pytest.raises(ConfigError, match="TELEMETRY_PROVIDER: unknown destination 'memory'"):
            build(load_settings(), "memory")

    def test_the_names_build_takes_are_the_names_config_takes(self):
        """TELEMETRY_PROVIDER's names and build's are one list, without memory."""
        assert tuple(_CLASSES) == PROVIDERS and "memory" not in PROVIDERS

    def test_an_instance_passed_to_the_service_receives_the_events(self):
        """TelemetryService(destinations=[InMemoryDestination()]) keeps the shaped events."""
        memory = InMemoryDestination(name="mine")
        service = TelemetryService(
            destinations=[memory], edition="cloud", enabled=True, do_not_track=False
        )
        service.track_sync("memory_created", {"type": "text"}, developer_id="dev_abc123")
        assert service.flush(5.0)
        assert [e.event for e in memory.events] == ["memory_created"]
        assert service.destination("mine") is memory
        service.shutdown(5.0)
        assert memory.shut_down

    def test_capture_events_keeps_working(self):
        """capture_events() installs a service with an in-memory destination, no name needed."""
        from tenantry import get_telemetry

        with capture_events(edition="cloud") as events:
            get_telemetry().track_sync("memory_created", {}, developer_id="dev_abc123")
        assert [e["event"] for e in events] == ["memory_created"]
        assert events[0]["developer_id"] == "dev_abc123"
