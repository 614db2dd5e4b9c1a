"""What an integration measured, handed to the service's ports: ``RequestFacts`` for one HTTP
request (``TelemetryService.record_request``), ``TaskFacts`` for one task run
(``TelemetryService.record_task``).

Facts are the framework's own numbers and names (a route template, a task's registered name),
never caller data: the edition policy turns them into properties after its privacy filters ran
(``policy.processors.RequestProperties`` and ``TaskProperties``), cloud keeping them exact and
opensource keeping classes and buckets only.

    from tenantry.facts import RequestFacts

    telemetry.record_request(
        RequestFacts("/v1/memories/{memory_id}", "GET", 200, 12.5, 0, 321),
        developer_id="dev_abc", end_user_id="usr_42",
    )
"""

from __future__ import annotations

from dataclasses import dataclass

UNMATCHED = "(unmatched)"  # the one route template of every request no route matched


@dataclass(slots=True)
class RequestFacts:
    """One HTTP request. ``route`` is the matched route's template (``/v1/memories/{memory_id}``,
    never the path; ``UNMATCHED`` when no route matched), ``duration_ms`` runs until the last
    chunk of the body, ``request_bytes``/``response_bytes`` are body sizes."""

    route: str
    method: str
    status: int
    duration_ms: float
    request_bytes: int = 0
    response_bytes: int = 0


@dataclass(slots=True)
class TaskFacts:
    """One run of a background task. ``name`` is the task's registered name
    (``billing.tasks.send_invoice``), ``state`` how the run ended (Celery's ``SUCCESS``,
    ``FAILURE``, ``RETRY``, ...), ``retries`` how many times it had been retried before this run."""

    name: str
    state: str
    duration_ms: float
    retries: int = 0
