"""Root fixtures. Server fixtures live in tests/fixtures/ and are loaded as plugins."""

from __future__ import annotations

import pytest

pytest_plugins = ["tests.fixtures.postgres", "tests.fixtures.clickhouse", "tests.fixtures.servers"]

_TENANTRY_ENV = (
    "TELEMETRY_EDITION",
    "PAPR_EDITION",
    "TELEMETRY_ENABLED",
    "DO_NOT_TRACK",
    "TELEMETRY_PROVIDER",
    "AMPLITUDE_API_KEY",
    "AMPLITUDE_SERVER_URL",
    "POSTHOG_API_KEY",
    "POSTHOG_HOST",
    "TELEMETRY_RELAY_URL",
    "PAPR_TELEMETRY_URL",
    "TELEMETRY_JSONL_PATH",
    "TENANTRY_DATA_DIR",
    "TENANTRY_DATABASE_URL",
    "TENANTRY_CLICKHOUSE_URL",
    "TELEMETRY_SECRET",
    "TELEMETRY_DEBUG",
    "TELEMETRY_DURABLE",
    "TENANTRY_ADMIN_TOKEN",
    "TENANTRY_TRUSTED_PROXIES",
    "TELEMETRY_RETENTION_DAYS",
    "AMPLITUDE_SECRET_KEY",
    "POSTHOG_PERSONAL_API_KEY",
    "TELEMETRY_QUEUE_SIZE",
)


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch, tmp_path):
    """Every test starts from a clean tenantry environment with its own data dir."""
    for name in _TENANTRY_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TENANTRY_DATA_DIR", str(tmp_path / "tenantry-data"))
    yield
