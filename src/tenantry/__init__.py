"""tenantry: tenant-aware, privacy-first product telemetry.

from tenantry import get_telemetry
await get_telemetry().track("memory_created", {"type": "text"},
                            user_id=end_user_id, developer_id=developer_id)
"""

__version__ = "0.1.0"

from tenantry.config import Settings, load_settings  # noqa: E402
from tenantry.errors import ConfigError, PrivacyRefused, QueryError, TenantryError  # noqa: E402
from tenantry.events import Event  # noqa: E402
from tenantry.service import TelemetryService, get_telemetry, set_telemetry  # noqa: E402

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
