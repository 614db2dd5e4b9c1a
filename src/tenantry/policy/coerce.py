"""Whatever the caller passed, made JSON-safe without raising (``orjson.dumps`` always works).

- ``str`` stays (cut at ``max_string``); ``bool``/``None`` stay; ``int`` stays within 64 bits,
  else becomes its decimal string; ``float``/``Decimal`` stay when finite, else the key is dropped.
- ``Enum`` -> its value; ``datetime``/``date``/``time`` -> ISO 8601; ``timedelta`` -> seconds;
  ``int``/``float``/``Decimal`` subclasses -> the number.
- mappings -> ``dict`` with ``str`` keys, at most ``max_keys`` of them; lists, tuples, sets ->
  ``list`` of at most ``max_items``; nesting deeper than ``max_depth`` and reference cycles are
  dropped.
- objects whose text is made, not held, in cloud: ``bytes`` -> UTF-8 text (bad bytes
  replaced), ``UUID``/paths -> ``str``, ``str`` subclasses -> the text they hold, anything
  else -> its ``repr`` (cut short). In opensource none of them is ever turned into text (a
  ``__str__``/``__repr__``, a path, bytes could carry anything): they are dropped, as keys too;
  a ``str`` subclass stays only when it shows the text it holds (no ``__str__``/``__repr__`` of
  its own).

Every cut is counted (``truncated_strings``, ``capped_keys``, ``capped_depth``, ``cycles``,
``non_finite_numbers``, ``dropped_objects``). The caller's objects are never modified: every
container in the output is new.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from enum import Enum
from itertools import islice
from pathlib import PurePath
from typing import Any
from uuid import UUID

from tenantry.counters import Counters

DROP: Any = object()  # sentinel: leave this value out
_INT_MIN, _INT_MAX = -(2**63), 2**64 - 1
_CONTAINERS = (Mapping, list, tuple, set, frozenset)


class CoerceProperties:
    """Processor: ``draft["properties"]`` becomes a fresh JSON-safe ``dict``."""

    def __init__(
        self,
        counters: Counters,
        *,
        keep_objects: bool,
        max_depth: int = 8,
        max_keys: int = 256,
        max_items: int = 256,
        max_string: int = 8192,
        max_key: int = 256,
    ) -> None:
        if min(max_depth, max_keys, max_items, max_string, max_key) < 1:
            raise ValueError("coercion limits must be positive")
        self.counters = counters
        self.keep_objects = keep_objects
        self.max_depth = max_depth
        self.max_keys = max_keys
        self.max_items = max_items
        self.max_string = max_string
        self.max_key = max_key

    def __call__(self, draft: dict) -> dict:
        props = draft.get("properties")
        if type(props) is dict:
            flat = self._flat(props)
            if flat is not None:
                draft["properties"] = flat
                return draft
        tally: dict[str, int] = {}
        if props is None:
            draft["properties"] = {}
        elif type(props) is dict or isinstance(props, Mapping):
            draft["properties"] = self._dict(props, 1, set(), tally)
        else:
            draft["properties"] = {}
            tally["invalid_properties"] = 1
        if tally:
            for reason, n in tally.items():
                self.counters.incr(reason, n)
        return draft

    def coerce(self, value: Any) -> Any:
        """One value, coerced alone (``DROP`` when it would be left out). For tests and tools."""
        return self._value(value, 1, set(), {})

    # -- the walk ------------------------------------------------------------------------------
    def _flat(self, d: dict) -> dict | None:
        """The usual event, without the walk: a copy of ``d`` when every key is a ``str`` within
        ``max_key`` and every value a ``str`` within ``max_string``, a bool, None, an int of 64
        bits or a finite float (at most ``max_keys`` of them); else None."""
        if len(d) > self.max_keys:
            return None
        max_string, max_key = self.max_string, self.max_key
        for k, v in d.items():
            if type(k) is not str or len(k) > max_key:
                return None
            tv = type(v)
            if tv is str:
                if len(v) > max_string:
                    return None
            elif not (
                tv is bool
                or v is None
                or (tv is int and _INT_MIN <= v <= _INT_MAX)
                or (tv is float and v - v == 0.0)  # finite: inf - inf and nan - nan are nan
            ):
                return None
        return d.copy()

    def _dict(self, d: Mapping, depth: int, seen: set[int], tally: dict[str, int]) -> dict:
        out: dict[str, Any] = {}
        seen.add(id(d))
        items = d.items()
        if len(d) > self.max_keys:
            tally["capped_keys"] = tally.get("capped_keys", 0) + 1
            items = islice(items, self.max_keys)
        for k, v in items:
            if type(k) is not str:
                k = self._key(k)
                if k is DROP:
                    tally["dropped_objects"] = tally.get("dropped_objects", 0) + 1
                    continue
            elif len(k) > self.max_key:
                k = k[: self.max_key]
            tv = type(v)
            if tv is str:
                out[k] = v if len(v) <= self.max_string else self._cut(v, tally)
            elif (
                tv is bool
                or v is None
                or (tv is int and _INT_MIN <= v <= _INT_MAX)
                or (tv is float and v - v == 0.0)  # finite: inf - inf and nan - nan are nan
            ):
                out[k] = v
            else:
                v = self._value(v, depth, seen, tally)
                if v is not DROP:
                    out[k] = v
        seen.discard(id(d))
        return out

    def _list(self, seq: Any, depth: int, seen: set[int], tally: dict[str, int]) -> list:
        if isinstance(seq, set | frozenset):
            try:
                seq = sorted(seq)
            except Exception:  # unorderable members
                seq = list(seq)
        out = []
        seen.add(id(seq))
        if len(seq) > self.max_items:
            tally["capped_items"] = tally.get("capped_items", 0) + 1
        for v in islice(seq, self.max_items):
            v = self._value(v, depth, seen, tally)
            if v is not DROP:
                out.append(v)
        seen.discard(id(seq))
        return out

    def _value(self, v: Any, depth: int, seen: set[int], tally: dict[str, int]) -> Any:
        tv = type(v)
        if tv is str:
            return v if len(v) <= self.max_string else self._cut(v, tally)
        if tv is bool or v is None:
            return v
        if tv is int:
            if _INT_MIN <= v <= _INT_MAX:
                return v
            try:
                return self._value(str(v), depth, seen, tally)
            except ValueError:  # more digits than Python will print
                return self._object(v, tally)
        if tv is float:
            if math.isfinite(v):
                return v
            tally["non_finite_numbers"] = tally.get("non_finite_numbers", 0) + 1
            return DROP
        if tv is dict or tv is list or tv is tuple or isinstance(v, _CONTAINERS):
            if id(v) in seen:
                tally["cycles"] = tally.get("cycles", 0) + 1
                return DROP
            if depth >= self.max_depth:
                tally["capped_depth"] = tally.get("capped_depth", 0) + 1
                return DROP
            if tv is dict or (tv is not list and tv is not tuple and isinstance(v, Mapping)):
                return self._dict(v, depth + 1, seen, tally)
            return self._list(v, depth + 1, seen, tally)
        if isinstance(v, Enum):
            return self._value(v.value, depth, seen, tally)
        if isinstance(v, str):
            if not self.keep_objects and shows_other_text(v):
                return self._object(v, tally)
            return self._value(str.__str__(v), depth, seen, tally)
        if isinstance(v, int):  # subclasses of int (bool is handled above)
            return self._value(int(v), depth, seen, tally)
        if isinstance(v, float | Decimal):
            try:
                f = float(v)
            except (ValueError, OverflowError):
                f = math.nan
            return self._value(f, depth, seen, tally)
        if isinstance(v, datetime | date | time):
            return v.isoformat()
        if isinstance(v, timedelta):
            return v.total_seconds()
        if not self.keep_objects:
            return self._object(v, tally)
        if isinstance(v, bytes | bytearray | memoryview):
            text = bytes(v[: self.max_string * 4]).decode("utf-8", "replace")
            return self._value(text, depth, seen, tally)
        if isinstance(v, UUID | PurePath):
            return str(v)
        return self._object(v, tally)

    def _key(self, k: Any) -> Any:
        if isinstance(k, str):
            if not self.keep_objects and shows_other_text(k):
                return DROP
            k = str.__str__(k)
        elif k is None:
            k = "null"
        elif isinstance(k, bool):
            k = "true" if k else "false"
        elif isinstance(k, Enum):
            return self._key(k.value)
        elif isinstance(k, int | float | Decimal):
            k = str(k)
        elif not self.keep_objects:
            return DROP
        elif isinstance(k, UUID):
            k = str(k)
        elif isinstance(k, bytes):
            k = k.decode("utf-8", "replace")
        else:
            k = self._object(k, {})
            if k is DROP:
                return DROP
        return k[: self.max_key]

    def _object(self, v: Any, tally: dict[str, int]) -> Any:
        reason = "repr_objects" if self.keep_objects else "dropped_objects"
        tally[reason] = tally.get(reason, 0) + 1
        if not self.keep_objects:
            return DROP
        try:
            text = repr(v)
        except Exception:
            return f"<{type(v).__name__}>"
        if type(text) is not str:
            return f"<{type(v).__name__}>"
        return text[: min(self.max_string, 256)]

    def _cut(self, s: str, tally: dict[str, int]) -> str:
        tally["truncated_strings"] = tally.get("truncated_strings", 0) + 1
        return s[: self.max_string]


def shows_other_text(value: str) -> bool:
    """A ``str`` subclass that shows other text than it holds (its own ``__str__``/``__repr__``)."""
    cls = type(value)
    return cls.__str__ is not str.__str__ or cls.__repr__ is not str.__repr__
