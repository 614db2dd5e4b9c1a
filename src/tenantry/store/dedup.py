"""Dedup by uuid before an insert: ``first_seen(uuids) -> list[bool]``.

At-least-once delivery re-sends events (retries, spool replays, relays). A store that counts
rows (ClickHouse's rollup tables) must not see the second copy, so writers ask first:

    dedup = LocalDedup(200_000)
    dedup.first_seen(["a", "b", "a"])      # [True, True, False]
    dedup.first_seen(["b", "c"])           # [False, True]
    dedup.forget(["c"])                    # the insert of "c" failed: let a retry through

``LocalDedup`` is this process's own bounded window; a Redis implementation with the same
method shares the window across replicas (``TENANTRY_REDIS_URL``). ``forget`` is optional: a
writer calls it, when present, for uuids whose insert failed, so the retry is not taken for a
duplicate. A uuid older than the window, or seen by another process without a shared window,
gets through; ``tenantry maintenance dedupe`` repairs those.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from typing import Protocol

DEFAULT_WINDOW = 200_000  # uuids remembered per process: ~20 MB


class Dedup(Protocol):
    def first_seen(self, uuids: Sequence[str]) -> list[bool]:
        """One flag per uuid, in order: True the first time it is seen (also within the call),
        False after; marks them seen."""
        ...


class LocalDedup:
    """The last ``size`` uuids (at least ``size // 2``), in two generations of sets: lookups and
    inserts are set operations, and a full generation is dropped whole. Thread-safe."""

    def __init__(self, size: int = DEFAULT_WINDOW) -> None:
        if size < 2:
            raise ValueError("a dedup window holds at least 2 uuids")
        self.size = size
        self._half = size // 2
        self._current: set[str] = set()
        self._previous: set[str] = set()
        self._lock = threading.Lock()

    def first_seen(self, uuids: Sequence[str]) -> list[bool]:
        out = []
        with self._lock:
            current, previous = self._current, self._previous
            for uid in uuids:
                if uid in current or uid in previous:
                    out.append(False)
                    continue
                out.append(True)
                current.add(uid)
                if len(current) >= self._half:
                    self._previous, self._current = current, set()
                    current, previous = self._current, self._previous
        return out

    def seen(self, uuids: Sequence[str]) -> list[bool]:
        """One flag per uuid: True when it is in the window. Marks nothing: with ``mark`` a
        caller can mark only once the events are safe (spooled), so a crash in between costs a
        duplicate (which the stores remove), never a loss."""
        with self._lock:
            return [uid in self._current or uid in self._previous for uid in uuids]

    def mark(self, uuids: Sequence[str]) -> None:
        """Remember ``uuids`` as seen."""
        self.first_seen(uuids)

    def forget(self, uuids: Iterable[str]) -> None:
        """Unmark ``uuids`` (their insert failed; a retry must get through)."""
        with self._lock:
            for uid in uuids:
                self._current.discard(uid)
                self._previous.discard(uid)

    def __len__(self) -> int:
        return len(self._current) + len(self._previous)
