"""The ``tenantry-spool-sync`` thread: group commit. Whenever something was written since its
last ``fsync`` it ``fsync``s the segments written to (and the directory, for a new file name),
back to back, so a slow disk never holds the writer up; ``lag()`` says how far behind it is.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from pathlib import Path

from tenantry.pipeline.spool.writer import Segments

logger = logging.getLogger("tenantry")


def fsync_dir(directory: Path) -> None:
    dfd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(dfd)
    finally:
        os.close(dfd)


class Syncer:
    """``wrote()`` after each append and ``stop()`` at close, both with ``lock`` held (the lock
    that guards ``segments``)."""

    def __init__(self, lock: threading.Lock, segments: Segments) -> None:
        self._lock = lock
        self._segments = segments
        self._dirty = threading.Event()
        self._stopped = False
        self._written = 0  # appends so far; a pass fsyncs up to its snapshot of it
        self._unsynced_since: float | None = None  # monotonic time of the oldest unsynced one
        self._thread: threading.Thread | None = threading.Thread(
            target=self._loop, name="tenantry-spool-sync", daemon=True
        )
        try:
            self._thread.start()
        except RuntimeError:  # the interpreter is finalizing (3.12+): the writes still reach
            self._thread = None  # the page cache, so a crash of this process loses nothing

    def wrote(self) -> None:
        self._written += 1
        if self._unsynced_since is None:
            self._unsynced_since = time.monotonic()
        self._dirty.set()

    def poke(self) -> None:
        """A segment was finished without an append (a failed write): fsync it soon."""
        self._dirty.set()

    def stop(self) -> None:
        self._stopped = True
        self._dirty.set()  # lets the thread see ``_stopped`` and end

    def lag(self) -> float:
        """Seconds since the oldest append not yet ``fsync``ed; 0.0 when all are."""
        since = self._unsynced_since
        return 0.0 if since is None else max(0.0, time.monotonic() - since)

    def _loop(self) -> None:
        segments = self._segments
        while True:
            self._dirty.wait()
            self._dirty.clear()
            with self._lock:
                if self._stopped:
                    return
                upto = self._written
                taken_at = time.monotonic()
                fds, new_name = segments.take_unsynced()
            try:
                for fd in fds:
                    os.fsync(fd)
                if new_name:
                    fsync_dir(segments.directory)
            except OSError as exc:
                logger.error("tenantry: spool fsync failed (%s)", exc)
            finally:
                for fd in fds:
                    os.close(fd)
            with self._lock:
                # appends after the snapshot are no older than it
                self._unsynced_since = None if upto == self._written else taken_at
