"""One sender per destination: its own thread, its own buffer, batching and retry.

A hanging destination therefore never delays another [OpenTelemetry BatchProcessor; Vector's
per-sink buffers]. The sender owns *when* to send (``BatchConfig``: max events, max bytes, max
age) and *when to try again*: at ``Result.retry_at`` where the destination's vendor named a time,
else at its ``Outage`` time (``tenantry.retry``: one time per destination per outage window,
backoff with full jitter, reset by any success). The destination owns only the wire protocol
and the classification of each answer.

Its buffer is held in bytes as well as in events: ``soft_bytes`` is where the worker stops
shaping for it while it is sending (back-pressure, so a backlog waits upstream in compact form),
``hard_bytes`` where new events for it are dropped, ``buffer_full:<name>`` (a destination that
stopped answering cannot take the whole budget). The bytes are an estimate per event
(``event_bytes``) and count in the service's ``Budget`` until the event's result is final.

``stats`` are this destination's own counts: ``delivered``, ``rejected`` (by reason, bounded as
``Counters`` bounds them), ``failed`` (never sent: dropped from its full buffer or left at
shutdown), ``retried``, ``sent`` and ``batches``.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Sequence

from tenantry.counters import MAX_REASON, MAX_REASONS, Counters
from tenantry.destinations.base import Destination, Result, Status
from tenantry.events import Event, unencodable_indexes
from tenantry.pipeline.backlog import Budget
from tenantry.retry import Backoff, Outage

logger = logging.getLogger("tenantry")

# Called with (destination name, events, their final results) once per send, from the sender thread.
OnFinal = Callable[[str, Sequence[Event], Sequence[Result]], None]
# Called with (destination name, events, reason) for events this destination will never send.
OnLost = Callable[[str, Sequence[Event], str], None]

EVENT_BYTES = 256  # a shaped event: the object, its uuid, distinct_id and properties dict
EVENT_PROP_BYTES = 48  # per property
STALLED_AFTER = 1.0  # seconds without a final result: the worker no longer waits for this sender


def event_bytes(event: Event) -> int:
    """A cheap estimate of what one shaped event holds in memory (and of its encoded size)."""
    return EVENT_BYTES + EVENT_PROP_BYTES * len(event.properties)


class Sender:
    """Feeds one destination from a bounded buffer; see the module docstring."""

    def __init__(
        self,
        destination: Destination,
        *,
        counters: Counters,
        on_final: OnFinal,
        on_lost: OnLost | None = None,
        max_buffer: int = 200_000,
        backoff: Backoff | None = None,
        send_timeout: float = 10.0,
        budget: Budget | None = None,
        soft_bytes: int = 2 * 1024 * 1024,
        hard_bytes: int = 16 * 1024 * 1024,
        room: threading.Event | None = None,
    ) -> None:
        self.destination = destination
        self.name = destination.name
        self._counters = counters
        self._on_final = on_final
        self._on_lost = on_lost
        self._max_buffer = max_buffer
        self._outage = Outage(backoff)  # when untimed retries go: the sender alone waits
        self._send_timeout = send_timeout
        self._budget = budget if budget is not None else Budget()
        self.soft_bytes = soft_bytes
        self.hard_bytes = max(hard_bytes, soft_bytes)
        self.bytes = 0  # event_bytes of every event not yet final (ready, delayed, in flight)
        self.last_progress = time.monotonic()  # when a send last ended with final results
        self._room = room  # set after every send: the worker may be waiting for room
        self._ready: deque[Event] = deque()
        self._oldest_at = 0.0  # when the oldest event in _ready arrived (approximately)
        self._delayed: list[tuple[float, int, Event]] = []  # heap of (due, seq, event)
        self._seq = itertools.count()
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._inflight = 0
        self._sizes = 0
        self._flushing = False
        self._stopping = False
        self._deadline: float | None = None
        self.stats = {"sent": 0, "delivered": 0, "retried": 0, "failed": 0, "batches": 0}
        self.rejected: Counter[str] = Counter()  # by reason (at most MAX_REASONS, then other)
        self._thread: threading.Thread | None = threading.Thread(
            target=self._run, name=f"tenantry-send-{self.name}", daemon=True
        )
        try:
            self._thread.start()
        except RuntimeError:
            # Python 3.12+ starts no thread once the interpreter is finalizing: a service whose
            # worker was still setting up when the program ended gets here. ``stop`` then sends
            # on the calling thread (the atexit flush), within its deadline.
            self._thread = None

    # -- called from the worker ------------------------------------------------------------
    def submit(self, events: Sequence[Event]) -> None:
        now = time.monotonic()
        size = EVENT_BYTES * len(events) + EVENT_PROP_BYTES * sum(len(e.properties) for e in events)
        with self._lock:
            room = self._max_buffer - len(self._ready) - len(self._delayed) - self._inflight
            if room < len(events) or self.bytes + size > self.hard_bytes:
                events, size = self._fit(events, room)
            was_empty = not self._ready
            if was_empty:
                self._oldest_at = now
            self._ready.extend(events)
            self.bytes += size
            full = len(self._ready) >= self.destination.batch.max_events
        self._budget.used += size
        if full or was_empty:  # an idle sender sleeps until woken: tell it when its clock starts
            self._wake.set()

    def _fit(self, events: Sequence[Event], room: int) -> tuple[Sequence[Event], int]:
        """The first events that fit in ``room`` events and the hard byte limit; the rest are
        dropped, counted ``buffer_full:<name>``. Called with the lock held."""
        size = 0
        n = 0
        left = self.hard_bytes - self.bytes
        for e in events[: max(room, 0)]:
            b = event_bytes(e)
            if size + b > left:
                break
            size += b
            n += 1
        if n < len(events):
            self.lost(events[n:], "buffer_full")
        return events[:n], size

    def lost(self, events: Sequence[Event], reason: str) -> None:
        """``events`` will never be sent to this destination: counted ``failed`` here and
        reported to ``on_lost`` (which counts the drop), or else dropped as ``<reason>:<name>``."""
        self.stats["failed"] += len(events)
        if self._on_lost is not None:
            try:
                self._on_lost(self.name, events, reason)
            except Exception:
                logger.exception("tenantry: result handling failed")
        else:
            self._counters.drop(f"{reason}:{self.name}", len(events))

    def over_soft_limit(self, alone: bool = False) -> bool:
        """True while this sender holds more than ``soft_bytes`` and is still making progress
        (a final result within ``STALLED_AFTER`` s) or is the only sender: the worker waits
        for it. A stalled sender among others is not waited for (it would starve them)."""
        return (
            self.bytes > self.soft_bytes
            and not self._stopping
            and (alone or time.monotonic() - self.last_progress < STALLED_AFTER)
        )

    # -- called from any thread ------------------------------------------------------------
    @property
    def max_buffer(self) -> int:
        """The most events this sender holds (ready, delayed and in flight) before it drops."""
        return self._max_buffer

    @property
    def pending(self) -> int:
        with self._lock:
            return len(self._ready) + len(self._delayed) + self._inflight

    def idle(self) -> bool:
        return self.pending == 0

    def request_flush(self, on: bool = True) -> None:
        """While on, partial batches go at once and delayed retries are not waited for beyond
        their due time."""
        self._flushing = on
        self._wake.set()

    def stop(self, timeout: float) -> int:
        """Send what can be sent within ``timeout``, then stop. Returns events left unsent."""
        deadline = time.monotonic() + max(0.0, timeout)
        self._deadline = deadline
        self._flushing = True
        self._stopping = True
        self._wake.set()
        if self._thread is None:
            self._run()  # no thread of its own (see __init__): send here, until the deadline
        else:
            self._thread.join(max(0.0, deadline - time.monotonic()) + 0.05)
        left = self.pending
        try:
            self.destination.shutdown(max(0.0, deadline - time.monotonic()))
        except Exception:  # a destination's shutdown must not break ours
            logger.exception("tenantry: %s shutdown failed", self.name)
        return left

    @property
    def threaded(self) -> bool:
        return self._thread is not None

    def pump(self, deadline: float) -> None:
        """For a sender without a thread (see ``__init__``): send the batches that are ready,
        on the calling thread, until none is left or ``deadline`` passes."""
        cfg = self.destination.batch
        while time.monotonic() < deadline:
            with self._lock:
                if not self._ready:
                    return
                batch = self._take(cfg)
            self._send(batch)

    def drain_unsent(self) -> list[Event]:
        """After ``stop``: the events never delivered (for counting or the spool)."""
        with self._lock:
            out = list(self._ready) + [d[2] for d in self._delayed]
            self._ready.clear()
            self._delayed.clear()
            freed = sum(map(event_bytes, out))
            self.bytes -= freed
        self._budget.used -= freed
        return out

    # -- the sender thread ------------------------------------------------------------------
    def _run(self) -> None:
        cfg = self.destination.batch
        while True:
            batch = self._next_batch(cfg)
            if batch is None:
                return
            if batch:
                self._send(batch)

    def _next_batch(self, cfg) -> list[Event] | None:
        """Wait until a batch is due; None when stopping and nothing more can be sent."""
        while True:
            now = time.monotonic()
            with self._lock:
                if self._delayed and self._delayed[0][0] <= now:
                    if not self._ready:
                        self._oldest_at = now - cfg.max_age  # due retries go at once
                    due: list[Event] = []
                    while self._delayed and self._delayed[0][0] <= now:
                        due.append(heapq.heappop(self._delayed)[2])
                    self._ready.extendleft(reversed(due))  # retries first, in their order
                if self._stopping and now >= (self._deadline or 0):
                    return None
                if self._ready:
                    oldest = self._oldest_at
                    due = (
                        len(self._ready) >= cfg.max_events
                        or self._flushing
                        or now - oldest >= cfg.max_age
                        # the worker waits for this buffer (not in an outage: retries wait)
                        or (self.bytes > self.soft_bytes and not self._delayed)
                    )
                    if due:
                        return self._take(cfg)
                    wait = cfg.max_age - (now - oldest)
                elif self._stopping and not self._delayed:
                    return None
                else:
                    wait = 1.0
                if self._delayed:
                    wait = min(wait, self._delayed[0][0] - now)
                if self._stopping:
                    wait = min(wait, (self._deadline or now) - now)
            self._wake.wait(max(0.0005, wait))
            self._wake.clear()

    def _take(self, cfg) -> list[Event]:
        batch: list[Event] = []
        size = 0
        ready = self._ready
        max_bytes = cfg.max_bytes
        while ready and len(batch) < cfg.max_events:
            # a cheap estimate of the encoded size; destinations split exactly where they must
            est = EVENT_BYTES + EVENT_PROP_BYTES * len(ready[0].properties)  # = event_bytes
            if batch and size + est > max_bytes:
                break
            batch.append(ready.popleft())
            size += est
        self._sizes = size  # what the batch frees when all of it is final
        if ready:
            self._oldest_at = time.monotonic()
        self._inflight += len(batch)
        return batch

    def _send(self, events: list[Event]) -> None:
        timeout = self._send_timeout
        if self._deadline is not None:
            timeout = max(0.001, min(timeout, self._deadline - time.monotonic()))
        try:
            results = self.destination.send(events, timeout)
            if len(results) != len(events):
                raise ValueError(
                    f"{self.name}.send returned {len(results)} results for {len(events)} events"
                )
        except Exception as exc:  # a destination broke its promise: treat as a retryable failure
            logger.warning("tenantry: %s.send raised %s: %s", self.name, type(exc).__name__, exc)
            results = _after_exception(events, exc)
        self.stats["batches"] += 1
        self.stats["sent"] += len(events)
        delivered = Status.DELIVERED
        if any(r.status is not delivered for r in results):
            if any(r.status is delivered for r in results):
                self._outage.succeeded()
            final_events: list[Event] = []
            final_results: list[Result] = []
            retry: list[tuple[float, int, Event]] = []
            # One time for every retry the vendor did not time, shared with the other batches
            # of this outage: a failed batch comes back as one batch instead of scattering into
            # many small ones, and a queue of batches does not grow the backoff once each.
            # [Vector retries.rs]
            outage_due: float | None = None
            for event, result in zip(events, results, strict=True):
                if result.status is Status.RETRY:
                    due = result.retry_at
                    if due is None:
                        if outage_due is None:
                            outage_due = self._outage.retry_at(time.monotonic())
                        due = outage_due
                    retry.append((due, next(self._seq), event))
                else:
                    final_events.append(event)
                    final_results.append(result)
            n_rejected = 0
            for r in final_results:
                if r.status is Status.REJECTED:
                    n_rejected += 1
                    reason = (r.reason or "unknown")[:MAX_REASON]
                    if reason not in self.rejected and len(self.rejected) >= MAX_REASONS:
                        reason = "other"
                    self.rejected[reason] += 1
            self.stats["retried"] += len(retry)
            self.stats["delivered"] += len(final_events) - n_rejected
        else:  # the common case: everything delivered at the first try
            self._outage.succeeded()
            retry = []
            final_events, final_results = events, results
            self.stats["delivered"] += len(events)
        freed = sum(map(event_bytes, final_events)) if final_events is not events else self._sizes
        with self._lock:
            for item in retry:
                heapq.heappush(self._delayed, item)
            self.bytes -= freed
        self._budget.used -= freed
        if final_events:
            self.last_progress = time.monotonic()
            try:
                self._on_final(self.name, final_events, final_results)
            except Exception:
                logger.exception("tenantry: result handling failed")
        with self._lock:  # only now, once the results are counted: a flush waits for them
            self._inflight -= len(events)
        if self._room is not None:
            self._room.set()


def _after_exception(events: Sequence[Event], exc: Exception) -> list[Result]:
    """Results for a batch whose ``send`` raised: an event that JSON cannot encode is rejected
    (``unencodable``: a local encoding error is never retried, and never holds up its batch);
    the others are retried."""
    again = Result.retry(f"exception:{type(exc).__name__}")
    bad = unencodable_indexes(events)
    if not bad:
        return [again] * len(events)
    return [Result.rejected("unencodable") if i in bad else again for i in range(len(events))]
