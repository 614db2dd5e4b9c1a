"""Thread-safe named counters, the numbers behind ``get_status()``.

Drops are counted as ``dropped`` in total and by reason under ``drops`` (``queue_full``,
``shutdown``, ``rejected:<why>``, ``suppressed``, ...). [Vector; OpenTelemetry dropped counts]
"""

from __future__ import annotations

import threading
from collections import Counter


class Counters:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values: Counter[str] = Counter()
        self._drops: Counter[str] = Counter()

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

    def get(self, name: str) -> int:
        with self._lock:
            return self._values[name]

    def snapshot(self) -> dict[str, object]:
        with self._lock:
            out: dict[str, object] = dict(self._values)
            out["drops"] = dict(self._drops)
            return out
