"""People updates on the wire: what the ``posthog`` and ``amplitude`` destinations send for an
``identify`` or ``group`` (``Event.people_update``; shaped by ``tenantry.policy.people``), field
for field what the official SDKs send (tests/destinations/test_sdk_parity.py compares them):

| call | PostHog (posthog-python 7) | Amplitude (amplitude-analytics 1.x) |
|---|---|---|
| ``identify(dev, props)`` | event ``$set``, top-level ``"$set": props`` (``client.set``) | ``$identify``, ``user_properties: {"$set": props}`` (``client.identify``) |
| ``identify(dev, set_once=p)`` | event ``$set_once``, top-level ``"$set_once": p`` (``client.set_once``) | ``$identify``, ``user_properties: {"$setOnce": p}`` |
| both | event ``$set`` with both top-level keys (PostHog applies both from any event) | one ``$identify`` with both operations |
| ``group(type, key, props)`` | ``$groupidentify``, properties ``$group_type``, ``$group_key``, ``$group_set`` (``client.group_identify``) | ``$groupidentify``, ``groups: {type: key}``, ``group_properties: {"$set": props}`` (``client.group_identify``) |

The library fields are the destination's own (PostHog ``$lib``..., ``$ip`` placeholder;
Amplitude ``library``), as for events.
"""

from __future__ import annotations

from typing import Any

from tenantry.events import IDENTIFY, Event


def posthog_update(event: Event, lib: dict[str, Any]) -> dict[str, Any]:
    """The PostHog batch item for a people update."""
    props = event.properties
    out: dict[str, Any] = {"distinct_id": event.distinct_id}
    if event.event == IDENTIFY:
        values, once = props.get("$set"), props.get("$set_once")
        out["event"] = "$set" if values else "$set_once"
        if values:
            out["$set"] = values
        if once:
            out["$set_once"] = once
        out["properties"] = dict(lib)
    else:
        out["event"] = event.event
        out["properties"] = {**props, **lib}
    out["timestamp"] = event.iso_timestamp
    out["uuid"] = event.uuid
    return out


def amplitude_update(event: Event, library: str) -> dict[str, Any]:
    """The Amplitude HTTP V2 event for a people update."""
    props = event.properties
    out: dict[str, Any] = {
        "user_id": event.distinct_id,
        "event_type": event.event,
        "time": event.time_ms,
        "insert_id": event.uuid,
        "library": library,
    }
    if event.event == IDENTIFY:
        ops = {}
        if props.get("$set"):
            ops["$set"] = props["$set"]
        if props.get("$set_once"):
            ops["$setOnce"] = props["$set_once"]
        out["user_properties"] = ops
    else:
        out["groups"] = {props["$group_type"]: props["$group_key"]}
        values = props.get("$group_set")
        out["group_properties"] = {"$set": values} if values else {}
    return out
