"""The status document: what ``TelemetryService.get_status()`` returns and, cut to ``FILE_KEYS``,
what the status file of ``tenantry status`` holds (``pipeline.status_files``).

It is assembled from three accounts, each kept by its owner: the settings' part
(``_status.shared_status``: on or off, edition, destinations, sources, what is collected), the
counters (accepted, delivered, dropped by reason, ...) and the pipeline's own part, which the
worker reports (``Worker.status()``, ``InlineWorker.status()``: what waits, the spool, the
memory, each destination's counts). The worker writes the status file from the same function,
on its own thread, so nothing on that thread calls up into the service.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

from tenantry import __version__
from tenantry._status import shared_status
from tenantry.config import Settings
from tenantry.counters import Counters
from tenantry.destinations.base import Destination
from tenantry.policy.plan import violations_status

#: what the status file keeps of the document (``tenantry status`` reads it), with ``updated_at``
FILE_KEYS = (
    "edition",
    "providers",
    "queued",
    "accepted",
    "delivered",
    "dropped",
    "failed",
    "spooled",
    "drops",
    "destinations",
    "plan",
    "per_destination",
)


def destination_names(
    settings: Settings, destinations: Sequence[str | Destination] | None
) -> list[str]:
    """The names of the destinations a service was given (instances by their ``name``), else
    those of the ``destinations`` setting."""
    if destinations is not None:
        return [d if isinstance(d, str) else d.name for d in destinations]
    return list(settings.destinations)


class Reporting(Protocol):
    """What a worker (``Worker``, ``InlineWorker``) offers for its status file."""

    settings: Settings
    counters: Counters
    names: list[str]

    def status(self) -> dict[str, Any]: ...


def pipeline_status(
    *,
    queued: int,
    memory: dict[str, Any],
    per_destination: dict[str, Any],
    error: str | None = None,
    spooled: int = 0,
    durability: dict[str, float] | None = None,
) -> dict[str, Any]:
    """A worker's part of the document, in the document's order."""
    doc: dict[str, Any] = {"queued": queued, "spooled": spooled, "durability": durability}
    if error:
        doc["error"] = error
    doc["memory"] = memory
    doc["per_destination"] = per_destination
    return doc


def status_file_of(worker: Reporting) -> Callable[[], dict[str, Any]]:
    """The status file's content from ``worker``'s own accounts (its reporter calls this on
    the worker's thread: nothing calls up into the service)."""
    return lambda: file_document(
        status_document(worker.settings, worker.counters, worker.names, worker.status())
    )


def status_document(
    settings: Settings,
    counters: Counters,
    names: Sequence[str],
    pipeline: Mapping[str, Any] | None,
    *,
    closed: bool = False,
) -> dict[str, Any]:
    """The whole document. ``pipeline``: the worker's ``status()``, or None when there is no
    worker (telemetry off)."""
    snap = counters.snapshot()
    doc = shared_status(settings, names)
    doc.update(
        {
            "version": __version__,
            "mode": settings.mode,
            "closed": closed,
            "queued": 0,
            "accepted": snap.get("accepted", 0),
            "delivered": snap.get("delivered", 0),
            "dropped": snap.get("dropped", 0),
            "failed": snap.get("failed", 0),
            "spooled": 0,
            "drops": snap.get("drops", {}),
            # what was meant not to be sent is counted, never dropped: identify/group with
            # nowhere to go (opensource), events a sample rate left out
            "counters": {"identify_skipped": 0, "sampled_out": 0}
            | {k: v for k, v in snap.items() if k != "drops"},
            # the same value as ``providers`` (the README's status section); the counts are in
            # per_destination
            "destinations": doc["providers"],
            "per_destination": {},
            "durable": settings.durable,
            # durable only: seconds since the oldest accepted call not yet written to the spool
            # (lag), the most it has been (max_lag), and since the oldest write not yet fsynced
            # (unsynced)
            "durability": None,
            # the tracking plan: file, modes, violations by event and property (or None)
            "plan": violations_status(settings.plan, counters),
        }
    )
    if pipeline is not None:
        doc.update(pipeline)
    return doc


def file_document(doc: Mapping[str, Any]) -> dict[str, Any]:
    """What the status file holds of ``doc``: ``FILE_KEYS`` and the time it was written."""
    return {k: doc[k] for k in FILE_KEYS} | {"updated_at": time.time()}
