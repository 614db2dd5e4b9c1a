"""The ``clickhouse`` destination: shaped events into ClickHouse (``TENANTRY_CLICKHOUSE_URL``)
over the native protocol, in large batches. clickhouse-driver is imported only by the store
module this uses, so a missing driver breaks only this destination.

Each batch is deduplicated on uuid before the insert (``dedup``: this process's window by
default; pass a shared one, e.g. Redis, so replicas see each other's uuids). A uuid already
seen counts as delivered; an insert that fails is unmarked, so the sender's retry gets in."""

from __future__ import annotations

from collections.abc import Sequence

from tenantry.config import Settings, config_error
from tenantry.destinations.base import (
    DELIVERED,
    BatchConfig,
    Destination,
    Result,
    encodable_part,
    outcomes,
)
from tenantry.events import Event, events_only
from tenantry.store.clickhouse import ClickHouseStore


class ClickHouseDestination(Destination):
    name = "clickhouse"
    batch = BatchConfig(max_events=20_000, max_bytes=32_000_000, max_age=2.0)

    def __init__(self, settings: Settings, *, url: str | None = None, dedup=None) -> None:
        url = url or settings.clickhouse_url
        if not url:
            raise config_error("clickhouse_url", "the clickhouse destination needs it")
        self.shared = None
        if dedup is None and settings.redis_url:  # replicas share one window (its own name:
            from tenantry.shared_state import SharedState  # the relay's uuids are another's)

            self.shared = SharedState.from_settings(settings)
            dedup = self.shared.dedup(name="store")
        self.store = ClickHouseStore(url, dedup=dedup)

    def send(self, batch: Sequence[Event], timeout: float) -> list[Result]:  # noqa: ARG002
        # checked before the dedup window marks any uuid: one bad value never fails its batch
        events, bad = encodable_part(batch)
        try:
            events = events_only(events)  # people updates are for the vendors' profiles
            if events:
                self.store.write(list(events))
        except Exception as exc:  # server down or refusing: retried with backoff by the sender
            return outcomes(len(batch), bad, Result.retry(f"clickhouse:{type(exc).__name__}"))
        return outcomes(len(batch), bad, DELIVERED)

    def shutdown(self, timeout: float) -> None:
        self.store.close(timeout)
        if self.shared is not None:
            self.shared.close()
