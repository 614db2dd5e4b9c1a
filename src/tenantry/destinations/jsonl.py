"""``jsonl``: appends one JSON object per shaped event and line to ``TELEMETRY_JSONL_PATH``.

Line format (docs/DESIGN.md, "Wire formats"): ``{"uuid", "event", "distinct_id", "timestamp", "edition",
"properties"}``. Each batch is one ``write`` of whole lines with ``O_APPEND``, so several
processes can share one file without interleaving inside a line.

A full disk (``ENOSPC``, or the file size limit) leaves no torn line and no duplicate: when a
write stops part-way, the lines written whole are delivered, the file is cut back to the end of
the last whole line, and the rest of the batch is retried later (the cut happens only while this
process wrote last, so another writer's lines are never cut). An event that cannot be encoded is
rejected alone (``unencodable``). People updates (cloud ``identify``/``group``, the developer's
profile) are acknowledged and not written: the file is a capture of events (``tenantry plan
check`` reads it).
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Sequence
from pathlib import Path

import orjson

from tenantry._files import open_private, private_dir
from tenantry.config import Settings, config_error
from tenantry.destinations.base import (
    DELIVERED,
    UNENCODABLE,
    BatchConfig,
    Destination,
    Result,
    Status,
)
from tenantry.events import Event, events_only

logger = logging.getLogger("tenantry")
#: a people update's result: final, and never turned into a retry by a short write below
NOT_WRITTEN = Result(Status.DELIVERED, reason="people_update")


class JsonlDestination(Destination):
    name = "jsonl"
    batch = BatchConfig(max_events=2000, max_bytes=8_000_000, max_age=0.2)

    def __init__(
        self, settings: Settings, *, path: Path | str | None = None, fsync: bool = False
    ) -> None:
        target = path or settings.jsonl_path or (settings.data_dir / "events.jsonl")
        if not target:
            raise config_error("jsonl_path", "required for the jsonl destination")
        self.path = Path(target)
        if not self.path.parent.exists():  # an existing directory is the operator's choice
            private_dir(self.path.parent)
        self._fd = open_private(self.path)  # 0600 whatever the umask
        self._fsync = fsync

    def send(self, batch: Sequence[Event], timeout: float) -> list[Result]:
        data, results = _encode_batch(batch)
        if data is None:
            data, results = _encode_each(batch)
        written, error = self._write(data)
        if error is None:
            return results
        whole = self._cut_torn_line(data, written)
        again = Result.retry(f"io:{error.errno}")
        left = data.count(b"\n") - data.count(b"\n", 0, whole)  # lines not written whole
        for i in range(len(results) - 1, -1, -1):  # the last ``left`` encoded events
            if left == 0:
                break
            if results[i] is DELIVERED:
                results[i] = again
                left -= 1
        return results

    def _write(self, data: bytes) -> tuple[int, OSError | None]:
        """Write ``data``; the bytes written and, when it stopped part-way, the error."""
        view = memoryview(data)
        written = 0
        try:
            while written < len(data):
                written += os.write(self._fd, view[written:])
            if self._fsync:
                os.fsync(self._fd)
        except OSError as exc:
            return written, exc
        return written, None

    def _cut_torn_line(self, data: bytes, written: int) -> int:
        """After a write stopped at ``written`` bytes of ``data``: cut the file back to the end
        of the last whole line, if this process wrote last. Returns the bytes kept."""
        whole = data.rfind(b"\n", 0, written) + 1
        if whole == written:
            return whole
        try:
            end = os.lseek(self._fd, 0, os.SEEK_CUR)  # O_APPEND: the end of this write
            if os.fstat(self._fd).st_size == end:
                os.ftruncate(self._fd, end - (written - whole))
        except OSError:
            logger.warning("tenantry: jsonl could not cut a torn line in %s", self.path)
        return whole

    def shutdown(self, timeout: float) -> None:
        with contextlib.suppress(OSError):
            os.close(self._fd)


def _line(e: Event) -> dict:
    return {
        "uuid": e.uuid,
        "event": e.event,
        "distinct_id": e.distinct_id,
        "timestamp": e.iso_timestamp,
        "edition": e.edition,
        "properties": e.properties,
    }


def _encode_batch(batch: Sequence[Event]) -> tuple[bytes | None, list[Result]]:
    """The lines of ``batch`` from one ``orjson.dumps`` of the whole list: one allocation
    instead of one per event, which is where a per-event ``dumps`` spends most of its time (a
    small ``bytes`` per event, kept until the join, makes glibc trim and grow its heap on every
    call; docs/PERFORMANCE.md). The array becomes lines by cutting it between its objects: no
    text inside a string can hold ``{"uuid":`` (JSON writes every quote in a string as
    ``\\"``), and a nested object under a ``"uuid"`` key is caught by the count. ``(None,
    [])`` for a batch with a people update or an unencodable event, or one the cut cannot
    split exactly: then each event is encoded alone."""
    if not batch or events_only(batch) is not batch:
        return None, []
    try:
        array = orjson.dumps([_line(e) for e in batch])
    except orjson.JSONEncodeError:
        return None, []
    data = array[1:-1].replace(_BETWEEN, _BETWEEN_LINES)
    if data.count(b"\n") != len(batch) - 1:
        return None, []
    return data + b"\n", [DELIVERED] * len(batch)


_BETWEEN = b'},{"uuid":'
_BETWEEN_LINES = b'}\n{"uuid":'


def _encode_each(batch: Sequence[Event]) -> tuple[bytes, list[Result]]:
    """One line per event, encoded alone: people updates acknowledged and not written
    (``NOT_WRITTEN``), an event that cannot be encoded rejected (``UNENCODABLE``)."""
    dumps = orjson.dumps
    opt = orjson.OPT_APPEND_NEWLINE
    lines: list[bytes] = []
    results: list[Result] = []
    for e in batch:
        if e.people_update:  # a capture of events: acknowledged, not written
            results.append(NOT_WRITTEN)
            continue
        try:
            lines.append(dumps(_line(e), option=opt))
            results.append(DELIVERED)
        except orjson.JSONEncodeError:
            results.append(UNENCODABLE)
    return b"".join(lines), results
