"""``TelemetryService``: the library's front door. ``track()`` records the call and returns.

The caller's cost is a shallow copy of the properties, a clock read, a byte estimate from the
number of properties and a ``deque.append``: no I/O, no JSON, no shaping, no lock (see
``pipeline.worker`` and ``pipeline.backlog``). Every public method swallows its own errors and
counts them; none raises.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import logging
import os
import signal
import threading
import time
import weakref
from collections.abc import Callable, Coroutine, Mapping, Sequence
from datetime import datetime
from typing import Any

from tenantry.config import Settings, load_settings
from tenantry.counters import Counters
from tenantry.destinations.base import Destination, Result
from tenantry.events import GROUP_IDENTIFY, IDENTIFY, Event
from tenantry.facts import RequestFacts, TaskFacts
from tenantry.pipeline.backlog import CALL_BYTES, PROP_BYTES
from tenantry.pipeline.status import destination_names, status_document
from tenantry.pipeline.worker import Worker
from tenantry.policy.hooks import BeforeSendFn, Hooks

logger = logging.getLogger("tenantry")

_now = time.time

_UNSET: Any = object()
#: ``request_done`` in ``mode="sync"``: how long the end of a request may wait for the send
REQUEST_FLUSH_TIMEOUT = 5.0

WAIT_POLL = 0.001  # seconds between looks for room while a call waits for it
# TELEMETRY_WHEN_FULL=overflow: the longest a call waits for the worker to spill, in seconds
OVERFLOW_WAIT = 0.1


def _awaitable(sync: Callable[..., None], name: str) -> Callable[..., Coroutine[Any, Any, None]]:
    """``sync`` as a coroutine function called ``name``: the same arguments (its signature and
    docstring), the same work; it never awaits anything."""

    @functools.wraps(sync)
    async def twin(*args: Any, **kwargs: Any) -> None:
        sync(*args, **kwargs)

    twin.__name__ = name
    twin.__qualname__ = sync.__qualname__.replace(sync.__name__, name)
    return twin


class TelemetryService:
    """Tenant-aware telemetry for one configuration. The README's "The library" section is the API.

    ``destinations``: names (``["posthog"]``: the ``destinations`` setting, as
    ``TELEMETRY_PROVIDER`` gives it) or ``Destination`` instances such as
    ``tenantry.testing.InMemoryDestination()``, or both (the names are built from the settings).

    ``before_send``: ``fn(event) -> event | None``, on the worker, before the edition's rules;
    ``sample_rates``: ``{event name: rate}``; ``properties``: super properties for every event
    (see ``tenantry.policy.hooks``). ``mode="sync"`` (``TELEMETRY_MODE``): no threads; ``track``
    shapes, ``flush()`` sends (``tenantry.pipeline.inline``)."""

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        destinations: str | Sequence[str | Destination] | None = None,
        profile_lookup: Callable[[str], Mapping[str, Any] | None] | None = _UNSET,
        on_error: Callable[[str, Sequence[Event], Sequence[Result]], None] | None = None,
        atexit_timeout: float = 5.0,
        before_send: BeforeSendFn | None = None,
        sample_rates: Mapping[str, float] | None = None,
        properties: Mapping[str, Any] | None = None,
        **overrides: Any,
    ) -> None:
        if settings is not None and overrides:
            raise TypeError(
                "TelemetryService takes a Settings object or keyword settings, not both: "
                f"got settings and {', '.join(sorted(overrides))}; use settings.replace(...)"
            )
        if isinstance(destinations, str) or (
            destinations is not None and all(isinstance(d, str) for d in destinations)
        ):
            # names only ("a,b" or ["a", "b"]): the ``destinations`` setting, read and checked
            # as TELEMETRY_PROVIDER is
            if settings is None:
                overrides["destinations"] = destinations
            else:
                settings = settings.replace(destinations=destinations)
            destinations = None
        self.settings = settings if settings is not None else load_settings(**overrides)
        # instances (and names among them, built from the settings), or None: the setting's names
        self._destinations = destinations
        self._profile_lookup = "auto" if profile_lookup is _UNSET else profile_lookup
        self._on_error = on_error
        self._atexit_timeout = atexit_timeout
        self._hooks = Hooks(
            before_send=before_send, sample_rates=sample_rates, properties=properties
        )
        self._counters = Counters()
        self._lock = threading.Lock()
        self._closed = False
        self._no_wait = 0.0  # overflow: calls do not wait for room before this monotonic time
        self._worker: Worker | None = None
        self._queue = None
        self._active = self.settings.active
        self._sync = self.settings.mode == "sync"
        self._pid = os.getpid()
        if self._active:
            self._start()
            _register_process_hooks(self)

    # -- lifecycle ------------------------------------------------------------------------------
    @property
    def mode(self) -> str:
        """``"threads"`` (the default) or ``"sync"``: no threads, ``flush()`` sends (the web
        integrations call it at the end of each request in this mode)."""
        return self.settings.mode

    def _start(self) -> None:
        if self.settings.mode == "sync":
            from tenantry.pipeline.inline import InlineWorker as worker_class
        else:
            worker_class = Worker
        self._worker = worker_class(
            self.settings,
            self._counters,
            destinations=self._destinations,
            profile_lookup=self._profile_lookup,
            on_error=self._on_error,
            hooks=self._hooks,
        )
        self._queue = self._worker.queue
        self._wake = self._worker.wake
        self._wake_at = self._worker.wake_at
        self._maxsize = self.settings.queue_size
        self._budget = self._worker.budget
        self._max_bytes = self.settings.queue_max_bytes
        self._pid = os.getpid()

    def _after_fork(self) -> None:
        """In a forked child: fresh lock, queue and threads. The parent delivers its own queue."""
        self._lock = threading.Lock()
        self._counters = Counters()
        self._worker = None
        self._queue = None
        if self._active and not self._closed:
            self._start()

    # -- the hot path ------------------------------------------------------------------------------
    def track_sync(
        self,
        event_name: Any,
        properties: Any = None,
        user_id: Any = None,
        developer_id: Any = None,
        *,
        identity: Any = None,
        timestamp: datetime | None = None,
    ) -> None:
        """Record one event. Never raises, never blocks, never does I/O."""
        self._record(
            "track", event_name, properties, user_id, developer_id, identity, timestamp, None
        )

    async def track(
        self,
        event_name: Any,
        properties: Any = None,
        user_id: Any = None,
        developer_id: Any = None,
        *,
        identity: Any = None,
        timestamp: datetime | None = None,
    ) -> None:
        """``await telemetry.track(...)``: the same as ``track_sync``; never awaits anything."""
        self._record(
            "track", event_name, properties, user_id, developer_id, identity, timestamp, None
        )

    def _record(
        self,
        kind: str,
        name: Any,
        properties: Any,
        user_id: Any,
        developer_id: Any,
        identity: Any,
        timestamp: Any,
        extra: Any,
    ) -> None:
        try:
            q = self._queue
            if q is None:
                self._not_running()
                return
            n = len(q)
            budget = self._budget
            if (n >= self._maxsize or budget.used >= self._max_bytes) and not self._room():
                return
            if type(properties) is dict:
                props = properties.copy()
                budget.used += CALL_BYTES + PROP_BYTES * len(props)  # = backlog.call_bytes
            else:
                props = properties
                budget.used += CALL_BYTES
            # a ``pipeline.intake.Call``, as the plain tuple the backlog packs
            q.append((kind, name, props, user_id, developer_id, identity, timestamp, _now(), extra))
            if n == self._wake_at:  # a full batch waits: wake the worker early, once
                self._wake.set()
        except Exception:
            self._swallowed()

    def track_error_sync(
        self,
        error_type: Any,
        properties: Any = None,
        user_id: Any = None,
        developer_id: Any = None,
        *,
        identity: Any = None,
        timestamp: datetime | None = None,
    ) -> None:
        """Tracks ``error_occurred`` with ``error_type``."""
        self._record(
            "error", error_type, properties, user_id, developer_id, identity, timestamp, None
        )

    def track_performance_sync(
        self,
        operation: Any,
        duration_ms: Any,
        properties: Any = None,
        user_id: Any = None,
        developer_id: Any = None,
        *,
        identity: Any = None,
        timestamp: datetime | None = None,
    ) -> None:
        """Tracks ``performance_metric``: exact ``duration_ms`` in cloud, a bucket in opensource."""
        self._record(
            "performance",
            operation,
            properties,
            user_id,
            developer_id,
            identity,
            timestamp,
            duration_ms,
        )

    # ``await``-able twins. ``track`` keeps its own body above: it is the hot path, and the
    # twin's extra call costs 0.3-0.5 us, a quarter or more of an ``await track()``.
    track_error = _awaitable(track_error_sync, "track_error")
    track_performance = _awaitable(track_performance_sync, "track_performance")

    # -- people, groups, super properties -------------------------------------------------------
    def identify(
        self,
        developer_id: Any,
        properties: Mapping[str, Any] | None = None,
        set_once: Mapping[str, Any] | None = None,
        *,
        timestamp: datetime | None = None,
    ) -> None:
        """Cloud: set the developer's user properties (``set_once``: only where not set yet):
        Amplitude's Identify, PostHog's ``$set``/``$set_once``. Queued like an event, never
        raises, never blocks. Opensource: sends nothing (counted ``identify_skipped``)."""
        try:
            if self._people_skipped():
                return
            if isinstance(set_once, Mapping):
                set_once = dict(set_once)
            self._record(
                "identify", IDENTIFY, properties, None, developer_id, None, timestamp, set_once
            )
        except Exception:
            self._swallowed()

    def group(
        self,
        group_type: Any,
        group_key: Any,
        properties: Mapping[str, Any] | None = None,
        *,
        developer_id: Any = None,
        timestamp: datetime | None = None,
    ) -> None:
        """Cloud: set a group's properties (PostHog ``$groupidentify``, Amplitude group
        identify), on behalf of ``developer_id`` when given. Opensource: sends nothing (counted
        ``identify_skipped``)."""
        try:
            if self._people_skipped():
                return
            pair = (group_type, group_key)
            self._record(
                "group", GROUP_IDENTIFY, properties, None, developer_id, None, timestamp, pair
            )
        except Exception:
            self._swallowed()

    def _people_skipped(self) -> bool:
        if self.settings.edition == "cloud":
            return False
        if self._active:
            self._counters.incr("identify_skipped")
        return True

    def register(self, properties: Mapping[str, Any]) -> None:
        """Super properties: added to every event recorded from now on (an event's own
        properties of the same names win), in both editions (still filtered in opensource)."""
        try:
            self._hooks.register(properties)
        except Exception:
            self._counters.incr("invalid_properties")

    # -- the integrations' port (tenantry.asgi, .wsgi, .django, .flask, .celery) ----------------
    # Everything a framework integration needs, and all it may use: none of them touches a
    # private name of the service (tests/integrations/test_port.py checks).
    @property
    def enabled(self) -> bool:
        """True when this service records events; False when telemetry is off, and then an
        integration skips its work (``resolve`` included)."""
        return self._active

    def record_request(
        self,
        facts: RequestFacts,
        *,
        developer_id: Any = None,
        end_user_id: Any = None,
        event: str = "api_request",
    ) -> None:
        """Record one HTTP request (``api_request``) of ``developer_id`` (and ``end_user_id``):
        the edition policy turns ``facts`` into properties (cloud: exact; opensource: the
        template, method, status class and a duration bucket). Never raises, never blocks."""
        try:
            extra = (
                facts.route,
                facts.method,
                facts.status,
                facts.duration_ms,
                facts.request_bytes,
                facts.response_bytes,
            )
        except Exception:  # not a RequestFacts: the integration's bug, counted, never accepted
            self.count_drop("invalid_facts")
            return
        self._record("request", event, None, end_user_id, developer_id, None, None, extra)

    def record_task(
        self,
        facts: TaskFacts,
        *,
        developer_id: Any = None,
        end_user_id: Any = None,
        event: str = "task_run",
    ) -> None:
        """Record one background task run (``task_run``) under the developer and end user of
        the request that enqueued it: cloud keeps the task name, state, ``duration_ms`` and
        retries; opensource the name when it identifies nobody, the state, a duration bucket
        and the retries. Never raises, never blocks."""
        try:
            extra = (facts.name, facts.state, facts.duration_ms, facts.retries)
        except Exception:  # not a TaskFacts
            self.count_drop("invalid_facts")
            return
        self._record("task", event, None, end_user_id, developer_id, None, None, extra)

    def count_drop(self, reason: str, n: int = 1) -> None:
        """Count ``n`` events an integration dropped before recording them (for example
        ``resolve_failed``): ``get_status()["dropped"]`` and ``["drops"][reason]``."""
        with contextlib.suppress(Exception):
            self._counters.drop(reason, n)

    def request_done(self) -> None:
        """The integrations call this when a request (or task) is over, after its event was
        recorded. With background threads there is nothing to do; in ``mode="sync"``
        (serverless) it sends what the request recorded: ``flush(REQUEST_FLUSH_TIMEOUT)``."""
        if self._sync:
            self.flush(REQUEST_FLUSH_TIMEOUT)

    def _room(self) -> bool:
        """The slow path: the queue or the memory budget is full. True when there is room now.

        ``TELEMETRY_WHEN_FULL=block``: wait up to ``block_timeout`` seconds for room.
        ``overflow``: wait up to ``OVERFLOW_WAIT`` for the worker to move packed calls to disk (a
        caller outrunning even that, in a tight loop, is slowed to the disk's pace instead of
        losing events); after a wait that ran out, calls do not wait again for ``OVERFLOW_WAIT``
        x 10, so a wedged worker cannot slow every call. Never on tenantry's own threads (they
        are what makes room). Otherwise, or once the wait runs out, the event is dropped,
        counted ``queue_full``, ``overflow_full`` (the overflow is at its bound too) or
        ``queue_bytes``."""
        worker = self._worker
        mode = worker.when_full if worker is not None else "drop"
        if mode == "overflow" and (worker.overflow_full() or time.monotonic() < self._no_wait):
            mode = "drop"
        if mode != "drop" and not threading.current_thread().name.startswith("tenantry-"):
            wait = self.settings.block_timeout if mode == "block" else OVERFLOW_WAIT
            deadline = time.monotonic() + wait
            while time.monotonic() < deadline:
                time.sleep(WAIT_POLL)
                q = self._queue
                if q is None:
                    self._not_running()
                    return False
                if len(q) < self._maxsize and self._budget.used < self._max_bytes:
                    return True
            if mode == "overflow":
                self._no_wait = time.monotonic() + 10 * OVERFLOW_WAIT
        q = self._queue
        if q is not None and len(q) >= self._maxsize:
            reason = "queue_full"
        elif worker is not None and worker.overflow_full():
            reason = "overflow_full"
        else:
            reason = "queue_bytes"
        self._counters.drop(reason)
        return False

    def _not_running(self) -> None:
        if self._active and self._closed:
            self._counters.drop("shutdown")
        # off: nothing is recorded at all. (A forked child gets its fresh queue from the
        # ``os.register_at_fork`` hook before it runs any code, so the hot path needs no
        # ``os.getpid()`` system call; ``flush`` and ``get_status`` still check the pid.)

    def _swallowed(self) -> None:
        with contextlib.suppress(Exception):
            self._counters.drop("track_error")

    # -- control ------------------------------------------------------------------------------
    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until everything accepted so far has a final result, within ``timeout``.
        True only when every event accepted so far reached every destination it was meant for;
        False when ``timeout`` ran out first or any event was lost (rejected, dropped:
        ``get_status()["drops"]`` says why)."""
        try:
            self._check_pid()
            worker = self._worker
            if worker is None:
                return True
            return worker.flush(time.monotonic() + max(0.0, float(timeout)))
        except Exception:
            logger.exception("tenantry: flush failed")
            return False

    def shutdown(self, timeout: float = 5.0) -> bool:
        """Flush, then stop, all within ``timeout``. Later track calls are counted as dropped."""
        try:
            deadline = time.monotonic() + max(0.0, float(timeout))
            with self._lock:
                if self._closed:
                    return True
                self._closed = True
                worker = self._worker
                self._queue = None
            if worker is None:
                return True
            flushed = worker.flush(deadline)
            left = worker.stop(deadline)
            return flushed and left == 0
        except Exception:
            logger.exception("tenantry: shutdown failed")
            return False

    def _check_pid(self) -> None:
        if self._pid != os.getpid():  # forked by a path that skipped the at-fork hooks
            with self._lock:
                if self._pid != os.getpid():
                    self._after_fork()

    def _atexit(self) -> None:
        if not self._closed and self._pid == os.getpid():
            self.shutdown(self._atexit_timeout)

    # -- introspection -------------------------------------------------------------------------
    def destination(self, name: str) -> Destination | None:
        """The running destination called ``name`` (for tests and tooling)."""
        worker = self._worker
        if worker is None:
            return None
        worker.wait_ready(5.0)
        return worker.destination(name)

    def get_status(self) -> dict[str, Any]:
        """The status document (README: Status): the settings' part, the counters and the
        worker's own account of what it holds (``pipeline.status``)."""
        worker = self._worker
        return status_document(
            self.settings,
            self._counters,
            destination_names(self.settings, self._destinations),
            worker.status() if worker is not None else None,
            closed=self._closed,
        )


