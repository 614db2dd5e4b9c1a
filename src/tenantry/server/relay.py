"""The relay: ``POST /v1/telemetry/events`` for opensource installations.

It trusts no sender. Every event goes through the opensource policy again (an email or a raw
ID a client sends never reaches a store: user IDs are re-keyed with this service's secret,
personal data is filtered), the client's context fields must pass the same value filter and an
allow-list of shapes, duplicates (same uuid) are dropped, people on the suppression list
(``tenantry forget``) are dropped by their raw or re-keyed ID, and what is left is handed to the
relay's destinations (default: the configured event store) by one ``Sender`` each, off the event
loop. A bad event is rejected alone (``rejected: [{"index", "reason"}]``), never its batch.
[PostHog capture endpoint; Vector http_server source]
"""

from __future__ import annotations

import threading
import time
import uuid as uuidlib
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from tenantry._installation import load_or_create_secret, new_anonymous_id
from tenantry.config import Settings
from tenantry.counters import Counters
from tenantry.destinations import build
from tenantry.destinations.base import Destination, Result, Status
from tenantry.events import Event
from tenantry.limits import MAX_ANONYMOUS_ID, MAX_EVENT_NAME, MAX_ID, MAX_UUID
from tenantry.pipeline.sender import Sender
from tenantry.policy import build_chain, shape
from tenantry.policy.context import CONTEXT_KEYS
from tenantry.store.suppression import SuppressionList


class RelayEvent(BaseModel):
    """One event as an opensource installation's ``relay`` destination sends it."""

    model_config = ConfigDict(extra="ignore")

    event_name: str = Field(min_length=1, max_length=MAX_EVENT_NAME)
    properties: dict[str, Any] = Field(default_factory=dict)
    user_id: str | None = Field(None, max_length=MAX_ID)
    timestamp: datetime | float | None = None
    uuid: str | None = Field(None, max_length=MAX_UUID)


_EVENT = TypeAdapter(RelayEvent)


class RelayBatch(BaseModel):
    """The relay's request body: the envelope. Each event is validated on its own (see
    ``RelayEvent``); one that does not fit is listed in ``rejected``."""

    model_config = ConfigDict(extra="ignore")

    events: list[Any] = Field(
        description="events as RelayEvent objects: event_name (1-256 characters), properties, "
        "user_id, timestamp (ISO 8601 or epoch seconds), uuid"
    )
    anonymous_id: str | None = Field(None, max_length=MAX_ANONYMOUS_ID)


class Rejected(BaseModel):
    index: int
    reason: str


class RelayResult(BaseModel):
    success: bool
    events_received: int
    events_processed: int
    rejected: list[Rejected] = Field(default_factory=list)


def _reason(exc: ValidationError) -> str:
    err = exc.errors()[0]
    where = ".".join(str(p) for p in err.get("loc", ())) or "event"
    return f"{where}: {err.get('msg', 'invalid')}"[:200]  # never the input: it may be personal


RELAY_BUFFER_BYTES = 64 * 1024 * 1024  # per destination; beyond half of it the relay says 503


