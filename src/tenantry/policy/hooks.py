"""The service's own shaping options, run around the edition's chain: sampling, super
properties and ``before_send`` before it, ``$sample_rate`` after it.

    TelemetryService(sample_rates={"api_request": 0.1}, properties={"service": "api"},
                     before_send=fn)
    telemetry.register({"region": "eu"})

    sample -> super properties -> before_send -> [the edition's chain] -> $sample_rate

- ``Sample``: per event name, kept when ``sampled_in(uuid, rate)``: a hash of the event's uuid,
  so every process that sees the same event (a replica, a relay, a replay) decides the same.
  Sampled-out events are counted ``sampled_out`` (not a drop: nothing was lost that was meant
  to be sent). The rate goes with a kept event as the ``$sample_rate`` property, so the usage
  reports can count each kept event as 1/rate events.
- ``SuperProperties``: properties on every event recorded after they were given (the call's
  own properties win over them, as in posthog-js and Mixpanel; posthog-python lets the super
  properties win). They are merged before the chain, so the opensource edition filters them
  like the rest.
- ``BeforeSend``: ``fn(event) -> event | None`` with the call as the caller made it (see
  ``view``), before the edition's privacy rules: whatever it returns is still shaped and, in
  opensource, filtered. ``None`` drops the event (counted ``before_send_dropped``). An exception
  is logged once per exception type, counted ``before_send_errors``, and the event goes on as
  it was (posthog-python 3 to 6 did the same; 7 drops it).

Each is a processor (``draft -> draft | None``) testable on a literal draft; ``ServiceChain``
puts them around the edition's chain. [posthog-python ``before_send``/``super_properties``;
posthog-js ``sampleByEvent``]
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from hashlib import blake2b
from typing import Any

from tenantry.counters import Counters
from tenantry.errors import ConfigError
from tenantry.policy import Chain, Processor
from tenantry.policy.processors import Draft

logger = logging.getLogger("tenantry")

SAMPLE_RATE = "$sample_rate"  # the property that carries a kept event's rate
# The smallest rate above 0: a kept event then stands for at most a million (the usage reports'
# weights stay finite and exact in a sum).
MIN_SAMPLE_RATE = 1e-6
_SCALE = 1 << 64
#: the name a kind's events are sent under (``track_error`` -> ``error_occurred``, ...)
KIND_EVENT = {"error": "error_occurred", "performance": "performance_metric"}

BeforeSendFn = Callable[[dict[str, Any]], "dict[str, Any] | None"]


def sampled_in(uuid: str, rate: float) -> bool:
    """Whether the event with this ``uuid`` is kept at ``rate`` (0 to 1): the first 64 bits of
    BLAKE2b over the uuid's text, compared with ``rate``. The same answer in every process and
    at every replay; uniform whatever the UUID's version (v1 and v7 begin with a clock)."""
    digest = blake2b(uuid.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") < rate * _SCALE


def check_rates(rates: Any) -> dict[str, float]:
    """``sample_rates`` validated: event name -> a number from 0 to 1. Raises ``ConfigError``."""
    if rates is None:
        return {}
    if not isinstance(rates, Mapping):
        raise ConfigError(f"sample_rates: expected a dict of event name -> rate, got {rates!r}")
    out = {}
    for name, rate in rates.items():
        if not isinstance(name, str) or not name:
            raise ConfigError(f"sample_rates: event names are strings, got {name!r}")
        if (
            isinstance(rate, bool)
            or not isinstance(rate, int | float)
            or not (rate == 0 or MIN_SAMPLE_RATE <= rate <= 1)
        ):
            raise ConfigError(
                f"sample_rates: {name}: expected 0 or a number from {MIN_SAMPLE_RATE} to 1, "
                f"got {rate!r}"
            )
        out[name] = float(rate)
    return out


class Sample:
    """Keeps an event of a sampled name when ``sampled_in(uuid, rate)``; ``draft["sample_rate"]``
    carries the rate of a kept event to ``stamp_sample_rate``. Rates of 1 are not sampling."""

    def __init__(self, rates: Mapping[str, float], counters: Counters) -> None:
        self.rates = {name: rate for name, rate in check_rates(rates).items() if rate < 1}
        self.counters = counters

    def __call__(self, draft: Draft) -> Draft | None:
        kind = draft["kind"]
        name = KIND_EVENT.get(kind) or draft["event"]
        rate = self.rates.get(name) if type(name) is str else None
        if rate is None:
            return draft
        if not sampled_in(draft["uuid"], rate):
            self.counters.incr("sampled_out")
            return None
        draft["sample_rate"] = rate
        return draft


def stamp_sample_rate(draft: Draft) -> Draft:
    """After the chain: a sampled event's rate as ``$sample_rate`` (tenantry's field: it wins
    over a caller property of that name)."""
    rate = draft.get("sample_rate")
    if rate is not None:
        draft["properties"][SAMPLE_RATE] = rate
    return draft


class SuperProperties:
    """Properties merged into every event recorded after they were given; the event's own win.

    ``register`` keeps each version with the time it was given; an event takes the version in
    force when it was recorded (``draft["accepted_at"]``), so an event recorded before a
    ``register`` never gets its properties even when the worker shapes it later. Versions no
    longer needed (calls are shaped in the order they were recorded) are let go."""

    def __init__(self, properties: Mapping[str, Any] | None = None) -> None:
        if properties is not None and not isinstance(properties, Mapping):
            raise ConfigError(f"properties: expected a dict, got {type(properties).__name__}")
        self._lock = threading.Lock()
        self._versions: list[tuple[float, dict[str, Any]]] = [(-math.inf, dict(properties or {}))]

    def register(self, properties: Mapping[str, Any], at: float | None = None) -> None:
        """Add ``properties`` (they replace earlier values of the same names) for every event
        recorded from ``at`` (default: now) on."""
        if not isinstance(properties, Mapping):
            raise TypeError(f"register takes a dict, got {type(properties).__name__}")
        at = time.time() if at is None else at
        with self._lock:
            merged = {**self._versions[-1][1], **properties}
            self._versions.append((at, merged))

    @property
    def current(self) -> dict[str, Any]:
        return self._versions[-1][1]

    def _at(self, at: Any) -> dict[str, Any]:
        versions = self._versions
        if len(versions) == 1 or type(at) is not float:
            return versions[-1][1]
        with self._lock:
            i = len(versions) - 1
            while i and versions[i][0] > at:
                i -= 1
            if i:  # the versions before this one are past for every later call
                del versions[:i]
            return versions[0][1]

    def __call__(self, draft: Draft) -> Draft:
        versions = self._versions
        if len(versions) == 1:  # nothing registered since the service started (the usual)
            supers = versions[0][1]
            if not supers:
                return draft
        else:
            supers = self._at(draft.get("accepted_at"))
        if supers:
            props = draft["properties"]
            if props is None:
                draft["properties"] = dict(supers)
            elif isinstance(props, Mapping):
                draft["properties"] = {**supers, **props}
            # anything else is not properties: the coercion counts it, the supers stay out
        return draft


# -- before_send -----------------------------------------------------------------------------

#: what ``before_send`` may change, per kind of call; the other keys are for reading
WRITABLE = {
    "identify": ("properties", "set_once", "developer_id"),
    "group": ("group_type", "group_key", "properties", "developer_id"),
}
_EVENT_FIELDS = ("event", "properties", "user_id", "developer_id")


def view(draft: Draft) -> dict[str, Any]:
    """The event ``before_send`` is given: the call as it was made, before any privacy rule.

    ``type`` (``track``, ``error``, ``performance``, ``request``, ``task``, ``identify``,
    ``group``), ``event`` (the first argument: the event name; the error type of
    ``track_error``; the operation of ``track_performance``; ``api_request``, ``task_run``,
    ``$identify``, ``$groupidentify``),
    ``properties`` (a dict: the caller's properties with the super properties, a copy),
    ``user_id``, ``developer_id``, ``timestamp`` (an aware UTC ``datetime``), ``uuid`` (kept
    across retries and relays); ``duration_ms`` (performance); ``request`` (``route``,
    ``method``, ``status``, ``duration_ms`` of an ``api_request``); ``task`` (``name``,
    ``state``, ``duration_ms``, ``retries`` of a ``task_run``); ``set_once`` (identify);
    ``group_type``, ``group_key`` (group)."""
    kind = draft["kind"]
    props = draft.get("properties")
    out: dict[str, Any] = {
        "type": kind,
        "event": draft.get("event"),
        "properties": props.copy() if type(props) is dict else props,
        "user_id": draft.get("user_id"),
        "developer_id": draft.get("developer_id"),
        "timestamp": datetime.fromtimestamp(draft["timestamp"], UTC),
        "uuid": draft["uuid"],
    }
    extra = draft.get("duration_ms")
    if kind == "performance":
        out["duration_ms"] = extra
    elif kind == "request":
        out["request"] = _facts(extra, ("route", "method", "status", "duration_ms"))
    elif kind == "task":
        out["task"] = _facts(extra, ("name", "state", "duration_ms", "retries"))
    elif kind == "identify":
        out["set_once"] = dict(extra) if isinstance(extra, Mapping) else extra
    elif kind == "group":
        out["group_type"], out["group_key"] = extra
    return out


def _facts(facts: Any, names: tuple[str, ...]) -> dict[str, Any]:
    """A request's or task's facts, by ``names`` (the service's tuple, or an object)."""
    if isinstance(facts, tuple):
        return dict(zip(names, facts, strict=False))
    return {name: getattr(facts, name, None) for name in names}


class BeforeSend:
    """Runs the caller's ``fn(event) -> event | None`` on ``view(draft)`` and takes back what it
    may change (``WRITABLE``; for events: ``event``, ``properties``, ``user_id``,
    ``developer_id``). See the module docstring for drops and errors."""

    def __init__(self, fn: BeforeSendFn, counters: Counters) -> None:
        if not callable(fn):
            raise ConfigError(f"before_send: expected a function, got {type(fn).__name__}")
        self.fn = fn
        self.counters = counters
        self._logged: set[str] = set()

    def __call__(self, draft: Draft) -> Draft | None:
        try:
            result = self.fn(view(draft))
            if result is None:
                self.counters.incr("before_send_dropped")
                return None
            if type(result) is not dict and not isinstance(result, Mapping):
                raise TypeError(f"before_send returned {type(result).__name__}, not a dict or None")
            kind = draft["kind"]
            for key in WRITABLE.get(kind, _EVENT_FIELDS):
                if key in result:
                    draft[key] = result[key]
            if kind == "identify":
                draft["duration_ms"] = draft.pop("set_once", draft["duration_ms"])
            elif kind == "group":
                old_type, old_key = draft["duration_ms"]
                draft["duration_ms"] = (
                    draft.pop("group_type", old_type),
                    draft.pop("group_key", old_key),
                )
            return draft
        except Exception as exc:
            self._error(exc)
            return draft

    def _error(self, exc: Exception) -> None:
        self.counters.incr("before_send_errors")
        name = type(exc).__name__
        if name not in self._logged and len(self._logged) < 100:
            self._logged.add(name)
            logger.warning(
                "tenantry: before_send raised %s: %s; the event goes on unchanged (logged once "
                "per exception type, counted in get_status()['counters']['before_send_errors'])",
                name,
                exc,
                exc_info=exc,
            )


class Hooks:
    """The service's shaping options (``TelemetryService(before_send=, sample_rates=,
    properties=)``), checked at construction; ``register`` adds super properties."""

    def __init__(
        self,
        *,
        before_send: BeforeSendFn | None = None,
        sample_rates: Mapping[str, float] | None = None,
        properties: Mapping[str, Any] | None = None,
    ) -> None:
        if before_send is not None and not callable(before_send):
            raise ConfigError(f"before_send: expected a function, got {type(before_send).__name__}")
        self.before_send = before_send
        self.sample_rates = check_rates(sample_rates)
        self.super_properties = SuperProperties(properties)

    def register(self, properties: Mapping[str, Any]) -> None:
        self.super_properties.register(properties)


class ServiceChain(Chain):
    """The edition's chain with the service's hooks around it (``Hooks``; sampling, super
    properties, ``before_send`` before it; ``$sample_rate`` after it) and, in the cloud edition,
    ``people`` (``policy.people.People``: ``pipeline.shaping`` hands it the ``identify`` and
    ``group`` calls, and asks it for the developer's profile before each event)."""

    def __init__(
        self,
        chain: Chain,
        hooks: Hooks | None,
        *,
        counters: Counters,
        people: bool,
        anonymous_id: str,
        profile_lookup: Callable[[str], Mapping[str, Any] | None] | None = None,
    ) -> None:
        hooks = hooks or Hooks()
        before: list[Processor] = []
        sample = None
        if any(rate < 1 for rate in hooks.sample_rates.values()):
            sample = Sample(hooks.sample_rates, counters)
            before.append(sample)
        before.append(hooks.super_properties)
        before_send = None
        if hooks.before_send is not None:
            before_send = BeforeSend(hooks.before_send, counters)
            before.append(before_send)
        after = [stamp_sample_rate] if sample is not None else []
        super().__init__([*before, *chain, *after], counters, edition=chain.edition)
        self.people = None
        if people:
            from tenantry.policy.people import People

            self.people = People(
                counters,
                anonymous_id=anonymous_id,
                profile_lookup=profile_lookup,
                before_send=before_send,
            )
