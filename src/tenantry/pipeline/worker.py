"""The worker: the one thread that turns queued calls into shaped events and hands them out.

``track()`` only appends a tuple to ``Worker.queue`` (a ``collections.deque``: appends are
atomic under the GIL and cost a fraction of a microsecond) and, when a full batch waits, sets
``Worker.wake``. Everything else happens here, on ``tenantry-worker``:

    queue -> [compacted chunks] -> draft -> suppression -> policy chain -> Event -> [spool]
          -> one Sender per destination

Memory is held to ``TELEMETRY_QUEUE_MAX_BYTES`` with back-pressure between the stages (see
``pipeline.backlog``): the worker packs a backlog of calls compactly and shapes only as fast as
the senders send.

Setup (reading the secret, opening destinations) also runs on this thread, so constructing a
``TelemetryService`` does no I/O on the caller's thread.
"""

from __future__ import annotations

import logging
import math
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from tenantry import _installation
from tenantry._files import private_dir, write_private
from tenantry.config import Settings
from tenantry.destinations import build
from tenantry.destinations.base import Destination, Result, Status
from tenantry.events import Event, new_uuids
from tenantry.pipeline.backlog import ACCEPTED_AT, Backlog, Budget
from tenantry.counters import Counters
from tenantry.pipeline.sender import Sender
from tenantry.policy import build_chain, redact, shape

logger = logging.getLogger("tenantry")

# A queued call: (kind, event, properties, user_id, developer_id, identity, timestamp, now, extra)
Call = tuple
GROUP = 512  # calls shaped, spooled and handed to the senders together
SLICE = 0.05  # seconds of work before the loop looks at reports again
DURABLE_INTERVAL = 0.01  # the worker's longest sleep in durable mode
DURABLE_MAX_WAIT = 0.1  # durable mode: a call never waits longer than this for a sender's room

STATUS_DIR = "status"
OFF_MACHINE = {"amplitude", "posthog", "relay", "clickhouse"}
MAX_FUTURE = 24 * 3600.0  # a timestamp further ahead than this is taken as "now" (counted)


