"""The relay: ``POST /v1/telemetry/events`` for opensource installations.

It trusts no sender. Every event goes through the opensource policy again (an email or a raw
ID a client sends never reaches a store: user IDs are re-keyed with this server's secret,
personal data is filtered), the client's context fields must pass the same value filter and an
allow-list of shapes, duplicates (same uuid) are dropped, people on the suppression list
(``tenantry forget``) are dropped by their raw or re-keyed ID (the intake's one check,
``pipeline.intake``, the library's too), and what is left is handed to the relay's destinations
(the configured ones that take relayed events, ``DestinationKind.relayed``; default: the local
event store) by one ``Sender`` each, off the event loop. A bad event is rejected alone
(``rejected: [{"index", "reason"}]``), never its batch: one that does not validate, one
holding a string JSON cannot encode (a lone surrogate: ``unencodable``), one whose name would
go past the day's allowance of distinct event names (``too_many_event_names``, see
``EventNames``). A ``uuid`` is kept only in canonical form (what
``str(uuid.UUID(...))`` prints); anything else, another spelling included, is replaced by a
fresh one, so the field carries nothing but a UUID. [PostHog capture endpoint; Vector
http_server source]

All of it (the rate limits, dedup and suppression checks, which may wait on Redis or a file, and
the shaping) runs on the relay's own thread (``run``), never on the event loop: a slow Redis
slows the relay, not ``/healthz`` or the API.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import orjson
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    field_validator,
)

from tenantry._installation import load_or_create_secret, new_anonymous_id
from tenantry.config import DESTINATION_KINDS, Settings
from tenantry.counters import Counters
from tenantry.destinations import build
from tenantry.destinations.base import Destination
from tenantry.events import Event, new_uuids
from tenantry.limits import MAX_ANONYMOUS_ID, MAX_EVENT_NAME, MAX_ID, MAX_UUID
from tenantry.pipeline.fanout import FanOut
from tenantry.pipeline.intake import forgotten, make_draft, suppressed_ids
from tenantry.pipeline.suppression import SuppressionList
from tenantry.policy import build_chain, pseudonymizer, shape
from tenantry.policy.context import CONTEXT_KEYS
from tenantry.timestamps import event_time


class RelayEvent(BaseModel):
    """One event as an opensource installation's ``relay`` destination sends it."""

    model_config = ConfigDict(extra="ignore")

    event_name: str = Field(min_length=1, max_length=MAX_EVENT_NAME)
    properties: dict[str, Any] = Field(default_factory=dict)
    user_id: str | None = Field(None, max_length=MAX_ID)
    # any JSON value: ``tenantry.timestamps.event_time`` reads it (pydantic would read numbers
    # as milliseconds past 2e10 and refuse what the library accepts)
    timestamp: Any = None
    uuid: str | None = Field(None, max_length=MAX_UUID)


_EVENT = TypeAdapter(RelayEvent)
_NO_PROPERTIES: dict[str, Any] = {}


def _event_fields(raw: Any) -> tuple[str, dict, str | None, Any, str | None] | None:
    """``(event_name, properties, user_id, timestamp, uuid)`` of ``raw`` when ``RelayEvent``
    would accept it, else None (then ``RelayEvent`` itself says why). The one validation of a
    well-formed event: the model's rules, written out for the JSON types the body parser gives
    (``tests/server/test_relay.py`` checks both agree), without building a model per event."""
    if type(raw) is not dict:
        return None
    name = raw.get("event_name")
    props = raw.get("properties", _NO_PROPERTIES)  # the parsed body's own dict: not copied
    user = raw.get("user_id")
    uid = raw.get("uuid")
    if (
        type(name) is str
        and 0 < len(name) <= MAX_EVENT_NAME
        and type(props) is dict
        and (user is None or (type(user) is str and len(user) <= MAX_ID))
        and (uid is None or (type(uid) is str and len(uid) <= MAX_UUID))
    ):
        return name, props if props is not _NO_PROPERTIES else {}, user, raw.get("timestamp"), uid
    return None


class RelayBatch(BaseModel):
    """The relay's request body: the envelope. Each event is validated on its own (see
    ``RelayEvent``); one that does not fit is listed in ``rejected``."""

    model_config = ConfigDict(extra="ignore")

    events: list[Any] = Field(
        description="events as RelayEvent objects: event_name (1-256 characters), properties, "
        "user_id, timestamp (ISO 8601 or epoch seconds), uuid"
    )
    anonymous_id: str | None = Field(None, max_length=MAX_ANONYMOUS_ID)

    @field_validator("anonymous_id")
    @classmethod
    def _encodable_id(cls, value: str | None) -> str | None:
        if value is not None and not _encodable(value):
            raise ValueError("not valid Unicode (a lone surrogate)")
        return value


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
T = TypeVar("T")


