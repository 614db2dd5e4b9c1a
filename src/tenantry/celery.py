"""``instrument(celery_app)``: one ``task_run`` event per task run, under the developer and end
user of the request that enqueued the task. Imported only when used; needs Celery 5.3 or later.

    from tenantry.celery import instrument

    instrument(celery_app)        # where the app is defined: the web process and the workers

A task enqueued while a request is served by one of tenantry's integrations (ASGI, WSGI, Django,
Flask) carries that request's ``(developer_id, end_user_id)`` in a message header
(``tenantry``): ``resolve`` is called then, if it was not yet (the async integrations await it
before the handler runs once this module is instrumented). A task enqueued by a running task
carries the same pair on; one enqueued elsewhere carries none and its event is anonymous.

Each run records ``task`` (the registered name), ``state`` (``SUCCESS``, ``FAILURE``,
``RETRY``, ...), ``duration_ms`` and ``retries`` (how many times it had been retried before this
run); opensource keeps the name when it identifies nobody, the state, a duration bucket and the
retries. A retried task is one event per run. Eager runs (``task_always_eager``) are recorded
too, under the request being served. Each worker process flushes before it exits
(``worker_process_shutdown``, where a prefork child skips ``atexit``).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from contextvars import Token
from typing import Any

from celery import Celery, signals

from tenantry import web
from tenantry.facts import TaskFacts
from tenantry.service import TelemetryService

__all__ = ["HEADER", "instrument"]

logger = logging.getLogger("tenantry.celery")

EVENT = "task_run"
HEADER = "tenantry"  # the message header: [developer_id, end_user_id]
_clock = time.perf_counter


class _Run:
    __slots__ = ("start", "telemetry", "token", "who")

    def __init__(self, telemetry: TelemetryService, who: Any, token: Token, start: float):
        self.telemetry = telemetry
        self.who = who
        self.token = token
        self.start = start


class Instrumentation:
    """The signal receivers of one instrumented app (kept alive by Celery's signals)."""

    def __init__(
        self, app: Celery, telemetry: Callable[[], TelemetryService], event: str, timeout: float
    ) -> None:
        self.app = app
        self.telemetry = telemetry
        self.event = event
        self.timeout = timeout
        self.runs: dict[str, _Run] = {}  # task id -> its run, between prerun and postrun
        self.lock = threading.Lock()

    def published(self, sender: Any = None, headers: dict | None = None, **_: Any) -> None:
        """``before_task_publish``: the request's (or running task's) identity, in a header."""
        try:
            if headers is None or HEADER in headers:
                return
            who = web.current_identity()
            if who is not None:
                headers[HEADER] = [who[0], who[1]]
        except Exception:  # never into the caller of apply_async
            logger.debug("tenantry: no identity for the task", exc_info=True)

    def started(self, task_id: str | None = None, task: Any = None, **_: Any) -> None:
        """``task_prerun``: the clock starts; what the task enqueues carries its identity."""
        try:
            if task is None or task_id is None or getattr(task, "app", None) is not self.app:
                return
            telemetry = web.serving(self.telemetry)
            if telemetry is None:
                return
            header = getattr(task.request, HEADER, None)
            if type(header) in (list, tuple) and len(header) == 2:
                who = (header[0], header[1])
            else:  # an eager run inside a request, or a task enqueued outside of one
                who = web.current_identity()
            token = web.enter(web.RequestScope.known(telemetry, who))
            with self.lock:
                self.runs[task_id] = _Run(telemetry, who, token, _clock())
        except Exception:
            logger.debug("tenantry: task_run tracking failed", exc_info=True)

    def finished(
        self, task_id: str | None = None, task: Any = None, state: str | None = None, **_: Any
    ) -> None:
        """``task_postrun``: one ``task_run`` event."""
        with self.lock:
            run = self.runs.pop(task_id, None) if task_id is not None else None
        if run is None:
            return
        try:
            ms = (_clock() - run.start) * 1000.0
            web.leave(run.token)
            retries = getattr(task.request, "retries", 0) or 0
            facts = TaskFacts(task.name, state or "OTHER", ms, retries)
            who = run.who
            if who is None:
                run.telemetry.record_task(facts, event=self.event)
            else:
                run.telemetry.record_task(
                    facts, developer_id=who[0], end_user_id=who[1], event=self.event
                )
            run.telemetry.request_done()
        except Exception:
            logger.debug("tenantry: task_run tracking failed", exc_info=True)

    def exiting(self, **_: Any) -> None:
        """``worker_process_shutdown`` / ``worker_shutdown``: deliver what this process holds."""
        try:
            self.telemetry().flush(self.timeout)
        except Exception:
            logger.debug("tenantry: flush at worker exit failed", exc_info=True)


def instrument(
    celery_app: Celery,
    *,
    telemetry: TelemetryService | Callable[[], TelemetryService] | None = None,
    event: str = EVENT,
    timeout: float = 5.0,
) -> Instrumentation:
    """Record a ``task_run`` per run of ``celery_app``'s tasks (see the module docstring) and
    carry the enqueuing request's identity in each message. ``telemetry``: a
    ``TelemetryService`` or a callable returning one; default ``get_telemetry()``.
    ``timeout``: how long a worker process may take to flush when it exits. Calling it again
    for the same app changes nothing."""
    uid = f"tenantry-{id(celery_app)}"
    existing = getattr(celery_app, "tenantry_instrumentation", None)
    if isinstance(existing, Instrumentation):
        return existing
    hooks = Instrumentation(celery_app, web.telemetry_source(telemetry), event, timeout)
    signals.before_task_publish.connect(hooks.published, weak=False, dispatch_uid=uid)
    signals.task_prerun.connect(hooks.started, weak=False, dispatch_uid=uid)
    signals.task_postrun.connect(hooks.finished, weak=False, dispatch_uid=uid)
    signals.worker_process_shutdown.connect(hooks.exiting, weak=False, dispatch_uid=uid)
    signals.worker_shutdown.connect(hooks.exiting, weak=False, dispatch_uid=uid)
    celery_app.tenantry_instrumentation = hooks
    web.want_identity_early()
    return hooks
