"""The intake: how a call becomes a draft for the policy chain, the same for the library and the
relay.

    library  track() -> Call -> [worker] shaping.shape_calls -> forgotten? -> make_draft -> chain
    relay    RelayEvent      -> server.relay.Relay.accept    -> forgotten? -> make_draft -> chain

- ``Call`` is what ``track()`` (and every ``record_*``) appends to the worker's queue: its fields,
  in order. The hot path appends a plain tuple of ``Call``'s shape (building the ``NamedTuple``
  costs the caller 0.24 us more, and ``marshal``, which packs waiting calls, takes only exact
  tuples); readers unpack it in field order or index it by the positions below, never by a
  number written by hand.
- ``make_draft`` is the one layout of a draft (the dict the chain works on, ``policy``): every
  key is always there, ``None`` where a caller has nothing for it.
- ``suppressed_ids`` reads the list once per batch (mostly empty: then nothing is checked) and
  ``forgotten`` is the suppression check (``tenantry forget``, ``pipeline.suppression``), once per
  event, before the chain: on the call's raw IDs and, where the chain re-keys them (the relay:
  ``rekey`` is the chain's own ``Pseudonymizer``, whose memo the chain then hits), on their
  re-keyed form too, so neither a forgotten ID nor its pseudonym is shaped again. A suppressed
  event never reaches ``before_send`` or the sampling hooks.
- uuids are minted by ``events.new_uuids``, one ``os.urandom`` call per batch, in both.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from typing import Any, NamedTuple

from tenantry.pipeline.suppression import SuppressionList


class Call(NamedTuple):
    """A queued call, as ``TelemetryService`` records it (``track``, ``identify``, ``group``,
    ``record_request``, ``record_task``...)."""

    kind: str  # "track", "error", "performance", "request", "task", "identify", "group"
    event: Any  # the event name (the error type, the operation...), as the caller gave it
    properties: Any  # a shallow copy of the caller's dict (anything else as given)
    user_id: Any
    developer_id: Any
    identity: Any  # an identity object whose IDs replace the two above, or None
    timestamp: Any  # the caller's ``timestamp=`` (None: ``accepted_at``)
    accepted_at: float  # ``time.time()`` when the call was made
    extra: Any  # per kind: a duration, request or task facts, ``set_once``, a group pair


PROPERTIES = Call._fields.index("properties")
ACCEPTED_AT = Call._fields.index("accepted_at")


def make_draft(
    kind: str,
    event: Any,
    properties: Any,
    user_id: Any,
    developer_id: Any,
    timestamp: float,
    uuid: str,
    extra: Any = None,
    call_ids: tuple | None = None,
    accepted_at: float | None = None,
    client_context: dict | None = None,
) -> dict[str, Any]:
    """The draft of one event. ``extra`` is the call's per-kind value (read by the chain as
    ``duration_ms``); ``call_ids`` the raw IDs an identity object replaced
    (``policy.call_ids``); ``accepted_at`` when the call was made (the super properties then in
    force, ``policy.hooks``); ``client_context`` a relayed sender's context fields
    (``policy.context.ClientContext``). Positional in the hot loop: a call with keywords costs
    the worker more per event."""
    return {
        "kind": kind,
        "event": event,
        "properties": properties,
        "user_id": user_id,
        "developer_id": developer_id,
        "timestamp": timestamp,
        "uuid": uuid,
        "duration_ms": extra,
        "call_ids": call_ids,
        "accepted_at": accepted_at,
        "client_context": client_context,
    }


def suppressed_ids(suppression: SuppressionList | None) -> frozenset[str]:
    """The IDs on ``suppression`` now, read once for a batch; none when there is no list or
    it cannot be read (the pipeline never fails on it)."""
    try:
        return suppression.current() if suppression is not None else frozenset()
    except Exception:
        return frozenset()


def forgotten(
    suppression: SuppressionList | Collection[str] | None,
    ids: Iterable[Any],
    rekey: Callable[[str], str] | None = None,
) -> bool:
    """True when one of ``ids`` (the strings among them), or its ``rekey``-ed form, is on the
    suppression list (the list, or the IDs ``SuppressionList.current()`` gave for a batch);
    the caller drops the event, counted ``suppressed``. Never raises: a list that cannot be
    read suppresses nothing."""
    if suppression is None:
        return False
    try:
        for ident in ids:
            if isinstance(ident, str) and ident:
                if ident in suppression:
                    return True
                if rekey is not None and rekey(ident) in suppression:
                    return True
    except Exception:
        return False
    return False
