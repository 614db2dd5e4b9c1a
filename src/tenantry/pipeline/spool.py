"""The durable spool (``TELEMETRY_DURABLE=1``): shaped events on disk until every destination has
a final result for them. [Vector ``disk_v2``]

Layout of ``<data_dir>/spool/``::

    seg-00000001.log   append-only records: MAGIC(4) LEN(u32) CRC32(u32 over LEN+payload) payload
    seg-00000002.log   (payload = one event, ``Event.dumps()``)
    acks.log           append-only ledger records (same framing): packed (segment u32, offset u32)
                       of events every destination has a final result for
    acks-<dest>.log    (several destinations only) the same, per destination: a replay sends
                       an event only to the destinations that have not acked it, so a crash
                       duplicates at most the batch each destination had in flight

Why this format:
- Length-prefixed records let ``replay`` walk a segment without parsing JSON to find the next
  record; the CRC tells a torn tail (a crash mid-``write``) or a flipped byte from a good record;
  the magic lets it resynchronise on the next record after a bad one, so one corrupt byte costs
  one event, not the rest of the segment.
- Appending is the only write. The worker calls ``append`` once per shaped group: one ``write``.
  From then on the events survive the process being killed (the page cache has them). A
  ``tenantry-spool-sync`` thread makes them survive a power cut too: it ``fsync``s whatever
  was written since its last ``fsync``, back to back (group commit), so a slow disk never holds
  the worker up; ``synced_lag()`` says how far behind it is.
- Acks are positions (segment, byte offset), not copies of events, so the ledger stays small;
  it is appended without fsync: after a process crash the page cache still has it, and after a
  power cut the worst case is a re-send, which the vendors deduplicate by uuid (insert_id).
- A segment file is deleted only when every record in it is acked, so deleting is the only
  "compaction" and never rewrites live data. The ledger is rewritten (write, fsync, rename)
  when it holds mostly entries of deleted segments.
- Bounded by ``max_bytes``: when the segments grow past it, the oldest are deleted and their
  unacked events counted ``drop("spool_full", n)`` (they may still be delivered from memory).
"""

from __future__ import annotations

import contextlib
import logging
import os
import struct
import threading
import time
import zlib
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import orjson

from tenantry._files import open_private, open_private_file, private_dir
from tenantry.counters import Counters
from tenantry.events import Event

logger = logging.getLogger("tenantry")

MAGIC = b"TSP1"
HEADER = struct.Struct("<4sII")  # magic, payload length, crc32(length bytes + payload)
ACK = struct.Struct("<II")  # segment id, byte offset
MAX_RECORD = 64 * 1024 * 1024
SEGMENT_BYTES = 8 * 1024 * 1024


def frame(payload: bytes) -> bytes:
    n = len(payload)
    crc = zlib.crc32(payload, zlib.crc32(struct.pack("<I", n)))
    return HEADER.pack(MAGIC, n, crc) + payload


def read_records(data: bytes) -> Iterator[tuple[int, bytes | None]]:
    """(offset, payload) for each good record; (offset, None) once per bad stretch skipped."""
    pos, end = 0, len(data)
    while pos + HEADER.size <= end:
        magic, n, crc = HEADER.unpack_from(data, pos)
        start = pos + HEADER.size
        if magic == MAGIC and n <= MAX_RECORD and start + n <= end:
            payload = data[start : start + n]
            if zlib.crc32(payload, zlib.crc32(struct.pack("<I", n))) == crc:
                yield pos, payload
                pos = start + n
                continue
        yield pos, None
        nxt = data.find(MAGIC, pos + 1)
        if nxt < 0:
            return
        pos = nxt
    if pos < end:
        yield pos, None  # torn tail: a header cut short


def _fsync_dir(directory: Path) -> None:
    dfd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(dfd)
    finally:
        os.close(dfd)


