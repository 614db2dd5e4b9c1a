"""The tracking plan: which events an application sends, which properties each carries, and
what each value may be. Loaded once, at start-up, from ``TELEMETRY_PLAN`` or
``TelemetryService(plan=...)``: a YAML or JSON file, or a dict. ``policy.plan.ApplyPlan``
applies it to every event; ``tenantry plan check`` to a capture or the local store.

    unplanned:                 # what happens to what the plan does not list (default: warn)
      events: warn             # drop | keep | warn   (or one word for both: ``unplanned: drop``)
      properties: drop
    events:
      memory_created:
        properties:
          type: {type: string, enum: [text, document, image], required: true}
          size_bytes: {type: integer, min: 0, max: 10000000}
          title: {type: string, max_length: 80}
          has_metadata: boolean          # shorthand for {type: boolean}
          tags: {type: array, enum: [work, home], max_length: 10}   # enum: each item
      search_query:                      # planned, no properties allowed
    # ``description`` is allowed on the plan, each event and each property (ignored)

Types are JSON's: ``string``, ``integer`` (an integral float such as ``3.0`` counts), ``number``,
``boolean``, ``array``, ``object``, ``null``; ``type`` takes one name or a list. ``enum`` lists
the allowed values (scalars; for an array, the allowed items); ``min``/``max`` bound numbers;
``max_length`` bounds a string's characters or an array's items; ``required`` asks for the
property in every event of that name.

A bad plan raises ``PlanError`` naming the place (``plan.yaml, line 7: events.x.properties.y:
...``); ``config`` turns it into a ``ConfigError`` naming ``TELEMETRY_PLAN`` or ``plan``. YAML
needs PyYAML (the ``yaml`` extra, also in ``cli``): the core reads JSON only, so an embedding app
that plans in JSON pays for no YAML parser.

A leaf module: it imports nothing of tenantry's, so ``config`` can load the plan.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

TYPES = ("string", "integer", "number", "boolean", "array", "object", "null")
MODES = ("drop", "keep", "warn")
DEFAULT_MODE = "warn"
YAML_HINT = "pip install 'tenantry[yaml]'"

_PY_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "array": (list,),
    "object": (dict,),
    "null": (type(None),),
}
_TOP_KEYS = ("events", "unplanned", "version", "name", "description")
_EVENT_KEYS = ("properties", "description")
_PROPERTY_KEYS = ("type", "enum", "min", "max", "max_length", "required", "description")
_MAX_ENUM = 10_000


class PlanError(ValueError):
    """A plan that cannot be used; the message names the file, the line (YAML) and the place."""


@dataclass(frozen=True, slots=True, eq=False)
class PropertyRule:
    """What one planned property may hold. ``violation(value)`` is the hot path, compiled once
    (``_compile``): exact type checks against the coerced value (``str``, ``int``, ``float``,
    ``bool``, ``None``, ``dict``, ``list``), then enum, range, length; it returns the first
    rule broken (``wrong_type``, ``not_in_enum``, ``out_of_range``, ``too_long``) or None."""

    types: tuple[str, ...] = ()  # empty: any type
    enum: tuple[Any, ...] | None = None
    minimum: float | None = None
    maximum: float | None = None
    max_length: int | None = None
    required: bool = False
    description: str | None = None
    violation: Callable[[Any], str | None] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "violation", _compile(self))

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.types:
            out["type"] = self.types[0] if len(self.types) == 1 else list(self.types)
        if self.enum is not None:
            out["enum"] = list(self.enum)
        if self.minimum is not None:
            out["min"] = self.minimum
        if self.maximum is not None:
            out["max"] = self.maximum
        if self.max_length is not None:
            out["max_length"] = self.max_length
        if self.required:
            out["required"] = True
        if self.description:
            out["description"] = self.description
        return out


def _ok(value: Any) -> None:
    return None


def _compile(rule: PropertyRule) -> Callable[[Any], str | None]:
    """``rule``'s check as a closure over its precomputed sets (cheaper than attribute look-ups
    per call); a rule that only names types gets the shortest one."""
    types, enum, lo, hi, max_length = (
        rule.types,
        rule.enum,
        rule.minimum,
        rule.maximum,
        rule.max_length,
    )
    py = frozenset(t for name in types for t in _PY_TYPES[name]) if types else None
    integral = "integer" in types and "number" not in types  # 3.0 is an integer
    null_ok = "null" in types  # None needs no enum
    strings = frozenset(v for v in enum or () if type(v) is str)
    numbers = frozenset(v for v in enum or () if type(v) in (int, float))
    booleans = frozenset(v for v in enum or () if type(v) is bool)  # apart: True == 1

    if enum is None and lo is None and hi is None and max_length is None:
        if py is None:
            return _ok

        def typed(value: Any) -> str | None:
            tv = type(value)
            if tv in py or (integral and tv is float and value.is_integer()):
                return None
            return "wrong_type"

        return typed

    def listed(item: Any) -> bool:
        ti = type(item)
        if ti is str:
            return item in strings
        if ti is bool:
            return item in booleans
        if ti is int or ti is float:
            return item in numbers
        return False

    def check(value: Any) -> str | None:
        tv = type(value)
        if (
            py is not None
            and tv not in py
            and not (integral and tv is float and value.is_integer())
        ):
            return "wrong_type"
        if enum is not None and not (value is None and null_ok):
            if tv is str:
                if value not in strings:
                    return "not_in_enum"
            elif tv is list:
                for item in value:
                    if not listed(item):
                        return "not_in_enum"
            elif not listed(value):
                return "not_in_enum"
        if (tv is int or tv is float) and (
            (lo is not None and value < lo) or (hi is not None and value > hi)
        ):
            return "out_of_range"
        if max_length is not None and (tv is str or tv is list) and len(value) > max_length:
            return "too_long"
        return None

    return check


@dataclass(frozen=True, slots=True, eq=False)
class EventRule:
    """The planned properties of one event, and those it must carry."""

    properties: Mapping[str, PropertyRule]
    required: tuple[str, ...] = ()
    description: str | None = None


@dataclass(frozen=True, slots=True, eq=False)
class Plan:
    """A loaded, checked plan. ``source``: the file it came from, or ``"(argument)"``."""

    events: Mapping[str, EventRule]
    unplanned_events: str = DEFAULT_MODE
    unplanned_properties: str = DEFAULT_MODE
    source: str = "(argument)"

    def __repr__(self) -> str:
        return f"Plan({self.source!r}, {len(self.events)} events)"

    def summary(self) -> dict[str, Any]:
        """For status output: the file, the planned events, the unplanned modes."""
        return {
            "file": self.source,
            "events": len(self.events),
            "unplanned": {"events": self.unplanned_events, "properties": self.unplanned_properties},
        }

    def to_dict(self) -> dict[str, Any]:
        """The plan as a file would hold it (``load_plan(plan.to_dict())`` is the same plan)."""
        events: dict[str, Any] = {}
        for name, rule in self.events.items():
            spec: dict[str, Any] = {}
            if rule.description:
                spec["description"] = rule.description
            spec["properties"] = {k: r.to_dict() for k, r in rule.properties.items()}
            events[name] = spec
        return {
            "unplanned": {"events": self.unplanned_events, "properties": self.unplanned_properties},
            "events": events,
        }


# -- loading -----------------------------------------------------------------------------------


def load_plan(source: Any) -> Plan:
    """A ``Plan`` from a file path (``.json``, ``.yaml``/``.yml``; another suffix: JSON when the
    text starts with ``{``, else YAML), a mapping, or a ``Plan`` (returned as it is). Raises
    ``PlanError``."""
    if isinstance(source, Plan):
        return source
    if isinstance(source, Mapping):
        return compile_plan(source)
    if not isinstance(source, str | os.PathLike):
        raise PlanError(f"expected a file path or a dict, got {type(source).__name__}")
    path = Path(source)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PlanError(f"{path}: cannot read the plan: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise PlanError(f"{path}: not UTF-8 text") from None
    suffix = path.suffix.lower()
    as_json = suffix == ".json" or (
        suffix not in (".yaml", ".yml") and text.lstrip().startswith("{")
    )
    if as_json:
        try:
            data = orjson.loads(text)
        except orjson.JSONDecodeError as exc:
            raise PlanError(f"{path}, line {exc.lineno}: not valid JSON: {exc.msg}") from None
        return compile_plan(data, source=str(path))
    data, lines = _load_yaml(text, path)
    return compile_plan(data, source=str(path), lines=lines)


def _load_yaml(text: str, path: Path) -> tuple[Any, dict[tuple[str, ...], int]]:
    """The document, and the line of each mapping key's path (for the error messages)."""
    try:
        import yaml
    except ImportError:
        raise PlanError(
            f"{path} is YAML, which needs PyYAML: {YAML_HINT} (or write the plan as JSON)"
        ) from None
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        lines: dict[tuple[str, ...], int] = {}
        if node is not None:
            _node_lines(node, (), lines, path)
        return yaml.safe_load(text), lines
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f", line {mark.line + 1}" if mark is not None else ""
        raise PlanError(f"{path}{where}: not valid YAML: {exc.problem or exc}") from None
    except yaml.YAMLError as exc:
        raise PlanError(f"{path}: not valid YAML: {exc}") from None


def _node_lines(node: Any, at: tuple[str, ...], lines: dict, path: Path) -> None:
    import yaml

    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key, value in node.value:
            name = str(key.value)
            if name in seen:
                where = ".".join((*at, name))
                raise PlanError(f"{path}, line {key.start_mark.line + 1}: {where}: duplicate key")
            seen.add(name)
            lines[(*at, name)] = key.start_mark.line + 1
            _node_lines(value, (*at, name), lines, path)


class _Where:
    """Error messages that name the source, the line (YAML) and the place in the plan."""

    def __init__(self, source: str | None, lines: Mapping[tuple[str, ...], int]) -> None:
        self.source = source
        self.lines = lines

    def fail(self, at: tuple[str, ...], problem: str) -> PlanError:
        head = self.source or ""
        line = next(
            (self.lines[at[:n]] for n in range(len(at), 0, -1) if at[:n] in self.lines), None
        )
        if line is not None:
            head = f"{head}, line {line}" if head else f"line {line}"
        return PlanError(": ".join([p for p in (head, ".".join(at)) if p] + [problem]))


def compile_plan(
    data: Any, *, source: str | None = None, lines: Mapping[tuple[str, ...], int] | None = None
) -> Plan:
    """Check ``data`` (a plan as parsed) and compile it. Raises ``PlanError``."""
    where = _Where(source, lines or {})
    if not isinstance(data, Mapping):
        raise where.fail((), "a plan is a mapping with an 'events' key")
    _known_keys(data, _TOP_KEYS, (), where)
    events_mode, properties_mode = _modes(data.get("unplanned"), where)
    events = data.get("events")
    if not isinstance(events, Mapping):
        raise where.fail(("events",), "expected a mapping of event names to their properties")
    compiled = {}
    for name, spec in events.items():
        at = ("events", str(name))
        if not isinstance(name, str) or not name.strip():
            raise where.fail(at, "an event name is non-empty text (quote it in YAML)")
        compiled[name] = _event(spec, at, where)
    return Plan(compiled, events_mode, properties_mode, source or "(argument)")


def _known_keys(spec: Mapping, known: tuple[str, ...], at: tuple[str, ...], where: _Where) -> None:
    for key in spec:
        if key not in known:
            raise where.fail((*at, str(key)), f"unknown key; known: {', '.join(known)}")


def _modes(value: Any, where: _Where) -> tuple[str, str]:
    at = ("unplanned",)
    if value is None:
        return DEFAULT_MODE, DEFAULT_MODE
    if isinstance(value, str):
        return _mode(value, at, where), _mode(value, at, where)
    if not isinstance(value, Mapping):
        raise where.fail(at, "expected drop, keep, warn, or {events: ..., properties: ...}")
    _known_keys(value, ("events", "properties"), at, where)
    return (
        _mode(value.get("events", DEFAULT_MODE), (*at, "events"), where),
        _mode(value.get("properties", DEFAULT_MODE), (*at, "properties"), where),
    )


def _mode(value: Any, at: tuple[str, ...], where: _Where) -> str:
    if value not in MODES:
        raise where.fail(at, f"expected one of {', '.join(MODES)}, got {value!r}")
    return value


def _event(spec: Any, at: tuple[str, ...], where: _Where) -> EventRule:
    if spec is None:
        return EventRule({})
    if not isinstance(spec, Mapping):
        raise where.fail(at, "expected a mapping with 'properties' (or nothing)")
    _known_keys(spec, _EVENT_KEYS, at, where)
    props = spec.get("properties") or {}
    if not isinstance(props, Mapping):
        raise where.fail((*at, "properties"), "expected a mapping of property names to rules")
    rules = {}
    for name, rule in props.items():
        p_at = (*at, "properties", str(name))
        if not isinstance(name, str) or not name:
            raise where.fail(p_at, "a property name is non-empty text (quote it in YAML)")
        rules[name] = _property(rule, p_at, where)
    return EventRule(
        rules,
        tuple(k for k, r in rules.items() if r.required),
        _description(spec, at, where),
    )


def _property(spec: Any, at: tuple[str, ...], where: _Where) -> PropertyRule:
    if spec is None:
        return PropertyRule()
    if isinstance(spec, str | list):
        spec = {"type": spec}
    if not isinstance(spec, Mapping):
        raise where.fail(at, "expected a type name or a mapping of rules")
    _known_keys(spec, _PROPERTY_KEYS, at, where)
    types = _types(spec.get("type"), (*at, "type"), where)
    enum = _enum(spec.get("enum"), types, (*at, "enum"), where)
    lo = _bound(spec, "min", types, at, where)
    hi = _bound(spec, "max", types, at, where)
    if lo is not None and hi is not None and lo > hi:
        raise where.fail((*at, "min"), f"min {lo} is above max {hi}")
    max_length = spec.get("max_length")
    if max_length is not None:
        if type(max_length) is not int or max_length < 0:
            raise where.fail((*at, "max_length"), f"expected an integer >= 0, got {max_length!r}")
        if types and not {"string", "array"} & set(types):
            raise where.fail((*at, "max_length"), "max_length applies to strings and arrays")
    required = spec.get("required", False)
    if type(required) is not bool:
        raise where.fail((*at, "required"), f"expected true or false, got {required!r}")
    return PropertyRule(
        types=types,
        enum=enum,
        minimum=lo,
        maximum=hi,
        max_length=max_length,
        required=required,
        description=_description(spec, at, where),
    )


def _types(value: Any, at: tuple[str, ...], where: _Where) -> tuple[str, ...]:
    if value is None:
        return ()
    names = [value] if isinstance(value, str) else value
    if not isinstance(names, list) or not names:
        raise where.fail(at, "expected a type name or a non-empty list of them")
    for name in names:
        if name not in TYPES:
            raise where.fail(at, f"unknown type {name!r}; one of {', '.join(TYPES)}")
    return tuple(dict.fromkeys(names))


def _enum(value: Any, types: tuple[str, ...], at: tuple[str, ...], where: _Where) -> tuple | None:
    if value is None:
        return None
    if not isinstance(value, list) or not value:
        raise where.fail(at, "expected a non-empty list of values")
    if len(value) > _MAX_ENUM:
        raise where.fail(at, f"more than {_MAX_ENUM} values")
    if types and not {"string", "integer", "number", "boolean", "array"} & set(types):
        raise where.fail(at, "enum applies to strings, numbers, booleans and array items")
    allowed = set(types) - {"array", "null"} if "array" not in types else None
    for item in value:
        kind = _scalar_type(item)
        if kind is None:
            raise where.fail(at, f"{item!r}: enum values are strings, numbers or booleans")
        if allowed and kind not in allowed and not (kind == "integer" and "number" in allowed):
            hint = (
                " (YAML reads unquoted yes/no/on/off as booleans: quote them)"
                if kind == "boolean" and "string" in allowed
                else ""
            )
            raise where.fail(at, f"{item!r} is not {' or '.join(sorted(allowed))}{hint}")
    return tuple(dict.fromkeys(value))


def _scalar_type(value: Any) -> str | None:
    tv = type(value)
    if tv is str:
        return "string"
    if tv is bool:
        return "boolean"
    if tv is int:
        return "integer"
    if tv is float and math.isfinite(value):
        return "integer" if value.is_integer() else "number"
    return None


def _bound(
    spec: Mapping, key: str, types: tuple[str, ...], at: tuple[str, ...], where: _Where
) -> float | None:
    value = spec.get(key)
    if value is None:
        return None
    if type(value) not in (int, float) or not math.isfinite(value):
        raise where.fail((*at, key), f"expected a number, got {value!r}")
    if types and not {"integer", "number"} & set(types):
        raise where.fail((*at, key), f"{key} applies to integers and numbers")
    return value


def _description(spec: Mapping, at: tuple[str, ...], where: _Where) -> str | None:
    value = spec.get("description")
    if value is not None and not isinstance(value, str):
        raise where.fail((*at, "description"), "expected text")
    return value


# -- writing ------------------------------------------------------------------------------------


def dump_plan(data: Mapping[str, Any], fmt: str) -> str:
    """A plan dict as a file's text: ``fmt`` ``"json"`` (core) or ``"yaml"`` (PyYAML)."""
    if fmt == "json":
        return orjson.dumps(data, option=orjson.OPT_INDENT_2).decode() + "\n"
    try:
        import yaml
    except ImportError:
        raise PlanError(f"writing YAML needs PyYAML: {YAML_HINT} (or use --format json)") from None
    return yaml.safe_dump(dict(data), sort_keys=False, allow_unicode=True, width=100)
