"""The ``local`` destination: shaped events into the embedded event store (``data_dir/events``).

Each batch becomes one immutable Parquet file (see ``tenantry.store.local``), so any number of
processes can use this destination at once. A failed write is retried by the sender.
"""

from __future__ import annotations

from collections.abc import Sequence

from tenantry.config import Settings
from tenantry.destinations.base import DELIVERED, BatchConfig, Destination, Result, same_result
from tenantry.events import Event
from tenantry.store.local import LocalStore


class LocalDestination(Destination):
    name = "local"
    batch = BatchConfig(max_events=5000, max_bytes=8_000_000, max_age=1.0)

    def __init__(self, settings: Settings, *, root=None) -> None:
        self.store = LocalStore(root or settings.data_dir / "events")

    def send(self, batch: Sequence[Event], timeout: float) -> list[Result]:  # noqa: ARG002
        try:
            self.store.write(list(batch))
        except Exception as exc:  # a full disk or a bad path: values, never exceptions
            return same_result(len(batch), Result.retry(f"store_error:{type(exc).__name__}"))
        return same_result(len(batch), DELIVERED)

    def shutdown(self, timeout: float) -> None:  # noqa: ARG002
        self.store.close()
