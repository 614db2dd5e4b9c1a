"""``TELEMETRY_MODE=sync`` (``TelemetryService(mode="sync")``): no threads at all.

``track()`` shapes the event on the caller's thread (a few microseconds: the policy chain) and
keeps it; ``flush()`` sends what is kept to every destination on the calling thread, batching
and retrying within its ``timeout``; what is still unsent then stays for the next ``flush``.
For runtimes that freeze or end the process between requests (AWS Lambda, Google Cloud Run
jobs and functions), where a background thread may never get to send: call ``flush()`` at the
end of each invocation (the web integrations do it for you in this mode).

``InlineWorker`` has the interface the service uses of ``pipeline.worker.Worker``: ``queue``
(what ``track()`` appends to: here it shapes on append), ``budget``, ``flush``, ``stop``,
``pending``, ``destination``, ``destinations_status``. The parts are the same: the chain,
the suppression list and the destinations of ``pipeline.setup.prepare``, built when the
service is constructed. There is no spool (``TELEMETRY_DURABLE`` needs the threads), and a full
buffer (``TELEMETRY_QUEUE_SIZE``, ``TELEMETRY_QUEUE_MAX_BYTES``) drops new events, counted as with
``TELEMETRY_WHEN_FULL=drop``: only ``flush()`` makes room.

Accounting as ``pipeline.fanout`` does it: events are checked for encodability first
(``events.encodable``: ``repaired_strings``, ``unencodable``); once every destination has a
final result for an event it counts ``delivered``, or ``failed`` when a destination rejected it;
each rejection is a drop ``rejected:<reason>``; per destination, ``delivered``, ``rejected`` by
reason, ``retried``, ``sent``, ``batches``; ``shutdown`` counts what is still unsent as
``shutdown:<destination>``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from tenantry.config import Settings
from tenantry.counters import MAX_REASON, MAX_REASONS, Counters
from tenantry.destinations.base import Destination, Result, Status
from tenantry.events import Event
from tenantry.pipeline.backlog import Budget, call_bytes
from tenantry.pipeline.fanout import OnError, encodable_counted
from tenantry.pipeline.sender import event_bytes
from tenantry.pipeline.setup import prepare
from tenantry.pipeline.shaping import Call, shape_calls
from tenantry.pipeline.status import destination_names, pipeline_status, status_file_of
from tenantry.pipeline.status_files import Reporter
from tenantry.retry import Outage

logger = logging.getLogger("tenantry")

SEND_TIMEOUT = 10.0  # the longest one request may take, within what flush() has left


class _Outbox:
    """One destination's events waiting for a final result: ``ready`` to send, ``later``
    (events to retry, each with the ``time.monotonic()`` it is due)."""

    def __init__(self, destination: Destination) -> None:
        self.destination = destination
        self.name = destination.name
        self.ready: deque[Event] = deque()
        self.later: list[tuple[float, Event]] = []
        self.outage = Outage()
        self.stats = {"sent": 0, "delivered": 0, "retried": 0, "failed": 0, "batches": 0}
        self.rejected: Counter[str] = Counter()  # by reason (at most MAX_REASONS, then other)

    def __len__(self) -> int:
        return len(self.ready) + len(self.later)

    def take(self, now: float) -> list[Event]:
        """The next batch (retries that are due first), within the destination's limits."""
        if self.later:
            due = [e for t, e in self.later if t <= now]
            if due:
                self.later = [(t, e) for t, e in self.later if t > now]
                self.ready.extendleft(reversed(due))
        cfg = self.destination.batch
        batch: list[Event] = []
        size = 0
        while self.ready and len(batch) < cfg.max_events:
            b = event_bytes(self.ready[0])
            if batch and size + b > cfg.max_bytes:
                break
            batch.append(self.ready.popleft())
            size += b
        return batch

    def next_due(self) -> float | None:
        return min((t for t, _ in self.later), default=None)


class _ShapeOnAppend:
    """What ``track()`` appends its call to, in sync mode: the call is shaped at once."""

    __slots__ = ("_worker",)

    def __init__(self, worker: InlineWorker) -> None:
        self._worker = worker

    def append(self, call: Call) -> None:
        self._worker.take(call)

    def __len__(self) -> int:
        return self._worker.held()