class Spool:
    """See the module docstring. ``append`` and ``ack`` are called from the worker thread;
    every method is safe from any thread."""

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
        self.segment_bytes = max(4096, min(segment_bytes, max_bytes // 4 or 4096))
        self._counters = counters
        self._lock = threading.Lock()
        self._where: dict[str, tuple[int, int]] = {}  # uuid -> (segment, offset), unacked only
        self._live: dict[int, set[str]] = {}  # segment -> its unacked uuids
        self._sizes: dict[int, int] = {}  # segment -> bytes
        self._old = sorted(self._segment_ids())  # left by earlier processes; read by replay()
        self._current = (self._old[-1] + 1) if self._old else 1
        self._fd = -1
        self._offset = 0
        self._ack_path = self.directory / "acks.log"
        self._ack_fd = open_private(self._ack_path)
        self._ack_records = 0
        # several destinations: one more ledger each (see the module docstring)
        self.destinations = tuple(destinations) if len(destinations) > 1 else ()
        self._dest_fds = {n: open_private(self._dest_path(n)) for n in self.destinations}
        self.replay_needs: dict[str, tuple[str, ...]] = {}  # uuid -> destinations left
        self._closed = False
        self._written = 0  # appends so far; the sync thread fsyncs up to its snapshot of it
        self._synced = 0
        self._unsynced_since: float | None = None  # monotonic time of the oldest unsynced append
        self._dirty = threading.Event()
        self._retired: list[int] = []  # descriptors of finished segments, not yet fsynced
        self._new_name = False
        self._sync_thread: threading.Thread | None = threading.Thread(
            target=self._sync_loop, name="tenantry-spool-sync", daemon=True
        )
        try:
            self._sync_thread.start()
        except RuntimeError:  # the interpreter is finalizing (3.12+): the writes still reach
            self._sync_thread = None  # the page cache, so a crash of this process loses nothing

    # -- files -------------------------------------------------------------------------------
    def _segment_ids(self) -> list[int]:
        out = []
        for p in self.directory.glob("seg-*.log"):
            with contextlib.suppress(ValueError):
                out.append(int(p.stem[4:]))
        return out

    def _dest_path(self, name: str) -> Path:
        safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in name)
        return self.directory / f"acks-{safe}.log"

    def _path(self, seg: int) -> Path:
        return self.directory / f"seg-{seg:08d}.log"

    def _open_current(self) -> None:
        self._fd = open_private(self._path(self._current))
        self._offset = os.fstat(self._fd).st_size
        self._live.setdefault(self._current, set())
        self._sizes[self._current] = self._offset
        self._new_name = True  # the sync thread makes the new file's name durable too

    def _roll(self) -> None:
        self._retired.append(self._fd)  # the sync thread fsyncs and closes it
        self._dirty.set()
        self._fd = -1
        finished = self._current
        self._current += 1
        if not self._live.get(finished):
            self._delete(finished)

    def _delete(self, seg: int) -> None:
        self._live.pop(seg, None)
        self._sizes.pop(seg, None)
        with contextlib.suppress(FileNotFoundError):
            self._path(seg).unlink()

    # -- the interface -----------------------------------------------------------------------
    def append(self, events: list[Event]) -> None:
        """Write ``events`` (one ``write``; the sync thread ``fsync``s it). Never raises: when the
        disk fails the events go on undurably (still delivered from memory), counted as
        ``spool_errors``; an event that cannot be encoded is left out alone (the fan-out checks
        every event first, so this is a second line of defence), counted ``spool_unencodable``."""
        if not events:
            return
        with self._lock:
            if self._closed:
                return
            try:
                self._append(events)
            except OSError as exc:
                self._counters.incr("spool_errors", len(events))
                logger.error("tenantry: spool write failed (%s); events not durable", exc)
            except Exception as exc:  # never let one event's bytes stop the worker
                self._counters.incr("spool_errors", len(events))
                logger.error("tenantry: spool write failed (%s); events not durable", exc)

    def _append(self, events: list[Event]) -> None:
        if self._fd < 0:
            self._open_current()
        seg = self._current
        live = self._live[seg]
        where = self._where
        chunks = []
        offset = self._offset
        placed = []
        for e in events:
            try:
                rec = frame(e.dumps())
            except orjson.JSONEncodeError:
                self._counters.incr("spool_unencodable")
                continue
            placed.append((e.uuid, (seg, offset)))
            chunks.append(rec)
            offset += len(rec)
        data = b"".join(chunks)
        view = memoryview(data)
        try:
            while view:
                view = view[os.write(self._fd, view) :]
        except OSError:
            # a partial write would leave a torn record mid-file: start a fresh segment
            self._offset += len(data) - len(view)
            self._sizes[seg] = self._offset
            self._roll()
            raise
        for u, pos in placed:
            where[u] = pos
            live.add(u)
        self._offset = offset
        self._sizes[seg] = offset
        self._written += 1
        if self._unsynced_since is None:
            self._unsynced_since = time.monotonic()
        self._dirty.set()
        if offset >= self.segment_bytes:
            self._roll()
        self._enforce_bound()

    def _sync_loop(self) -> None:
        """``fsync`` the current segment whenever something was written since the last one. The
        descriptor is ``dup``ed under the lock so a segment roll cannot close it mid-``fsync``."""
        while True:
            self._dirty.wait()
            self._dirty.clear()
            with self._lock:
                if self._closed:
                    return
                upto = self._written
                taken_at = time.monotonic()
                fds = self._retired
                self._retired = []
                if self._fd >= 0:
                    try:
                        fds.append(os.dup(self._fd))
                    except OSError as exc:  # never let the durability thread die
                        logger.error("tenantry: spool fsync skipped (%s)", exc)
                new_name, self._new_name = self._new_name, False
            try:
                for fd in fds:
                    os.fsync(fd)
                if new_name:
                    _fsync_dir(self.directory)
            except OSError as exc:
                logger.error("tenantry: spool fsync failed (%s)", exc)
            finally:
                for fd in fds:
                    os.close(fd)
            with self._lock:
                self._synced = upto
                # appends after the snapshot are no older than it
                self._unsynced_since = None if upto == self._written else taken_at

    def synced_lag(self) -> float:
        """Seconds since the oldest append not yet ``fsync``ed; 0.0 when all are."""
        since = self._unsynced_since
        return 0.0 if since is None else max(0.0, time.monotonic() - since)

    def _enforce_bound(self) -> None:
        total = sum(self._sizes.values())
        for seg in sorted(self._sizes):
            if total <= self.max_bytes or seg == self._current:
                break
            lost = self._live.get(seg, set())
            for u in lost:
                self._where.pop(u, None)
            if lost:
                self._counters.drop("spool_full", len(lost))
            total -= self._sizes.get(seg, 0)
            self._delete(seg)

    def ack(self, uuids: Iterable[str]) -> None:
        """Every destination has a final result for ``uuids``: record their positions; delete
        each segment whose records are now all acked."""
        with self._lock:
            if self._closed:
                return
            entries = []
            emptied = set()
            where = self._where
            for u in uuids:
                pos = where.pop(u, None)
                if pos is None:
                    continue
                entries.append(ACK.pack(*pos))
                live = self._live.get(pos[0])
                if live is not None:
                    live.discard(u)
                    if not live:
                        emptied.add(pos[0])
            if entries:
                os.write(self._ack_fd, frame(b"".join(entries)))
                self._ack_records += 1
            for seg in emptied:
                if seg != self._current:
                    self._delete(seg)
            if self._ack_records > 1000 and len(self._sizes) <= 2:
                self._rewrite_ledger()

    def ack_for(self, name: str, uuids: Iterable[str]) -> None:
        """With several destinations: ``name`` has a final result for ``uuids``. Call before
        ``ack`` for the same events. Recorded so that a replay skips ``name`` for them."""
        fd = self._dest_fds.get(name)
        if fd is None:
            return
        with self._lock:
            if self._closed:
                return
            where = self._where
            entries = [ACK.pack(*where[u]) for u in uuids if u in where]
            if entries:
                os.write(fd, frame(b"".join(entries)))
                self._ack_records += 1

    def _read_ledger(self, path: Path | None = None) -> set[tuple[int, int]]:
        acked: set[tuple[int, int]] = set()
        try:
            data = (path or self._ack_path).read_bytes()
        except FileNotFoundError:
            return acked
        for _, payload in read_records(data):
            if payload is None:
                continue
            for i in range(0, len(payload) - ACK.size + 1, ACK.size):
                acked.add(ACK.unpack_from(payload, i))
        return acked

    def _rewrite_ledger(self) -> None:
        """Keep only entries of segments that still exist: write, fsync, rename (each ledger)."""
        self._ack_fd = self._rewrite(self._ack_path, self._ack_fd)
        for name, fd in self._dest_fds.items():
            self._dest_fds[name] = self._rewrite(self._dest_path(name), fd)
        self._ack_records = 0

    def _rewrite(self, path: Path, fd: int) -> int:
        keep = [p for p in self._read_ledger(path) if p[0] in self._sizes]
        tmp = path.with_suffix(".tmp")
        with open_private_file(tmp, "wb") as f:
            if keep:
                f.write(frame(b"".join(ACK.pack(*p) for p in keep)))
            f.flush()
            os.fsync(f.fileno())
        os.close(fd)
        os.replace(tmp, path)
        return open_private(path, os.O_WRONLY | os.O_APPEND)

    def replay(self) -> list[Event]:
        """The unacked events that earlier processes left, oldest first. Call once, at start.
        Torn or corrupt records are skipped and counted (``spool_corrupt``). With several
        destinations, ``replay_needs`` then names, for each event that some destination already
        acked, the destinations that still need it."""
        with self._lock:
            acked = self._read_ledger()
            per = {n: self._read_ledger(self._dest_path(n)) for n in self.destinations}
            out: list[Event] = []
            bad = 0
            for seg in self._old:
                path = self._path(seg)
                try:
                    data = path.read_bytes()
                except FileNotFoundError:
                    continue
                live: set[str] = set()
                for offset, payload in read_records(data):
                    if payload is None:
                        bad += 1
                        continue
                    if (seg, offset) in acked:
                        continue
                    needs = tuple(n for n in self.destinations if (seg, offset) not in per[n])
                    if per and not needs:
                        continue  # every destination acked it one by one
                    try:
                        event = Event.loads(payload)
                    except Exception:
                        bad += 1
                        continue
                    if event.uuid in self._where:
                        continue
                    if len(needs) < len(self.destinations):
                        self.replay_needs[event.uuid] = needs
                    self._where[event.uuid] = (seg, offset)
                    live.add(event.uuid)
                    out.append(event)
                if live:
                    self._live[seg] = live
                    self._sizes[seg] = len(data)
                else:
                    with contextlib.suppress(FileNotFoundError):
                        path.unlink()
            self._old = []
            if bad:
                self._counters.incr("spool_corrupt", bad)
                logger.warning("tenantry: spool had %d torn or corrupt record(s), skipped", bad)
            if not self._sizes:
                self._rewrite_ledger()
            return out

    def pending(self) -> int:
        """Events spooled and not yet acked."""
        with self._lock:
            return len(self._where)

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._dirty.set()  # lets the sync thread see ``_closed`` and end
            for fd in self._retired:
                with contextlib.suppress(OSError):
                    os.fsync(fd)
                with contextlib.suppress(OSError):
                    os.close(fd)
            self._retired = []
            if self._fd >= 0:
                with contextlib.suppress(OSError):
                    os.fsync(self._fd)
                os.close(self._fd)
                self._fd = -1
                if not self._live.get(self._current):
                    self._delete(self._current)
            with contextlib.suppress(OSError):
                os.fsync(self._ack_fd)
            os.close(self._ack_fd)
            for fd in self._dest_fds.values():
                os.close(fd)
