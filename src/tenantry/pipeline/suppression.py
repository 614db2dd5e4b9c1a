"""IDs that asked to be forgotten (``tenantry forget``): the intake (``pipeline.intake``) drops
their new events as ``suppressed``, in the library and in the relay.

The list is a text file (one ID a line, append-only) in the data dir, shared by every process.
``contains`` is a set lookup; the file is re-read when its size or mtime changes, checked at
most every ``CHECK_INTERVAL`` seconds so the per-event cost stays a dict lookup. It lives in
the core (stdlib only): the library reads it on every event, ``tenantry forget``
(``store.deletion``, the store extra) adds to it.
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from pathlib import Path

from tenantry._files import open_private, private_dir

FILENAME = "suppressed.txt"
CHECK_INTERVAL = 0.1


class SuppressionList:
    """``SuppressionList(data_dir)``: ``add(id)``, ``contains(id) -> bool``; thread-safe."""

    def __init__(self, data_dir: Path) -> None:
        self.path = Path(data_dir) / FILENAME
        self._ids: frozenset[str] = frozenset()
        self._stamp: tuple[int, int] | None = None
        self._checked = 0.0
        self._lock = threading.Lock()
        self._reload()

    def _reload(self) -> None:
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            self._ids, self._stamp = frozenset(), None
            return
        stamp = (st.st_mtime_ns, st.st_size)
        if stamp != self._stamp:
            text = self.path.read_text(encoding="utf-8")
            self._ids = frozenset(line for line in text.splitlines() if line)
            self._stamp = stamp

    def current(self) -> frozenset[str]:
        """The IDs on the list now (the file re-read if it changed, at most every
        ``CHECK_INTERVAL`` seconds): one read for a whole batch, then set lookups."""
        now = time.monotonic()
        if now - self._checked >= CHECK_INTERVAL:
            with self._lock:
                self._checked = now
                self._reload()
        return self._ids

    def contains(self, person_id: object) -> bool:
        return isinstance(person_id, str) and person_id in self.current()

    def __contains__(self, person_id: object) -> bool:
        return self.contains(person_id)

    def add(self, person_id: str) -> None:
        person_id = str(person_id).strip()
        if not person_id or "\n" in person_id:
            raise ValueError("a suppressed ID is one non-empty line")
        with self._lock:
            if person_id in self._ids:
                return
            private_dir(self.path.parent)
            fd = open_private(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                os.write(fd, (person_id + "\n").encode())
                os.fsync(fd)
            finally:
                os.close(fd)
            self._ids = self._ids | {person_id}

    def __len__(self) -> int:
        self.contains("")
        return len(self._ids)
