"""The calls waiting for the worker, held to a byte budget (``TELEMETRY_QUEUE_MAX_BYTES``).

Memory in a burst is mostly calls the worker has not shaped yet: ``track()`` costs the caller
well under a microsecond and shaping costs the worker about ten, so 100,000 calls in a tight
loop leave most of them waiting. Each stage is held to the budget, with back-pressure between
them:

    track() -> queue (raw calls) -> compacted chunks -> worker shapes -> one buffer per sender
               ~390 B/call          ~60 B/call                             ~600 B/event

- ``Budget.used`` is one number for every stage: the caller adds a cheap estimate of its call
  (``call_bytes``: no JSON, no walk over values), the worker and the senders move and subtract
  it. ``track()`` drops a new call, counted ``queue_bytes``, while it is over the budget.
- While the queue is longer than ``compact_at`` (the worker has fallen behind), the worker packs
  calls into ``marshal`` chunks of ``chunk`` calls: about 0.25 us per call, a sixth of the
  memory, exact size. A call ``marshal`` cannot take (a datetime, an identity object, a str
  subclass) stays as it is in its chunk. The chunks are shaped oldest first.
- The worker shapes only as fast as the senders send (see ``Sender.over_soft_limit``), so the
  backlog waits in its compact form, not as shaped events.
- With an ``Overflow`` (``TELEMETRY_WHEN_FULL=overflow``), a chunk packed while the budget is
  above ``spill_at`` goes to disk and only a small reference (``SPILLED_BYTES``) stays in its
  place in ``_chunks``: the order of the calls never changes, and a burst larger than memory
  waits on disk instead of being dropped.

How well the estimate matches what is really allocated is measured, not assumed:
``tests/pipeline/test_memory.py`` compares ``Budget.used`` with ``tracemalloc`` at each stage.

``Budget.used`` is written from several threads without a lock: ``x.used += n`` on an int has no
point where CPython (3.11-3.13, with the GIL) switches threads between the read and the write
(no call, no backward jump, no allocation the garbage collector tracks), so no update is lost.
"""

from __future__ import annotations

import marshal
from collections import deque
from typing import Any

from tenantry.counters import Counters
from tenantry.pipeline.intake import ACCEPTED_AT, PROPERTIES, Call
from tenantry.pipeline.overflow import Overflow, Spilled

# Measured with tracemalloc (CPython 3.11): a call's tuple, its clock reading and deque slot,
# an empty dict copy and a fresh ID string come to ~270 B; a dict copy grows ~20 B a key, plus
# whatever values the caller made for this call alone (a fresh int 28 B, a short string ~50 B).
# The estimate weighs keys, not values: typical calls (a few keys, some fresh values) come within
# 15% (tests/pipeline/test_memory.py measures it); packing makes a call's size exact.
CALL_BYTES = 288  # a call's tuple, its clock reading, a fresh ID string, deque slot, {}
PROP_BYTES = 24  # per property of the caller's (copied) dict
CHUNK_OVERHEAD = 96  # a chunk's bytes object and its entry in the deque
SPILLED_BYTES = 200  # a chunk on disk: its ``Spilled`` reference and its entry in the deque


class Budget:
    """Bytes held by every in-memory stage of one service (an estimate; see the module)."""

    __slots__ = ("used",)

    def __init__(self) -> None:
        self.used = 0


def call_bytes(call: Call) -> int:
    """What ``track()`` added to ``Budget.used`` for ``call`` (recomputed, not stored)."""
    props = call[PROPERTIES]
    return CALL_BYTES + PROP_BYTES * len(props) if type(props) is dict else CALL_BYTES


