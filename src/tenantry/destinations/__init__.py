"""Destinations, one module each. ``build(settings, name)`` imports the module only when asked,
so a missing optional client breaks only its own destination. [Vector per-sink features]

The names are ``tenantry.config.DESTINATION_KINDS`` (what ``TELEMETRY_PROVIDER`` takes). The in-memory
destination for tests is not among them: ``tenantry.testing.InMemoryDestination`` is passed as
an instance, ``TelemetryService(destinations=[...])``. [OpenTelemetry ``InMemorySpanExporter``]"""

from __future__ import annotations

import importlib
from typing import Any

from tenantry.config import DESTINATION_KINDS, Settings, env_name
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


def build(settings: Settings, name: str, **overrides: Any) -> Destination:
    """Instantiate the destination called ``name`` for ``settings``."""
    variable = env_name("destinations")
    kind = DESTINATION_KINDS.get(name)
    if kind is None:
        raise ConfigError(
            f"{variable}: unknown destination {name!r}; valid names: {', '.join(DESTINATION_KINDS)}"
        )
    try:
        module = importlib.import_module(f"tenantry.destinations.{kind.module}")
    except ImportError as exc:
        raise ConfigError(
            f"{variable}: {name!r} needs {exc.name}; install it with pip install tenantry"
        ) from exc
    return getattr(module, kind.class_name)(settings, **overrides)
