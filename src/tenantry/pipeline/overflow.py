"""The on-disk overflow (``TELEMETRY_WHEN_FULL=overflow``): where the packed calls of a burst wait
once the memory budget is half used, so that a burst larger than memory is delivered, in order,
instead of dropped. [Vector's disk buffer, ``when_full = "block"`` on a ``disk`` buffer]

The worker packs waiting calls into ``marshal`` chunks (``pipeline.backlog``); past the spill
threshold a new chunk is written here and only a small reference to it stays in the backlog, in
its place, so the order of the calls never changes. The chunk is read back when its turn comes.

What rests on disk, and for how long. These are calls *before* shaping: raw IDs, the caller's
properties, secrets the policy has not yet removed. So, unlike the durable spool (shaped events
only, kept across restarts), the overflow is not durability and keeps nothing readable:

- each chunk is compressed (zlib, level 1: packed calls shrink several times, and zlib lets
  other threads run meanwhile), then encrypted with a stream cipher (SHAKE-256 of a random
  32-byte key and the chunk's sequence number, XORed with the data) whose key is made when the
  overflow is opened and exists only in this process's memory: once the process ends, what is
  on disk cannot be read by anyone, this process's successors included;
- the files have no name (``tempfile.TemporaryFile``: ``O_TMPFILE``, or unlinked at once): no
  other process can open them, and the kernel frees them when the process ends, killed or not;
- a file is closed (freed) as soon as every chunk in it has been read back.

A CRC-32 of each chunk's plain bytes is checked when it is read back: a chunk that does not
match is dropped, counted ``overflow_corrupt``. ``max_bytes`` (``TELEMETRY_OVERFLOW_MAX_BYTES``)
bounds the files' total size: beyond it ``put`` declines and the chunk stays in memory, where
the memory budget bounds it (new calls are then dropped, ``overflow_full``).
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import tempfile
import threading
import time
import zlib
from collections import deque
from pathlib import Path

from tenantry._files import private_dir

logger = logging.getLogger("tenantry")

SEGMENT_BYTES = 16 * 1024 * 1024  # a file is closed once it holds this much and all is read


class _Segment:
    __slots__ = ("file", "fd", "size", "live")

    def __init__(self, directory: Path) -> None:
        # no name (O_TMPFILE, or unlinked at once), mode 0600; closed by Overflow._release
        self.file = tempfile.TemporaryFile(dir=directory, buffering=0)  # noqa: SIM115
        self.fd = self.file.fileno()
        self.size = 0  # bytes written
        self.live = 0  # chunks written and not yet read back


class Spilled:
    """Where one chunk rests: its segment, offset, length, sequence number and checksum."""

    __slots__ = ("segment", "offset", "length", "seq", "crc")

    def __init__(self, segment: _Segment, offset: int, length: int, seq: int, crc: int) -> None:
        self.segment = segment
        self.offset = offset
        self.length = length
        self.seq = seq
        self.crc = crc


class Overflow:
    """Encrypted chunks in nameless files under ``directory``; see the module docstring. Used by
    the worker thread only; ``status`` may be read from any thread."""

    def __init__(self, directory: Path, max_bytes: int) -> None:
        self.directory = Path(directory)
        self.max_bytes = max_bytes
        self._key = os.urandom(32)
        self._seq = 0
        self._segments: deque[_Segment] = deque()
        self._lock = threading.Lock()
        self.bytes = 0  # the files' total size
        self.chunks = 0  # chunks on disk
        self.full = False  # the last ``put`` was declined for want of room
        self._logged_at = -3600.0  # when a disk error was last logged (once a minute at most)

    def _cipher(self, data: bytes, seq: int) -> bytes:
        stream = hashlib.shake_256(self._key + seq.to_bytes(8, "little")).digest(len(data))
        mixed = int.from_bytes(data, "little") ^ int.from_bytes(stream, "little")
        return mixed.to_bytes(len(data), "little")

    def put(self, data: bytes) -> Spilled | None:
        """Write ``data`` (one chunk); where it rests, or None when there is no room (``max_bytes``)
        or the disk failed (logged): the caller keeps the chunk in memory."""
        with self._lock:
            if self.bytes + len(data) // 4 > self.max_bytes:  # compressed, it is smaller
                self.full = True
                return None
            try:
                segment = self._segments[-1] if self._segments else None
                if segment is None or segment.size >= SEGMENT_BYTES:
                    if not self._segments:
                        private_dir(self.directory)
                    segment = _Segment(self.directory)
                    self._segments.append(segment)
                seq = self._seq
                self._seq += 1
                sealed = self._cipher(zlib.compress(data, 1), seq)
                offset = segment.size
                view = memoryview(sealed)
                written = 0
                while written < len(sealed):
                    written += os.pwrite(segment.fd, view[written:], offset + written)
            except OSError as exc:
                if time.monotonic() - self._logged_at > 60:
                    self._logged_at = time.monotonic()
                    logger.error("tenantry: overflow write failed (%s); chunks stay in memory", exc)
                self.full = True
                return None
            segment.size += len(sealed)
            segment.live += 1
            self.bytes += len(sealed)
            self.chunks += 1
            self.full = False
            return Spilled(segment, offset, len(sealed), seq, zlib.crc32(data))

    def get(self, where: Spilled) -> bytes | None:
        """The chunk's plain bytes, once (its file is freed when all of it was read); None when it
        could not be read or its checksum does not match."""
        with self._lock:
            segment = where.segment
            try:
                sealed = os.pread(segment.fd, where.length, where.offset)
            except OSError as exc:
                logger.error("tenantry: overflow read failed (%s)", exc)
                sealed = b""
            segment.live -= 1
            self.chunks -= 1
            self._release()
        if len(sealed) != where.length:
            return None
        try:
            data = zlib.decompress(self._cipher(sealed, where.seq))
        except zlib.error:
            return None
        return data if zlib.crc32(data) == where.crc else None

    def _release(self) -> None:
        """Close the files, oldest first, whose chunks were all read (never the one written to,
        unless nothing at all is left)."""
        segments = self._segments
        while segments and segments[0].live == 0 and (len(segments) > 1 or self.chunks == 0):
            segment = segments.popleft()
            self.bytes -= segment.size
            with contextlib.suppress(OSError):
                segment.file.close()

    def status(self) -> dict[str, int]:
        return {"bytes": self.bytes, "max_bytes": self.max_bytes, "chunks": self.chunks}

    def close(self) -> None:
        """Free every file (what they held is dropped by the caller, counted)."""
        with self._lock:
            while self._segments:
                with contextlib.suppress(OSError):
                    self._segments.popleft().file.close()
            self.bytes = self.chunks = 0


def writable(directory: Path) -> bool:
    """True when ``directory`` (or, while it does not exist, its nearest existing parent) can
    be written: the overflow is then the default ``TELEMETRY_WHEN_FULL``."""
    path = Path(directory).absolute()
    while not path.exists():
        if path.parent == path:
            return False
        path = path.parent
    return path.is_dir() and os.access(path, os.W_OK | os.X_OK)
