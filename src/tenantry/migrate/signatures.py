"""The vendors' call signatures, and what each of their parameters becomes in tenantry.

Read from the SDKs' sources (see ``tenantry.lint.vendors``). A parameter's role is one of:
``event``, ``props``, ``primary`` (the vendor's ID of the person), ``fallback`` (an ID used only
when ``primary`` is missing: Segment's ``anonymous_id``, Amplitude's ``device_id``),
``timestamp``, ``group_type``, ``group_key``, ``identify`` (an Amplitude ``Identify``),
``options`` (an Amplitude ``EventOptions``), or ``drop`` (delivery details and device context
that tenantry makes itself or must not send: insert IDs, GeoIP switches, IP, device model).
A parameter with no role has no tenantry equivalent: the call is left as it was, and listed.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from tenantry.lint.vendors import AMPLITUDE, POSTHOG, SEGMENT

# (vendor, method) -> the rule that rewrites it, and the tenantry method it becomes
RULE_OF = {
    (AMPLITUDE, "track"): ("TM001", "track"),
    (AMPLITUDE, "identify"): ("TM002", "identify"),
    (AMPLITUDE, "group_identify"): ("TM002", "group"),
    (POSTHOG, "capture"): ("TM003", "track"),
    (POSTHOG, "identify"): ("TM004", "identify"),
    (POSTHOG, "set"): ("TM004", "identify"),
    (POSTHOG, "set_once"): ("TM004", "identify"),
    (POSTHOG, "group_identify"): ("TM004", "group"),
    (SEGMENT, "track"): ("TM005", "track"),
    (SEGMENT, "identify"): ("TM006", "identify"),
    (SEGMENT, "group"): ("TM006", "group"),
}

_PH_SET = ["distinct_id", "properties", "context", "timestamp", "uuid", "disable_geoip"]
POSITIONAL = {
    # posthog-python before 6.0; since 6.0 ``capture(event, **kwargs)`` ("capture/new")
    (POSTHOG, "capture"): ["distinct_id", "event", "properties", "context", "timestamp", "uuid",
                           "groups", "send_feature_flags", "disable_geoip"],
    (POSTHOG, "capture/new"): ["event"],
    (POSTHOG, "identify"): _PH_SET,
    (POSTHOG, "set"): _PH_SET,
    (POSTHOG, "set_once"): _PH_SET,
    (POSTHOG, "group_identify"): ["group_type", "group_key", "properties", "timestamp", "uuid",
                                  "disable_geoip", "distinct_id"],
    (SEGMENT, "track"): ["user_id", "event", "properties", "context", "timestamp", "anonymous_id",
                         "integrations", "message_id"],
    (SEGMENT, "identify"): ["user_id", "traits", "context", "timestamp", "anonymous_id",
                            "integrations", "message_id"],
    (SEGMENT, "group"): ["user_id", "group_id", "traits", "context", "timestamp", "anonymous_id",
                         "integrations", "message_id"],
    (AMPLITUDE, "track"): ["event"],
    (AMPLITUDE, "BaseEvent"): ["event_type", "user_id", "device_id", "time", "event_properties",
                               "user_properties", "groups", "group_properties"],
    (AMPLITUDE, "EventOptions"): ["user_id", "device_id"],
    (AMPLITUDE, "identify"): ["identify_obj", "event_options", "event_properties"],
    (AMPLITUDE, "group_identify"): ["group_type", "group_name", "identify_obj", "event_options",
                                    "event_properties", "user_properties"],
}  # fmt: skip

# Amplitude's device and request context: tenantry adds its own context, and its privacy rules
# would strip the identifying part of this anyway.
_AMPLITUDE_CONTEXT = (
    "app_version", "platform", "os_name", "os_version", "device_brand", "device_manufacturer",
    "device_model", "carrier", "country", "region", "city", "dma", "language", "location_lat",
    "location_lng", "ip", "idfa", "idfv", "adid", "android_id", "user_agent", "partner_id",
    "plan", "ingestion_metadata", "session_id", "event_id", "library",
)  # fmt: skip
ROLES = {
    "event": "event", "event_type": "event",
    "properties": "props", "event_properties": "props", "traits": "props",
    "distinct_id": "primary", "user_id": "primary",
    "anonymous_id": "fallback", "device_id": "fallback",
    "timestamp": "timestamp",
    "group_type": "group_type", "group_key": "group_key", "group_name": "group_key",
    "group_id": "group_key",
    "identify_obj": "identify", "event_options": "options",
    "uuid": "drop", "message_id": "drop", "insert_id": "drop", "context": "drop",
    "integrations": "drop", "disable_geoip": "drop", "send_feature_flags": "drop", "flags": "drop",
    **dict.fromkeys(_AMPLITUDE_CONTEXT, "drop"),
}  # fmt: skip
# Why a parameter cannot move (the call is left as it was, with this reason).
NO_EQUIVALENT = {
    "groups": "groups= (group analytics per event) has no tenantry equivalent",
    "time": "time= (milliseconds) needs a datetime for timestamp=",
    "user_properties": "user_properties= belong in telemetry.identify()",
    "group_properties": "group_properties= belong in telemetry.group()",
}


class Unsupported(Exception):
    """Why a call is left as it was."""


@dataclass(frozen=True, slots=True)
class Ref:
    """Where an argument is: in ``call``, by position ``index`` or by ``keyword``."""

    call: ast.Call
    node: ast.expr
    index: int | None = None
    keyword: str | None = None


def bind(call: ast.Call, names: list[str]) -> dict[str, Ref]:
    """The call's arguments by parameter name. Raises ``Unsupported`` for ``*args``/``**kw``
    and for more positional arguments than the signature has."""
    if any(isinstance(a, ast.Starred) for a in call.args) or any(
        k.arg is None for k in call.keywords
    ):
        raise Unsupported("unpacked arguments (*args, **kwargs)")
    if len(call.args) > len(names):
        raise Unsupported(f"{len(call.args)} positional arguments")
    bound = {
        name: Ref(call, node, index=i)
        for i, (name, node) in enumerate(zip(names, call.args, strict=False))
    }
    for kw in call.keywords:
        bound[kw.arg] = Ref(call, kw.value, keyword=kw.arg)
    return bound


def roles(bound: dict[str, Ref]) -> tuple[dict[str, Ref], list[str]]:
    """``(role -> ref, dropped parameter names)``; raises ``Unsupported`` for a parameter
    without a tenantry equivalent."""
    out: dict[str, Ref] = {}
    dropped: list[str] = []
    for name, ref in bound.items():
        role = ROLES.get(name)
        if role is None:
            raise Unsupported(NO_EQUIVALENT.get(name, f"{name}= has no tenantry equivalent"))
        if role == "drop":
            if not (isinstance(ref.node, ast.Constant) and ref.node.value is None):
                dropped.append(name)
            continue
        out[role] = ref
    if "primary" not in out and "fallback" in out:
        out["primary"] = out.pop("fallback")
    else:
        out.pop("fallback", None)
    return out, dropped


def posthog_capture_style(call: ast.Call) -> str:
    """``capture`` (before posthog 6.0: ``capture(distinct_id, event, ...)``) or ``capture/new``
    (``capture(event, distinct_id=...)``)."""
    keywords = {k.arg for k in call.keywords}
    if len(call.args) >= 2 or (len(call.args) == 1 and "event" in keywords):
        return "capture"
    return "capture/new"
