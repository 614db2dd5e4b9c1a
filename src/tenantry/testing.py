"""Helpers for testing code instrumented with tenantry. [OpenTelemetry InMemorySpanExporter;
structlog capture_logs]

    from tenantry.testing import capture_events

    with capture_events(edition="cloud") as events:
        await get_telemetry().track("memory_created", {...}, user_id="u1", developer_id="dev_1")
    assert events[0]["distinct_id"] == "dev_1"

Or hand an ``InMemoryDestination`` to a service of your own, beside or instead of the others::

    memory = InMemoryDestination()
    service = TelemetryService(destinations=[memory], edition="cloud")

The in-memory destination is reachable only from here: ``TELEMETRY_PROVIDER`` does not take
``memory``, so a production configuration can never select it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from tenantry.destinations.base import DELIVERED, BatchConfig, Destination, Result
from tenantry.events import Event, events_only

__all__ = ["CapturedEvents", "InMemoryDestination", "capture_events"]


class InMemoryDestination(Destination):
    """Keeps every shaped event it is sent, in order, and delivers each. Thread-safe.
    ``name`` tells several apart (``TelemetryService.destination(name)``). With ``people``, it
    also keeps the cloud people updates (``identify``, ``group``, the developer's profile:
    events named ``$identify``/``$groupidentify``); without, it keeps events only, as the
    stores do."""

    name = "memory"
    batch = BatchConfig(max_events=1000, max_age=0.01)

    def __init__(self, *, name: str = "memory", people: bool = False) -> None:
        self.name = name
        self.people = people  # an instance attribute over ``Destination.people``
        self._events: list[Event] = []
        self._lock = threading.Lock()
        self.shut_down = False

    def send(self, batch: Sequence[Event], timeout: float) -> list[Result]:
        kept = batch if self.people else events_only(batch)
        with self._lock:
            self._events.extend(kept)
        return [DELIVERED] * len(batch)

    def shutdown(self, timeout: float) -> None:
        self.shut_down = True

    @property
    def events(self) -> list[Event]:
        with self._lock:
            return list(self._events)

    def clear(self) -> None:
        with self._lock:
            self._events.clear()


class CapturedEvents(Sequence[dict]):
    """The shaped events of a ``capture_events`` block, as the jsonl dicts plus
    ``developer_id``/``end_user_id``. Reading it first flushes the pipeline."""

    def __init__(self, service: Any, destination: InMemoryDestination) -> None:
        self._service = service
        self._destination = destination

    def _load(self) -> list[dict]:
        if not self._service._closed:
            self._service.flush(5.0)
        out = []
        for e in self._destination.events:
            d = e.to_dict()
            d["developer_id"] = e.developer_id
            d["end_user_id"] = e.end_user_id
            out.append(d)
        return out

    def __getitem__(self, index):  # type: ignore[override]
        return self._load()[index]

    def __len__(self) -> int:
        return len(self._load())

    def __iter__(self) -> Iterator[dict]:
        return iter(self._load())

    @property
    def service(self) -> Any:
        return self._service


@contextmanager
def capture_events(**overrides: Any) -> Iterator[CapturedEvents]:
    """Install a process-wide ``TelemetryService`` that keeps shaped events in memory."""
    from tenantry.service import TelemetryService, set_telemetry

    destination = InMemoryDestination()
    overrides.setdefault("enabled", True)
    overrides.setdefault("do_not_track", False)
    service = TelemetryService(destinations=[destination], **overrides)
    previous = set_telemetry(service)
    try:
        yield CapturedEvents(service, destination)
    finally:
        service.flush(5.0)
        set_telemetry(previous)
        service.shutdown(5.0)
