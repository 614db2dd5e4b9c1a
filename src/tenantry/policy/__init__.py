"""The edition policy: an ordered chain of small processors that turns a draft into an ``Event``.

    chain = build_chain(settings, secret=..., anonymous_id=..., profile_lookup=..., counters=...)
    relay = build_chain(settings, ..., relayed=True)   # for events relayed from installations
    event = shape(chain, draft)          # Event, or None when the event is dropped

cloud:      name (credentials masked) -> ids -> swapped ids -> coerce -> secrets (by key, and
            credentials masked in every string value) -> developer identity -> profile
            -> error/performance -> exact duration -> request facts -> task facts -> edition
opensource: name (checked) -> ids -> swapped ids -> coerce (no reprs) -> secrets (by key)
            -> hold an api_request's route (a task_run's task) -> personal data (credentials,
            contact URIs and phone-length numbers included) -> pseudonym -> error/performance -> duration bucket
            -> request facts (template, method, status class, bucket) -> task facts (name,
            state, bucket, retries) -> context -> edition
relayed:    (``relayed=True``: events another opensource installation sent to the relay) the
            opensource chain, whatever ``settings.edition``, with the sender's own context
            (``ClientContext``, each field checked) in place of this installation's

Decisions: a ``None``/blank event name drops the event (``drop("invalid_event_name")``);
NaN/Infinity values are left out (both editions); tenantry's own fields (``developer_id``,
``end_user_id``, profile ``email``/``country``, ``error_type``/``operation``, the opensource
context) win over caller properties of the same name.

Counters (``incr``): ``swapped_ids``, ``developer_id_fallback``, ``secrets_removed``,
``credentials_masked``, ``credential_ids``,
``pii_removed``, ``redacted_event_name``, ``profile_lookup_errors``, ``invalid_duration``,
``invalid_properties``, ``truncated_strings``, ``capped_keys``, ``capped_items``,
``capped_depth``, ``cycles``, ``non_finite_numbers``, ``dropped_objects``, ``repr_objects``.
Drops: ``invalid_event_name``, ``shaping_error``. [structlog processors]
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from types import FunctionType, MethodType
from typing import Any

from tenantry._plan import Plan
from tenantry.counters import Counters
from tenantry.errors import ConfigError
from tenantry.events import Event
from tenantry.policy import credentials, pii
from tenantry.policy.coerce import CoerceProperties
from tenantry.policy.context import AddContext, ClientContext
from tenantry.policy.plan import ApplyPlan
from tenantry.policy.privacy import FilterPersonalData, StripSecrets
from tenantry.policy.processors import (
    REDACTED,
    AddProfile,
    CloudIdentity,
    Draft,
    Durations,
    FixSwappedIds,
    NameEvent,
    Processor,
    Pseudonymize,
    RequestProperties,
    SetEdition,
    TaskProperties,
    apply_kind,
    hold_route,
    normalize_ids,
)

__all__ = ["Chain", "Processor", "build_chain", "redact", "shape"]

logger = logging.getLogger("tenantry.policy")


class Chain(list):
    """A list of processors that knows where to count its shaping errors."""

    def __init__(self, processors: list[Processor], counters: Counters | None = None) -> None:
        # Bound ``__call__`` methods are called faster than instances (no slot lookup per call).
        super().__init__(
            p if isinstance(p, FunctionType | MethodType) else p.__call__ for p in processors
        )
        self.counters = counters


def build_chain(
    settings: Any,
    *,
    secret: bytes,
    anonymous_id: str,
    profile_lookup: Callable[[str], Mapping[str, Any] | None] | None,
    counters: Counters,
    relayed: bool = False,
    plan: Plan | None = None,
) -> Chain:
    """The processors for ``settings.edition``, in order, counting into ``counters``. With
    ``relayed``, the chain for events relayed from opensource installations: the opensource
    one with ``ClientContext`` in place of ``AddContext`` (``profile_lookup`` unused). With a
    ``plan`` (``tenantry._plan.Plan``), ``ApplyPlan`` runs right after the coercion. Raises
    ``ConfigError`` for an empty secret in opensource mode (a pseudonym needs a key) and for an
    unknown edition."""
    edition = "opensource" if relayed else settings.edition
    if edition == "cloud":
        processors: list[Processor] = [
            NameEvent(counters, private=False),
            normalize_ids,
            FixSwappedIds(counters),
            CoerceProperties(counters, keep_objects=True),
            *([ApplyPlan(plan, counters)] if plan is not None else []),
            StripSecrets(counters, mask_values=True),
            CloudIdentity(counters, anonymous_id=anonymous_id),
        ]
        if profile_lookup is not None:
            processors.append(AddProfile(profile_lookup, counters))
        processors += [
            apply_kind,
            Durations(counters, bucket=False),
            RequestProperties(private=False),
            TaskProperties(private=False),
            SetEdition("cloud"),
        ]
    elif edition == "opensource":
        if not secret:
            raise ConfigError("TELEMETRY_SECRET: opensource mode needs a non-empty secret")
        processors = [
            NameEvent(counters, private=True),
            normalize_ids,
            FixSwappedIds(counters),
            CoerceProperties(counters, keep_objects=False),
            *([ApplyPlan(plan, counters)] if plan is not None else []),
            StripSecrets(counters),
            hold_route,
            FilterPersonalData(counters),
            Pseudonymize(secret, anonymous_id=anonymous_id),
            apply_kind,
            Durations(counters, bucket=True),
            RequestProperties(private=True),
            TaskProperties(private=True),
            ClientContext() if relayed else AddContext("opensource"),
            SetEdition("opensource"),
        ]
    else:
        raise ConfigError(f"TELEMETRY_EDITION: unknown edition {edition!r}")
    return Chain(processors, counters)


def shape(chain: Chain, draft: Draft) -> Event | None:
    """Run ``chain`` over ``draft``; the ``Event``, or None when a processor dropped it. Never
    raises: a processor's exception drops the event, counted ``shaping_error``."""
    try:
        for processor in chain:
            draft = processor(draft)
            if draft is None:
                return None
        return Event(
            draft["uuid"],
            draft["event"],
            draft["distinct_id"],
            float(draft["timestamp"]),
            draft["edition"],
            draft["properties"],
            draft.get("developer_id"),
            draft.get("end_user_id"),
        )
    except Exception as exc:
        if chain.counters is not None:
            chain.counters.drop("shaping_error")
        logger.debug("tenantry: shaping failed: %s: %s", type(exc).__name__, exc)
        return None


def redact(obj: Any, _depth: int = 0) -> Any:
    """A copy of ``obj`` for logs: values under secret keys become ``"[REDACTED]"`` (a number or
    bool under a measure or flag key such as ``token_count`` stays), and every credential inside
    a string (``credentials.mask``: tenantry keys, Bearer/Basic, JWTs, vendor tokens, PEM keys,
    URL user-info, ``?token=``) is masked, at any depth (below 16 levels: ``"..."``). Never
    raises."""
    try:
        if _depth > 16:
            return "..."
        if isinstance(obj, Mapping):
            out = {}
            for k, v in obj.items():
                if isinstance(k, str):
                    verdict = pii.secret_key_verdict(k)
                    k = credentials.mask(k)
                else:
                    verdict = 0
                if verdict == 1 or (verdict == 2 and not isinstance(v, int | float)):
                    out[k] = REDACTED
                else:
                    out[k] = redact(v, _depth + 1)
            return out
        if isinstance(obj, list | tuple | set | frozenset):
            return [redact(v, _depth + 1) for v in obj]
        if isinstance(obj, str):
            return credentials.mask(obj)
        return obj
    except Exception:
        return REDACTED
