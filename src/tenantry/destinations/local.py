"""The ``local`` destination: shaped events into the embedded event store (``data_dir/events``).

Each batch becomes one immutable Parquet file (see ``tenantry.store.local``), so any number of
processes can use this destination at once. A failed write is retried by the sender.

``local`` is the default destination, and the store needs the ``store`` extra (DuckDB, pyarrow). A
core install without it loses nothing: each batch is written whole (temporary name, then an
atomic rename) as a JSON-lines file in ``data_dir/events/pending/``, and a one-time warning says
what to install. Once ``tenantry[store]`` is installed, the store loads the pending files into
its segments the next time it is opened, by this destination or by ``tenantry report``.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import secrets
import time
from collections.abc import Sequence
from pathlib import Path

import orjson

from tenantry._files import open_private_file, private_dir
from tenantry.config import Settings
from tenantry.destinations.base import (
    DELIVERED,
    BatchConfig,
    Destination,
    Result,
    encodable_part,
    outcomes,
)
from tenantry.events import Event, events_only

logger = logging.getLogger("tenantry")
PENDING = "pending"
_warned = False


def store_available() -> bool:
    """True when the ``store`` extra (duckdb and pyarrow) is importable."""
    return all(importlib.util.find_spec(name) is not None for name in ("duckdb", "pyarrow"))


def write_pending(directory: Path, events: Sequence[Event]) -> Path:
    """One batch as one JSON-lines file, complete or absent (rename into place)."""
    name = f"p-{time.time_ns():020d}-{os.getpid()}-{secrets.token_hex(4)}"
    tmp = directory / f".{name}.tmp"
    with open_private_file(tmp, "wb") as handle:
        handle.write(b"".join(orjson.dumps(e.to_record(), default=str) + b"\n" for e in events))
    final = directory / f"{name}.jsonl"
    os.replace(tmp, final)
    return final


class LocalDestination(Destination):
    name = "local"
    batch = BatchConfig(max_events=5000, max_bytes=8_000_000, max_age=1.0)

    def __init__(self, settings: Settings, *, root=None) -> None:
        root = Path(root or settings.data_dir / "events")
        self.store = None
        self.pending_dir: Path | None = None
        if store_available():
            from tenantry.store.local import LocalStore

            self.store = LocalStore(root)
        else:
            private_dir(settings.data_dir)
            self.pending_dir = private_dir(root / PENDING)
            _warn_once(self.pending_dir)

    def send(self, batch: Sequence[Event], timeout: float) -> list[Result]:  # noqa: ARG002
        events, bad = encodable_part(batch)  # one bad value never fails its batch
        events = events_only(events)  # people updates are for the vendors' profiles
        try:
            if not events:
                pass
            elif self.store is not None:
                self.store.write(list(events))
            else:
                write_pending(self.pending_dir, events)
        except Exception as exc:  # a full disk or a bad path: values, never exceptions
            return outcomes(len(batch), bad, Result.retry(f"store_error:{type(exc).__name__}"))
        return outcomes(len(batch), bad, DELIVERED)

    def shutdown(self, timeout: float) -> None:  # noqa: ARG002
        if self.store is not None:
            self.store.close()


def _warn_once(directory: Path) -> None:
    global _warned
    if _warned:
        return
    _warned = True
    logger.warning(
        "tenantry: the local event store needs the store extra; events are kept in %s and "
        "loaded into the store once you run: pip install 'tenantry[store]'",
        directory,
    )
