"""The tracking plan applied: ``ApplyPlan`` in both editions' chains, and ``check_event`` for
``tenantry plan check``. The plan file itself (format, loading) is ``tenantry._plan``.

What a violation does, the way Segment Protocols ("block event", "omit properties") and
Amplitude Data ("unexpected": allow, mark, block) do it, per the plan's ``unplanned`` modes:

- an event the plan does not list: ``drop``: the event is dropped (``drops``:
  ``unplanned_event``); ``warn``: it passes, counted and logged once; ``keep``: it passes,
  uncounted (the plan is open to new events).
- a property the event's rule does not list: ``drop``: the property is removed; ``warn``: it
  passes, counted and logged once; ``keep``: it passes, uncounted.
- a planned property whose value breaks its rule (``wrong_type``, ``not_in_enum``,
  ``out_of_range``, ``too_long``): always counted; with ``properties: drop`` the property is
  removed (a strict plan lets only planned values through), else the value passes.
- a required property that is missing: counted; the event passes (there is nothing to remove).

Every violation counts ``plan_violations`` and one row of the counters' ``plan`` table
(event, property, kind), which ``get_status()["plan"]`` and ``tenantry status`` show: names
only, never a value; a name that looks like data (an email as a key) shows as ``(redacted)``.

Opensource: a value the plan enumerates (an ``enum`` match) is vouched for by the operator:
``draft["vouched"]`` holds those top-level keys, and the personal-data filter keeps their values
where its own rules would drop them. Free text (a string property without ``enum``) is never
vouched, nor is anything under a key that names a secret.

The plan sees the caller's properties, before tenantry adds its own (the IDs, the profile, the
context, ``error_type``...). The event name it looks up is the one that is sent:
``error_occurred`` for ``track_error`` (whose name is checked against a planned ``error_type``),
``performance_metric`` for ``track_performance`` (against ``operation``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

from tenantry._plan import EventRule, Plan
from tenantry.counters import OTHER, Counters
from tenantry.policy import harmless, pii
from tenantry.policy.context import CONTEXT_KEYS
from tenantry.policy.processors import Draft

logger = logging.getLogger("tenantry.policy")

TABLE = "plan"  # the counters' table: (event, property, kind) -> count
TABLE_LIMIT = 1000
EVENT = "(event)"  # the property column of an event-level violation
REDACTED_NAME = "(redacted)"

# The properties tenantry adds after the plan ran: never "missing" there, and not "unplanned" in
# a shaped event (``check_event``) unless the plan lists them.
OWN = frozenset({"developer_id", "end_user_id", "email", "country", "edition", *CONTEXT_KEYS})
OWN_BY_EVENT = {
    "error_occurred": frozenset({"error_type"}),
    "performance_metric": frozenset({"operation", "duration_ms", "duration_bucket"}),
    "api_request": frozenset(
        {
            "route",
            "method",
            "status",
            "status_class",
            "duration_ms",
            "duration_bucket",
            "request_bytes",
            "response_bytes",
        }
    ),
}
_SENT_NAME = {"error": "error_occurred", "performance": "performance_metric"}
_NAME_PROPERTY = {"error": "error_type", "performance": "operation"}
_WARN_ONCE = 1000  # distinct warnings logged per process, at most


def own_properties(event: str) -> frozenset[str]:
    """The properties tenantry itself adds to ``event``."""
    extra = OWN_BY_EVENT.get(event)
    return OWN | extra if extra else OWN


def label(name: str) -> str:
    """An event or property name as status shows it: ``(redacted)`` when it looks like data."""
    return name if harmless.name_reason(name) is None else REDACTED_NAME


class _Compiled:
    """One planned event as ``ApplyPlan`` reads it: each property's check, the keys whose
    enumerated values are vouched (an enum, a key that names no secret), the required keys the
    caller must pass (tenantry adds the others later), and the check of the name for
    ``track_error``/``track_performance``."""

    __slots__ = ("checks", "vouchable", "required", "name_checks")

    def __init__(self, name: str, rule: EventRule) -> None:
        self.checks = {k: r.violation for k, r in rule.properties.items()}
        self.vouchable = frozenset(
            k for k, r in rule.properties.items() if r.enum is not None and not pii.is_secret_key(k)
        )
        own = own_properties(name)
        self.required = tuple(k for k in rule.required if k not in own)
        self.name_checks = {
            kind: rule.properties[key].violation
            for kind, key in _NAME_PROPERTY.items()
            if key in rule.properties
        }


class ApplyPlan:
    """Processor: the plan's verdict on the event and each property (see the module docstring);
    sets ``draft["vouched"]`` for the opensource filter (absent: nothing vouched). Runs after
    ``CoerceProperties``, so every value is one of JSON's types."""

    def __init__(self, plan: Plan, counters: Counters) -> None:
        self.plan = plan
        self.counters = counters
        self.events = {name: _Compiled(name, rule) for name, rule in plan.events.items()}
        self.drop_events = plan.unplanned_events == "drop"
        self.count_events = plan.unplanned_events != "keep"
        self.drop_properties = plan.unplanned_properties == "drop"
        self.count_properties = plan.unplanned_properties != "keep"
        self._labels: dict[str, str] = {}
        self._warned: set[tuple[str, str, str]] = set()

    def __call__(self, draft: Draft) -> Draft | None:
        kind = draft["kind"]
        name = draft["event"] if kind == "track" else _SENT_NAME.get(kind, draft["event"])
        rule = self.events.get(name)
        if rule is None:
            if self.count_events:
                self._count(name, [(EVENT, "unplanned_event")], self.plan.unplanned_events)
                if self.drop_events:
                    self.counters.drop("unplanned_event")
                    return None
            return draft
        props = draft["properties"]
        checks = rule.checks
        found: list[tuple[str, str]] | None = None
        vouched: set[str] | None = None
        for key, value in props.items():
            check = checks.get(key)
            if check is None:
                if self.count_properties:
                    found = found or []
                    found.append((key, "unplanned_property"))
                continue
            bad = check(value)
            if bad is not None:
                found = found or []
                found.append((key, bad))
            elif key in rule.vouchable and value is not None:  # passed its enum
                if vouched is None:
                    vouched = {key}
                else:
                    vouched.add(key)
        for key in rule.required:
            if key not in props:
                found = found or []
                found.append((key, "missing_required"))
        if found and self.drop_properties:
            removed = [k for k, bad in found if bad != "missing_required"]
            for key in removed:  # never a vouched key: those broke no rule
                del props[key]
            self.counters.incr("plan_dropped_properties", len(removed))
        if kind in rule.name_checks:  # track_error's error type, track_performance's operation
            bad = rule.name_checks[kind](draft["event"])
            if bad is not None:  # counted, never removed: it is the event's name until apply_kind
                found = found or []
                found.append((_NAME_PROPERTY[kind], bad))
        if found:
            self._count(name, found, self.plan.unplanned_properties)
        if vouched:
            draft["vouched"] = vouched
        return draft

    def _count(self, event: str, found: list[tuple[str, str]], mode: str) -> None:
        event = self._label(event)
        rows = [(event, prop if prop == EVENT else self._label(prop), bad) for prop, bad in found]
        self.counters.tally(TABLE, rows, limit=TABLE_LIMIT, total="plan_violations")
        if mode == "warn":
            for row in rows:
                if row not in self._warned and len(self._warned) < _WARN_ONCE:
                    self._warned.add(row)
                    logger.warning(
                        "tenantry: tracking plan: %s: %s (kept; counted in get_status()['plan'])",
                        row[0] if row[1] == EVENT else f"{row[0]}.{row[1]}",
                        row[2],
                    )

    def _label(self, name: str) -> str:
        known = self._labels.get(name)
        if known is None:
            known = label(name)
            if len(self._labels) < TABLE_LIMIT:
                self._labels[name] = known
        return known


