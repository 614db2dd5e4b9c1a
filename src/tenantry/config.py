"""All configuration, in one place. [OpenTelemetry SDK environment variables; structlog _config]

tenantry reads exactly the environment variables in ``OPTIONS`` below, by their exact
(upper-case) names, and nothing else: a host application's own ``DATABASE_URL``, ``EDITION``,
``DEBUG`` or ``SECRET`` never reconfigures it. ``OPTIONS`` is the one table of names: the loader,
the error messages, ``tenantry status``, the README's configuration table (a test compares them)
and the test suite's clean environment are all derived from it.

An explicit argument beats the environment, which beats the default::

    load_settings()                    # from the environment
    load_settings(edition="cloud")     # the argument wins over TELEMETRY_EDITION
    Settings(edition="cloud")          # arguments and defaults only: no environment at all

A bad value fails at start-up with a ``ConfigError`` that names the variable (or the argument).

Why no pydantic-settings: tenantry is embedded in other people's apps, and every dependency of
the core is paid for by each of them (import time, memory, version conflicts with their own
pins). Two dozen scalar options need a table and a few parsers, not a validation framework.
[sentry-python and the OpenTelemetry SDK parse their environment the same way]
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tenantry._plan import Plan, load_plan
from tenantry.errors import ConfigError

if TYPE_CHECKING:
    from ipaddress import IPv4Network, IPv6Network


@dataclass(frozen=True, slots=True)
class DestinationKind:
    """One destination name ``TELEMETRY_PROVIDER`` takes: where its class lives (imported by
    ``tenantry.destinations.build`` only when asked for) and what the rest of tenantry asks of
    the name."""

    module: str  # tenantry.destinations.<module>
    class_name: str
    off_machine: bool  # events leave this machine (opensource shows the first-run notice)
    relayed: bool  # the relay server forwards the events it accepts there


#: the one registry of destination names; the in-memory destination of ``tenantry.testing`` is
#: not one: tests pass an instance instead. The relay forwards neither back to a relay, nor to
#: ``none``, nor to Amplitude.
DESTINATION_KINDS: Mapping[str, DestinationKind] = {
    "local": DestinationKind("local", "LocalDestination", off_machine=False, relayed=True),
    "amplitude": DestinationKind(
        "amplitude", "AmplitudeDestination", off_machine=True, relayed=False
    ),
    "posthog": DestinationKind("posthog", "PostHogDestination", off_machine=True, relayed=True),
    "relay": DestinationKind("relay", "RelayDestination", off_machine=True, relayed=False),
    "clickhouse": DestinationKind(
        "clickhouse", "ClickHouseDestination", off_machine=True, relayed=True
    ),
    "jsonl": DestinationKind("jsonl", "JsonlDestination", off_machine=False, relayed=True),
    "none": DestinationKind("none", "NoneDestination", off_machine=False, relayed=False),
}
DESTINATIONS = tuple(DESTINATION_KINDS)
EDITIONS = ("cloud", "opensource")
MODES = ("threads", "sync")  # TELEMETRY_MODE: background threads (default) or none (serverless)
AMPLITUDE_DEFAULT_URL = "https://api2.amplitude.com/2/httpapi"
POSTHOG_DEFAULT_HOST = "https://us.i.posthog.com"

_FALSE = {"false", "0", "no", "off", ""}


# -- parsers: text (from the environment) or a Python value (an argument) -> the field's value ---


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError(f"expected text, got {type(value).__name__}")
    return value.strip() or None


def _url(value: Any) -> str | None:
    text = _text(value)
    if text is not None and "://" not in text:
        raise ValueError(f"expected a URL with a scheme (http://...), got {text!r}")
    return text


def _flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value != 0
    if isinstance(value, str):
        return value.strip().lower() not in _FALSE
    raise ValueError(f"expected true/false, got {value!r}")


def _edition(value: Any) -> str:
    text = value.strip().lower() if isinstance(value, str) else value
    if text not in EDITIONS:
        raise ValueError(f"expected 'cloud' or 'opensource', got {value!r}")
    return text


def _mode(value: Any) -> str:
    text = value.strip().lower() if isinstance(value, str) else value
    if text not in MODES:
        raise ValueError(f"expected 'threads' or 'sync', got {value!r}")
    return text


def _names(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, (list, tuple, set, frozenset)):
        raise ValueError(f"expected a comma-separated list, got {value!r}")
    return tuple(p for p in (str(part).strip() for part in value) if p)


def _destination_names(value: Any) -> tuple[str, ...]:
    names = tuple(p.lower() for p in _names(value))
    unknown = [p for p in names if p not in DESTINATIONS]
    if unknown:
        hint = (
            " (tests pass tenantry.testing.InMemoryDestination() in "
            "TelemetryService(destinations=[...]) instead)"
            if unknown[0] == "memory"
            else ""
        )
        raise ValueError(
            f"unknown destination {unknown[0]!r}; valid names: {', '.join(DESTINATIONS)}{hint}"
        )
    return names or ("none",)


WHEN_FULL = ("overflow", "block", "drop")


def _when_full(value: Any) -> str | None:
    text = _text(value)
    if text is None:
        return None
    text = text.lower()
    if text not in WHEN_FULL:
        raise ValueError(f"expected one of {', '.join(WHEN_FULL)}, got {value!r}")
    return text


def _networks(value: Any) -> tuple[IPv4Network | IPv6Network, ...]:
    """Addresses and networks (``"10.0.0.1, 192.168.0.0/16"``, or a list of them, or of
    ``ipaddress`` networks) -> networks: parsed here, once, for every user of the setting."""
    import ipaddress

    out = []
    for name in _names(value):
        try:
            out.append(ipaddress.ip_network(name, strict=False))
        except ValueError:
            raise ValueError(f"{name!r} is not an IP address or network (CIDR)") from None
    return tuple(out)


def _prefix_length(value: Any) -> int:
    length = _number(int, 1)(value)
    if length > 128:
        raise ValueError(f"an IPv6 prefix length is 1 to 128, got {length}")
    return length


def _path(value: Any) -> Path | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, (str, os.PathLike)):
        raise ValueError(f"expected a path, got {type(value).__name__}")
    return Path(value)


def _plan(value: Any) -> Plan | None:
    """A path (``TELEMETRY_PLAN``, ``plan="plan.yaml"``), a dict or a ``Plan``: loaded and checked
    here, so a bad plan fails at start-up (``_plan.PlanError`` is a ``ValueError``)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return load_plan(value.strip() if isinstance(value, str) else value)


