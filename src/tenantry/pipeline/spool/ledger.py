"""The ack ledgers: append-only files of positions ``(segment, offset)``, one record per ack.

``acks.log`` holds the events every destination has a final result for; with several
destinations, ``acks-<destination>.log`` holds those one destination is done with, so that a
replay sends an event only to the destinations that still need it. Positions, not copies of
events, so a ledger stays small. [Vector ``disk_v2/ledger.rs``, ``acknowledgements.rs``]

A ledger is appended without ``fsync``: after a process crash the page cache still has it, and
after a power cut the worst case is a re-send, which the vendors deduplicate by uuid. For the
same reason a failed append (a full disk) is counted (``spool_ack_errors``), logged, and never
raised: the events stay acked in memory, and only a crash before their segment is deleted can
send them again. A ledger is rewritten (write, ``fsync``, rename) to drop the entries of deleted
segments. Not locked: the spool's lock guards every call.
"""

from __future__ import annotations

import contextlib
import logging
import os
import struct
from collections.abc import Container, Iterable
from pathlib import Path

from tenantry._files import open_private
from tenantry.counters import Counters
from tenantry.pipeline.spool.record import frame, read_records

logger = logging.getLogger("tenantry")

ACK = struct.Struct("<II")  # segment id, byte offset
Position = tuple[int, int]


def ledger_path(directory: Path, destination: str | None = None) -> Path:
    """``acks.log``, or ``acks-<destination>.log`` (the name reduced to a safe file name)."""
    if destination is None:
        return directory / "acks.log"
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in destination)
    return directory / f"acks-{safe}.log"


class Ledger:
    """One ledger file: ``append`` positions, ``read`` them back, ``rewrite`` it smaller."""

    def __init__(self, path: Path, counters: Counters) -> None:
        self.path = path
        self._counters = counters
        self._fd = open_private(path)
        self.records = 0  # appended since the last rewrite

    def append(self, positions: Iterable[Position]) -> None:
        """Record ``positions`` as one record (one ``write``). Never raises (module docstring)."""
        entries = [ACK.pack(*p) for p in positions]
        if not entries:
            return
        try:
            os.write(self._fd, frame(b"".join(entries)))
            self.records += 1
        except OSError as exc:
            self._counters.incr("spool_ack_errors", len(entries))
            logger.error("tenantry: spool ack write failed (%s); a crash may re-send", exc)

    def read(self) -> set[Position]:
        """Every position recorded (bad records skipped: their acks are lost, a re-send)."""
        acked: set[Position] = set()
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            return acked
        for _, payload in read_records(data):
            if payload is None:
                continue
            for i in range(0, len(payload) - ACK.size + 1, ACK.size):
                acked.add(ACK.unpack_from(payload, i))
        return acked

    def rewrite(self, segments: Container[int]) -> None:
        """Keep only the entries of ``segments``: write a new file, ``fsync`` it, rename it over
        the old one. A failure keeps the old file, whole (logged)."""
        keep = [p for p in self.read() if p[0] in segments]
        tmp = self.path.with_suffix(".tmp")
        fd = -1
        try:
            fd = open_private(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_APPEND)
            if keep:
                data = memoryview(frame(b"".join(ACK.pack(*p) for p in keep)))
                while data:
                    data = data[os.write(fd, data) :]
            os.fsync(fd)
            os.replace(tmp, self.path)  # ``fd`` follows the file: it is the ledger now
        except OSError as exc:
            logger.error("tenantry: spool ledger rewrite failed (%s); kept as it was", exc)
            if fd >= 0:
                os.close(fd)
            with contextlib.suppress(OSError):
                tmp.unlink()
            return
        os.close(self._fd)
        self._fd = fd
        self.records = 0

    def clear(self) -> None:
        """Forget every entry (no segment exists that they could name)."""
        try:
            os.ftruncate(self._fd, 0)
            self.records = 0
        except OSError as exc:
            logger.error("tenantry: spool ledger reset failed (%s)", exc)

    def close(self, *, sync: bool = False) -> None:
        if sync:
            with contextlib.suppress(OSError):
                os.fsync(self._fd)
        with contextlib.suppress(OSError):
            os.close(self._fd)