class Worker:
    def __init__(
        self,
        settings: Settings,
        counters: Counters,
        *,
        destinations: Sequence[Destination] | None = None,
        profile_lookup: Callable[[str], Mapping[str, Any] | None] | None | str = "auto",
        on_error: Callable[[str, Sequence[Event], Sequence[Result]], None] | None = None,
        interval: float = 0.05,
        wake_at: int = 512,
    ) -> None:
        self.settings = settings
        self.counters = counters
        self.budget = Budget()
        self.backlog = Backlog(self.budget)
        self.queue: deque[Call] = self.backlog.queue
        self.max_bytes = settings.queue_max_bytes
        # calls shaped together: a group's shaped events land in a sender at once, so a small
        # budget shapes smaller groups (1/64 KiB of the budget each, 16 to GROUP calls)
        self._group = max(16, min(GROUP, self.max_bytes // 65536))
        self.room = threading.Event()  # set by a sender after each send
        self.wake = threading.Event()
        self.wake_at = wake_at
        # durable: a call waits at most ~10 ms for the worker to wake, so it is on disk well
        # within the 200 ms promise even when the process is briefly starved of CPU
        self._interval = min(interval, DURABLE_INTERVAL) if settings.durable else interval
        self._explicit_destinations = list(destinations) if destinations is not None else None
        self._profile_lookup = profile_lookup
        self._on_error = on_error
        self.senders: list[Sender] = []
        self.spool = None
        self._chain: list = []
        self._shape = None
        self._suppression = None
        self._busy = True  # until setup is done
        self._stopping = False
        self._abandoned = False  # stop() ran out of time: no more waiting for senders
        self._ready = threading.Event()
        self._inhand_since: float | None = None  # accept time of the oldest call being shaped
        self.max_durability_lag = 0.0
        self._outstanding: dict[str, int] = {}
        self._outstanding_lock = threading.Lock()
        self.setup_error: str | None = None
        self._next_report = time.monotonic() + settings.status_interval
        self._reported_drops: dict[str, int] = {}
        self.status_provider: Callable[[], dict] | None = None  # set by the service
        self.thread = threading.Thread(target=self._run, name="tenantry-worker", daemon=True)
        self.thread.start()

    # -- setup (on the worker thread) ---------------------------------------------------------
    def _setup(self) -> None:
        s = self.settings
        secret = b""
        if s.edition == "opensource":
            secret = _installation.load_or_create_secret(s.data_dir, s.secret)
        lookup = self._profile_lookup
        if lookup == "auto":
            lookup = None
            if s.edition == "cloud" and (s.database_url or (s.data_dir / "identity.db").exists()):
                try:  # imported only when there is a database to read (SQLAlchemy is ~20 MB)
                    from tenantry.identity.enrichment import profile_lookup

                    lookup = profile_lookup(s)
                except Exception as exc:  # identity is optional for the library
                    logger.info("tenantry: no profile lookup (%s)", exc)
        self._chain = build_chain(
            s,
            secret=secret,
            anonymous_id=_installation.new_anonymous_id(),
            profile_lookup=lookup,
            counters=self.counters,
        )
        self._shape = shape
        try:
            from tenantry.store.suppression import SuppressionList

            self._suppression = SuppressionList(s.data_dir)
        except Exception as exc:
            logger.debug("tenantry: no suppression list (%s)", exc)
        if self._explicit_destinations is not None:
            destinations = self._explicit_destinations
        else:
            destinations = []
            for name in s.providers:
                try:
                    destinations.append(build(s, name))
                except Exception as exc:
                    self.counters.incr(f"destination_errors:{name}")
                    logger.error("tenantry: destination %r unavailable: %s", name, exc)
        if s.edition == "opensource" and any(d.name in OFF_MACHINE for d in destinations):
            _installation.show_notice_once(s.data_dir)
        self.senders = [
            Sender(
                d,
                counters=self.counters,
                on_final=self._final,
                budget=self.budget,
                soft_bytes=self.max_bytes // 16,
                hard_bytes=self.max_bytes // 2,
                room=self.room,
            )
            for d in destinations
        ]
        if s.durable:
            from tenantry.pipeline.spool import Spool

            self.spool = Spool(
                s.data_dir / "spool",
                s.spool_max_bytes,
                self.counters,
                destinations=[sender.name for sender in self.senders],
            )
            replayed = self.spool.replay()
            if replayed:
                self.counters.incr("replayed", len(replayed))
                self._dispatch_replayed(replayed)

    # -- the loop -------------------------------------------------------------------------------
    def _run(self) -> None:
        try:
            self._setup()
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
                self._report(final=True)
                return
            if time.monotonic() >= self._next_report:
                self._report()

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
            events = self._shape_all(calls)
            if events:
                self._dispatch(events, spool=True)
            if self.spool is not None:
                lag = time.time() - calls[0][ACCEPTED_AT]
                if lag > self.max_durability_lag:
                    self.max_durability_lag = lag
            self._inhand_since = None

    def _must_wait(self) -> bool:
        """Back-pressure: a sender that is sending holds more than its soft limit. Never in a
        way that holds a durable call off the disk longer than ``DURABLE_MAX_WAIT``, nor once
        ``stop`` gave up on the senders."""
        alone = len(self.senders) == 1  # nobody else to starve: wait even if it is stalled
        if self._abandoned or not any(s.over_soft_limit(alone) for s in self.senders):
            return False
        if self.spool is not None:
            oldest = self.backlog.oldest_accepted_at()
            return oldest is None or time.time() - oldest < DURABLE_MAX_WAIT
        return True

    def _shape_all(self, calls: list[Call]) -> list[Event]:
        shape = self._shape
        chain = self._chain
        suppression = self._suppression
        debug = self.settings.debug
        out: list[Event] = []
        ids = iter(new_uuids(len(calls)))
        for kind, name, props, user_id, developer_id, identity, ts, now, extra in calls:
            if identity is not None:
                developer_id = getattr(identity, "developer_id", developer_id)
                user_id = getattr(identity, "end_user_id", None) or user_id
            if suppression is not None and _suppressed(suppression, user_id, developer_id):
                self.counters.drop("suppressed")
                continue
            draft = {
                "kind": kind,
                "event": name,
                "properties": props,
                "user_id": user_id,
                "developer_id": developer_id,
                "timestamp": now if ts is None else self._timestamp(ts, now),
                "uuid": next(ids),
                "duration_ms": extra,
            }
            event = shape(chain, draft)
            if event is None:
                continue
            if debug:
                logger.info("tenantry event %s", orjson.dumps(redact(event.to_dict())).decode())
            out.append(event)
        return out

    def _timestamp(self, ts: Any, now: float) -> float:
        try:
            if isinstance(ts, datetime):
                if ts.tzinfo is None:
                    self.counters.incr("naive_timestamps")
                    ts = ts.replace(tzinfo=UTC)
                value = ts.timestamp()
            elif isinstance(ts, int | float) and not isinstance(ts, bool):
                value = float(ts)
            elif isinstance(ts, str):
                value = datetime.fromisoformat(ts.replace("Z", "+00:00")).timestamp()
            else:
                raise TypeError(type(ts).__name__)
            if not math.isfinite(value) or value > now + MAX_FUTURE or value < 0:
                raise ValueError("out of range")
            return value
        except Exception:
            self.counters.incr("invalid_timestamps")
            return now

    def _dispatch(self, events: list[Event], *, spool: bool) -> None:
        if spool and self.spool is not None:
            self.spool.append(events)
            self.counters.incr("spooled_total", len(events))
        n = len(self.senders)
        if n == 0:
            self.counters.drop("no_destination", len(events))
            return
        if n > 1:
            with self._outstanding_lock:
                for e in events:
                    self._outstanding[e.uuid] = n
        for sender in self.senders:
            sender.submit(events)

    def _dispatch_replayed(self, events: list[Event]) -> None:
        """Replayed events go only to the destinations that had not acked them."""
        needs = self.spool.replay_needs if self.spool is not None else {}
        if not needs:
            self._dispatch(events, spool=False)
            return
        by_sender: dict[str, list[Event]] = {sender.name: [] for sender in self.senders}
        with self._outstanding_lock:
            for e in events:
                names = needs.get(e.uuid)
                targets = [n for n in by_sender if names is None or n in names]
                self._outstanding[e.uuid] = len(targets)
                for n in targets:
                    by_sender[n].append(e)
        needs.clear()
        for sender in self.senders:
            if by_sender[sender.name]:
                sender.submit(by_sender[sender.name])

    # -- reporting (on the worker) ------------------------------------------------------------
    def _report(self, *, final: bool = False) -> None:
        """Every ``settings.status_interval`` seconds: log new drops once, as one line per interval (so a storm
        of drops is never a storm of log lines), and write this process's status file for
        ``tenantry status``."""
        every = self.settings.status_interval
        self._next_report = time.monotonic() + every
        try:
            drops = self.counters.snapshot()["drops"]
            new = {k: v - self._reported_drops.get(k, 0) for k, v in drops.items()}
            new = {k: v for k, v in new.items() if v > 0}
            if new:
                self._reported_drops = dict(drops)
                logger.warning(
                    "tenantry: dropped %d event(s) in the last %s: %s",
                    sum(new.values()),
                    "run" if final else f"{every:g} s",
                    ", ".join(f"{k}={v}" for k, v in sorted(new.items())),
                )
            if self.status_provider is not None:
                write_status_file(self.settings.data_dir, self.status_provider(), final=final)
        except Exception:
            logger.debug("tenantry: status report failed", exc_info=True)

    # -- results (on sender threads) ------------------------------------------------------------
    def _final(self, name: str, events: Sequence[Event], results: Sequence[Result]) -> None:
        counters = self.counters
        rejected = [
            (e, r) for e, r in zip(events, results, strict=True) if r.status is Status.REJECTED
        ]
        for _e, r in rejected:
            counters.drop(f"rejected:{r.reason or 'unknown'}")
        if rejected:
            counters.incr("failed", len(rejected))
            if self._on_error is not None:
                try:
                    self._on_error(name, [e for e, _ in rejected], [r for _, r in rejected])
                except Exception:
                    logger.exception("tenantry: on_error callback failed")
        if self.spool is not None and len(self.senders) > 1:
            self.spool.ack_for(name, [e.uuid for e in events])
        if len(self.senders) == 1:
            done: Sequence[Event] = events
            done_ok = len(events) - len(rejected)
        else:
            done = []
            done_ok = 0
            rejected_ids = {e.uuid for e, _ in rejected}
            with self._outstanding_lock:
                for e in events:
                    left = self._outstanding.get(e.uuid)
                    if left is None:
                        continue
                    if left <= 1:
                        del self._outstanding[e.uuid]
                        done.append(e)
                        if e.uuid not in rejected_ids:
                            done_ok += 1
                    else:
                        self._outstanding[e.uuid] = left - 1
        if done_ok:
            counters.incr("delivered", done_ok)
        if self.spool is not None and done:
            # acked here, on the sender thread, the moment the results are in: after a kill,
            # only the batch each sender had in flight can come back as a duplicate
            self.spool.ack([e.uuid for e in done])

    def durability_lag(self) -> float:
        """Seconds since the oldest call not yet written to the spool was accepted."""
        since = self._inhand_since
        if since is None:
            since = self.backlog.oldest_accepted_at()
        return 0.0 if since is None else max(0.0, time.time() - since)

    # -- control (from any thread) --------------------------------------------------------------
    def idle(self) -> bool:
        return (
            self._ready.is_set()
            and not self.backlog
            and not self._busy
            and all(s.idle() for s in self.senders)
        )

    def pending(self) -> int:
        return len(self.backlog) + sum(s.pending for s in self.senders)

    def flush(self, deadline: float) -> bool:
        self._ready.wait(max(0.0, deadline - time.monotonic()))
        for s in self.senders:
            s.request_flush(True)
        try:
            while True:
                self.wake.set()
                for s in self.senders:
                    if not s.threaded:  # started while the interpreter was finalizing
                        s.pump(deadline)
                if self.idle():
                    return self.setup_error is None
                if time.monotonic() >= deadline:
                    return False
                time.sleep(0.002)
        finally:
            for s in self.senders:
                s.request_flush(False)

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
        unsent = 0
        for sender in self.senders:
            sender.stop(max(0.0, deadline - time.monotonic()))
            lost = sender.drain_unsent()
            if lost:
                unsent += len(lost)
                reason = "shutdown_spooled" if self.spool is not None else "shutdown"
                if self.spool is None:
                    self.counters.drop(f"{reason}:{sender.name}", len(lost))
                else:
                    self.counters.incr(f"{reason}:{sender.name}", len(lost))
        if self.spool is not None:
            try:
                self.spool.close()
            except Exception:
                logger.exception("tenantry: spool close failed")
        return left + unsent


def _suppressed(suppression: Any, user_id: Any, developer_id: Any) -> bool:
    try:
        return bool(
            (isinstance(user_id, str) and suppression.contains(user_id))
            or (isinstance(developer_id, str) and suppression.contains(developer_id))
        )
    except Exception:
        return False


def write_status_file(data_dir: Path, status: dict, *, final: bool = False) -> None:
    """``<data dir>/status/<pid>.json``: this process's counters, for ``tenantry status``.
    Written atomically; removed again by the final report of a process that shut down."""
    directory = data_dir / STATUS_DIR
    path = directory / f"{os.getpid()}.json"
    if final:
        path.unlink(missing_ok=True)
        return
    private_dir(directory)
    write_private(path, orjson.dumps(status, default=str))


def read_status_files(data_dir: Path) -> list[dict]:
    """The status files of processes still alive; files of dead processes are removed."""
    out = []
    directory = data_dir / STATUS_DIR
    if not directory.is_dir():
        return out
    for path in directory.glob("*.json"):
        try:
            pid = int(path.stem)
            os.kill(pid, 0)
        except (ValueError, ProcessLookupError):
            path.unlink(missing_ok=True)
            continue
        except PermissionError:
            pass
        try:
            doc = orjson.loads(path.read_bytes())
            doc["pid"] = pid
            out.append(doc)
        except (OSError, ValueError):
            continue
    return out
