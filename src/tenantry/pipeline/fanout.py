"""The fan-out: one ``Sender`` per destination, fed the same shaped events, with one account of
their results. Used by the library's worker and by the server's relay.

    submit(events) -> [spool] -> every Sender -> results -> counters, on_error, spool acks

Accounting, once per final result (on the sender threads), the same whichever destination
answers last:

- ``delivered``: events that every destination they were meant for delivered, counted once per
  event when its last destination has a final result;
- ``failed``: events that some destination rejected or will never send (counted once per event,
  at the same moment);
- ``rejected:<reason>`` (a drop) for each rejection by a destination, ``buffer_full:<name>`` for
  each event a destination's full buffer dropped; the ``on_error`` hook gets the destination's
  name, the rejected events and their results;
- per destination (``status``): its ``delivered``, ``rejected`` by reason and ``failed``;
- the spool (durable mode): with several destinations, each destination's final results are
  recorded as they come (``Spool.ack_for``) so that a replay sends an event only to the
  destinations still missing it; an event is acked as a whole (``Spool.ack``) once every
  destination has a final result for it.

Events are checked before anything else sees them (``events.encodable``): a string UTF-8 cannot
hold is repaired (U+FFFD, counted ``repaired_strings``), and an event that still cannot be
encoded is dropped alone (``unencodable``), never its batch, in the spool or any destination.

``stop`` counts what no destination got to send: ``shutdown:<destination>`` drops, or
``shutdown_spooled:<destination>`` (not a drop: the spool replays it) in durable mode.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from tenantry.counters import Counters
from tenantry.destinations.base import Destination, Result, Status
from tenantry.events import Event, encodable
from tenantry.pipeline.backlog import Budget
from tenantry.pipeline.sender import Sender

logger = logging.getLogger("tenantry")

# Called with (destination name, rejected events, their results), from a sender thread.
OnError = Callable[[str, Sequence[Event], Sequence[Result]], None]

FLUSH_POLL = 0.002  # seconds between looks at the senders while flushing


def encodable_counted(events: list[Event], counters: Counters) -> list[Event]:
    """``events.encodable``, counted: strings repaired (``repaired_strings``), events that still
    cannot be encoded dropped (``unencodable``). Also used by ``pipeline.inline``."""
    events, repaired, lost = encodable(events)
    if repaired:
        counters.incr("repaired_strings", repaired)
    if lost:
        counters.drop("unencodable", lost)
    return events


class FanOut:
    """Feeds every destination the same events and keeps one account of the results; see the
    module docstring. ``spool`` (optional) is written by ``submit`` and closed by ``stop``."""

    def __init__(
        self,
        destinations: Sequence[Destination],
        *,
        counters: Counters,
        soft_bytes: int,
        hard_bytes: int,
        spool: Any = None,
        on_error: OnError | None = None,
        budget: Budget | None = None,
        room: threading.Event | None = None,
    ) -> None:
        self.counters = counters
        self.spool = spool
        self._on_error = on_error
        # several destinations: uuid -> [destinations without a final result, one failed it]
        self._outstanding: dict[str, list] = {}
        self._lock = threading.Lock()
        self.senders = [
            Sender(
                d,
                counters=counters,
                on_final=self._final,
                on_lost=self._lost,
                budget=budget,
                soft_bytes=soft_bytes,
                hard_bytes=hard_bytes,
                room=room,
            )
            for d in destinations
        ]
        self._many = len(self.senders) > 1

    # -- submitting (from the worker or the event loop) -----------------------------------------
    def submit(self, events: list[Event]) -> None:
        """Check that ``events`` encode (see the module docstring), spool them (durable mode),
        then hand them to every destination."""
        events = encodable_counted(events, self.counters)
        if not events:
            return
        if self.spool is not None:
            self.spool.append(events)
            self.counters.incr("spooled_total", len(events))
        self._send(events, None)

    def replay(self) -> int:
        """Durable mode, once at start: hand the events earlier processes left in the spool to
        the destinations that still need them. Returns how many there were."""
        if self.spool is None:
            return 0
        events = self.spool.replay()
        if events:
            self.counters.incr("replayed", len(events))
            self._send(events, self.spool.replay_needs)
            self.spool.replay_needs.clear()
        return len(events)

    def _send(self, events: list[Event], needs: Mapping[str, Iterable[str]] | None) -> None:
        senders = self.senders
        if not senders:
            self.counters.drop("no_destination", len(events))
            return
        if not needs:
            if self._many:
                n = len(senders)
                with self._lock:
                    for e in events:
                        self._outstanding[e.uuid] = [n, False]
            for sender in senders:
                sender.submit(events)
            return
        by_sender: dict[str, list[Event]] = {s.name: [] for s in senders}
        with self._lock:
            for e in events:
                names = needs.get(e.uuid)
                targets = [n for n in by_sender if names is None or n in names]
                self._outstanding[e.uuid] = [len(targets), False]
                for n in targets:
                    by_sender[n].append(e)
        for sender in senders:
            if by_sender[sender.name]:
                sender.submit(by_sender[sender.name])

    # -- results (on sender threads) ------------------------------------------------------------
    def _final(self, name: str, events: Sequence[Event], results: Sequence[Result]) -> None:
        counters = self.counters
        rejected = [
            (e, r) for e, r in zip(events, results, strict=True) if r.status is Status.REJECTED
        ]
        for _e, r in rejected:
            counters.drop(f"rejected:{r.reason or 'unknown'}")
        if rejected and self._on_error is not None:
            try:
                self._on_error(name, [e for e, _ in rejected], [r for _, r in rejected])
            except Exception:
                logger.exception("tenantry: on_error callback failed")
        spool = self.spool
        if spool is not None and self._many:
            spool.ack_for(name, [e.uuid for e in events])
        done = self._settle(events, {e.uuid for e, _ in rejected})
        if spool is not None and done:
            # acked here, on the sender thread, the moment the results are in: after a kill,
            # only the batch each sender had in flight can come back as a duplicate
            spool.ack([e.uuid for e in done])

    def _lost(self, name: str, events: Sequence[Event], reason: str) -> None:
        """Destination ``name`` will never send ``events`` (its buffer was full): a drop,
        ``<reason>:<name>``, and the events fail. In durable mode the spool keeps them for the
        next start."""
        self.counters.drop(f"{reason}:{name}", len(events))
        self._settle(events, {e.uuid for e in events})

    def _settle(self, events: Sequence[Event], failed: set[str]) -> list[Event]:
        """One destination is final for ``events`` (``failed``: the uuids it did not deliver):
        count ``delivered`` and ``failed`` for those that now have every destination's result,
        and return them."""
        if not self._many:
            done: Sequence[Event] = events
            bad = len(failed)
        else:
            done = []
            bad = 0
            outstanding = self._outstanding
            with self._lock:
                for e in events:
                    entry = outstanding.get(e.uuid)
                    if entry is None:  # already settled
                        continue
                    if e.uuid in failed:
                        entry[1] = True
                    if entry[0] <= 1:
                        del outstanding[e.uuid]
                        done.append(e)
                        bad += entry[1]
                    else:
                        entry[0] -= 1
        if len(done) > bad:
            self.counters.incr("delivered", len(done) - bad)
        if bad:
            self.counters.incr("failed", bad)
        return list(done)

    # -- back-pressure --------------------------------------------------------------------------
    def over_soft_limit(self) -> bool:
        """A destination that is sending holds more than its soft limit (see
        ``Sender.over_soft_limit``): the stage in front of the fan-out should wait."""
        alone = len(self.senders) == 1  # nobody else to starve: wait even if it is stalled
        return any(s.over_soft_limit(alone) for s in self.senders)

    def half_full(self) -> bool:
        """A destination holds half of its buffer (in bytes or in events): the relay refuses new
        batches (503) rather than accept events its sender would have to drop."""
        return any(
            s.bytes >= s.hard_bytes // 2 or s.pending >= s.max_buffer // 2 for s in self.senders
        )

    # -- control (from any thread) --------------------------------------------------------------
    def pending(self) -> int:
        """Events handed to a destination and not final there (counted per destination)."""
        return sum(s.pending for s in self.senders)

    def idle(self) -> bool:
        return all(s.idle() for s in self.senders)

    def destination(self, name: str) -> Destination | None:
        return next((s.destination for s in self.senders if s.name == name), None)

    def status(self) -> dict[str, dict[str, Any]]:
        """Per destination: ``delivered``, ``rejected`` (by reason), ``failed`` (never sent),
        ``retried``, ``sent``, ``batches``, and its ``pending`` events and buffered ``bytes``."""
        return {
            s.name: dict(s.stats, rejected=dict(s.rejected), pending=s.pending, bytes=s.bytes)
            for s in self.senders
        }

    def flush(self, deadline: float, upstream: Callable[[], bool] | None = None) -> bool:
        """Send partial batches at once and wait until every destination is idle (True) or
        ``deadline`` (``time.monotonic()``) passes (False). ``upstream``, when given, is asked on
        every turn whether the stage in front has nothing left for the fan-out (it may wake
        that stage as it answers). Senders without a thread of their own (started while the
        interpreter was finalizing) send here, on the calling thread."""
        for s in self.senders:
            s.request_flush(True)
        try:
            while True:
                drained = upstream is None or upstream()
                for s in self.senders:
                    if not s.threaded:
                        s.pump(deadline)
                if drained and self.idle():
                    return True
                if time.monotonic() >= deadline:
                    return False
                time.sleep(FLUSH_POLL)
        finally:
            for s in self.senders:
                s.request_flush(False)

    def stop(self, deadline: float) -> int:
        """Send what each destination can send by ``deadline``, stop it, close the spool.
        Returns the events left unsent (counted per destination, see the module docstring)."""
        unsent = 0
        spool = self.spool
        for sender in self.senders:  # all send their partial batches at once, not one by one
            sender.request_flush(True)
        for sender in self.senders:
            # what it still held, a batch whose send has not returned included (not counted as
            # a drop: that send may still land, and its result is counted when it does)
            unsent += sender.stop(max(0.0, deadline - time.monotonic()))
            left = sender.drain_unsent()
            if left:
                if spool is None:
                    sender.lost(left, "shutdown")
                else:
                    self.counters.incr(f"shutdown_spooled:{sender.name}", len(left))
        if spool is not None:
            try:
                spool.close()
            except Exception:
                logger.exception("tenantry: spool close failed")
        return unsent
