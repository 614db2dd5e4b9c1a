"""``jsonl``: appends one JSON object per shaped event and line to ``TELEMETRY_JSONL_PATH``.

Line format (CONTRACT.md): ``{"uuid", "event", "distinct_id", "timestamp", "edition",
"properties"}``. Each batch is one ``write`` of whole lines with ``O_APPEND``, so several
processes can share one file without interleaving inside a line. People updates (cloud
``identify``/``group``, the developer's profile) are acknowledged and not written: the file is a
capture of events (``tenantry plan check`` reads it).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Sequence
from pathlib import Path

import orjson

from tenantry._files import open_private, private_dir
from tenantry.config import Settings
from tenantry.destinations.base import DELIVERED, BatchConfig, Destination, Result
from tenantry.errors import ConfigError
from tenantry.events import Event, events_only


class JsonlDestination(Destination):
    name = "jsonl"
    batch = BatchConfig(max_events=2000, max_bytes=8_000_000, max_age=0.2)

    def __init__(
        self, settings: Settings, *, path: Path | str | None = None, fsync: bool = False
    ) -> None:
        target = path or settings.jsonl_path or (settings.data_dir / "events.jsonl")
        if not target:
            raise ConfigError("TELEMETRY_JSONL_PATH: required for the jsonl destination")
        self.path = Path(target)
        if not self.path.parent.exists():  # an existing directory is the operator's choice
            private_dir(self.path.parent)
        self._fd = open_private(self.path)  # 0600 whatever the umask
        self._fsync = fsync

    def send(self, batch: Sequence[Event], timeout: float) -> list[Result]:
        results = [DELIVERED] * len(batch)
        batch = events_only(batch)  # a capture of events: people updates are not written
        dumps = orjson.dumps
        opt = orjson.OPT_APPEND_NEWLINE
        data = b"".join(
            [
                dumps(
                    {
                        "uuid": e.uuid,
                        "event": e.event,
                        "distinct_id": e.distinct_id,
                        "timestamp": e.iso_timestamp,
                        "edition": e.edition,
                        "properties": e.properties,
                    },
                    option=opt,
                )
                for e in batch
            ]
        )
        try:
            view = memoryview(data)
            while view:
                written = os.write(self._fd, view)
                view = view[written:]
            if self._fsync:
                os.fsync(self._fd)
        except OSError as exc:
            return [Result.retry(f"io:{exc.errno}")] * len(results)
        return results

    def shutdown(self, timeout: float) -> None:
        with contextlib.suppress(OSError):
            os.close(self._fd)