class Backlog:
    """``queue`` (the deque ``track()`` appends to) plus the compacted chunks behind it."""

    def __init__(
        self,
        budget: Budget,
        *,
        compact_at: int = 2048,
        chunk: int = 512,
        counters: Counters | None = None,
    ) -> None:
        self.queue: deque[Call] = deque()
        self.budget = budget
        self.compact_at = compact_at
        self.chunk = chunk
        self.counters = counters if counters is not None else Counters()
        self.overflow: Overflow | None = None  # set by the worker's setup
        self.spill_at = 0  # Budget.used above which packed chunks go to the overflow
        # (marshal bytes, a list of per-call bytes/tuples, or a ``Spilled`` chunk on disk;
        #  calls; bytes held in memory; accepted_at of the first)
        self._chunks: deque[tuple[Any, int, int, float]] = deque()
        self._chunked = 0  # calls in _chunks
        self.spilled = 0  # calls in _chunks that are on disk

    def __len__(self) -> int:
        return len(self.queue) + self._chunked

    def __bool__(self) -> bool:
        return bool(self.queue) or bool(self._chunks)

    def compact(self) -> int:
        """Pack the queue down to ``compact_at`` calls. Returns the calls packed."""
        queue = self.queue
        packed = 0
        while len(queue) > self.compact_at:
            calls = [queue.popleft() for _ in range(min(self.chunk, len(queue)))]
            # = sum(map(call_bytes, calls)), three times faster
            estimate = CALL_BYTES * len(calls) + PROP_BYTES * sum(
                [len(c[PROPERTIES]) for c in calls if type(c[PROPERTIES]) is dict]
            )
            try:
                data: Any = marshal.dumps(calls)
            except Exception:  # something marshal cannot take: pack call by call
                data = [_pack_one(c) for c in calls]
                size = sum(len(d) if type(d) is bytes else call_bytes(d) for d in data)
            else:
                size = len(data)
                if self.overflow is not None and self.budget.used + size > self.spill_at:
                    where = self.overflow.put(data)
                    if where is not None:
                        data, size = where, SPILLED_BYTES - CHUNK_OVERHEAD
                        self.spilled += len(calls)
            size += CHUNK_OVERHEAD
            self._chunks.append((data, len(calls), size, calls[0][ACCEPTED_AT]))
            self._chunked += len(calls)
            self.budget.used += size - estimate
            packed += len(calls)
        return packed

    def take(self, n: int) -> list[Call]:
        """The oldest calls: one chunk, or up to ``n`` calls from the queue."""
        while self._chunks:
            data, count, size, _ = self._chunks.popleft()
            self._chunked -= count
            self.budget.used -= size
            if type(data) is Spilled:
                self.spilled -= count
                data = self.overflow.get(data)
                if data is None:  # unreadable, or not what was written
                    self.counters.drop("overflow_corrupt", count)
                    continue
            if type(data) is bytes:
                return marshal.loads(data)
            return [marshal.loads(d) if type(d) is bytes else d for d in data]
        queue = self.queue
        calls = [queue.popleft() for _ in range(min(n, len(queue)))]
        if calls:
            self.budget.used -= sum(map(call_bytes, calls))
        return calls

    def oldest_accepted_at(self) -> float | None:
        """``time.time()`` at which the oldest waiting call was accepted; None when empty."""
        if self._chunks:
            return self._chunks[0][3]
        try:
            return self.queue[0][ACCEPTED_AT]
        except IndexError:
            return None

    def clear(self) -> int:
        """Forget every waiting call (shutdown, failed setup). Returns how many."""
        n = 0
        queue = self.queue
        while queue:
            try:
                call = queue.popleft()
            except IndexError:
                break
            self.budget.used -= call_bytes(call)
            n += 1
        while self._chunks:
            data, count, size, _ = self._chunks.popleft()
            self._chunked -= count
            self.budget.used -= size
            if type(data) is Spilled:
                self.spilled -= count
            n += count
        if self.overflow is not None:
            self.overflow.close()
        return n


def _pack_one(call: Call) -> Any:
    try:
        return marshal.dumps(call)
    except Exception:  # ValueError: unmarshallable object (kept as the tuple it is)
        return call
