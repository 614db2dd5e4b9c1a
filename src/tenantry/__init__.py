"""tenantry: tenant-aware, privacy-first product telemetry.

from tenantry import get_telemetry
await get_telemetry().track("memory_created", {"type": "text"},
                            user_id=end_user_id, developer_id=developer_id)

``import tenantry`` costs an embedding app almost nothing: the names below are loaded on first
use (PEP 562), so an app that imports tenantry but has telemetry off, or configures it later,
never pays for the pipeline and the policy. [the same lazy-attribute pattern as SciPy, and as
sentry-python's integrations imported on demand]
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "ConfigError": "tenantry.errors",
    "Event": "tenantry.events",
    "PrivacyRefused": "tenantry.errors",
    "QueryError": "tenantry.errors",
    "Settings": "tenantry.config",
    "TelemetryService": "tenantry.service",
    "TenantryError": "tenantry.errors",
    "get_telemetry": "tenantry.service",
    "load_settings": "tenantry.config",
    "set_telemetry": "tenantry.service",
}

__all__ = [
    "ConfigError",
    "Event",
    "PrivacyRefused",
    "QueryError",
    "Settings",
    "TelemetryService",
    "TenantryError",
    "__version__",
    "get_telemetry",
    "load_settings",
    "set_telemetry",
]

if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from tenantry.config import Settings, load_settings
    from tenantry.errors import ConfigError, PrivacyRefused, QueryError, TenantryError
    from tenantry.events import Event
    from tenantry.service import TelemetryService, get_telemetry, set_telemetry


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'tenantry' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})
