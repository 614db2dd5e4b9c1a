"""A small thread-safe LRU cache whose entries expire after ``ttl`` seconds.

Used for API key, session and end-user lookups and for profile enrichment: a warm hit is one lock,
one dict lookup and one clock read (about a microsecond).

For credentials shared across replicas (``TENANTRY_REDIS_URL``) the cache can be *suspended*
(nothing is read from or kept in it: every lookup goes to the database) while the revocation
channel is not known to be alive, and ``invalidate`` drops a revoked entry. A lookup that read
the database before an ``invalidate`` must not cache what it read: it passes the ``generation``
it started from to ``set``, which ignores it when an invalidation happened since.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Hashable
from typing import Any

_MISSING = object()


class TTLCache:
    """LRU with a per-entry deadline; ``get`` returns ``default`` for missing or expired keys."""

    __slots__ = ("ttl", "maxsize", "generation", "_data", "_lock", "_clock", "_suspended")

    def __init__(self, ttl: float, maxsize: int = 10_000) -> None:
        if ttl < 0 or maxsize < 1:
            raise ValueError("ttl must be >= 0 and maxsize >= 1")
        self.ttl = float(ttl)
        self.maxsize = maxsize
        self._data: OrderedDict[Hashable, tuple[float, Any]] = OrderedDict()
        self._lock = threading.Lock()
        self._clock = time.monotonic
        self._suspended = False
        self.generation = 0  # bumped by every invalidate, suspend and resume

    def get(self, key: Hashable, default: Any = None) -> Any:
        if self._suspended:
            return default
        with self._lock:
            entry = self._data.get(key, _MISSING)
            if entry is _MISSING:
                return default
            if entry[0] <= self._clock():
                del self._data[key]
                return default
            self._data.move_to_end(key)
            return entry[1]

    def set(
        self, key: Hashable, value: Any, ttl: float | None = None, *, generation: int | None = None
    ) -> None:
        """Keep ``value``; with ``generation`` (read before the lookup), only when nothing was
        invalidated since."""
        if self.ttl == 0 or self._suspended:
            return
        deadline = self._clock() + (self.ttl if ttl is None else min(ttl, self.ttl))
        with self._lock:
            if self._suspended or (generation is not None and generation != self.generation):
                return
            self._data[key] = (deadline, value)
            self._data.move_to_end(key)
            while len(self._data) > self.maxsize:
                self._data.popitem(last=False)

    def pop(self, key: Hashable) -> None:
        with self._lock:
            self._data.pop(key, None)

    def invalidate(self, key: Hashable) -> None:
        """Drop ``key`` (revoked elsewhere); lookups already under way will not cache it."""
        with self._lock:
            self.generation += 1
            self._data.pop(key, None)

    def suspend(self) -> None:
        """Stop serving and keeping entries until ``resume`` (revocations may be missed)."""
        with self._lock:
            self._suspended = True
            self.generation += 1
            self._data.clear()

    def resume(self) -> None:
        """Serve entries again, starting empty."""
        with self._lock:
            self.generation += 1
            self._data.clear()
            self._suspended = False

    @property
    def suspended(self) -> bool:
        return self._suspended

    def clear(self) -> None:
        with self._lock:
            self._data.clear()

    def __len__(self) -> int:
        return len(self._data)
