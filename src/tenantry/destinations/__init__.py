"""Destinations, one module each. ``build(settings, name)`` imports the module only when asked,
so a missing optional client breaks only its own destination. [Vector per-sink features]

The names are ``tenantry.config.DESTINATIONS`` (what ``TELEMETRY_PROVIDER`` takes). The in-memory
destination for tests is not among them: ``tenantry.testing.InMemoryDestination`` is passed as
an instance, ``TelemetryService(destinations=[...])``. [OpenTelemetry ``InMemorySpanExporter``]"""

from __future__ import annotations

import importlib
from typing import Any

from tenantry.config import Settings
from tenantry.destinations.base import (
    DELIVERED,
    BatchConfig,
    Destination,
    Result,
    Status,
    classify_response,
)
from tenantry.errors import ConfigError

__all__ = [
    "DELIVERED",
    "BatchConfig",
    "Destination",
    "Result",
    "Status",
    "build",
    "classify_response",
]

_CLASSES = {  # in the order of tenantry.config.DESTINATIONS
    "local": ("tenantry.destinations.local", "LocalDestination"),
    "amplitude": ("tenantry.destinations.amplitude", "AmplitudeDestination"),
    "posthog": ("tenantry.destinations.posthog", "PostHogDestination"),
    "relay": ("tenantry.destinations.relay", "RelayDestination"),
    "clickhouse": ("tenantry.destinations.clickhouse", "ClickHouseDestination"),
    "jsonl": ("tenantry.destinations.jsonl", "JsonlDestination"),
    "none": ("tenantry.destinations.none", "NoneDestination"),
}


def build(settings: Settings, name: str, **overrides: Any) -> Destination:
    """Instantiate the destination called ``name`` for ``settings``."""
    try:
        module_name, class_name = _CLASSES[name]
    except KeyError:
        raise ConfigError(
            f"TELEMETRY_PROVIDER: unknown destination {name!r}; valid names: {', '.join(_CLASSES)}"
        ) from None
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ConfigError(
            f"TELEMETRY_PROVIDER: {name!r} needs {exc.name}; install it with pip install tenantry"
        ) from exc
    return getattr(module, class_name)(settings, **overrides)
