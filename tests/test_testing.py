"""tenantry.testing: the in-memory destination is reachable only as an instance from here, never
by a destination name (issue 15, item 6). [OpenTelemetry InMemorySpanExporter]"""

from __future__ import annotations

import ast
import importlib
import importlib.util

import pytest

from tenantry import TelemetryService
from tenantry.config import DESTINATION_KINDS, DESTINATIONS, load_settings
from tenantry.destinations import build
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
        assert "valid names: " + ", ".join(DESTINATIONS) in message
        assert "InMemoryDestination()" in message  # and says what to do instead

    def test_build_refuses_memory_too(self):
        """destinations.build has no memory entry: the name fails there as well, with the list."""
        with pytest.raises(ConfigError, match="TELEMETRY_PROVIDER: unknown destination 'memory'"):
            build(load_settings(), "memory")

    def test_the_names_build_takes_are_the_names_config_takes(self):
        """TELEMETRY_PROVIDER's names and build's are one registry, without memory: each
        registered class exists and carries its registered name."""
        assert tuple(DESTINATION_KINDS) == DESTINATIONS and "memory" not in DESTINATIONS
        for name, kind in DESTINATION_KINDS.items():
            module_name = f"tenantry.destinations.{kind.module}"
            assert declared_name(module_name, kind.class_name) == name
            try:
                module = importlib.import_module(module_name)
            except ConfigError as exc:  # the core install, without the destination's extra
                assert "pip install" in str(exc)
                continue
            assert getattr(module, kind.class_name).name == name

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


class TestDestinationsArgument:
    """``destinations`` is one word for one idea: names (the setting TELEMETRY_PROVIDER gives),
    instances, or both."""

    def test_names_alone_are_the_setting(self):
        """TelemetryService(destinations=["none"]) sets the destinations setting, as an argument."""
        service = TelemetryService(destinations=["none"], enabled=True, do_not_track=False)
        assert service.settings.destinations == ("none",)
        assert service.settings.source("destinations") == "argument"
        assert service.get_status()["providers"] == ["none"]
        service.shutdown(5.0)

    def test_a_comma_separated_string_is_read_as_the_variable_is(self, tmp_path):
        """destinations="none,jsonl" means two names, with or without a Settings object."""
        from tenantry.config import Settings

        for settings in (None, Settings(jsonl_path=tmp_path / "e.jsonl")):
            kw = {} if settings is not None else {"jsonl_path": tmp_path / "e.jsonl"}
            service = TelemetryService(settings, destinations="none, jsonl", **kw)
            assert service.settings.destinations == ("none", "jsonl")
            service.shutdown(5.0)

    def test_names_beside_instances_are_built(self, tmp_path):
        """A name among instances is built from the settings; both receive every event."""
        path = tmp_path / "events.jsonl"
        memory = InMemoryDestination()
        service = TelemetryService(
            destinations=["jsonl", memory],
            jsonl_path=path,
            edition="cloud",
            enabled=True,
            do_not_track=False,
        )
        service.track_sync("memory_created", {"type": "text"}, developer_id="dev_abc123")
        assert service.flush(5.0)
        assert service.get_status()["providers"] == ["jsonl", "memory"]
        assert [e.event for e in memory.events] == ["memory_created"]
        assert '"memory_created"' in path.read_text()
        service.shutdown(5.0)

    def test_an_unknown_name_fails_like_the_variable(self):
        """A wrong name given as an argument fails at start-up with the list of names."""
        with pytest.raises(ConfigError, match="unknown destination 'posthgo'"):
            TelemetryService(destinations=["posthgo"], enabled=True, do_not_track=False)

    def test_the_earlier_keyword_still_works_with_a_warning(self):
        """load_settings(providers=...) is taken as destinations=..., with a DeprecationWarning."""
        with pytest.warns(DeprecationWarning, match="destinations"):
            settings = load_settings(providers=("none",))
        assert settings.destinations == ("none",)


def declared_name(module_name: str, class_name: str) -> str | None:
    """The ``name = "..."`` a destination class declares, read from its source (the core install
    cannot import a destination whose extra is missing)."""
    spec = importlib.util.find_spec(module_name)
    assert spec is not None and spec.origin, module_name
    with open(spec.origin, encoding="utf-8") as source:
        tree = ast.parse(source.read())
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name == class_name:
            for item in node.body:
                targets = getattr(item, "targets", None) or [getattr(item, "target", None)]
                if any(isinstance(t, ast.Name) and t.id == "name" for t in targets):
                    return ast.literal_eval(item.value)
    return None