class InlineWorker:
    """Shapes on ``track()``, sends on ``flush()``; see the module docstring."""

    def __init__(
        self,
        settings: Settings,
        counters: Counters,
        *,
        destinations: Sequence[str | Destination] | None = None,
        profile_lookup: Callable[[str], Mapping[str, Any] | None] | None | str = "auto",
        on_error: OnError | None = None,
        hooks: Any = None,
    ) -> None:
        self.settings = settings
        self.counters = counters
        self.names = destination_names(settings, destinations)
        self.budget = Budget()
        self.max_bytes = settings.queue_max_bytes
        self.queue = _ShapeOnAppend(self)
        self.wake = threading.Event()  # the service sets it when a batch waits: nobody listens
        self.wake_at = -1
        self.spool = None
        # nothing but flush() makes room here, so a full buffer drops (TELEMETRY_WHEN_FULL's
        # block and overflow need the threads): flush at the end of each invocation
        self.when_full = "drop"
        self.setup_error: str | None = None
        self.reporter = Reporter(
            settings.data_dir, counters, settings.status_interval, status_file_of(self)
        )
        self._on_error = on_error
        self._lock = threading.Lock()  # shaping and the outboxes (track may run on any thread)
        self._sending = threading.Lock()  # one flush at a time
        self._outboxes: list[_Outbox] = []
        self._left: dict[str, list] = {}  # uuid -> [destinations without a final result, ok]
        self._chain: Any = None
        self._suppression: Any = None
        try:
            self._chain, self._suppression, built = prepare(
                settings,
                counters,
                destinations=destinations,
                profile_lookup=profile_lookup,
                hooks=hooks,
            )
            self._outboxes = [_Outbox(d) for d in built]
        except Exception as exc:
            self.setup_error = f"{type(exc).__name__}: {exc}"
            logger.error("tenantry: telemetry disabled, setup failed: %s", self.setup_error)

    # -- track() ------------------------------------------------------------------------------
    def take(self, call: Call) -> None:
        """Shape ``call`` now and keep its events for every destination."""
        self.budget.used -= call_bytes(call)  # the service counted the call; its events replace it
        if self.setup_error is not None:
            self.counters.drop("setup_failed")
            return
        with self._lock:
            self.counters.incr("accepted")
            events = shape_calls(
                [call], self._chain, self._suppression, self.counters, debug=self.settings.debug
            )
            events = encodable_counted(events, self.counters)
            if not events:
                return
            if not self._outboxes:
                self.counters.drop("no_destination", len(events))
                return
            for e in events:
                self._left[e.uuid] = [len(self._outboxes), True]
            for box in self._outboxes:
                box.ready.extend(events)
            self.budget.used += sum(map(event_bytes, events))

    def held(self) -> int:
        """Events kept for the destination that has the most."""
        return max(map(len, self._outboxes), default=0)

    # -- flush() ------------------------------------------------------------------------------
    def wait_ready(self, timeout: float) -> bool:  # noqa: ARG002 - set up in the constructor
        return True

    def flush(self, deadline: float) -> bool:
        """Send everything kept, one destination after the other, until each has a final result
        for all of it (True) or ``deadline`` (``time.monotonic()``) passes (False)."""
        if self.setup_error is not None:
            return False
        with self._sending:
            done = True
            for box in self._outboxes:
                done = self._drain(box, deadline) and done
        if self.reporter.due():
            self.reporter.report()
        return done

    def _drain(self, box: _Outbox, deadline: float) -> bool:
        while True:
            now = time.monotonic()
            with self._lock:
                if not box:
                    return True
                if now >= deadline:
                    return False
                batch = box.take(now)
                wake = box.next_due()
            if batch:
                self._send(box, batch, deadline)
            else:  # only retries, none due yet
                time.sleep(max(0.0, min(wake or deadline, deadline) - now))

    def _send(self, box: _Outbox, batch: list[Event], deadline: float) -> None:
        timeout = max(0.001, min(SEND_TIMEOUT, deadline - time.monotonic()))
        try:
            results = box.destination.send(batch, timeout)
            if len(results) != len(batch):
                raise ValueError(f"{box.name}.send returned {len(results)} results")
        except Exception as exc:  # a destination broke its promise: retry, as the sender does
            logger.warning("tenantry: %s.send raised %s: %s", box.name, type(exc).__name__, exc)
            results = [Result.retry(f"exception:{type(exc).__name__}")] * len(batch)
        stats = box.stats
        stats["batches"] += 1
        stats["sent"] += len(batch)
        retry_at = None
        final: list[tuple[Event, Result]] = []
        with self._lock:
            for event, result in zip(batch, results, strict=True):
                if result.status is Status.RETRY:
                    due = result.retry_at
                    if due is None:
                        retry_at = retry_at or box.outage.retry_at(time.monotonic())
                        due = retry_at
                    box.later.append((due, event))
                    stats["retried"] += 1
                else:
                    final.append((event, result))
            if len(final) == len(batch) or any(r.status is Status.DELIVERED for _, r in final):
                box.outage.succeeded()
            settled = self._settle(final)
        self._account(box, final, settled)

    def _settle(self, final: list[tuple[Event, Result]]) -> list[tuple[Event, bool]]:
        """Events now final at every destination, and whether none rejected them (lock held)."""
        out = []
        for event, result in final:
            left = self._left.get(event.uuid)
            if left is None:
                continue
            left[0] -= 1
            left[1] = left[1] and result.status is not Status.REJECTED
            if left[0] <= 0:
                del self._left[event.uuid]
                out.append((event, left[1]))
        return out

    def _account(
        self, box: _Outbox, final: list[tuple[Event, Result]], settled: list[tuple[Event, bool]]
    ) -> None:
        rejected = [(e, r) for e, r in final if r.status is Status.REJECTED]
        box.stats["delivered"] += len(final) - len(rejected)
        for _, r in rejected:
            reason = (r.reason or "unknown")[:MAX_REASON]
            if reason not in box.rejected and len(box.rejected) >= MAX_REASONS:
                reason = "other"
            box.rejected[reason] += 1
            self.counters.drop(f"rejected:{r.reason or 'unknown'}")
        if rejected and self._on_error is not None:
            try:
                self._on_error(box.name, [e for e, _ in rejected], [r for _, r in rejected])
            except Exception:
                logger.exception("tenantry: on_error callback failed")
        ok = sum(1 for _, clean in settled if clean)
        if ok:
            self.counters.incr("delivered", ok)
        if len(settled) > ok:
            self.counters.incr("failed", len(settled) - ok)
        if settled:
            self.budget.used -= sum(event_bytes(e) for e, _ in settled)

    # -- the rest of the worker's interface -----------------------------------------------------
    def stop(self, deadline: float) -> int:
        """Send what can be sent by ``deadline``, then shut the destinations down. Returns the
        events left unsent (counted ``shutdown:<destination>``)."""
        self.flush(deadline)
        left = 0
        with self._sending:
            for box in self._outboxes:
                with self._lock:
                    n = len(box)
                    box.ready.clear()
                    box.later.clear()
                if n:
                    left += n
                    self.counters.drop(f"shutdown:{box.name}", n)
                try:
                    box.destination.shutdown(max(0.0, deadline - time.monotonic()))
                except Exception:
                    logger.exception("tenantry: %s shutdown failed", box.name)
        with self._lock:
            self._left.clear()
        self.budget.used = 0
        return left

    def pending(self) -> int:
        """Events kept and not final, counted per destination (as the threads' senders do)."""
        return sum(map(len, self._outboxes))

    def idle(self) -> bool:
        return self.pending() == 0

    def overflow_full(self) -> bool:
        return False

    def memory_status(self) -> dict[str, Any]:
        """Bytes held (events waiting for ``flush``) and their bound."""
        return {
            "bytes": self.budget.used,
            "max_bytes": self.max_bytes,
            "when_full": self.when_full,
            "overflow": None,
        }

    def destination(self, name: str) -> Destination | None:
        return next((b.destination for b in self._outboxes if b.name == name), None)

    def status(self) -> dict[str, Any]:
        """This pipeline's part of the status document, as ``Worker.status()`` (no spool)."""
        return pipeline_status(
            queued=self.pending(),
            memory=self.memory_status(),
            per_destination=self.destinations_status(),
            error=self.setup_error,
        )

    def destinations_status(self) -> dict[str, dict[str, int]]:
        """Per destination, as ``FanOut.status``: its counts, ``rejected`` by reason, and the
        events it still holds (``pending``)."""
        return {
            b.name: dict(b.stats, rejected=dict(b.rejected), pending=len(b), bytes=0)
            for b in self._outboxes
        }
