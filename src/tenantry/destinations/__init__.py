"""Destinations, one module each. ``build(settings, name)`` imports the module only when asked,
so a missing optional client breaks only its own destination. [Vector per-sink features]"""

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

_CLASSES = {
    "amplitude": ("tenantry.destinations.amplitude", "AmplitudeDestination"),
    "posthog": ("tenantry.destinations.posthog", "PostHogDestination"),
    "relay": ("tenantry.destinations.relay", "RelayDestination"),
    "clickhouse": ("tenantry.destinations.clickhouse", "ClickHouseDestination"),
    "local": ("tenantry.destinations.local", "LocalDestination"),
    "jsonl": ("tenantry.destinations.jsonl", "JsonlDestination"),
    "none": ("tenantry.destinations.none", "NoneDestination"),
    "memory": ("tenantry.testing", "InMemoryDestination"),
}


def build(settings: Settings, name: str, **overrides: Any) -> Destination:
    """Instantiate the destination called ``name`` for ``settings``."""
    try:
        module_name, class_name = _CLASSES[name]
    except KeyError:
        raise ConfigError(f"TELEMETRY_PROVIDER: unknown provider {name!r}") from None
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ConfigError(
            f"TELEMETRY_PROVIDER: {name!r} needs {exc.name}; install it with pip install tenantry"
        ) from exc
    cls = getattr(module, class_name)
    if name == "memory":
        return cls(**overrides)
    return cls(settings, **overrides)