# -- process-wide hooks ------------------------------------------------------------------------

_instances: weakref.WeakSet[TelemetryService] = weakref.WeakSet()
_hooks_installed = False


def _register_process_hooks(service: TelemetryService) -> None:
    """atexit flush and fork safety, through weak references so services can be collected."""
    global _hooks_installed
    _instances.add(service)
    if _hooks_installed:
        return
    _hooks_installed = True
    atexit.register(_atexit_all)
    # Python 3.12+ refuses to start a thread once the interpreter is finalizing, which is when
    # atexit hooks run: a worker still setting up then cannot start its senders, and the flush
    # would deliver nothing. threading's own exit hook runs before that point (the stdlib's
    # concurrent.futures uses it for the same reason): wait there for set-up to finish.
    register_early = getattr(threading, "_register_atexit", None)
    if register_early is not None:
        with contextlib.suppress(RuntimeError):  # already shutting down: nothing to wait for
            register_early(_wait_set_up_all)
    _install_sigterm_handler()
    if hasattr(os, "register_at_fork"):
        os.register_at_fork(before=_before_fork_all, after_in_child=_after_fork_all)


def _wait_set_up_all() -> None:
    for service in list(_instances):
        worker = service._worker
        if worker is not None:
            with contextlib.suppress(Exception):
                worker.wait_ready(service._atexit_timeout)