def _number(kind: type, minimum: float, *, strict: bool = False) -> Callable[[Any], Any]:
    def parse(value: Any) -> Any:
        if isinstance(value, bool):
            raise ValueError(f"expected a number, got {value!r}")
        try:
            number = kind(value.strip() if isinstance(value, str) else value)
        except (TypeError, ValueError):
            raise ValueError(
                f"expected {'an integer' if kind is int else 'a number'}, got {value!r}"
            ) from None
        if number < minimum or (strict and number == minimum):
            raise ValueError(f"must be {'>' if strict else '>='} {minimum}, got {number}")
        return number

    return parse


@dataclass(frozen=True, slots=True)
class Option:
    """One setting: its field, the variables that set it (the first is the documented one; the
    rest are the seed guide's names, also read), how to parse it, and its documentation."""

    field: str
    env: tuple[str, ...]
    parse: Callable[[Any], Any]
    default: Any
    meaning: str
    default_doc: str = "-"
    secret: bool = False


OPTIONS: tuple[Option, ...] = (
    Option(
        "edition",
        ("TELEMETRY_EDITION", "PAPR_EDITION"),
        _edition,
        "opensource",
        "`cloud` or `opensource`",
        "`opensource`",
    ),
    Option(
        "enabled",
        ("TELEMETRY_ENABLED",),
        _flag,
        True,
        "`false`/`0`/`no` turns everything off",
        "`true`",
    ),
    Option(
        "do_not_track",
        ("DO_NOT_TRACK",),
        _flag,
        False,
        "`1` turns everything off (console-do-not-track convention)",
        "unset",
    ),
    Option(
        "destinations",
        ("TELEMETRY_PROVIDER",),
        _destination_names,
        ("local",),
        "the destinations, comma-separated: " + ", ".join(f"`{name}`" for name in DESTINATIONS),
        "`local`",
    ),
    Option(
        "amplitude_api_key",
        ("AMPLITUDE_API_KEY",),
        _text,
        None,
        "Amplitude project API key",
        "-",
        secret=True,
    ),
    Option(
        "amplitude_server_url",
        ("AMPLITUDE_SERVER_URL",),
        _url,
        AMPLITUDE_DEFAULT_URL,
        "Amplitude endpoint: HTTP V2 `/2/httpapi` or Batch `/batch`",
        "Amplitude's HTTP V2 URL",
    ),
    Option(
        "amplitude_secret_key",
        ("AMPLITUDE_SECRET_KEY",),
        _text,
        None,
        "Amplitude secret key, for `tenantry forget`'s user deletion request",
        "-",
        secret=True,
    ),
    Option(
        "posthog_api_key",
        ("POSTHOG_API_KEY",),
        _text,
        None,
        "PostHog project API key",
        "-",
        secret=True,
    ),
    Option(
        "posthog_host",
        ("POSTHOG_HOST",),
        _url,
        POSTHOG_DEFAULT_HOST,
        "PostHog host (self-hosted, or cloud: `us`/`eu`/`app.posthog.com` are mapped to their "
        "ingestion hosts)",
        "PostHog cloud (US)",
    ),
    Option(
        "posthog_personal_api_key",
        ("POSTHOG_PERSONAL_API_KEY",),
        _text,
        None,
        "PostHog personal API key, for `tenantry forget`'s persons delete request",
        "-",
        secret=True,
    ),
    Option(
        "relay_url",
        ("TELEMETRY_RELAY_URL", "PAPR_TELEMETRY_URL"),
        _url,
        None,
        "base URL of a tenantry relay",
    ),
    Option(
        "jsonl_path",
        ("TELEMETRY_JSONL_PATH",),
        _path,
        None,
        "file that the `jsonl` destination appends shaped events to",
        "`<data dir>/events.jsonl`",
    ),
    Option(
        "data_dir",
        ("TENANTRY_DATA_DIR",),
        _path,
        Path(".tenantry"),
        "where embedded state lives (local event store, identity DB, spool, secret); created 0700",
        "`./.tenantry`",
    ),
    Option(
        "database_url",
        ("TENANTRY_DATABASE_URL",),
        _text,
        None,
        "identity store, SQLAlchemy URL (`sqlite:///...` or `postgresql://...`)",
        "SQLite in the data dir",
        secret=True,
    ),
    Option(
        "clickhouse_url",
        ("TENANTRY_CLICKHOUSE_URL",),
        _url,
        None,
        "ClickHouse for the `clickhouse` destination and analytics",
        "-",
        secret=True,
    ),
    Option(
        "redis_url",
        ("TENANTRY_REDIS_URL",),
        _url,
        None,
        "shared limits, relay dedup and instant revocation across replicas",
        "- (in-process)",
        secret=True,
    ),
    Option(
        "trusted_proxies",
        ("TENANTRY_TRUSTED_PROXIES",),
        _networks,
        (),
        "comma-separated addresses or networks whose `X-Forwarded-For` (and `-Proto`, `-Host`) "
        "is believed",
        "- (none)",
    ),
    Option(
        "ipv6_prefix",
        ("TENANTRY_IPV6_PREFIX",),
        _prefix_length,
        64,
        "IPv6 clients in one network of this prefix length count as one address for every "
        "per-address limit (IPv4-mapped addresses count as IPv4)",
        "`64`",
    ),
    Option(
        "max_connections",
        ("TENANTRY_MAX_CONNECTIONS",),
        _number(int, 1),
        4096,
        "connections the server holds open at once; a new one beyond it is answered 503 and "
        "closed (the open-file limit is raised to fit when the hard limit allows, else the cap "
        "is lowered to it minus 128)",
        "`4096`",
    ),
    Option(
        "max_connections_per_address",
        ("TENANTRY_MAX_CONNECTIONS_PER_ADDRESS",),
        _number(int, 1),
        256,
        "connections one client address holds open at once (a trusted proxy: no limit); a new "
        "one beyond it is answered 429 and closed",
        "`256`",
    ),
    Option(
        "header_timeout",
        ("TENANTRY_HEADER_TIMEOUT",),
        _number(float, 0, strict=True),
        10.0,
        "seconds a client has to send a request's line and headers, counted from the "
        "connection or the end of the previous answer; then 408 and the connection is closed",
        "`10`",
    ),
    Option(
        "body_idle_timeout",
        ("TENANTRY_BODY_IDLE_TIMEOUT",),
        _number(float, 0, strict=True),
        10.0,
        "longest silence while a request body is being received; then 408 and the connection "
        "is closed",
        "`10`",
    ),
    Option(
        "body_timeout",
        ("TENANTRY_BODY_TIMEOUT",),
        _number(float, 0, strict=True),
        60.0,
        "seconds a client has to send a whole request body; then 408 and the connection is closed",
        "`60`",
    ),
    Option(
        "relay_max_event_names",
        ("TENANTRY_RELAY_MAX_EVENT_NAMES",),
        _number(int, 1),
        1000,
        "distinct event names the relay takes from one installation per day (UTC); an event "
        "with a further name is rejected (`too_many_event_names`)",
        "`1000`",
    ),
    Option(
        "relay_max_event_names_total",
        ("TENANTRY_RELAY_MAX_EVENT_NAMES_TOTAL",),
        _number(int, 1),
        10_000,
        "distinct event names the relay takes from all installations together per day (UTC), "
        "per replica; beyond, events with a new name are rejected (`too_many_event_names`)",
        "`10000`",
    ),
    Option(
        "secret",
        ("TELEMETRY_SECRET",),
        _text,
        None,
        "key for pseudonymous IDs in the opensource edition",
        "32 random bytes in `<data dir>/secret`, mode 0600",
        secret=True,
    ),
    Option(
        "plan",
        ("TELEMETRY_PLAN",),
        _plan,
        None,
        "tracking plan file (YAML or JSON): the allowed events and properties, and what happens "
        "to the rest (README: Tracking plans)",
        "-",
    ),
    Option(
        "debug",
        ("TELEMETRY_DEBUG",),
        _flag,
        False,
        "`1`: log every shaped event (credentials redacted)",
        "unset",
    ),
    Option(
        "durable",
        ("TELEMETRY_DURABLE",),
        _flag,
        False,
        "`1`: spool shaped events on disk until every destination acknowledged them",
        "unset",
    ),
    Option(
        "mode",
        ("TELEMETRY_MODE",),
        _mode,
        "threads",
        "`sync`: no background threads; `track` shapes the event and `flush()` sends it "
        "(serverless: AWS Lambda, Cloud Run jobs; README: Serverless)",
        "`threads`",
    ),
    Option(
        "person_profiles",
        ("TELEMETRY_PERSON_PROFILES",),
        _flag,
        False,
        "`1`: opensource events sent to PostHog create person profiles (default: personless "
        "events, `$process_person_profile: false`)",
        "unset (personless)",
    ),
    Option(
        "admin_token",
        ("TENANTRY_ADMIN_TOKEN",),
        _text,
        None,
        "bearer token for cross-developer analytics and the dashboard",
        "-",
        secret=True,
    ),
    Option(
        "retention_days",
        ("TELEMETRY_RETENTION_DAYS",),
        _number(int, 1),
        90,
        "events older than this are deleted by maintenance",
        "`90`",
    ),
    Option(
        "queue_size",
        ("TELEMETRY_QUEUE_SIZE",),
        _number(int, 1),
        100_000,
        "in-memory queue bound in events (new events beyond it are dropped, counted)",
        "`100000`",
    ),
    Option(
        "queue_max_bytes",
        ("TELEMETRY_QUEUE_MAX_BYTES",),
        _number(int, 1024 * 1024),
        32 * 1024 * 1024,
        "memory that calls waiting to be shaped and the destinations' buffers may hold together "
        "(at least 1 MiB); see `TELEMETRY_WHEN_FULL` for what happens beyond it",
        "`33554432` (32 MiB)",
    ),
    Option(
        "when_full",
        ("TELEMETRY_WHEN_FULL",),
        _when_full,
        None,
        "when that memory is full: `overflow` (calls wait, in order, in an encrypted on-disk "
        "overflow that only this process can read), `block` (the caller waits up to "
        "`TELEMETRY_BLOCK_TIMEOUT`; for imports and scripts, never in a web server), `drop` (new "
        "events are dropped, counted)",
        "`overflow` when the data dir is writable, else `drop`",
    ),
    Option(
        "overflow_max_bytes",
        ("TELEMETRY_OVERFLOW_MAX_BYTES",),
        _number(int, 0),
        1024 * 1024 * 1024,
        "disk that the overflow may hold (beyond it new events are dropped, counted as "
        "`overflow_full`)",
        "`1073741824` (1 GiB)",
    ),
    Option(
        "block_timeout",
        ("TELEMETRY_BLOCK_TIMEOUT",),
        _number(float, 0),
        5.0,
        "seconds a `track` call waits for room with `TELEMETRY_WHEN_FULL=block` before its "
        "event is dropped, counted",
        "`5`",
    ),
    Option(
        "spool_max_bytes",
        ("TELEMETRY_SPOOL_MAX_BYTES",),
        _number(int, 1),
        256 * 1024 * 1024,
        "disk budget of the durable spool (oldest dropped beyond it, counted)",
        "`268435456` (256 MiB)",
    ),
    Option(
        "status_interval",
        ("TELEMETRY_STATUS_INTERVAL",),
        _number(float, 0, strict=True),
        5.0,
        "seconds between drop summaries in the log and `tenantry status` refreshes",
        "`5`",
    ),
    Option(
        "min_group_size",
        ("TELEMETRY_MIN_GROUP_SIZE",),
        _number(int, 1),
        5,
        "distribution rows backed by fewer installations are folded into `other`",
        "`5`",
    ),
)

