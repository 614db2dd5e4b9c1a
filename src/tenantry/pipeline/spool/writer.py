"""The segment files, ``seg-<id>.log``: the current one is appended to, a full one is finished
(its descriptor handed to the sync thread) and a new one begun; a segment is deleted when the
spool says every record in it is acked, or to stay within the disk budget.
[Vector ``disk_v2/writer.rs``]

Appending is the only write: one ``write`` of all the records of a group, so from its return
the events survive the process being killed (the page cache has them); the sync thread
(``spool.sync``) makes them survive a power cut too. Ids only grow while a ledger may name
them: a spool starts after the highest id on disk and in its ledgers (``start_after``), and the
ledgers are cleared when no segment file is left, so a position ``(segment, offset)`` in a
ledger never names a record of a later segment. Not locked: the spool's lock guards every call.
"""

from __future__ import annotations

import contextlib
import logging
import os
from pathlib import Path

from tenantry._files import open_private

logger = logging.getLogger("tenantry")

SEGMENT_BYTES = 8 * 1024 * 1024


def _segment_ids(directory: Path) -> list[int]:
    out = []
    for p in directory.glob("seg-*.log"):
        with contextlib.suppress(ValueError):
            out.append(int(p.stem[4:]))
    return sorted(out)


class Segments:
    """The segments of one spool directory: ``old`` (left by earlier processes, for the
    reader), the ``current`` one being written, and the byte ``sizes`` of every live one."""

    def __init__(self, directory: Path, segment_bytes: int) -> None:
        self.directory = directory
        self.segment_bytes = segment_bytes
        self.old = _segment_ids(directory)
        self.current = (self.old[-1] + 1) if self.old else 1
        self.sizes: dict[int, int] = {}  # segment -> bytes, for every segment still on disk
        self._fd = -1
        self._offset = 0
        self.retired: list[int] = []  # descriptors of finished segments, not yet fsynced
        self.new_name = False  # a segment file was created since the directory was fsynced

    def start_after(self, seg: int) -> None:
        """Begin new segments after ``seg`` (the highest id a ledger still names), if not yet."""
        if self._fd < 0 and seg >= self.current:
            self.current = seg + 1

    def path(self, seg: int) -> Path:
        return self.directory / f"seg-{seg:08d}.log"

    def write(self, records: list[bytes]) -> list[tuple[int, int]]:
        """Append ``records`` to the current segment in one ``write``; their positions. On
        ``OSError`` the segment is finished first (so a torn record never sits mid-file: the
        next write begins a fresh one), then the error is raised."""
        if self._fd < 0:
            self._open_current()
        seg, offset = self.current, self._offset
        positions = []
        for rec in records:
            positions.append((seg, offset))
            offset += len(rec)
        view = memoryview(b"".join(records))
        total = len(view)
        try:
            while view:
                view = view[os.write(self._fd, view) :]
        except OSError:
            self._offset += total - len(view)
            self.sizes[seg] = self._offset
            self.roll()
            raise
        self._offset = offset
        self.sizes[seg] = offset
        return positions

    def full(self) -> bool:
        return self._offset >= self.segment_bytes

    def roll(self) -> int:
        """Finish the current segment (the sync thread fsyncs and closes it); its id."""
        if self._fd >= 0:
            self.retired.append(self._fd)
        self._fd = -1
        finished = self.current
        self.current += 1
        return finished

    def _open_current(self) -> None:
        self._fd = open_private(self.path(self.current))
        self._offset = os.fstat(self._fd).st_size
        self.sizes[self.current] = self._offset
        self.new_name = True  # the sync thread makes the new file's name durable too

    def delete(self, seg: int) -> None:
        self.sizes.pop(seg, None)
        with contextlib.suppress(FileNotFoundError):
            self.path(seg).unlink()

    def total(self) -> int:
        return sum(self.sizes.values())

    def take_unsynced(self) -> tuple[list[int], bool]:
        """For the sync thread: the finished segments' descriptors (it closes them), a ``dup``
        of the current one (so a roll cannot close it mid-``fsync``), and whether the directory
        needs an ``fsync`` for a new name."""
        fds, self.retired = self.retired, []
        if self._fd >= 0:
            try:
                fds.append(os.dup(self._fd))
            except OSError as exc:  # out of descriptors: the next pass tries again
                logger.error("tenantry: spool fsync skipped (%s)", exc)
        new_name, self.new_name = self.new_name, False
        return fds, new_name

    def close(self) -> None:
        """``fsync`` and close every descriptor (the finished segments' and the current one)."""
        fds, self.retired = self.retired, []
        if self._fd >= 0:
            fds.append(self._fd)
            self._fd = -1
        for fd in fds:
            with contextlib.suppress(OSError):
                os.fsync(fd)
            with contextlib.suppress(OSError):
                os.close(fd)