def violations_status(plan: Plan | None, counters: Counters) -> dict[str, Any] | None:
    """``get_status()["plan"]``: the plan's file and modes, ``violations`` in total,
    ``dropped_events``/``dropped_properties``, and ``by_event``: {event: {property: {kind: n}}}
    (violations beyond the table's bound under ``"(other)"``). None without a plan."""
    if plan is None:
        return None
    doc = plan.summary()
    doc.update(
        violations=counters.get("plan_violations"),
        dropped_events=counters.snapshot()["drops"].get("unplanned_event", 0),
        dropped_properties=counters.get("plan_dropped_properties"),
        by_event=nest(counters.table(TABLE).items()),
    )
    return doc


def nest(rows: Iterable[tuple[Any, int]]) -> dict[str, Any]:
    """``((event, property, kind), n)`` rows as ``{event: {property: {kind: n}}}``; the bounded
    table's overflow row (``counters.OTHER``) goes under ``"(other)"``."""
    out: dict[str, Any] = {}
    for key, n in rows:
        event, prop, kind = (OTHER, OTHER, OTHER) if key == OTHER else key
        kinds = out.setdefault(event, {}).setdefault(prop, {})
        kinds[kind] = kinds.get(kind, 0) + n
    return dict(sorted(out.items()))


def check_event(
    plan: Plan, event: str, properties: Mapping[str, Any], *, edition: str | None = None
) -> list[tuple[str, str]]:
    """The violations of one shaped event (a capture's line, a stored row) as ``(property,
    kind)`` pairs (``(event)`` for the event itself), by the same rules and modes as
    ``ApplyPlan``. Tenantry's own properties pass unless the plan lists them. In opensource an
    array is sent as its length, so an integer passes where the plan says ``array``."""
    rule = plan.events.get(event)
    if rule is None:
        return [(EVENT, "unplanned_event")] if plan.unplanned_events != "keep" else []
    found = []
    own = own_properties(event)
    count_unplanned = plan.unplanned_properties != "keep"
    for key, value in properties.items():
        r = rule.properties.get(key)
        if r is None:
            if count_unplanned and key not in own:
                found.append((key, "unplanned_property"))
            continue
        if edition == "opensource" and type(value) is int and "array" in r.types:
            continue
        bad = r.violation(value)
        if bad is not None:
            found.append((key, bad))
    for key in rule.required:
        if key not in properties:
            found.append((key, "missing_required"))
    return found
