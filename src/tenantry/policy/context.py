"""What opensource events add about the installation, and duration buckets."""

from __future__ import annotations

import platform
import sys

from tenantry import __version__

BUCKETS: tuple[tuple[float, str], ...] = (
    (10.0, "<10ms"),
    (50.0, "10-50ms"),
    (100.0, "50-100ms"),
    (500.0, "100-500ms"),
    (1000.0, "500ms-1s"),
    (5000.0, "1-5s"),
)
SLOWEST = ">5s"


def runtime_context(edition: str) -> dict[str, str]:
    """``edition``, ``os``, ``arch``, ``version`` (tenantry), ``python_version`` (major.minor)."""
    return {
        "edition": edition,
        "os": platform.system() or "unknown",
        "arch": platform.machine() or "unknown",
        "version": __version__,
        "python_version": f"{sys.version_info.major}.{sys.version_info.minor}",
    }


def duration_bucket(ms: float) -> str:
    """``150.5`` -> ``"100-500ms"``; a bucket's lower bound belongs to it (10.0 -> "10-50ms")."""
    for upper, label in BUCKETS:
        if ms < upper:
            return label
    return SLOWEST
