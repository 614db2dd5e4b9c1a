"""The part of the status document that ``TelemetryService.get_status()`` and ``tenantry status``
share: on or off (and why), the edition, the destinations, where each setting came from, what
is and is never collected, how to opt out.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from tenantry.config import BY_FIELD, Settings, env_name

COLLECTED = {
    "cloud": [
        "event name and the properties your code passes (secrets removed)",
        "developer_id (primary ID) and end_user_id",
        "the developer's email and country from the identity store",
        "timestamp and event uuid",
    ],
    "opensource": [
        "event name",
        "property values known to be harmless: booleans, numbers that are no identifier,"
        " short tokens, planned values (lists as counts); everything else dropped",
        "edition, os, arch, tenantry version, python version",
        "a keyed pseudonym of the user (HMAC with a secret that never leaves this installation)",
        "timestamp and event uuid",
    ],
}
NEVER_COLLECTED = [
    "API keys, passwords, tokens, secrets, authorization headers (both editions)",
    "raw user or developer IDs, emails, names, phone numbers (opensource)",
    "IP addresses, file paths, URLs, free text, card numbers, IBANs (opensource)",
]
OPT_OUT = f"set {env_name('enabled')}=false or {env_name('do_not_track')}=1"
SHOWN_SOURCES = ("edition", "destinations", "data_dir", "enabled", "do_not_track")


def shared_status(settings: Settings, destinations: Iterable[str]) -> dict[str, Any]:
    """``enabled``, ``edition``, ``providers`` (the destinations' names when on, else none: the
    key the README's status section names),
    ``sources``, ``collected``, ``never_collected``, ``opt_out``, ``plan`` (the tracking plan's
    file and modes, or None), and ``disabled_by`` when off."""
    active = settings.active
    doc: dict[str, Any] = {
        "enabled": active,
        "edition": settings.edition,
        "providers": list(destinations) if active else [],
        "sources": settings.describe(*SHOWN_SOURCES),
        "collected": COLLECTED[settings.edition] if active else [],
        "never_collected": NEVER_COLLECTED,
        "opt_out": OPT_OUT,
        "plan": settings.plan.summary() if settings.plan is not None else None,
    }
    if not active:
        doc["disabled_by"] = disabled_by(settings)
    return doc


def disabled_by(settings: Settings) -> str:
    """What turned telemetry off: ``DO_NOT_TRACK=1`` or ``TELEMETRY_ENABLED=false`` as the
    variable that was read says it, or ``do_not_track=True (argument)`` when code passed it."""
    field, value = ("do_not_track", "1") if settings.do_not_track else ("enabled", "false")
    source = settings.source(field)
    if source in BY_FIELD[field].env:
        return f"{source}={value}"
    return f"{field}={getattr(settings, field)} ({source})"
