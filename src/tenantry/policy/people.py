"""Person and group updates, cloud edition: ``identify``, ``group`` and the developer's profile.

    telemetry.identify("dev_abc", {"plan": "pro"}, set_once={"first_seen": "2026-01-01"})
    telemetry.group("company", "acme", {"plan": "pro"}, developer_id="dev_abc")

Each call is queued like an event (batched, retried, spooled; never blocking the caller) and
shaped here into an ``Event`` named ``$identify`` or ``$groupidentify`` whose properties hold
PostHog's fields: ``$set``/``$set_once``, or ``$group_type``/``$group_key``/``$group_set``. The
vendor destinations encode them as their SDKs do (PostHog ``$set``/``$set_once`` and
``$groupidentify`` events; Amplitude ``$identify`` with ``user_properties`` and
``$groupidentify`` with ``groups`` and ``group_properties``); the stores and ``jsonl`` keep
events only and skip them (``Event.people_update``).

The values go through the cloud edition's rules for properties: made JSON-safe
(``CoerceProperties``), secret-named keys removed and credentials masked (``StripSecrets``).
A ``developer_id`` that is a credential is not an ID (``credential_ids``). An identify without
a developer or with nothing to set is dropped (``invalid_identify``); a group without a type or
a key, ``invalid_group``. A group update is attributed to ``developer_id`` when given, else to
the process's anonymous ID (as events without a developer are).

The developer's profile from the identity store (``email``, ``country``, ``name``,
``created_at``: whichever the lookup gives) becomes the developer's user properties: an
``$identify`` just before the first event of each developer in this process, and again before
the next event once the profile has changed (the lookup's cache holds it up to a minute). The
event properties ``AddProfile`` adds stay as they are.

In the opensource edition nothing here runs: ``identify`` and ``group`` send nothing and are
counted ``identify_skipped`` by the service.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any

from tenantry.counters import Counters
from tenantry.events import GROUP_IDENTIFY, IDENTIFY, Event, new_uuids
from tenantry.limits import MAX_ID
from tenantry.policy import credentials
from tenantry.policy.call_ids import as_id
from tenantry.policy.coerce import CoerceProperties
from tenantry.policy.privacy import StripSecrets
from tenantry.policy.processors import Draft, Processor

logger = logging.getLogger("tenantry.policy")

PROFILE_FIELDS = ("email", "country", "name", "created_at")
KNOWN_DEVELOPERS = 100_000  # profiles remembered as sent; beyond it the oldest is sent again
PEOPLE_KINDS = frozenset(("identify", "group"))


class People:
    """Shapes ``identify``/``group`` calls into people updates and announces profiles."""

    def __init__(
        self,
        counters: Counters,
        *,
        anonymous_id: str,
        profile_lookup: Callable[[str], Mapping[str, Any] | None] | None = None,
        before_send: Processor | None = None,
    ) -> None:
        self.counters = counters
        self.anonymous_id = anonymous_id
        self.lookup = profile_lookup
        self.before_send = before_send
        self._coerce = CoerceProperties(counters, keep_objects=True)
        self._strip = StripSecrets(counters, mask_values=True)
        # developer_id -> (the lookup's mapping, its fields) last sent: the lookup's cache hands
        # back the same mapping while it holds it, so most events compare one reference
        self._sent: dict[str, tuple[Any, tuple]] = {}

    # -- identify and group calls --------------------------------------------------------------
    def shape(self, draft: Draft) -> Event | None:
        """The people update for a queued ``identify``/``group`` call, or None (dropped).
        Never raises: an error drops the update, counted ``shaping_error``."""
        try:
            return self._shape(draft)
        except Exception as exc:
            self.counters.drop("shaping_error")
            logger.debug("tenantry: shaping a people update failed: %s", exc)
            return None

    def _shape(self, draft: Draft) -> Event | None:
        if self.before_send is not None:
            draft = self.before_send(draft)
            if draft is None:
                return None
        did = as_id(draft.get("developer_id"))
        if did is not None and credentials.masked(did):
            did = None
            self.counters.incr("credential_ids")
        if draft["kind"] == "identify":
            return self._identify(draft, did)
        return self._group(draft, did)

    def _identify(self, draft: Draft, did: str | None) -> Event | None:
        props = {}
        values = self._clean(draft["properties"])
        once = self._clean(draft["duration_ms"])
        if values:
            props["$set"] = values
        if once:
            props["$set_once"] = once
        if did is None or not props:
            self.counters.drop("invalid_identify")
            return None
        return Event(draft["uuid"], IDENTIFY, did, float(draft["timestamp"]), "cloud", props, did)

    def _group(self, draft: Draft, did: str | None) -> Event | None:
        pair = draft["duration_ms"]
        gtype, gkey = pair if isinstance(pair, tuple) and len(pair) == 2 else (None, None)
        gtype, gkey = _name(gtype), _name(gkey)
        if gtype is None or gkey is None:
            self.counters.drop("invalid_group")
            return None
        props = {
            "$group_type": gtype,
            "$group_key": gkey,
            "$group_set": self._clean(draft["properties"]),
        }
        distinct_id = did or self.anonymous_id
        ts = float(draft["timestamp"])
        return Event(draft["uuid"], GROUP_IDENTIFY, distinct_id, ts, "cloud", props, did)

    def _clean(self, value: Any) -> dict[str, Any]:
        """``value`` as cloud properties: JSON-safe, secrets removed, credentials masked."""
        if value is None:
            return {}
        part = {"properties": value}
        self._coerce(part)
        self._strip(part)
        return part["properties"]

    # -- the developer's profile ---------------------------------------------------------------
    def announce(self, event: Event) -> Event | None:
        """The ``$identify`` to send before ``event``: its developer's profile, when this
        process has not sent it yet or it has changed since; else None. Never raises."""
        did = event.developer_id
        if did is None or self.lookup is None or event.people_update:
            return None
        try:
            profile = self.lookup(did)
        except Exception as exc:
            self.counters.incr("profile_lookup_errors")
            logger.debug("tenantry: profile lookup failed: %s", exc)
            return None
        if not profile:
            return None
        sent = self._sent
        last = sent.get(did)
        if last is not None and last[0] is profile:
            return None
        fields = {}
        for name in PROFILE_FIELDS:
            value = profile.get(name)
            if isinstance(value, datetime | date):
                value = value.isoformat()
            if value is not None and value != "":
                fields[name] = value
        key = tuple(fields.items())
        if not fields or (last is not None and last[1] == key):
            if last is not None:
                sent[did] = (profile, key)
            return None
        if last is None and len(sent) >= KNOWN_DEVELOPERS:
            del sent[next(iter(sent))]
        sent[did] = (profile, key)
        draft = {
            "kind": "identify",
            "event": IDENTIFY,
            "properties": fields,
            "user_id": None,
            "developer_id": did,
            "timestamp": event.timestamp - 0.001,  # before the event, so it sees them
            "uuid": new_uuids(1)[0],
            "duration_ms": None,
        }
        return self.shape(draft)


def _name(value: Any) -> str | None:
    """A group type or key as text (a number gives its digits); None when there is none or
    it is a credential."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    text = str(value).strip()[:MAX_ID]
    if not text or credentials.masked(text):
        return None
    return text
