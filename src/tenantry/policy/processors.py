"""The processors of the edition policy: ``processor(draft) -> draft | None`` (None drops it).

This module holds those that name, identify, time and stamp an event; the others live beside
it by what they do: ``coerce`` (properties made JSON-safe), ``privacy`` (secrets and personal
data removed), ``context`` (the installation's platform, or a relayed sender's).

One job each, structlog-style. Those with options are classes that validate and precompute in
``__init__``; the rest are plain functions. Each works on a literal draft dict (see
docs/DESIGN.md "The draft"); none touches the caller's nested objects, because
``CoerceProperties`` runs early and every later processor edits only its fresh copy.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Callable, Mapping
from enum import Enum
from typing import Any

from tenantry.counters import Counters
from tenantry.facts import UNMATCHED
from tenantry.limits import MAX_EVENT_NAME
from tenantry.policy import credentials, harmless
from tenantry.policy._memo import memoised
from tenantry.policy.coerce import shows_other_text
from tenantry.policy.context import UNKNOWN, duration_bucket
from tenantry.policy.pseudonym import Pseudonymizer

logger = logging.getLogger("tenantry.policy")

Draft = dict[str, Any]
Processor = Callable[[Draft], "Draft | None"]
# The kinds of call (``draft["kind"]``). A processor that acts on some of them only says which
# in a ``kinds`` attribute; the chain does not call it for the others (``policy.Chain``).
KINDS = ("track", "error", "performance", "request", "task")

MAX_NAME = MAX_EVENT_NAME  # the relay accepts exactly what the library produces
REDACTED = credentials.REDACTED


class NameEvent:
    """The event name as a ``str``. ``None``, empty or blank names drop the event (counted
    ``invalid_event_name``): an unnamed event cannot be analysed.

    In cloud any other value becomes its text, with any credential in it masked (counted
    ``credentials_masked``). In opensource the name follows the same model as every value
    (``harmless.name_reason``: a short token, or a few plain words, "Memory Created"); a name
    that is not one, or is no str, number or enum of those (an object's text, bytes, a path)
    is not sent: it becomes ``"unknown"`` (counted ``redacted_event_name``). The call's IDs
    are kept out of the name by the filters that see the whole event (``privacy``)."""

    def __init__(self, counters: Counters, *, private: bool) -> None:
        self.counters = counters
        self.private = private
        # a name as given -> (the name sent or None to drop, the counter to count or None)
        self._known = memoised(longest=MAX_NAME)(self._judge)

    def __call__(self, draft: Draft) -> Draft | None:
        name = draft.get("event")
        if type(name) is not str:
            name = self._text(name)
            if name is None:
                name = ""
        sent, counter = self._known(name)
        if counter is not None:
            if sent is None:
                self.counters.drop(counter)
                return None
            self.counters.incr(counter)
        draft["event"] = sent
        return draft

    def _judge(self, name: str) -> tuple[str | None, str | None]:
        name = name.strip()
        if not name:
            return None, "invalid_event_name"
        if self.private:
            if harmless.name_reason(name) is not None:
                return UNKNOWN, "redacted_event_name"
            return name, None
        if len(name) > MAX_NAME:
            name = name[:MAX_NAME]
        masked = credentials.masked(name)  # "" when the name holds no credential
        if masked:  # track_error("invalid key tnt_...") keeps "invalid key [REDACTED]"
            return masked, "credentials_masked"
        return name, None

    def _text(self, name: Any) -> str | None:
        if name is None:
            return None
        if isinstance(name, Enum):
            return self._text(name.value)
        if isinstance(name, str):
            if self.private and shows_other_text(name):
                return self._unknown()
            return str.__str__(name)
        if isinstance(name, int | float) and not isinstance(name, bool):
            return str(name) if not isinstance(name, float) or math.isfinite(name) else None
        if self.private:  # an object's text (bytes, a path, a repr) could be anything
            return self._unknown()
        if isinstance(name, bytes | bytearray):
            return bytes(name[: MAX_NAME * 4]).decode("utf-8", "replace")
        try:
            return str(name)[:MAX_NAME]
        except Exception:
            return type(name).__name__

    def _unknown(self) -> str:
        self.counters.incr("redacted_event_name")
        return UNKNOWN


class FixSwappedIds:
    """The seed guide's "don't swap the IDs": ``user_id="dev_..."`` with ``developer_id="usr_..."``
    is swapped back, counted ``swapped_ids``, with one warning per process. In the chain,
    ``GatherIds`` applies it (its decision memoised with the call's IDs)."""

    warned = False  # class-wide: once per process

    def __init__(self, counters: Counters, *, developer_prefix="dev_", user_prefix="usr_") -> None:
        self.counters = counters
        self.developer_prefix = developer_prefix
        self.user_prefix = user_prefix

    def __call__(self, draft: Draft) -> Draft:
        uid, did = draft["user_id"], draft["developer_id"]
        if self.swapped(uid, did):
            draft["user_id"], draft["developer_id"] = did, uid
            self.note()
        return draft

    def swapped(self, uid: str | None, did: str | None) -> bool:
        """Whether ``(uid, did)`` look swapped (``GatherIds`` asks once per pair of IDs)."""
        return (
            uid is not None
            and did is not None
            and uid.startswith(self.developer_prefix)
            and did.startswith(self.user_prefix)
        )

    def note(self) -> None:
        """Count one swap (``swapped_ids``); warn on the first of the process."""
        self.counters.incr("swapped_ids")
        if not FixSwappedIds.warned:
            FixSwappedIds.warned = True
            logger.warning(
                "tenantry: user_id and developer_id look swapped (user_id=%s..., "
                "developer_id=%s...); swapping them back. Pass user_id=<end user>, "
                "developer_id=<API key owner>.",
                self.developer_prefix,
                self.user_prefix,
            )


class CloudIdentity:
    """Cloud: ``distinct_id`` = developer_id; else user_id (counted ``developer_id_fallback``);
    else the process's anonymous ID. Properties gain ``developer_id`` (when known) and
    ``end_user_id`` (when both are known); the draft's ``developer_id``/``end_user_id`` match.
    An ID that holds a credential of a known shape (an API key passed as ``developer_id``;
    ``credentials.has_known_credential``: random-looking IDs stay IDs) counts as not given
    (counted ``credential_ids``): it would otherwise become the vendor's user ID."""

    def __init__(self, counters: Counters, *, anonymous_id: str) -> None:
        if not anonymous_id:
            raise ValueError("anonymous_id is empty")
        self.counters = counters
        self.anonymous_id = anonymous_id

    def __call__(self, draft: Draft) -> Draft:
        uid, did = draft.get("user_id"), draft.get("developer_id")
        if uid is not None and credentials.has_known_credential(uid):
            uid = draft["user_id"] = None
            self.counters.incr("credential_ids")
        if did is not None and credentials.has_known_credential(did):
            did = draft["developer_id"] = None
            self.counters.incr("credential_ids")
        props = draft["properties"]
        if did is not None:
            draft["distinct_id"] = did
            props["developer_id"] = did
            if uid is not None:
                props["end_user_id"] = uid
                draft["end_user_id"] = uid
            else:
                draft["end_user_id"] = None
        else:
            if uid is not None:
                draft["distinct_id"] = uid
                self.counters.incr("developer_id_fallback")
            else:
                draft["distinct_id"] = self.anonymous_id
            draft["end_user_id"] = None
        return draft


class AddProfile:
    """Cloud: the developer's ``email`` and ``country`` from ``lookup(developer_id)`` (they win
    over caller properties of those names). A lookup that raises or returns nothing adds nothing
    (a raise is counted ``profile_lookup_errors``)."""

    FIELDS = ("email", "country")

    def __init__(self, lookup: Callable[[str], Mapping[str, Any] | None], counters: Counters):
        if not callable(lookup):
            raise TypeError("profile_lookup must be callable")
        self.lookup = lookup
        self.counters = counters

    def __call__(self, draft: Draft) -> Draft:
        did = draft.get("developer_id")
        if did is None:
            return draft
        try:
            profile = self.lookup(did)
            if not profile:
                return draft
            props = draft["properties"]
            for field in self.FIELDS:
                value = profile.get(field)
                if isinstance(value, str) and value:
                    props[field] = value
        except Exception as exc:
            self.counters.incr("profile_lookup_errors")
            logger.debug("tenantry: profile lookup failed: %s", exc)
        return draft


class Pseudonymize:
    """Opensource: ``distinct_id`` = keyed pseudonym (HMAC-SHA256) of ``user_id or
    developer_id``, or the process's anonymous ID; the raw IDs never leave the draft's
    ``user_id``/``developer_id`` inputs, and ``developer_id``/``end_user_id`` become None."""

    def __init__(self, secret: bytes, *, anonymous_id: str) -> None:
        if not anonymous_id:
            raise ValueError("anonymous_id is empty")
        self.pseudonym = Pseudonymizer(secret)
        self._known = self.pseudonym.lookup
        self.anonymous_id = anonymous_id

    def __call__(self, draft: Draft) -> Draft:
        ident = draft.get("user_id") or draft.get("developer_id")
        draft["distinct_id"] = self._known(ident) if ident else self.anonymous_id
        draft["developer_id"] = None
        draft["end_user_id"] = None
        draft["user_id"] = None
        return draft


def apply_kind(draft: Draft) -> Draft:
    """``kind="error"``: event ``error_occurred``, property ``error_type`` = the name given;
    ``kind="performance"``: event ``performance_metric``, property ``operation``. These win over
    caller properties of the same name. Runs after the name was checked by ``NameEvent``."""
    kind = draft["kind"]
    if kind == "track":
        return draft
    if kind == "error":
        draft["properties"]["error_type"] = draft["event"]
        draft["event"] = "error_occurred"
    elif kind == "performance":
        draft["properties"]["operation"] = draft["event"]
        draft["event"] = "performance_metric"
    return draft


apply_kind.kinds = frozenset({"error", "performance"})  # type: ignore[attr-defined]


class Durations:
    """``kind="performance"``: ``duration_ms`` exact (cloud) or ``duration_bucket`` (opensource).
    A duration that is not a finite number >= 0 adds nothing (counted ``invalid_duration``)."""

    kinds = frozenset({"performance"})

    def __init__(self, counters: Counters, *, bucket: bool) -> None:
        self.counters = counters
        self.bucket = bucket

    def __call__(self, draft: Draft) -> Draft:
        if draft["kind"] != "performance":
            return draft
        ms = draft.get("duration_ms")
        props = draft["properties"]
        if self.bucket:
            props.pop("duration_ms", None)
        valid = isinstance(ms, int | float) and not isinstance(ms, bool)
        if valid:
            ms = float(ms)
            valid = math.isfinite(ms) and ms >= 0
        if not valid:
            self.counters.incr("invalid_duration")
            return draft
        if self.bucket:
            props["duration_bucket"] = duration_bucket(ms)
        else:
            props["duration_ms"] = ms
        return draft


METHODS = frozenset(
    {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT"}
)
_PARAM = re.compile(r"\{[A-Za-z_][A-Za-z0-9_]{0,63}(?::[A-Za-z_]+)?\}\Z")
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9_.~-]{0,63}\Z")
_routes: dict[str, str] = {}


def safe_route(route: str) -> str:
    """A route template that identifies nobody: ``{param}`` segments stay, literal segments
    stay when they are words that are harmless tokens (``harmless.token_reason``), anything
    else (a number, an ID, an email: a raw path passed by mistake) becomes ``{redacted}``.
    Memoised (routes repeat)."""
    known = _routes.get(route)
    if known is not None:
        return known
    if route == UNMATCHED:
        return route
    parts = []
    for seg in route[:512].split("/"):
        if seg and not _PARAM.match(seg) and (not _WORD.match(seg) or harmless.token_reason(seg)):
            seg = "{redacted}"
        parts.append(seg)
    safe = "/".join(parts)
    if len(_routes) < 10_000:
        _routes[route] = safe
    return safe


class RequestProperties:
    """``kind="request"`` (``TelemetryService.record_request``): the request's facts, queued
    as ``(route, method, status, duration_ms, request_bytes, response_bytes)``, become
    properties after the privacy filters ran (they are the router's template and numbers, not
    caller data). cloud: ``route``, ``method``, ``status``, ``duration_ms``, ``request_bytes``,
    ``response_bytes``; opensource: ``route`` (through ``safe_route``), ``method``,
    ``status_class`` (``"2xx"``) and ``duration_bucket`` only. Unknown methods become
    ``OTHER``."""

    def __init__(self, *, private: bool) -> None:
        self.private = private

    kinds = frozenset({"request"})

    def __call__(self, draft: Draft) -> Draft:
        if draft["kind"] != "request":
            return draft
        route, method, status, ms, received, sent = draft["duration_ms"]
        props = draft["properties"]
        method = method if method in METHODS else "OTHER"
        if self.private:
            props["route"] = safe_route(route)
            props["method"] = method
            props["status_class"] = f"{status // 100}xx"
            props["duration_bucket"] = duration_bucket(ms)
        else:
            props["route"] = route[:MAX_NAME]
            props["method"] = method
            props["status"] = status
            props["duration_ms"] = round(ms, 3)
            props["request_bytes"] = received
            props["response_bytes"] = sent
        return draft


# how a task run ended (Celery's states); any other word becomes OTHER
TASK_STATES = frozenset(
    {"SUCCESS", "FAILURE", "RETRY", "REVOKED", "REJECTED", "IGNORED", "PENDING", "STARTED"}
)
_TASK_PART = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}\Z")
_tasks: dict[str, str] = {}


def safe_task(name: str) -> str:
    """A task name that identifies nobody: dotted parts that are identifiers and pass the value
    checks stay (``billing.tasks.send_invoice``), any other part becomes ``{redacted}``.
    Memoised (task names repeat)."""
    known = _tasks.get(name)
    if known is not None:
        return known
    parts = [
        p if _TASK_PART.match(p) and not harmless.token_reason(p) else "{redacted}"
        for p in name[:MAX_NAME].split(".")
    ]
    safe = ".".join(parts)
    if len(_tasks) < 10_000:
        _tasks[name] = safe
    return safe


class TaskProperties:
    """``kind="task"`` (``TelemetryService.record_task``): the task run's facts, queued as
    ``(name, state, duration_ms, retries)``, become properties after the privacy filters ran.
    cloud: ``task``, ``state``, ``duration_ms``, ``retries``; opensource: ``task`` (through
    ``safe_task``), ``state``, ``duration_bucket``, ``retries``. A state outside
    ``TASK_STATES`` becomes ``OTHER``. An opensource ``task_run`` relayed from another
    installation keeps its ``task`` through ``safe_task`` (``privacy.FilterPersonalData``)."""

    def __init__(self, *, private: bool) -> None:
        self.private = private

    kinds = frozenset({"task"})

    def __call__(self, draft: Draft) -> Draft:
        if draft["kind"] != "task":
            return draft
        name, state, ms, retries = draft["duration_ms"]
        props = draft["properties"]
        props["task"] = safe_task(name) if self.private else name[:MAX_NAME]
        props["state"] = state if state in TASK_STATES else "OTHER"
        if self.private:
            props["duration_bucket"] = duration_bucket(ms)
        else:
            props["duration_ms"] = round(ms, 3)
        props["retries"] = retries if type(retries) is int and retries >= 0 else 0
        return draft
