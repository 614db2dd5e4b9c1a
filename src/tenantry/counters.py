"""Thread-safe named counters, the numbers behind ``get_status()``.

Drops are counted as ``dropped`` in total and by reason under ``drops`` (``queue_full``,
``shutdown``, ``rejected:<why>``, ``suppressed``, ...). [Vector; OpenTelemetry dropped counts]

Tables count by a key made of names from outside (the tracking plan's violations by event,
property and kind): each is bounded, so a stream of new names cannot grow memory; keys beyond
the bound are counted under ``OTHER``.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Hashable, Iterable

OTHER = "(other)"  # a table's key for whatever came after its bound


class Counters:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values: Counter[str] = Counter()
        self._drops: Counter[str] = Counter()
        self._tables: dict[str, Counter[Hashable]] = {}

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
        """Count ``n`` events dropped for ``reason``."""
        with self._lock:
            self._values["dropped"] += n
            self._drops[reason] += n

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