class Relay:
    """Re-shapes, dedups and forwards relayed events. ``accept`` runs on the event loop."""

    def __init__(
        self,
        settings: Settings,
        *,
        destinations: Sequence[Destination] | None = None,
        dedup_size: int = 1_000_000,
        dedup: Any = None,
    ) -> None:
        self.counters = Counters()
        secret = load_or_create_secret(settings.data_dir, settings.secret)
        self.chain = build_chain(
            settings,
            secret=secret,
            anonymous_id=new_anonymous_id(),
            profile_lookup=None,
            counters=self.counters,
            relayed=True,
        )
        self.suppression = SuppressionList(settings.data_dir)
        if destinations is None:
            names = [p for p in settings.providers if p not in ("relay", "none", "amplitude")]
            destinations = [build(settings, name) for name in names or ["local"]]
        self.senders = [
            Sender(
                d,
                counters=self.counters,
                on_final=self._final,
                soft_bytes=RELAY_BUFFER_BYTES // 4,
                hard_bytes=RELAY_BUFFER_BYTES,
            )
            for d in destinations
        ]
        if dedup is None:
            from tenantry.store.dedup import LocalDedup

            dedup = LocalDedup(dedup_size)
        self.dedup = dedup  # first_seen(uuids) -> [bool]; shared via Redis across replicas
        self._two_step = hasattr(dedup, "seen") and hasattr(dedup, "mark")
        self.spool = None
        self._outstanding: dict[str, int] = {}
        self._lock = threading.Lock()
        if settings.durable:  # accepted relay events survive a crash of this replica
            from tenantry.pipeline.spool import Spool

            self.spool = Spool(
                settings.data_dir / "relay-spool", settings.spool_max_bytes, self.counters
            )
            replayed = self.spool.replay()
            if replayed:
                self.counters.incr("replayed", len(replayed))
                self._submit(replayed)

    def accept(self, batch: RelayBatch) -> tuple[int, list[dict]]:
        """Validate, shape and queue ``batch``'s events one by one; return how many were kept
        (not rejected, duplicate, suppressed or dropped by the policy) and the rejections."""
        now = time.time()
        rejected: list[dict] = []
        valid: list[tuple[RelayEvent, str | None]] = []
        for index, raw in enumerate(batch.events):
            try:
                item = _EVENT.validate_python(raw)
            except ValidationError as exc:
                rejected.append({"index": index, "reason": _reason(exc)})
                self.counters.drop("invalid_event")
                continue
            valid.append((item, _uuid(item.uuid)))
        known = [uid for _, uid in valid if uid]
        if not known:
            fresh = iter(())
        elif self._two_step:  # seen now, marked once spooled (below)
            fresh = iter([not seen for seen in self.dedup.seen(known)])
        else:
            fresh = iter(self.dedup.first_seen(known))
        kept: list[Event] = []
        anonymous = batch.anonymous_id
        # Check now, mark once spooled: a crash in between costs a duplicate, never a loss.
        in_batch: set[str] = set()
        for item, uid in valid:
            if uid and (not next(fresh) or uid in in_batch):
                self.counters.drop("duplicate")
                continue
            if uid:
                in_batch.add(uid)
            user = item.user_id or anonymous
            if user and self.suppression.contains(user):
                self.counters.drop("suppressed")
                continue
            props = dict(item.properties)
            draft = {
                "kind": "track",
                "event": item.event_name,
                "properties": props,
                "user_id": user,
                "developer_id": None,
                "timestamp": _epoch(item.timestamp, now),
                "uuid": uid or str(uuidlib.uuid4()),
                "duration_ms": None,
                "client_context": {k: props.get(k) for k in CONTEXT_KEYS},
            }
            event = shape(self.chain, draft)
            if event is None:
                continue
            if self.suppression.contains(event.distinct_id):  # forgotten by the re-keyed ID
                self.counters.drop("suppressed")
                continue
            kept.append(event)
        if kept:
            self.counters.incr("accepted", len(kept))
            if self.spool is not None:
                self.spool.append(kept)
            self._submit(kept)
        if self._two_step and in_batch:
            self.dedup.mark(list(in_batch))
        return len(kept), rejected

    def busy(self) -> bool:
        """True while a destination holds half its buffer: the route answers 503 (clients
        retry later) rather than accept events that its sender would have to drop."""
        return any(
            s.bytes >= s.hard_bytes // 2 or s.pending >= s._max_buffer // 2 for s in self.senders
        )

    def _submit(self, events: list[Event]) -> None:
        if self.spool is not None:
            with self._lock:
                for e in events:
                    self._outstanding[e.uuid] = len(self.senders)
        for sender in self.senders:
            sender.submit(events)

    def _final(self, name: str, events: Sequence[Event], results: Sequence[Result]) -> None:
        for result in results:
            if result.status is Status.DELIVERED:
                self.counters.incr("delivered")
            else:
                self.counters.drop(f"rejected:{name}")
        if self.spool is not None:
            done = []
            with self._lock:
                for e in events:
                    left = self._outstanding.get(e.uuid, 1) - 1
                    if left > 0:
                        self._outstanding[e.uuid] = left
                    else:
                        self._outstanding.pop(e.uuid, None)
                        done.append(e.uuid)
            self.spool.ack(done)

    def flush(self, timeout: float = 5.0) -> bool:
        deadline = time.monotonic() + timeout
        for sender in self.senders:
            sender.request_flush(True)
        try:
            while time.monotonic() < deadline:
                if all(s.idle() for s in self.senders):
                    return True
                time.sleep(0.01)
            return False
        finally:
            for sender in self.senders:
                sender.request_flush(False)

    def shutdown(self, timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        for sender in self.senders:
            sender.stop(max(0.0, deadline - time.monotonic()))
        if self.spool is not None:
            self.spool.close()

    def status(self) -> dict[str, Any]:
        snap = self.counters.snapshot()
        snap["destinations"] = {s.name: dict(s.stats, pending=s.pending) for s in self.senders}
        return snap


def _epoch(value: datetime | float | None, now: float) -> float:
    """A client's timestamp, as epoch seconds; missing or implausible (future) -> now."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            return now
        try:
            value = value.timestamp()
        except (OverflowError, OSError, ValueError):
            return now
    if value is None or value != value or value <= 0 or value > now + 300:
        return now
    return float(value)


def _uuid(value: str | None) -> str | None:
    """The client's uuid in canonical form when ``uuid.UUID`` parses it (kept across relays and
    deduplicated in that form), else None (the event gets a new one and no dedup)."""
    if not value:
        return None
    try:
        return str(uuidlib.UUID(value))
    except ValueError:
        return None
