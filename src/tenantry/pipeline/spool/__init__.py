"""The durable spool (``TELEMETRY_DURABLE=1``): shaped events on disk until every destination has
a final result for them. [Vector ``disk_v2``: record, writer, reader, ledger, acknowledgements]

Layout of ``<data_dir>/spool/``, every file in the framing of ``spool.record``::

    seg-00000001.log   append-only records, one event each (``Event.dumps()``): spool.writer
    seg-00000002.log
    acks.log           append-only ledger of positions (segment u32, offset u32) of events
                       every destination has a final result for: spool.ledger
    acks-<dest>.log    (several destinations only) the same, per destination

The parts: ``record`` (framing), ``writer`` (the segments), ``sync`` (the fsync thread),
``ledger`` (the ack files), ``acks`` (what is unacked, in memory), ``reader`` (replay). This
class holds them together under one lock; ``append`` runs on the worker, ``ack`` and
``ack_for`` on the sender threads, and every method is safe from any thread.

The rules:
- An event is on disk (in the page cache) when ``append`` returns; the sync thread makes it
  survive a power cut within ``synced_lag()`` seconds.
- A segment file is deleted only when every record in it is acked, so deleting is the only
  compaction and never rewrites live data; ledgers are rewritten when they hold mostly entries
  of deleted segments.
- Replay (once, at start) gives back exactly the events that were appended and not acked, in
  order, each once, with the destinations that still need it. So a crash duplicates at most
  what was delivered and not yet acked: the batch each destination had in flight (the fan-out
  acks the moment a result is in). Lost are only the events of a segment deleted to stay
  within ``max_bytes`` (counted ``spool_full``; they may still be delivered from memory), and
  torn or corrupt records (counted ``spool_corrupt``).
- Nothing raises into the pipeline: a failed segment write leaves the events undurable (still
  delivered from memory), counted ``spool_errors``; a failed ack write is counted
  ``spool_ack_errors`` (a crash may then send those events again); an event that cannot be
  encoded is left out alone, counted ``spool_unencodable``.

tests/pipeline/test_spool_model.py checks these rules against a model, with random appends,
acks, per-destination acks, SIGKILLs and replays.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path

import orjson

from tenantry._files import private_dir
from tenantry.counters import Counters
from tenantry.events import Event
from tenantry.pipeline.spool.acks import Unacked
from tenantry.pipeline.spool.ledger import Ledger, ledger_path
from tenantry.pipeline.spool.reader import replay
from tenantry.pipeline.spool.record import frame
from tenantry.pipeline.spool.sync import Syncer
from tenantry.pipeline.spool.writer import SEGMENT_BYTES, Segments

logger = logging.getLogger("tenantry")

__all__ = ["SEGMENT_BYTES", "Spool"]

REWRITE_AFTER = 1000  # ledger records appended before the ledgers are rewritten (when small)


class Spool:
    """See the module docstring."""

    def __init__(
        self,
        directory: Path,
        max_bytes: int,
        counters: Counters,
        *,
        segment_bytes: int = SEGMENT_BYTES,
        destinations: Sequence[str] = (),
    ) -> None:
        self.directory = Path(directory)
        private_dir(self.directory)
        self.max_bytes = max_bytes
        self._counters = counters
        self._lock = threading.Lock()
        self._segments = Segments(
            self.directory, max(4096, min(segment_bytes, max_bytes // 4 or 4096))
        )
        self._unacked = Unacked()
        self._acks = Ledger(ledger_path(self.directory), counters)
        # several destinations: one more ledger each (see the module docstring)
        self.destinations = tuple(destinations) if len(destinations) > 1 else ()
        self._per = {n: Ledger(ledger_path(self.directory, n), counters) for n in self.destinations}
        if not self._segments.old:  # no segment left: entries could only name a later one
            for ledger in self._ledgers():
                ledger.clear()
        else:
            # A segment deleted once all of it was acked (the highest one too, at close) left
            # its entries in the ledgers: its id is never used again, or a new record written at
            # an acked offset of it would read as acked and never come back.
            named = [p[0] for ledger in self._ledgers() for p in ledger.read()]
            self._segments.start_after(max(named, default=0))
        self.replay_needs: dict[str, tuple[str, ...]] = {}  # uuid -> destinations left
        self._closed = False
        self._sync = Syncer(self._lock, self._segments)

    def _ledgers(self) -> list[Ledger]:
        return [self._acks, *self._per.values()]

    # -- writing (the worker) -----------------------------------------------------------------
    def append(self, events: list[Event]) -> None:
        """Write ``events`` (one ``write``; the sync thread ``fsync``s it). Never raises (see
        the module docstring)."""
        if not events:
            return
        with self._lock:
            if self._closed:
                return
            try:
                self._append(events)
            except Exception as exc:  # a full disk, or anything else: never stop the worker
                self._counters.incr("spool_errors", len(events))
                logger.error("tenantry: spool write failed (%s); events not durable", exc)

    def _append(self, events: list[Event]) -> None:
        records, uuids = [], []
        for e in events:
            try:
                records.append(frame(e.dumps()))
            except orjson.JSONEncodeError:
                self._counters.incr("spool_unencodable")
                continue
            uuids.append(e.uuid)
        segments = self._segments
        seg = segments.current
        try:
            positions = segments.write(records)
        except OSError:
            if segments.current != seg:  # the write began, failed, and finished the segment
                self._finished(seg)
                self._sync.poke()
            raise
        for u, pos in zip(uuids, positions, strict=True):
            self._unacked.place(u, pos)
        self._sync.wrote()
        if segments.full():
            self._finished(segments.roll())
        self._enforce_bound()

    def _finished(self, seg: int) -> None:
        """Segment ``seg`` takes no more records: gone at once when nothing in it is unacked."""
        if not self._unacked.holds(seg):
            self._segments.delete(seg)

    def _enforce_bound(self) -> None:
        segments = self._segments
        total = segments.total()
        for seg in sorted(segments.sizes):
            if total <= self.max_bytes or seg == segments.current:
                break
            lost = self._unacked.drop_segment(seg)
            if lost:
                self._counters.drop("spool_full", lost)
            total -= segments.sizes.get(seg, 0)
            segments.delete(seg)

    def synced_lag(self) -> float:
        """Seconds since the oldest append not yet ``fsync``ed; 0.0 when all are."""
        return self._sync.lag()

    # -- acknowledging (the senders) ----------------------------------------------------------
    def ack(self, uuids: Iterable[str]) -> None:
        """Every destination has a final result for ``uuids``: record their positions; delete
        each segment whose records are now all acked. Never raises."""
        with self._lock:
            if self._closed:
                return
            positions, emptied = self._unacked.ack(uuids)
            self._acks.append(positions)
            for seg in emptied:
                if seg != self._segments.current:
                    self._segments.delete(seg)
            if self._acks.records > REWRITE_AFTER and len(self._segments.sizes) <= 2:
                live = set(self._segments.sizes)
                for ledger in self._ledgers():
                    ledger.rewrite(live)

    def ack_for(self, name: str, uuids: Iterable[str]) -> None:
        """With several destinations: ``name`` has a final result for ``uuids``. Call before
        ``ack`` for the same events. Recorded so that a replay skips ``name`` for them. Never
        raises."""
        ledger = self._per.get(name)
        if ledger is None:
            return
        with self._lock:
            if self._closed:
                return
            ledger.append(self._unacked.positions(uuids))

    # -- replay (once, at start) --------------------------------------------------------------
    def replay(self) -> list[Event]:
        """The unacked events that earlier processes left, oldest first. Call once, at start.
        Torn or corrupt records are skipped and counted (``spool_corrupt``). With several
        destinations, ``replay_needs`` then names, for each event that some destination already
        acked, the destinations that still need it."""
        with self._lock:
            acked = self._acks.read()
            per = {n: ledger.read() for n, ledger in self._per.items()}
            found = replay(self._segments, self._unacked, acked, per, self.destinations)
            self.replay_needs.update(found.needs)
            if found.bad:
                self._counters.incr("spool_corrupt", found.bad)
                logger.warning(
                    "tenantry: spool had %d torn or corrupt record(s), skipped", found.bad
                )
            if not self._segments.sizes:
                for ledger in self._ledgers():
                    ledger.clear()
            return found.events

    def pending(self) -> int:
        """Events spooled and not yet acked."""
        with self._lock:
            return len(self._unacked)

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._sync.stop()
            segments = self._segments
            segments.close()
            if not self._unacked.holds(segments.current):
                segments.delete(segments.current)
            self._acks.close(sync=True)
            for ledger in self._per.values():
                ledger.close()
