"""All configuration, in one place. [OpenTelemetry SDK environment variables; structlog _config]

An explicit argument beats the environment, which beats the default::

    Settings()                         # from the environment
    Settings(edition="cloud")          # the argument wins over TELEMETRY_EDITION

A bad value fails at start-up with a ``ConfigError`` that names the variable.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AliasChoices, Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from pydantic_settings.exceptions import SettingsError

from tenantry.errors import ConfigError

# The documented environment names (CONTRACT.md). Seed names are read too.
TELEMETRY_EDITION = "TELEMETRY_EDITION"
PAPR_EDITION = "PAPR_EDITION"
TELEMETRY_ENABLED = "TELEMETRY_ENABLED"
DO_NOT_TRACK = "DO_NOT_TRACK"
TELEMETRY_PROVIDER = "TELEMETRY_PROVIDER"
AMPLITUDE_API_KEY = "AMPLITUDE_API_KEY"
AMPLITUDE_SERVER_URL = "AMPLITUDE_SERVER_URL"
POSTHOG_API_KEY = "POSTHOG_API_KEY"
POSTHOG_HOST = "POSTHOG_HOST"
TELEMETRY_RELAY_URL = "TELEMETRY_RELAY_URL"
PAPR_TELEMETRY_URL = "PAPR_TELEMETRY_URL"
TELEMETRY_JSONL_PATH = "TELEMETRY_JSONL_PATH"
TENANTRY_DATA_DIR = "TENANTRY_DATA_DIR"
TENANTRY_DATABASE_URL = "TENANTRY_DATABASE_URL"
TENANTRY_CLICKHOUSE_URL = "TENANTRY_CLICKHOUSE_URL"
TELEMETRY_SECRET = "TELEMETRY_SECRET"
TELEMETRY_DEBUG = "TELEMETRY_DEBUG"
TELEMETRY_DURABLE = "TELEMETRY_DURABLE"
TENANTRY_ADMIN_TOKEN = "TENANTRY_ADMIN_TOKEN"
TENANTRY_TRUSTED_PROXIES = "TENANTRY_TRUSTED_PROXIES"
TELEMETRY_RETENTION_DAYS = "TELEMETRY_RETENTION_DAYS"
TELEMETRY_QUEUE_SIZE = "TELEMETRY_QUEUE_SIZE"
TELEMETRY_SPOOL_MAX_BYTES = "TELEMETRY_SPOOL_MAX_BYTES"
TELEMETRY_MIN_GROUP_SIZE = "TELEMETRY_MIN_GROUP_SIZE"
TELEMETRY_STATUS_INTERVAL = "TELEMETRY_STATUS_INTERVAL"
AMPLITUDE_SECRET_KEY = "AMPLITUDE_SECRET_KEY"  # Amplitude's user deletion API (forget)
POSTHOG_PERSONAL_API_KEY = "POSTHOG_PERSONAL_API_KEY"  # PostHog's persons API (forget)

PROVIDERS = ("local", "amplitude", "posthog", "relay", "clickhouse", "jsonl", "none", "memory")
AMPLITUDE_DEFAULT_URL = "https://api2.amplitude.com/2/httpapi"
POSTHOG_DEFAULT_HOST = "https://us.i.posthog.com"

_FALSE = {"false", "0", "no", "off", ""}


def _env(*names: str) -> Any:
    return AliasChoices(*names)


class Settings(BaseSettings):
    """Every knob tenantry has. Field names work as keyword arguments; env names as documented."""

    model_config = SettingsConfigDict(populate_by_name=True, extra="forbid", frozen=True)

    edition: Literal["cloud", "opensource"] = Field(
        "opensource", validation_alias=_env("edition", TELEMETRY_EDITION, PAPR_EDITION)
    )
    enabled: bool = Field(True, validation_alias=_env("enabled", TELEMETRY_ENABLED))
    do_not_track: bool = Field(False, validation_alias=_env("do_not_track", DO_NOT_TRACK))
    providers: Annotated[tuple[str, ...], NoDecode] = Field(
        ("local",), validation_alias=_env("providers", TELEMETRY_PROVIDER)
    )
    amplitude_api_key: str | None = Field(
        None, validation_alias=_env("amplitude_api_key", AMPLITUDE_API_KEY)
    )
    amplitude_server_url: str = Field(
        AMPLITUDE_DEFAULT_URL, validation_alias=_env("amplitude_server_url", AMPLITUDE_SERVER_URL)
    )
    posthog_api_key: str | None = Field(
        None, validation_alias=_env("posthog_api_key", POSTHOG_API_KEY)
    )
    amplitude_secret_key: str | None = Field(
        None, validation_alias=_env("amplitude_secret_key", AMPLITUDE_SECRET_KEY), repr=False
    )
    posthog_personal_api_key: str | None = Field(
        None,
        validation_alias=_env("posthog_personal_api_key", POSTHOG_PERSONAL_API_KEY),
        repr=False,
    )
    posthog_host: str = Field(
        POSTHOG_DEFAULT_HOST, validation_alias=_env("posthog_host", POSTHOG_HOST)
    )
    relay_url: str | None = Field(
        None, validation_alias=_env("relay_url", TELEMETRY_RELAY_URL, PAPR_TELEMETRY_URL)
    )
    jsonl_path: Path | None = Field(None, validation_alias=_env("jsonl_path", TELEMETRY_JSONL_PATH))
    data_dir: Path = Field(Path(".tenantry"), validation_alias=_env("data_dir", TENANTRY_DATA_DIR))
    database_url: str | None = Field(
        None, validation_alias=_env("database_url", TENANTRY_DATABASE_URL)
    )
    clickhouse_url: str | None = Field(
        None, validation_alias=_env("clickhouse_url", TENANTRY_CLICKHOUSE_URL)
    )
    secret: str | None = Field(None, validation_alias=_env("secret", TELEMETRY_SECRET), repr=False)
    debug: bool = Field(False, validation_alias=_env("debug", TELEMETRY_DEBUG))
    durable: bool = Field(False, validation_alias=_env("durable", TELEMETRY_DURABLE))
    admin_token: str | None = Field(
        None, validation_alias=_env("admin_token", TENANTRY_ADMIN_TOKEN), repr=False
    )
    # comma-separated IPs/CIDRs whose X-Forwarded-For the service believes; empty: none
    trusted_proxies: str = Field(
        "", validation_alias=_env("trusted_proxies", TENANTRY_TRUSTED_PROXIES)
    )
    retention_days: int = Field(
        90, ge=1, validation_alias=_env("retention_days", TELEMETRY_RETENTION_DAYS)
    )
    queue_size: int = Field(
        100_000, ge=1, validation_alias=_env("queue_size", TELEMETRY_QUEUE_SIZE)
    )
    spool_max_bytes: int = Field(
        256 * 1024 * 1024, ge=1, validation_alias=_env("spool_max_bytes", TELEMETRY_SPOOL_MAX_BYTES)
    )
    status_interval: float = Field(
        5.0, gt=0, validation_alias=_env("status_interval", TELEMETRY_STATUS_INTERVAL)
    )
    min_group_size: int = Field(
        5, ge=1, validation_alias=_env("min_group_size", TELEMETRY_MIN_GROUP_SIZE)
    )

    @field_validator("enabled", "debug", "durable", "do_not_track", mode="before")
    @classmethod
    def _flag(cls, value: Any) -> Any:
        if isinstance(value, str):
            return value.strip().lower() not in _FALSE
        return value

    @field_validator("edition", mode="before")
    @classmethod
    def _edition(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("providers", mode="before")
    @classmethod
    def _providers(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = [p for p in (part.strip().lower() for part in value.split(",")) if p]
        names = tuple(value or ())
        unknown = [p for p in names if p not in PROVIDERS]
        if unknown:
            raise ValueError(f"unknown provider {unknown[0]!r}; choose from {', '.join(PROVIDERS)}")
        return names or ("none",)

    @property
    def active(self) -> bool:
        """False when TELEMETRY_ENABLED is off or DO_NOT_TRACK is set: nothing happens at all."""
        return self.enabled and not self.do_not_track

    @property
    def identity_database_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.data_dir / 'identity.db').resolve()}"


_ENV_NAMES = {
    "edition": TELEMETRY_EDITION,
    "enabled": TELEMETRY_ENABLED,
    "do_not_track": DO_NOT_TRACK,
    "providers": TELEMETRY_PROVIDER,
    "amplitude_server_url": AMPLITUDE_SERVER_URL,
    "posthog_host": POSTHOG_HOST,
    "relay_url": TELEMETRY_RELAY_URL,
    "jsonl_path": TELEMETRY_JSONL_PATH,
    "data_dir": TENANTRY_DATA_DIR,
    "database_url": TENANTRY_DATABASE_URL,
    "clickhouse_url": TENANTRY_CLICKHOUSE_URL,
    "retention_days": TELEMETRY_RETENTION_DAYS,
    "queue_size": TELEMETRY_QUEUE_SIZE,
    "spool_max_bytes": TELEMETRY_SPOOL_MAX_BYTES,
    "min_group_size": TELEMETRY_MIN_GROUP_SIZE,
    "status_interval": TELEMETRY_STATUS_INTERVAL,
    "trusted_proxies": TENANTRY_TRUSTED_PROXIES,
}


def load_settings(**overrides: Any) -> Settings:
    """Build ``Settings``; a bad value raises ``ConfigError`` naming the variable."""
    overrides = {k: v for k, v in overrides.items() if v is not None}
    try:
        return Settings(**overrides)
    except SettingsError as exc:
        raise ConfigError(str(exc)) from None
    except ValidationError as exc:
        err = exc.errors()[0]
        field = str(err["loc"][0]) if err.get("loc") else "?"
        name = _ENV_NAMES.get(field, field.upper())
        raise ConfigError(f"{name}: {err['msg']}") from None
