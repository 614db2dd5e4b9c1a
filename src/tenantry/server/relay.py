"""The relay: ``POST /v1/telemetry/events`` for opensource installations.

It trusts no sender. Every event goes through the opensource policy again (an email or a raw
ID a client sends never reaches a store: user IDs are re-keyed with this service's secret,
personal data is filtered), duplicates (same ``uuid``) are dropped, and what is left is handed
to the relay's destinations (default: the configured event store) by one ``Sender`` each, off
the event loop. [PostHog capture endpoint; Vector http_server source]
"""

from __future__ import annotations

import re
import threading
import time
import uuid as uuidlib
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from tenantry._installation import load_or_create_secret, new_anonymous_id
from tenantry.config import Settings
from tenantry.destinations import build
from tenantry.destinations.base import Destination, Result, Status
from tenantry.events import Event
from tenantry.pipeline.counters import Counters
from tenantry.pipeline.sender import Sender
from tenantry.policy import Chain, build_chain, shape
from tenantry.policy.processors import AddContext

MAX_EVENTS = 1000
MAX_BODY_BYTES = 1024 * 1024
CONTEXT_KEYS = ("os", "arch", "version", "python_version")
_TOKEN = re.compile(r"[A-Za-z0-9._+-]{1,32}")


class RelayEvent(BaseModel):
    """One event as an opensource installation's ``relay`` destination sends it."""

    model_config = ConfigDict(extra="ignore")

    event_name: str = Field(min_length=1, max_length=200)
    properties: dict[str, Any] = Field(default_factory=dict)
    user_id: str | None = Field(None, max_length=512)
    timestamp: datetime | float | None = None
    uuid: str | None = Field(None, max_length=64)


class RelayBatch(BaseModel):
    """The relay's request body."""

    model_config = ConfigDict(extra="ignore")

    events: list[RelayEvent]
    anonymous_id: str | None = Field(None, max_length=200)


class RelayResult(BaseModel):
    success: bool
    events_received: int
    events_processed: int


class ClientContext:
    """Keeps the sender's ``os``/``arch``/``version``/``python_version`` when each is a short
    plain token (else ``unknown``), instead of stamping the relay's own platform on them."""

    def __call__(self, draft: dict) -> dict:
        props = draft["properties"]
        sent = draft.get("client_context") or {}
        for key in CONTEXT_KEYS:
            value = sent.get(key)
            props[key] = value if isinstance(value, str) and _TOKEN.fullmatch(value) else "unknown"
        props["edition"] = "opensource"
        return draft


class Relay:
    """Re-shapes, dedups and forwards relayed events. ``accept`` is cheap enough for the loop."""

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
        chain = build_chain(
            settings.model_copy(update={"edition": "opensource"}),
            secret=secret,
            anonymous_id=new_anonymous_id(),
            profile_lookup=None,
            counters=self.counters,
        )
        processors = [p for p in chain if not isinstance(getattr(p, "__self__", None), AddContext)]
        processors.insert(len(processors) - 1, ClientContext())
        self.chain = Chain(processors, self.counters)
        if destinations is None:
            names = [p for p in settings.providers if p not in ("relay", "none", "amplitude")]
            destinations = [build(settings, name) for name in names or ["local"]]
        self.senders = [
            Sender(d, counters=self.counters, on_final=self._final) for d in destinations
        ]
        if dedup is None:
            from tenantry.shared_state import LocalDedup

            dedup = LocalDedup(dedup_size)
        self.dedup = dedup  # first_seen(uuids) -> [bool]; shared via Redis across replicas
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

    def accept(self, batch: RelayBatch) -> int:
        """Shape and queue ``batch``; return how many events were kept (not duplicates, not
        dropped by the policy)."""
        now = time.time()
        kept: list[Event] = []
        anonymous = batch.anonymous_id
        given = [item.uuid for item in batch.events if item.uuid]
        # Check now, mark once spooled: a crash in between costs a duplicate, never a loss.
        two_step = hasattr(self.dedup, "seen")
        check = self.dedup.seen if two_step else self.dedup.first_seen
        fresh = iter([not s for s in check(given)] if two_step else check(given))
        in_batch: set[str] = set()
        for item in batch.events:
            uid = item.uuid
            if uid and (not next(fresh) or uid in in_batch):
                self.counters.drop("duplicate")
                continue
            if uid:
                in_batch.add(uid)
            props = dict(item.properties)
            context = {k: props.get(k) for k in CONTEXT_KEYS}
            draft = {
                "kind": "track",
                "event": item.event_name,
                "properties": props,
                "user_id": item.user_id or anonymous,
                "developer_id": None,
                "timestamp": _epoch(item.timestamp, now),
                "uuid": _uuid(uid),
                "duration_ms": None,
                "client_context": context,
            }
            event = shape(self.chain, draft)
            if event is None:
                continue
            kept.append(event)
        if kept:
            self.counters.incr("accepted", len(kept))
            if self.spool is not None:
                self.spool.append(kept)
            self._submit(kept)
        if two_step and in_batch:
            self.dedup.mark(list(in_batch))
        return len(kept)

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


_UUID = re.compile(r"[0-9a-fA-F-]{8,64}")


def _uuid(value: str | None) -> str:
    """The client's uuid when it looks like one (kept across relays), else a new one."""
    if value and _UUID.fullmatch(value):
        return value.lower()
    return str(uuidlib.uuid4())