BY_FIELD: Mapping[str, Option] = {opt.field: opt for opt in OPTIONS}
ENV_NAMES: tuple[str, ...] = tuple(name for opt in OPTIONS for name in opt.env)


def env_name(field_name: str) -> str:
    """The documented variable of setting ``field_name`` (the first of its names): what every
    message that points an operator at a setting says, so that each name is written once."""
    return BY_FIELD[field_name].env[0]


def config_error(field_name: str, message: str) -> ConfigError:
    """A ``ConfigError`` that begins with the variable of ``field_name``."""
    return ConfigError(f"{env_name(field_name)}: {message}")


@dataclass(frozen=True, slots=True, repr=False)
class Settings:
    """Every knob tenantry has, validated. ``Settings(**fields)`` takes arguments and defaults
    only; ``load_settings(**fields)`` adds the environment. ``sources[field]`` says where each
    value came from: ``"argument"``, the variable's name, or ``"default"``."""

    edition: str = "opensource"
    enabled: bool = True
    do_not_track: bool = False
    destinations: tuple[str, ...] = ("local",)
    amplitude_api_key: str | None = None
    amplitude_server_url: str = AMPLITUDE_DEFAULT_URL
    amplitude_secret_key: str | None = None
    posthog_api_key: str | None = None
    posthog_host: str = POSTHOG_DEFAULT_HOST
    posthog_personal_api_key: str | None = None
    relay_url: str | None = None
    jsonl_path: Path | None = None
    data_dir: Path = Path(".tenantry")
    database_url: str | None = None
    clickhouse_url: str | None = None
    redis_url: str | None = None
    trusted_proxies: tuple[IPv4Network | IPv6Network, ...] = ()
    ipv6_prefix: int = 64
    max_connections: int = 4096
    max_connections_per_address: int = 256
    header_timeout: float = 10.0
    body_idle_timeout: float = 10.0
    body_timeout: float = 60.0
    relay_max_event_names: int = 1000
    relay_max_event_names_total: int = 10_000
    secret: str | None = None
    plan: Plan | None = None
    debug: bool = False
    durable: bool = False
    mode: str = "threads"
    person_profiles: bool = False
    admin_token: str | None = None
    retention_days: int = 90
    queue_size: int = 100_000
    queue_max_bytes: int = 32 * 1024 * 1024
    when_full: str | None = None
    overflow_max_bytes: int = 1024 * 1024 * 1024
    block_timeout: float = 5.0
    spool_max_bytes: int = 256 * 1024 * 1024
    status_interval: float = 5.0
    min_group_size: int = 5
    sources: Mapping[str, str] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        given = dict(self.sources)
        for opt in OPTIONS:
            raw = getattr(self, opt.field)
            given.setdefault(
                opt.field, "default" if raw is opt.default or raw == opt.default else "argument"
            )
            if raw is None and opt.default is None:
                continue
            try:
                value = opt.parse(raw)
            except ValueError as exc:
                where = given[opt.field]
                name = (
                    where if where in opt.env else (opt.env[0] if where == "default" else opt.field)
                )
                raise ConfigError(f"{name}: {exc}") from None
            if value is None and opt.default is not None:
                value = opt.default
            object.__setattr__(self, opt.field, value)
        object.__setattr__(self, "sources", given)
        if self.mode == "sync" and self.durable:
            raise config_error(
                "mode",
                "sync mode sends from flush() and keeps no spool; "
                f"{env_name('durable')}=1 needs the default threads mode",
            )

    @property
    def active(self) -> bool:
        """False when TELEMETRY_ENABLED is off or DO_NOT_TRACK is set: nothing happens at all."""
        return self.enabled and not self.do_not_track

    @property
    def identity_database_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.data_dir / 'identity.db').resolve()}"

    def replace(self, **changes: Any) -> Settings:
        """A copy with ``changes`` applied (each counted as an argument)."""
        unknown = sorted(set(changes) - set(BY_FIELD))
        if unknown:
            raise TypeError(f"unknown setting {unknown[0]!r}")
        values = {opt.field: getattr(self, opt.field) for opt in OPTIONS}
        values.update(changes)
        sources = {**self.sources, **dict.fromkeys(changes, "argument")}
        return Settings(**values, sources=sources)

    def source(self, field_name: str) -> str:
        """Where ``field_name``'s value came from: ``argument``, a variable's name, ``default``."""
        return self.sources.get(field_name, "default")

    def describe(self, *field_names: str) -> dict[str, dict[str, Any]]:
        """``{field: {"value", "source"}}`` for status output; secrets are never shown."""
        out = {}
        for name in field_names:
            value = getattr(self, name)
            if BY_FIELD[name].secret and value is not None:
                value = "(set)"
            elif isinstance(value, Path):
                value = str(value)
            elif isinstance(value, Plan):
                value = value.source
            elif isinstance(value, tuple):
                value = list(value)
            out[name] = {"value": value, "source": self.source(name)}
        return out

    def __repr__(self) -> str:
        parts = []
        for opt in OPTIONS:
            value = getattr(self, opt.field)
            if value != opt.default:
                parts.append(f"{opt.field}={'***' if opt.secret else repr(value)}")
        return f"Settings({', '.join(parts)})"


