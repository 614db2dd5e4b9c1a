"""Dedup by uuid before an insert: ``first_seen(uuids) -> list[bool]``.

At-least-once delivery re-sends events (retries, spool replays, relays). A store that counts
rows (ClickHouse's rollup tables) must not see the second copy, so writers ask first:

    dedup = LocalDedup(200_000)            # at most 200,000 uuids, each for DEDUP_WINDOW s
    dedup.first_seen(["a", "b", "a"])      # [True, True, False]
    dedup.first_seen(["b", "c"])           # [False, True]
    dedup.forget(["c"])                    # the insert of "c" failed: let a retry through

``LocalDedup`` is this process's own bounded window; a Redis implementation with the same
method shares the window across replicas (``TENANTRY_REDIS_URL``). Both windows are in seconds
(``window``, ``DEDUP_WINDOW`` by default); the local one is also bounded in uuids. ``forget`` is optional: a
writer calls it, when present, for uuids whose insert failed, so the retry is not taken for a
duplicate. A uuid older than the window, or seen by another process without a shared window,
gets through; ``tenantry maintenance dedupe`` repairs those.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Protocol

#: seconds a uuid is remembered, in every dedup (RedisDedup's and LocalDedup's ``window``)
DEDUP_WINDOW = 900.0
DEFAULT_MAX_UUIDS = 200_000  # uuids remembered per process at most: ~20 MB


class Dedup(Protocol):
    def first_seen(self, uuids: Sequence[str]) -> list[bool]:
        """One flag per uuid, in order: True the first time it is seen (also within the call),
        False after; marks them seen."""
        ...


class LocalDedup:
    """This process's window: a uuid is remembered for at least ``window`` seconds (at most
    twice that), as in ``RedisDedup``, and at most ``max_uuids`` are held (the most recent half
    always), so memory stays bounded whatever the rate. Two generations of sets: lookups and
    inserts are set operations, and a generation is dropped whole once it is ``window`` seconds
    old or half full. ``window=None``: only the count bounds it. Thread-safe."""

    def __init__(
        self,
        max_uuids: int = DEFAULT_MAX_UUIDS,
        *,
        window: float | None = DEDUP_WINDOW,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if max_uuids < 2:
            raise ValueError("a dedup window holds at least 2 uuids")
        if window is not None and window <= 0:
            raise ValueError("a dedup window lasts more than 0 seconds")
        self.max_uuids = max_uuids
        self.window = window
        self._clock = clock
        self._half = max_uuids // 2
        self._current: set[str] = set()
        self._previous: set[str] = set()
        self._since = clock()  # when the current generation began
        self._lock = threading.Lock()

    def _age(self) -> None:
        """Drop what is past the window: the current generation becomes the previous one once
        it is ``window`` old (both go once it is twice that). Lock held."""
        if self.window is None:
            return
        elapsed = self._clock() - self._since
        if elapsed >= self.window:
            self._previous = self._current if elapsed < 2 * self.window else set()
            self._current = set()
            self._since = self._clock()

    def first_seen(self, uuids: Sequence[str]) -> list[bool]:
        out = []
        with self._lock:
            self._age()
            current, previous = self._current, self._previous
            for uid in uuids:
                if uid in current or uid in previous:
                    out.append(False)
                    continue
                out.append(True)
                current.add(uid)
                if len(current) >= self._half:
                    self._previous, self._current = current, set()
                    self._since = self._clock()
                    current, previous = self._current, self._previous
        return out

    def seen(self, uuids: Sequence[str]) -> list[bool]:
        """One flag per uuid: True when it is in the window. Marks nothing: with ``mark`` a
        caller can mark only once the events are safe (spooled), so a crash in between costs a
        duplicate (which the stores remove), never a loss."""
        with self._lock:
            self._age()
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
