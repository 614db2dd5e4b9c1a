"""Tracking plans over events already sent: ``check`` a capture (the ``jsonl`` destination's
lines) or the local store against a plan, and ``infer`` a plan from what the store holds.
``tenantry plan check`` and ``tenantry plan infer`` only format what these return.

Rows are ``(event, edition, properties, count)``: the store groups identical events in SQL
(telemetry repeats itself), a capture gives each line once.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

from tenantry._plan import DEFAULT_MODE, TYPES, Plan, compile_plan
from tenantry.errors import QueryError
from tenantry.policy.plan import check_event, nest, own_properties
from tenantry.store.base import EventStore, Scope

Row = tuple[str, str | None, Mapping[str, Any], int]

ENUM_MAX_VALUES = 20  # a string property with more distinct values is free text
ENUM_MAX_LENGTH = 64  # ... and so is one with a longer value


def capture_rows(path: Path) -> Iterator[Row]:
    """The events of a capture, one JSON object per line (``{"event", "edition",
    "properties", ...}``). A line that is not such an object raises ``QueryError`` naming it."""
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise QueryError(f"{path}: cannot read: {exc.strerror or exc}") from None
    with handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                record = orjson.loads(line)
            except orjson.JSONDecodeError:
                raise QueryError(f"{path}, line {number}: not JSON") from None
            props = record.get("properties") if isinstance(record, dict) else None
            event = record.get("event") if isinstance(record, dict) else None
            if not isinstance(event, str) or not isinstance(props, dict):
                raise QueryError(
                    f"{path}, line {number}: not an event (an object with 'event' and "
                    "'properties', as the jsonl destination writes)"
                )
            yield event, record.get("edition"), props, 1


def stored_rows(store: EventStore, days: int | None = None) -> Iterator[Row]:
    """The events of ``store`` (the last ``days`` days, UTC, when given), identical ones grouped."""
    since = (datetime.now(UTC) - timedelta(days=days - 1)).date() if days else None
    rows = store.select(
        "SELECT event, edition, properties, count(*) FROM {events} GROUP BY ALL ORDER BY ALL",
        Scope(since=since),
    )
    for event, edition, props, n in rows:
        yield event, edition, orjson.loads(props) if props else {}, n


def check(plan: Plan, rows: Iterable[Row]) -> dict[str, Any]:
    """``{"plan", "events", "violations", "by_event": {event: {property: {kind: n}}}}`` by the
    rules ``ApplyPlan`` applies (``policy.plan.check_event``)."""
    events = violations = 0
    table: dict[tuple[str, str, str], int] = {}
    for event, edition, props, n in rows:
        events += n
        for prop, kind in check_event(plan, event, props, edition=edition):
            violations += n
            table[(event, prop, kind)] = table.get((event, prop, kind), 0) + n
    return {
        "plan": plan.source,
        "events": events,
        "violations": violations,
        "by_event": nest(table.items()),
    }


class _Seen:
    """What one property of one event held: its types, string values (up to a bound), range."""

    __slots__ = ("count", "types", "strings", "lo", "hi")

    def __init__(self) -> None:
        self.count = 0
        self.types: set[str] = set()
        self.strings: set[str] | None = set()  # None: too many or too long for an enum
        self.lo: float | None = None
        self.hi: float | None = None

    def add(self, value: Any, n: int) -> None:
        self.count += n
        kind = _json_type(value)
        self.types.add(kind)
        if kind == "string":
            strings = self.strings
            if strings is not None and value not in strings:
                if len(value) > ENUM_MAX_LENGTH or len(strings) >= ENUM_MAX_VALUES:
                    self.strings = None
                else:
                    strings.add(value)
        elif kind in ("integer", "number"):
            self.lo = value if self.lo is None else min(self.lo, value)
            self.hi = value if self.hi is None else max(self.hi, value)

    def rule(self, events: int) -> dict[str, Any]:
        types = self.types
        if "number" in types:
            types = types - {"integer"}
        names = [t for t in TYPES if t in types]
        rule: dict[str, Any] = {"type": names[0] if len(names) == 1 else names}
        strings = self.strings
        # an enum: few values, each seen at least twice on average (else it is free text)
        if strings and set(names) <= {"string", "null"} and self.count >= 2 * len(strings):
            rule["enum"] = sorted(strings)
        if self.lo is not None:
            rule["min"], rule["max"] = self.lo, self.hi
        if self.count == events:
            rule["required"] = True
        return rule


def _json_type(value: Any) -> str:
    tv = type(value)
    if tv is float:
        return "integer" if value.is_integer() else "number"
    return {
        str: "string",
        bool: "boolean",
        int: "integer",
        list: "array",
        dict: "object",
        type(None): "null",
    }.get(tv, "string")


def infer(rows: Iterable[Row]) -> dict[str, Any]:
    """A plan (as a file holds it) that admits exactly the shapes ``rows`` hold: each event,
    each property with its types, an enum for a string property with at most
    ``ENUM_MAX_VALUES`` short values each seen twice on average, min/max for numbers, and
    ``required`` for a property every event of that name carries. Tenantry's own properties
    (IDs, context) are left out: the plan never governs them. Unplanned modes: ``warn``."""
    counts: dict[str, int] = {}
    seen: dict[str, dict[str, _Seen]] = {}
    for event, _edition, props, n in rows:
        counts[event] = counts.get(event, 0) + n
        per = seen.setdefault(event, {})
        own = own_properties(event)
        for key, value in props.items():
            if key not in own:
                per.setdefault(key, _Seen()).add(value, n)
    plan = {
        "unplanned": {"events": DEFAULT_MODE, "properties": DEFAULT_MODE},
        "events": {
            event: {
                "properties": {k: s.rule(counts[event]) for k, s in sorted(seen[event].items())}
            }
            for event in sorted(seen)
        },
    }
    compile_plan(plan)  # what it writes, it can read
    return plan
