"""The edition policy: an ordered chain of small processors that turns a draft into an ``Event``.

    chain = build_chain(settings, secret=..., anonymous_id=..., profile_lookup=..., counters=...)
    relay = build_chain(settings, ..., relayed=True)   # for events relayed from installations
    event = shape(chain, draft)          # Event, or None when the event is dropped

cloud:      the call's IDs (swapped back) -> name (credentials masked) -> coerce -> [tracking
            plan] -> secrets
            (by key, credentials masked in every string value, the call's IDs kept out of the
            name and the properties) -> developer identity -> profile -> error/performance
            -> exact duration -> request facts -> task facts
opensource: the call's IDs (swapped back) -> name (a harmless token) -> coerce (no object
            turned into text) -> [tracking plan] -> only what is known to be harmless
            (``harmless``: booleans, numbers that are no identifier, short tokens, planned
            values; the call's IDs and secret keys never) -> pseudonym -> error/performance -> duration bucket -> request
            facts (template, method, status class, bucket) -> task facts (name, state, bucket,
            retries) -> context
relayed:    (``relayed=True``: events another opensource installation sent to the relay) the
            opensource chain, whatever ``settings.edition``, with the sender's own context
            (``ClientContext``, each field checked) in place of this installation's

Decisions: a ``None``/blank event name drops the event (``drop("invalid_event_name")``);
NaN/Infinity values are left out (both editions); tenantry's own fields (``developer_id``,
``end_user_id``, profile ``email``/``country``, ``error_type``/``operation``, the opensource
context) win over caller properties of the same name.

A processor with a ``kinds`` attribute (``apply_kind``, ``Durations``, ``RequestProperties``,
``TaskProperties``) is
called only for those kinds of call (``Chain.by_kind``).

Counters (``incr``): ``swapped_ids``, ``developer_id_fallback``, ``secrets_removed``,
``credentials_masked``, ``credential_ids``, ``call_ids_removed``, ``pii_removed`` and
``pii_removed:<reason>``, ``redacted_event_name``, ``profile_lookup_errors``,
``invalid_duration``, ``invalid_properties``, ``truncated_strings``, ``capped_keys``, ``capped_items``,
``capped_depth``, ``cycles``, ``non_finite_numbers``, ``dropped_objects``, ``repr_objects``.
Drops: ``invalid_event_name``, ``shaping_error``. [structlog processors]
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from types import FunctionType, MethodType
from typing import Any

from tenantry._plan import Plan
from tenantry.config import EDITIONS, OPTIONS, config_error
from tenantry.counters import Counters
from tenantry.events import Event
from tenantry.policy import credentials, pii, words
from tenantry.policy.call_ids import GatherIds
from tenantry.policy.coerce import CoerceProperties
from tenantry.policy.context import AddContext, ClientContext
from tenantry.policy.plan import ApplyPlan
from tenantry.policy.privacy import FilterPersonalData, StripSecrets
from tenantry.policy.processors import (
    KINDS,
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
    TaskProperties,
    apply_kind,
)
from tenantry.policy.pseudonym import Pseudonymizer

__all__ = ["Chain", "Processor", "build_chain", "pseudonymizer", "redact", "shape"]

logger = logging.getLogger("tenantry.policy")


class Chain(list):
    """A list of processors that knows where to count its shaping errors, the edition its events
    are stamped with (``edition``: ``Event.edition``, set by ``shape``), and which processors
    act on each kind of call (``by_kind``: a processor with a ``kinds`` attribute, or whose
    bound ``__call__``'s instance has one, is left out for the other kinds). Built once:
    changing the list later does not change ``by_kind``."""

    def __init__(
        self,
        processors: list[Processor],
        counters: Counters | None = None,
        *,
        edition: str = "opensource",
    ) -> None:
        if edition not in EDITIONS:
            raise ValueError(f"unknown edition {edition!r}")
        # Bound ``__call__`` methods are called faster than instances (no slot lookup per call).
        super().__init__(
            p if isinstance(p, FunctionType | MethodType) else p.__call__ for p in processors
        )
        self.counters = counters
        self.edition = edition
        self.by_kind = {kind: [q for q in self if kind in _kinds(q)] for kind in KINDS}


def _kinds(processor: Processor) -> frozenset[str] | tuple[str, ...]:
    """The kinds of call ``processor`` acts on: its ``kinds``, or its instance's when it is a
    bound ``__call__`` (a chain built from another chain's processors keeps them)."""
    kinds = getattr(processor, "kinds", None)
    if kinds is None:
        kinds = getattr(getattr(processor, "__self__", None), "kinds", None)
    return KINDS if kinds is None else kinds


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
    ids = GatherIds(_secrets(settings), swap=FixSwappedIds(counters))
    if edition == "cloud":
        processors: list[Processor] = [
            ids,
            NameEvent(counters, private=False),
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
        ]
    elif edition == "opensource":
        if not secret:
            raise config_error("secret", "opensource mode needs a non-empty secret")
        processors = [
            ids,
            NameEvent(counters, private=True),
            CoerceProperties(counters, keep_objects=False),
            *([ApplyPlan(plan, counters)] if plan is not None else []),
            FilterPersonalData(counters),
            Pseudonymize(secret, anonymous_id=anonymous_id),
            apply_kind,
            Durations(counters, bucket=True),
            RequestProperties(private=True),
            TaskProperties(private=True),
            ClientContext() if relayed else AddContext("opensource"),
        ]
    else:
        raise config_error("edition", f"unknown edition {edition!r}")
    return Chain(processors, counters, edition=edition)


def _secrets(settings: Any) -> list[str]:
    """The values of this installation's secret settings (destination API keys, the
    pseudonym secret, the admin token...): never sent, in either edition."""
    return [
        v for o in OPTIONS if o.secret and isinstance(v := getattr(settings, o.field, None), str)
    ]


def pseudonymizer(chain: Chain) -> Pseudonymizer | None:
    """The ``Pseudonymizer`` that ``chain`` re-keys IDs with (opensource), or None (cloud): the
    intake checks a call's re-keyed ID against the suppression list through it, and its memo
    then spares the chain the second HMAC (``pipeline.intake.forgotten``)."""
    for processor in chain:
        owner = getattr(processor, "__self__", processor)
        if isinstance(owner, Pseudonymize):
            return owner.pseudonym
    return None


def shape(chain: Chain, draft: Draft) -> Event | None:
    """Run ``chain`` over ``draft``; the ``Event``, or None when a processor dropped it. Never
    raises: a processor's exception drops the event, counted ``shaping_error``."""
    try:
        for processor in chain.by_kind.get(draft["kind"], chain):
            draft = processor(draft)
            if draft is None:
                return None
        return Event(
            draft["uuid"],
            draft["event"],
            draft["distinct_id"],
            float(draft["timestamp"]),
            chain.edition,
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
                    verdict = words.INNOCENT
                if not words.keeps(verdict, v):
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