class EventNames:
    """The day's allowance of distinct event names (UTC days, this process): ``per_source``
    for one installation, ``total`` for all together. ``allow(source, name, now)`` is False for
    a name past either; names already taken today always pass. Installations are remembered in
    LRU order up to ``max_entries`` (installation, name) pairs (~100 bytes each); one forgotten
    starts its count again, the total still holds. One thread only (the relay's)."""

    def __init__(self, per_source: int, total: int, *, max_entries: int = 200_000) -> None:
        self.per_source = per_source
        self.total = total
        self.max_entries = max_entries
        self._day = -1
        self._names: set[str] = set()
        self._by_source: OrderedDict[str, set[str]] = OrderedDict()
        self._entries = 0

    def allow(self, source: str, name: str, now: float) -> bool:
        day = int(now // 86400)
        if day != self._day:
            self._day, self._names, self._by_source, self._entries = day, set(), OrderedDict(), 0
        taken = self._by_source.get(source)
        if taken is None:
            taken = self._by_source[source] = set()
        else:
            self._by_source.move_to_end(source)
            if name in taken:
                return True
        if len(taken) >= self.per_source:
            return False
        if name not in self._names:
            if len(self._names) >= self.total:
                return False
            self._names.add(name)
        taken.add(name)
        self._entries += 1
        while self._entries > self.max_entries and len(self._by_source) > 1:
            _, dropped = self._by_source.popitem(last=False)
            self._entries -= len(dropped)
        return True


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
        self.rekey = pseudonymizer(self.chain)  # the chain's own: the intake checks both IDs
        if destinations is None:
            names = [p for p in settings.destinations if DESTINATION_KINDS[p].relayed]
            destinations = [build(settings, name) for name in names or ["local"]]
        spool = None
        if settings.durable:  # accepted relay events survive a crash of this replica
            from tenantry.pipeline.spool import Spool

            spool = Spool(
                settings.data_dir / "relay-spool",
                settings.spool_max_bytes,
                self.counters,
                destinations=[d.name for d in destinations],
            )
        self.fanout = FanOut(
            destinations,
            counters=self.counters,
            soft_bytes=RELAY_BUFFER_BYTES // 4,
            hard_bytes=RELAY_BUFFER_BYTES,
            spool=spool,
        )
        if dedup is None:
            from tenantry.store.dedup import LocalDedup

            dedup = LocalDedup(dedup_size)
        self.dedup = dedup  # first_seen(uuids) -> [bool]; shared via Redis across replicas
        self._two_step = hasattr(dedup, "seen") and hasattr(dedup, "mark")
        self.names = EventNames(
            settings.relay_max_event_names, settings.relay_max_event_names_total
        )
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="tenantry-relay")
        self.fanout.replay()

    async def run(self, work: Callable[[], T]) -> T:
        """``work()`` on the relay's thread (one: the limiters and ``EventNames`` it uses are
        not shared with any other)."""
        return await asyncio.get_running_loop().run_in_executor(self._thread, work)

    def accept(
        self, batch: RelayBatch, source: str | None = None, *, encodable: bool = False
    ) -> tuple[int, list[dict]]:
        """Validate, shape and queue ``batch``'s events one by one; return how many were kept
        (not rejected, duplicate, suppressed or dropped by the policy) and the rejections.
        ``source`` (the client's address) names the installation when the batch has no
        ``anonymous_id``. ``encodable``: the body parser already proved every string UTF-8
        encodable (``relay_routes.parse_body``), so no event is checked again for it.
        Blocking (Redis, files): call it through ``run``."""
        now = time.time()
        rejected: list[dict] = []
        valid: list[tuple[tuple, str | None]] = []
        installation = batch.anonymous_id or source or ""
        allow = self.names.allow
        for index, raw in enumerate(batch.events):
            if not encodable and not _encodable(raw):  # a destination could never write it
                rejected.append({"index": index, "reason": "unencodable"})
                self.counters.drop("unencodable")
                continue
            fields = _event_fields(raw)
            if fields is None:
                try:  # what the model refuses, and why; a rare exception it accepts passes
                    item = _EVENT.validate_python(raw)
                except ValidationError as exc:
                    rejected.append({"index": index, "reason": _reason(exc)})
                    self.counters.drop("invalid_event")
                    continue
                fields = (item.event_name, item.properties, item.user_id, item.timestamp, item.uuid)
            if not allow(installation, fields[0], now):
                rejected.append({"index": index, "reason": "too_many_event_names"})
                self.counters.drop("too_many_event_names")
                continue
            valid.append((fields, _uuid(fields[4])))
        known = [uid for _, uid in valid if uid]
        if not known:
            fresh = iter(())
        elif self._two_step:  # seen now, marked once spooled (below)
            fresh = iter([not seen for seen in self.dedup.seen(known)])
        else:
            fresh = iter(self.dedup.first_seen(known))
        kept: list[Event] = []
        anonymous = batch.anonymous_id
        missing = len(valid) - len(known)
        minted = iter(new_uuids(missing) if missing else ())
        suppressed = suppressed_ids(self.suppression)  # one read of the list for the batch
        chain, counters = self.chain, self.counters
        # Check now, mark once spooled: a crash in between costs a duplicate, never a loss.
        in_batch: set[str] = set()
        for (name, properties, user_id, timestamp, _), uid in valid:
            if uid:
                if not next(fresh) or uid in in_batch:
                    counters.drop("duplicate")
                    continue
                in_batch.add(uid)
            user = user_id or anonymous
            if suppressed and forgotten(suppressed, (user,), self.rekey):  # raw or re-keyed ID
                counters.drop("suppressed")
                continue
            props = properties  # this request's own (parsed or validated): shaped in place
            # the sender's context goes to ``ClientContext``, which judges each field and
            # writes all of them and ``edition``: the filters need not look at them first
            context = {k: props.pop(k, None) for k in CONTEXT_KEYS}
            props.pop("edition", None)
            draft = make_draft(
                "track",
                name,
                props,
                user,
                None,
                event_time(timestamp, now, counters),
                uid or next(minted),
                client_context=context,
            )
            event = shape(chain, draft)
            if event is not None:
                kept.append(event)
        if kept:
            counters.incr("accepted", len(kept))
            self.fanout.submit(kept)
        if self._two_step and in_batch:
            self.dedup.mark(list(in_batch))
        return len(kept), rejected

    def busy(self) -> bool:
        """True while a destination holds half its buffer: the route answers 503 (clients
        retry later) rather than accept events that its sender would have to drop."""
        return self.fanout.half_full()

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait up to ``timeout`` seconds until every accepted event has a final result."""
        return self.fanout.flush(time.monotonic() + timeout)

    def shutdown(self, timeout: float = 5.0) -> int:
        """Send what can be sent within ``timeout``, then stop. Returns the number of events
        without a final result when it stopped, summed over the destinations (an event bound
        for two counts twice; ``FanOut.stop``): the ones never sent (dropped, counted
        ``shutdown:<destination>``, or ``shutdown_spooled:<destination>`` when the relay spool
        keeps them for the next start) plus a batch whose send had not returned by the
        deadline (not a drop: it may still land, and its result is counted when it does).
        0 when everything accepted was delivered or finally rejected."""
        try:
            return self.fanout.stop(time.monotonic() + timeout)
        finally:
            self._thread.shutdown(wait=False, cancel_futures=True)

    def status(self) -> dict[str, Any]:
        """The relay's counters, with ``destinations`` (the names) and ``per_destination`` (each
        one's counters), the keys ``TelemetryService.get_status()`` uses."""
        snap = self.counters.snapshot()
        per = self.fanout.status()
        snap["destinations"] = list(per)
        snap["per_destination"] = per
        return snap


_CANONICAL_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _uuid(value: str | None) -> str | None:
    """The client's uuid when it is a UUID in canonical form (kept across relays, the dedup
    key), else None: the event gets a fresh one (and no dedup), so no other spelling, and no
    data, passes through the field. Canonical is what ``str(uuid.UUID(value))`` prints: 32
    lower-case hex digits in 8-4-4-4-12 groups, nothing around them."""
    if value and _CANONICAL_UUID.fullmatch(value) is not None:
        return value
    return None


def _encodable(value: Any) -> bool:
    """True unless a string in ``value`` (keys included, at any depth) cannot be encoded as
    UTF-8 (a lone surrogate such as ``"\\ud800"``, which JSON text may carry as an escape)."""
    try:
        orjson.dumps(value)
        return True
    except orjson.JSONEncodeError:  # a lone surrogate, or an integer beyond 64 bits
        return not _has_surrogate(value)


def _has_surrogate(value: Any) -> bool:
    if isinstance(value, str):
        try:
            value.encode()
        except UnicodeEncodeError:
            return True
        return False
    if isinstance(value, dict):
        return any(_has_surrogate(k) or _has_surrogate(v) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return any(_has_surrogate(v) for v in value)
    return False