def _atexit_all() -> None:
    for service in list(_instances):
        with contextlib.suppress(Exception):
            service._atexit()


def _install_sigterm_handler() -> None:
    """Flush on SIGTERM, then die of it as before. ``atexit`` does not run when a process is
    killed by a signal, and servers such as uvicorn re-raise SIGTERM after their graceful
    shutdown. Installed only from the main thread and only over the default action; a server
    that already owns SIGTERM keeps it (call ``shutdown()`` in its shutdown hook instead)."""
    if threading.current_thread() is not threading.main_thread():
        return
    try:
        if signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
            return
        signal.signal(signal.SIGTERM, _on_sigterm)
    except (ValueError, OSError):  # not the main interpreter, or no signals here
        pass


def _on_sigterm(signum: int, frame: Any) -> None:
    _atexit_all()
    signal.signal(signum, signal.SIG_DFL)
    signal.raise_signal(signum)


def _before_fork_all() -> None:
    """Let a worker that is still setting up (importing, opening files) finish first, so the
    child never inherits a half-imported module or a half-written file. Bounded: 2 s."""
    for service in list(_instances):
        worker = service._worker
        if worker is not None:
            worker.wait_ready(2.0)


def _after_fork_all() -> None:
    for service in list(_instances):
        with contextlib.suppress(Exception):
            service._after_fork()


_global: TelemetryService | None = None
_global_lock = threading.Lock()


def get_telemetry() -> TelemetryService:
    """The process-wide instance, configured from the environment on first use."""
    global _global
    service = _global
    if service is None or service._closed:
        with _global_lock:
            if _global is None or _global._closed:
                _global = TelemetryService()
            service = _global
    return service


def set_telemetry(service: TelemetryService | None) -> TelemetryService | None:
    """Replace the process-wide instance (tests, ``capture_events``). Returns the previous one."""
    global _global
    with _global_lock:
        previous, _global = _global, service
    return previous
