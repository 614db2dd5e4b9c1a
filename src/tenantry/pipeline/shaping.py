"""Queued calls -> shaped events, on the worker thread, through the intake (``pipeline.intake``,
shared with the relay): the identity's IDs (the call's raw IDs kept in ``draft["call_ids"]``
for the policy to look for), the suppression check (``tenantry forget``), the event time
(``tenantry.timestamps``), a fresh uuid, the draft, then the policy chain.
``TELEMETRY_DEBUG=1`` logs each shaped event, secrets redacted.

With the service's chain (``policy.hooks.ServiceChain``) and its ``people`` (cloud, with a
destination that takes people updates), ``identify``/``group`` calls are shaped by ``people``,
and an event whose developer's profile this process has not sent yet is preceded by that
profile's ``$identify`` (``policy.people``); without ``people``, those calls are counted
``identify_skipped``.
"""

from __future__ import annotations

import contextlib
import logging
from typing import Any

import orjson

from tenantry.counters import Counters
from tenantry.events import Event, new_uuids
from tenantry.pipeline.intake import Call, forgotten, make_draft, suppressed_ids
from tenantry.pipeline.suppression import SuppressionList
from tenantry.policy import redact, shape
from tenantry.policy.people import PEOPLE_KINDS
from tenantry.timestamps import event_time

__all__ = ["Call", "shape_calls"]

logger = logging.getLogger("tenantry")


def shape_calls(
    calls: list[Call],
    chain: Any,
    suppression: SuppressionList | None,
    counters: Counters,
    *,
    debug: bool = False,
) -> list[Event]:
    """The events ``chain`` keeps of ``calls``; suppressed people are dropped (``suppressed``)."""
    out: list[Event] = []
    people = getattr(chain, "people", None)  # cloud people updates (``policy.people.People``)
    ids = iter(new_uuids(len(calls)))
    suppressed = suppressed_ids(suppression)  # one read of the list for the batch; mostly empty
    for kind, name, props, user_id, developer_id, identity, ts, now, extra in calls:
        raw_ids = None
        if identity is not None:
            raw_ids = _identity_ids(identity, user_id, developer_id)
            developer_id = getattr(identity, "developer_id", developer_id)
            user_id = getattr(identity, "end_user_id", None) or user_id
        if suppressed and forgotten(suppressed, (user_id, developer_id)):
            counters.drop("suppressed")
            continue
        draft = make_draft(
            kind,
            name,
            props,
            user_id,
            developer_id,
            now if ts is None else event_time(ts, now, counters),
            next(ids),
            extra,
            raw_ids,
            now,  # super properties in force when the call was made
        )
        if kind in PEOPLE_KINDS:
            if people is None:  # no destination takes people updates
                counters.incr("identify_skipped")
                continue
            event = people.shape(draft)
        else:
            event = shape(chain, draft)
            if event is not None and people is not None and event.developer_id is not None:
                profile = people.announce(event)
                if profile is not None:
                    out.append(profile)
        if event is None:
            continue
        if debug:
            logger.info("tenantry event %s", orjson.dumps(redact(event.to_dict())).decode())
        out.append(event)
    return out


def _identity_ids(identity: Any, user_id: Any, developer_id: Any) -> tuple:
    """Every raw ID of a call made with an identity object: the IDs the caller passed (the
    identity's replace them in the draft) and the external user ID and API key the identity
    carries, if any. The policy looks for them all in what the call sends
    (``policy.call_ids``)."""
    out = [user_id, developer_id]
    for name in ("external_user_id", "api_key"):
        with contextlib.suppress(Exception):  # a property that raises gives nothing
            out.append(getattr(identity, name, None))
    return tuple(out)
