"""The worker: the one thread that turns queued calls into shaped events and hands them out.

``track()`` only appends a tuple to ``Worker.queue`` (a ``collections.deque``: appends are
atomic under the GIL and cost a fraction of a microsecond) and, when a full batch waits, sets
``Worker.wake``. Everything else happens here, on ``tenantry-worker``:

    queue -> [compacted chunks] -> shaping (``pipeline.shaping``: draft -> suppression ->
          policy chain -> Event) -> fan-out (``pipeline.fanout``: [spool] -> one Sender per
          destination)

Memory is held to ``TELEMETRY_QUEUE_MAX_BYTES`` with back-pressure between the stages (see
``pipeline.backlog``): the worker packs a backlog of calls compactly and shapes only as fast as
the senders send.

Setup (``pipeline.setup``: the secret, the chain, the destinations, the spool) also runs on this
thread, so constructing a ``TelemetryService`` does no I/O on the caller's thread.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from tenantry.config import Settings
from tenantry.counters import Counters
from tenantry.destinations.base import Destination
from tenantry.pipeline.backlog import ACCEPTED_AT, Backlog, Budget
from tenantry.pipeline.fanout import FanOut, OnError
from tenantry.pipeline.setup import set_up
from tenantry.pipeline.shaping import Call, shape_calls
from tenantry.pipeline.status import destination_names, pipeline_status, status_file_of
from tenantry.pipeline.status_files import Reporter

logger = logging.getLogger("tenantry")

GROUP = 512  # calls shaped, spooled and handed to the senders together
SLICE = 0.05  # seconds of work before the loop looks at reports again
DURABLE_INTERVAL = 0.01  # the worker's longest sleep in durable mode
DURABLE_MAX_WAIT = 0.1  # durable mode: a call never waits longer than this for a sender's room
# overflow: packed calls go to disk once the budget is a 1/SPILL_AT used, which leaves room for
# the senders' buffers and for the calls that arrive between two turns of the worker
SPILL_AT = 4


class Worker:
    """The queue, the thread that shapes what it holds, and the fan-out it hands events to."""

    def __init__(
        self,
        settings: Settings,
        counters: Counters,
        *,
        destinations: Sequence[str | Destination] | None = None,
        profile_lookup: Callable[[str], Mapping[str, Any] | None] | None | str = "auto",
        on_error: OnError | None = None,
        hooks: Any = None,
        interval: float = 0.05,
        wake_at: int = 512,
    ) -> None:
        self.settings = settings
        self.counters = counters
        self.names = destination_names(settings, destinations)
        self.budget = Budget()
        self.backlog = Backlog(self.budget, counters=counters)
        self.queue: deque[Call] = self.backlog.queue
        self.max_bytes = settings.queue_max_bytes
        # TELEMETRY_WHEN_FULL, resolved by setup (which may look at the disk); until then the
        # backlog cannot spill, and only an explicit ``block`` blocks
        self.when_full = settings.when_full if settings.when_full == "block" else "drop"
        self.backlog.spill_at = self.max_bytes // SPILL_AT
        # calls shaped together: a group's shaped events land in a sender at once, so a small
        # budget shapes smaller groups (1/64 KiB of the budget each, 16 to GROUP calls)
        self._group = max(16, min(GROUP, self.max_bytes // 65536))
        self.room = threading.Event()  # set by a sender after each send
        self.wake = threading.Event()
        self.wake_at = wake_at
        # durable: a call waits at most ~10 ms for the worker to wake, so it is on disk well
        # within the 200 ms promise even when the process is briefly starved of CPU
        self._interval = min(interval, DURABLE_INTERVAL) if settings.durable else interval
        self._set_up = functools.partial(  # run by the worker thread, first thing
            set_up,
            settings,
            counters,
            destinations=list(destinations) if destinations is not None else None,
            profile_lookup=profile_lookup,
            on_error=on_error,
            hooks=hooks,
            budget=self.budget,
            room=self.room,
        )
        self.fanout: FanOut | None = None  # from setup, on the worker thread
        self.spool = None
        self._chain: Any = None
        self._suppression = None
        self._busy = True  # until setup is done
        self._stopping = False
        self._abandoned = False  # stop() ran out of time: no more waiting for senders
        self._ready = threading.Event()
        self._inhand_since: float | None = None  # accept time of the oldest call being shaped
        self.max_durability_lag = 0.0
        self.setup_error: str | None = None
        self.reporter = Reporter(
            settings.data_dir, counters, settings.status_interval, status_file_of(self)
        )
        self.thread = threading.Thread(target=self._run, name="tenantry-worker", daemon=True)
        self.thread.start()

    # -- the loop -------------------------------------------------------------------------------
    def _run(self) -> None:
        try:
            parts = self._set_up()
            self._chain, self._suppression = parts.chain, parts.suppression
            self.spool = parts.fanout.spool
            self.backlog.overflow = parts.overflow
            self.when_full = parts.when_full
            self.fanout = parts.fanout
        except Exception as exc:
            self.setup_error = f"{type(exc).__name__}: {exc}"
            logger.error("tenantry: telemetry disabled, setup failed: %s", self.setup_error)
        finally:
            self._busy = False
            self._ready.set()
        if self.setup_error:
            self._discard_forever()
            return
        while True:
            if not self.backlog:
                self.wake.wait(self._interval)
                self.wake.clear()
            self._busy = True
            try:
                self._drain()
            except Exception:
                logger.exception("tenantry: worker error")
            finally:
                self._busy = False
            if self._stopping and not self.backlog:
                self.reporter.report(final=True)
                return
            if self.reporter.due():
                self.reporter.report()

    def _discard_forever(self) -> None:
        while not self._stopping:
            self.wake.wait(self._interval)
            self.wake.clear()
            n = self.backlog.clear()
            if n:
                self.counters.drop("setup_failed", n)

    def _drain(self) -> None:
        """Shape what waits, for at most ``SLICE`` seconds; pack the rest while senders are full."""
        backlog = self.backlog
        fanout = self.fanout
        until = time.monotonic() + SLICE
        while backlog and time.monotonic() < until:
            backlog.compact()
            if self._must_wait():
                self.room.clear()
                if self._must_wait():  # short: the queue keeps filling and is packed meanwhile
                    self.room.wait(0.005)
                continue
            self._inhand_since = backlog.oldest_accepted_at()
            calls = backlog.take(self._group)
            if not calls:
                self._inhand_since = None
                break
            self.counters.incr("accepted", len(calls))
            events = shape_calls(
                calls, self._chain, self._suppression, self.counters, debug=self.settings.debug
            )
            if events:
                fanout.submit(events)
            if self.spool is not None:
                lag = time.time() - calls[0][ACCEPTED_AT]
                if lag > self.max_durability_lag:
                    self.max_durability_lag = lag
            self._inhand_since = None

    def _must_wait(self) -> bool:
        """Back-pressure: a sender that is sending holds more than its soft limit. Never in a
        way that holds a durable call off the disk longer than ``DURABLE_MAX_WAIT``, nor once
        ``stop`` gave up on the senders."""
        if self._abandoned or not self.fanout.over_soft_limit():
            return False
        if self.spool is not None:
            oldest = self.backlog.oldest_accepted_at()
            return oldest is None or time.time() - oldest < DURABLE_MAX_WAIT
        return True

    def durability_lag(self) -> float:
        """Seconds since the oldest call not yet written to the spool was accepted."""
        since = self._inhand_since
        if since is None:
            since = self.backlog.oldest_accepted_at()
        return 0.0 if since is None else max(0.0, time.time() - since)

    # -- control (from any thread) --------------------------------------------------------------
    def wait_ready(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for setup to end (well or not); True when it has."""
        return self._ready.wait(timeout)

    def destination(self, name: str) -> Destination | None:
        """The running destination called ``name``, once setup has ended."""
        fanout = self.fanout
        return fanout.destination(name) if fanout is not None else None

    def destinations_status(self) -> dict[str, dict[str, Any]]:
        fanout = self.fanout
        return fanout.status() if fanout is not None else {}

    def status(self) -> dict[str, Any]:
        """This pipeline's part of the status document (``pipeline.status``): ``queued``,
        ``spooled`` (-1 when the spool cannot say), ``durability`` (durable mode, also before
        the spool is open: then nothing is on disk yet), ``memory``, ``per_destination``, and
        ``error`` when setup failed."""
        spool = self.spool
        spooled = 0
        if spool is not None:
            try:
                spooled = spool.pending()
            except Exception:
                spooled = -1
        durability = None
        if self.settings.durable:
            lag = self.durability_lag()
            durability = {
                "lag": round(lag, 4),
                "max_lag": round(max(lag, self.max_durability_lag), 4),
                "unsynced": round(spool.synced_lag() if spool is not None else lag, 4),
            }
        return pipeline_status(
            queued=self.pending(),
            memory=self.memory_status(),
            per_destination=self.destinations_status(),
            error=self.setup_error,
            spooled=spooled,
            durability=durability,
        )

    def overflow_full(self) -> bool:
        """True when the overflow declined its last chunk (at ``TELEMETRY_OVERFLOW_MAX_BYTES``)."""
        overflow = self.backlog.overflow
        return overflow is not None and overflow.full

    def memory_status(self) -> dict[str, Any]:
        """Bytes held in memory and their bound; what happens when it is full; the overflow."""
        overflow = self.backlog.overflow
        return {
            "bytes": self.budget.used,
            "max_bytes": self.max_bytes,
            "when_full": self.when_full,
            "overflow": None
            if overflow is None
            else dict(overflow.status(), calls=self.backlog.spilled),
        }

    def _upstream_idle(self) -> bool:
        """For ``flush``: wakes the worker; True when it has nothing left to shape."""
        self.wake.set()
        return not self.backlog and not self._busy

    def idle(self) -> bool:
        fanout = self.fanout
        return (
            self._ready.is_set()
            and not self.backlog
            and not self._busy
            and (fanout is None or fanout.idle())
        )

    def pending(self) -> int:
        fanout = self.fanout
        return len(self.backlog) + (fanout.pending() if fanout is not None else 0)

    def flush(self, deadline: float) -> bool:
        """Shape and send everything accepted so far, by ``deadline`` (``time.monotonic()``).
        True when all of it has a final result, setup did not fail, and no event was lost
        (``Counters``: a drop whose reason is not an intended one, a rejection included)."""
        if not self._ready.wait(max(0.0, deadline - time.monotonic())):
            return False
        fanout = self.fanout
        if fanout is None:  # setup failed
            while not self._upstream_idle() and time.monotonic() < deadline:
                time.sleep(0.002)
            return False
        return fanout.flush(deadline, self._upstream_idle) and not self.counters.get("lost")

    def stop(self, deadline: float) -> int:
        """Stop shaping and sending by ``deadline``. Returns the events left undelivered."""
        self._stopping = True
        self.wake.set()
        self.thread.join(max(0.0, deadline - time.monotonic()))
        self._abandoned = True
        self.room.set()
        left = self.backlog.clear()
        if left:
            self.counters.drop("shutdown", left)
        fanout = self.fanout
        return left + (fanout.stop(deadline) if fanout is not None else 0)
