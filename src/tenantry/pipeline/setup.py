"""The worker's setup, run once on the worker thread (so constructing a ``TelemetryService`` does
no I/O on the caller's thread): the installation secret, the developer-profile lookup, the
policy chain, the suppression list, the destinations and the first-run notice, the fan-out, in
durable mode the spool with the replay of what earlier processes left in it, and what to do when
the memory budget is full (``TELEMETRY_WHEN_FULL``; with ``overflow``, the ``Overflow``).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tenantry import _installation
from tenantry.config import DESTINATION_KINDS, Settings
from tenantry.counters import Counters
from tenantry.destinations import build
from tenantry.destinations.base import Destination
from tenantry.pipeline.backlog import Budget
from tenantry.pipeline.fanout import FanOut, OnError
from tenantry.pipeline.overflow import Overflow, writable
from tenantry.pipeline.suppression import SuppressionList
from tenantry.policy import build_chain
from tenantry.policy.hooks import Hooks, ServiceChain

logger = logging.getLogger("tenantry")

ProfileLookup = Callable[[str], Mapping[str, Any] | None]


@dataclass(slots=True)
class Parts:
    """What the worker shapes and sends with."""

    chain: Any  # the policy chain (``policy.build_chain``)
    suppression: SuppressionList | None  # ``tenantry forget``'s list; None when unreadable
    fanout: FanOut
    when_full: str  # "overflow", "block" or "drop" (``TELEMETRY_WHEN_FULL``, resolved)
    overflow: Overflow | None  # with "overflow"


def set_up(
    settings: Settings,
    counters: Counters,
    *,
    destinations: Sequence[str | Destination] | None,
    profile_lookup: ProfileLookup | None | str,
    on_error: OnError | None,
    budget: Budget,
    room: threading.Event,
    hooks: Hooks | None = None,
) -> Parts:
    """Build the worker's parts. ``destinations``: instances, and names built from ``settings``;
    None: the ``settings.destinations`` names (one that cannot be built is logged and counted
    ``destination_errors:<name>``).
    ``profile_lookup`` ``"auto"``: the identity store's, in cloud mode when there is one.
    ``hooks``: the service's ``before_send``, sampling and super properties."""
    s = settings
    chain, suppression, destinations = prepare(
        s, counters, destinations=destinations, profile_lookup=profile_lookup, hooks=hooks
    )
    spool = None
    if s.durable:
        from tenantry.pipeline.spool import Spool

        names = [d.name for d in destinations]
        spool = Spool(s.data_dir / "spool", s.spool_max_bytes, counters, destinations=names)
    max_bytes = s.queue_max_bytes
    fanout = FanOut(
        destinations,
        counters=counters,
        soft_bytes=max_bytes // 16,
        hard_bytes=max_bytes // 2,
        spool=spool,
        on_error=on_error,
        budget=budget,
        room=room,
    )
    fanout.replay()
    when_full = when_full_for(s)
    overflow = None
    if when_full == "overflow":  # nothing is created on disk before the first chunk spills
        overflow = Overflow(s.data_dir / "overflow", s.overflow_max_bytes)
    return Parts(
        chain=chain,
        suppression=suppression,
        fanout=fanout,
        when_full=when_full,
        overflow=overflow,
    )


def when_full_for(s: Settings) -> str:
    """``TELEMETRY_WHEN_FULL`` as set, else ``overflow`` when the data dir is writable (or can be
    created) and ``drop`` when it is not."""
    if s.when_full is not None:
        return s.when_full
    return "overflow" if writable(s.data_dir) else "drop"


def prepare(
    settings: Settings,
    counters: Counters,
    *,
    destinations: Sequence[str | Destination] | None,
    profile_lookup: ProfileLookup | None | str,
    hooks: Hooks | None = None,
) -> tuple[ServiceChain, SuppressionList | None, list[Destination]]:
    """What shaping and sending need, threads or not (``pipeline.inline``): the chain (with the
    service's hooks and, in cloud with a destination that takes them, people updates), the
    suppression list and the destinations; shows the first-run notice."""
    s = settings
    secret = b""
    if s.edition == "opensource":
        secret = _installation.load_or_create_secret(s.data_dir, s.secret)
    anonymous_id = _installation.new_anonymous_id()
    built = _build_destinations(
        s, s.destinations if destinations is None else destinations, counters
    )
    if s.edition == "opensource" and any(_off_machine(d) for d in built):
        _installation.show_notice_once(s.data_dir)
    lookup = _lookup(s) if profile_lookup == "auto" else profile_lookup
    chain = build_chain(
        s,
        secret=secret,
        anonymous_id=anonymous_id,
        profile_lookup=lookup,
        counters=counters,
        plan=s.plan,
    )
    chain = ServiceChain(
        chain,
        hooks,
        counters=counters,
        people=s.edition == "cloud" and any(d.people for d in built),
        anonymous_id=anonymous_id,
        profile_lookup=lookup,
    )
    suppression = None
    try:
        suppression = SuppressionList(s.data_dir)
    except Exception as exc:
        logger.debug("tenantry: no suppression list (%s)", exc)
    return chain, suppression, built


def _off_machine(destination: Destination) -> bool:
    """Its events leave this machine (an instance of no registered name, such as the tests'
    in-memory destination, does not count)."""
    kind = DESTINATION_KINDS.get(destination.name)
    return kind is not None and kind.off_machine


def _lookup(s: Settings) -> ProfileLookup | None:
    """The identity store's profile lookup, in cloud mode when there is a database to read."""
    if s.edition != "cloud" or not (s.database_url or (s.data_dir / "identity.db").exists()):
        return None
    try:  # imported only when there is a database to read (SQLAlchemy is ~20 MB)
        from tenantry.identity.enrichment import profile_lookup

        return profile_lookup(s)
    except Exception as exc:  # identity is optional for the library
        logger.info("tenantry: no profile lookup (%s)", exc)
        return None


def _build_destinations(
    s: Settings, wanted: Sequence[str | Destination], counters: Counters
) -> list[Destination]:
    """Instances as they are; names built from ``s`` (one that cannot be built is logged and
    counted ``destination_errors:<name>``)."""
    out = []
    for item in wanted:
        if not isinstance(item, str):
            out.append(item)
            continue
        try:
            out.append(build(s, item))
        except Exception as exc:
            counters.incr(f"destination_errors:{item}")
            logger.error("tenantry: destination %r unavailable: %s", item, exc)
    return out