def load_settings(env: Mapping[str, str] | None = None, /, **overrides: Any) -> Settings:
    """Settings from ``overrides`` (field names), then the environment (``env``, default
    ``os.environ``), then the defaults. A bad value raises ``ConfigError`` naming its variable.
    An override of ``None`` counts as not given."""
    if "providers" in overrides:  # the earlier name of the field: still taken, with a warning
        warnings.warn(
            "load_settings(providers=...) is now destinations=...",
            DeprecationWarning,
            stacklevel=2,
        )
        overrides.setdefault("destinations", overrides.pop("providers"))
    unknown = sorted(set(overrides) - set(BY_FIELD))
    if unknown:
        raise TypeError(f"unknown setting {unknown[0]!r}; see tenantry.config.OPTIONS")
    env = os.environ if env is None else env
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for opt in OPTIONS:
        if overrides.get(opt.field) is not None:
            values[opt.field] = overrides[opt.field]
            sources[opt.field] = "argument"
            continue
        for name in opt.env:
            raw = env.get(name)
            if raw is not None and (raw.strip() or opt.parse is _flag):
                values[opt.field] = raw
                sources[opt.field] = name
                break
    return Settings(**values, sources=sources)


def env_table_markdown() -> str:
    """The README's configuration table, generated from ``OPTIONS``."""
    lines = ["| variable | meaning | default |", "|---|---|---|"]
    for opt in OPTIONS:
        names = f"`{opt.env[0]}`"
        if len(opt.env) > 1:
            names += " (also read: " + ", ".join(f"`{n}`" for n in opt.env[1:]) + ")"
        lines.append(f"| {names} | {opt.meaning} | {opt.default_doc} |")
    return "\n".join(lines)


__all__ = [
    "AMPLITUDE_DEFAULT_URL",
    "BY_FIELD",
    "ENV_NAMES",
    "OPTIONS",
    "POSTHOG_DEFAULT_HOST",
    "WHEN_FULL",
    "DESTINATIONS",
    "config_error",
    "env_name",
    "DESTINATION_KINDS",
    "DestinationKind",
    "Option",
    "Settings",
    "env_table_markdown",
    "load_settings",
]
