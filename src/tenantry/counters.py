"""Thread-safe named counters, the numbers behind ``get_status()``.

Drops are counted as ``dropped`` in total and by reason under ``drops`` (``queue_full``,
``shutdown``, ``rejected:<why>``, ``suppressed``, ...). [Vector; OpenTelemetry dropped counts]

A drop is also counted as ``lost`` unless its reason is one of ``NOT_LOST``: the policy doing
what it was asked (a forgotten person, a nameless event, a sampled-out one), or an event that was
never accepted (``resolve_failed``: the ASGI middleware could not tell whose request it was), not
delivery failing. ``flush()`` is True only while nothing was lost.

Reasons are bounded: a destination that rejects each event with a reason of its own (a vendor's
message, say) must not grow one key per event. Each family of reasons (the part before ``:``,
``rejected`` in ``rejected:http_400``) keeps at most ``MAX_REASONS`` names; later names of that
family are counted under ``<family>:other``. Each reason is cut at ``MAX_REASON`` characters.

Tables count by a key made of names from outside (the tracking plan's violations by event,
property and kind): each is bounded, so a stream of new names cannot grow memory; keys beyond
the bound are counted under ``OTHER``.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Hashable, Iterable

OTHER = "(other)"  # a table's key for whatever came after its bound

#: drops that are the caller's or the operator's choice carried out, or of events never accepted
NOT_LOST = frozenset(
    {
        "suppressed",
        "invalid_event_name",
        "sampled",
        "before_send",
        "duplicate",
        "unplanned_event",  # a tracking plan with `unplanned: {events: drop}`
        "resolve_failed",
        "invalid_facts",  # record_request/record_task given something else: never accepted
    }
)
MAX_REASONS = 32  # distinct names per family of reasons
MAX_REASON = 100  # characters of one reason


def bounded_key(table: dict[str, object], reason: str, families: Counter[str]) -> str:
    """``reason`` as ``table`` may gain it: itself while its family has fewer than
    ``MAX_REASONS`` names (``families`` counts them, updated here), else ``<family>:other``."""
    reason = reason[:MAX_REASON]
    if reason in table:
        return reason
    family, sep, _ = reason.partition(":")
    if families[family] >= MAX_REASONS:
        return f"{family}:other" if sep else "other"
    families[family] += 1
    return reason


class Counters:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values: Counter[str] = Counter()
        self._drops: Counter[str] = Counter()
        self._tables: dict[str, Counter[Hashable]] = {}
        self._families: Counter[str] = Counter()

    def incr(self, name: str, n: int = 1) -> None:
        with self._lock:
            self._values[name] += n

    def incr_many(self, counts: dict[str, int]) -> None:
        """``incr`` for several names at once, under one lock."""
        with self._lock:
            values = self._values
            for name, n in counts.items():
                values[name] += n

    def drop(self, reason: str, n: int = 1) -> None:
        """Count ``n`` events dropped for ``reason`` (and ``lost``, unless it is ``NOT_LOST``)."""
        with self._lock:
            self._values["dropped"] += n
            if reason not in NOT_LOST:
                self._values["lost"] += n
            self._drops[bounded_key(self._drops, reason, self._families)] += n

    def tally(
        self,
        table: str,
        keys: Iterable[Hashable],
        *,
        limit: int = 1000,
        total: str | None = None,
    ) -> None:
        """Count each of ``keys`` once in ``table`` (and in the counter ``total``, when named);
        past ``limit`` distinct keys, new ones are counted under ``OTHER``."""
        with self._lock:
            counts = self._tables.get(table)
            if counts is None:
                counts = self._tables[table] = Counter()
            n = 0
            for key in keys:
                if key not in counts and len(counts) >= limit:
                    key = OTHER
                counts[key] += 1
                n += 1
            if total is not None:
                self._values[total] += n

    def table(self, table: str) -> dict[Hashable, int]:
        """A copy of ``table``'s counts (empty when nothing was counted there)."""
        with self._lock:
            return dict(self._tables.get(table, ()))

    def get(self, name: str) -> int:
        with self._lock:
            return self._values[name]

    def snapshot(self) -> dict[str, object]:
        with self._lock:
            out: dict[str, object] = dict(self._values)
            out["drops"] = dict(self._drops)
            return out
