"""What every event store offers the query layer, and the columns both backends keep.

Columns (both editions): uuid, event, timestamp (UTC), distinct_id, developer_id and end_user_id
(cloud only, else null), edition, os, version, properties (a JSON string).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import orjson

from tenantry.events import Event
from tenantry.policy.hooks import MIN_SAMPLE_RATE, SAMPLE_RATE

COLUMNS = (
    "uuid",
    "event",
    "timestamp",
    "distinct_id",
    "developer_id",
    "end_user_id",
    "edition",
    "os",
    "version",
    "properties",
)


# What one event counts for in the usage reports, in each engine's SQL over the ``properties``
# text: 1/rate when ``$sample_rate`` is a JSON number from MIN_SAMPLE_RATE to 1 (what
# ``TelemetryService(sample_rates=...)`` writes), else 1: a string, a boolean, a rate out of
# range weigh 1, so no spelling reads differently in DuckDB and Python and no weight overflows a
# sum (tests/store/test_weights.py holds the stores to that rule).
_DUCK_RATE = f"TRY_CAST(json_extract(properties, '$.\"{SAMPLE_RATE}\"') AS DOUBLE)"
LOCAL_WEIGHT = (
    f"(CASE WHEN strpos(properties, '\"{SAMPLE_RATE}\"') > 0 "
    f"AND json_type(json_extract(properties, '$.\"{SAMPLE_RATE}\"')) = 'DOUBLE' "
    f"AND {_DUCK_RATE} >= {MIN_SAMPLE_RATE} AND {_DUCK_RATE} <= 1 THEN 1.0 / {_DUCK_RATE} "
    "ELSE 1.0 END)"
)


def weight_of(properties: Any) -> float:
    """The rule in Python: ClickHouse keeps it in a column of its own at insert (18.16 cannot
    read a JSON path: its ``visitParam`` functions find a key at any depth)."""
    rate = properties.get(SAMPLE_RATE) if isinstance(properties, dict) else None
    if type(rate) is float and MIN_SAMPLE_RATE <= rate <= 1:
        return 1.0 / rate
    return 1.0


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def columns_of(events: Sequence[Event]) -> dict[str, list]:
    """The events as columns; ``timestamp`` stays float epoch seconds (each backend converts)."""
    props = [e.properties if isinstance(e.properties, dict) else {} for e in events]
    dumps = orjson.dumps
    return {
        "uuid": [e.uuid for e in events],
        "event": [e.event for e in events],
        "timestamp": [e.timestamp for e in events],
        "distinct_id": [e.distinct_id for e in events],
        "developer_id": [e.developer_id for e in events],
        "end_user_id": [e.end_user_id for e in events],
        "edition": [e.edition for e in events],
        "os": [_text(p.get("os")) for p in props],
        "version": [_text(p.get("version")) for p in props],
        "properties": [dumps(p, default=str).decode() for p in props],
    }


@dataclass(frozen=True, slots=True)
class Scope:
    """Which rows a query may see. Applied by the store to its base relation, never by the query:
    a per-developer query cannot read another developer's rows by construction.

    ``since``/``until`` are either dates (whole UTC days, ``until`` inclusive: what the reports
    take) or naive UTC datetimes (an instant, ``until`` exclusive: the dashboard's "last 24
    hours"). ``bounds()`` gives both as one half-open interval."""

    cloud_only: bool = False
    developer: str | None = None
    since: date | datetime | None = None
    until: date | datetime | None = None  # a date: inclusive; a datetime: exclusive
    dedupe: bool = True  # False: the query only counts distinct values, replays cannot matter

    @property
    def whole_days(self) -> bool:
        """True when neither bound is a datetime (rollups by day can answer)."""
        return not isinstance(self.since, datetime) and not isinstance(self.until, datetime)

    def bounds(self) -> tuple[datetime | None, datetime | None]:
        """``[start, end)`` as naive UTC datetimes; None where the scope is open."""
        start = end = None
        if self.since is not None:
            start = _instant(self.since)
        if self.until is not None:
            end = _instant(self.until)
            if not isinstance(self.until, datetime):
                try:
                    end += timedelta(days=1)
                except OverflowError:  # until 9999-12-31: no upper bound
                    end = None
        return start, end


def _instant(value: date | datetime) -> datetime:
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    return datetime(value.year, value.month, value.day)


class EventStore(ABC):
    """An event store: ``write`` events, answer ``select`` over a scoped ``{events}`` relation."""

    backend: str = "store"
    min_group_size: int = 5  # small-group suppression threshold (``settings.min_group_size``)

    @abstractmethod
    def write(self, events: Sequence[Event]) -> int:
        """Store ``events`` (idempotent on uuid); return how many were handed in."""

    @abstractmethod
    def select(self, sql: str, scope: Scope, limit: int | None = None) -> list[tuple]:
        """Run ``sql`` in which ``{events}`` is the scoped, deduplicated relation with the
        columns of ``COLUMNS`` plus ``day`` (the UTC date of ``timestamp``); at most ``limit``
        rows (appended as ``LIMIT``: ``sql`` ends with its ``ORDER BY``)."""

    @abstractmethod
    def editions(self) -> set[str]:
        """Editions present in the store (enough to tell whether any cloud and any other rows
        exist; the privacy check needs no more)."""

    @abstractmethod
    def delete_person(self, person_id: str) -> tuple[int, set[str]]:
        """Remove every event of ``person_id`` (developer, end user or distinct id); return the
        number of distinct events removed and their distinct_ids."""

    @abstractmethod
    def delete_before(self, cutoff: float) -> int:
        """Remove events with ``timestamp < cutoff`` (epoch seconds); return how many."""

    @abstractmethod
    def count(self) -> int:
        """Distinct events stored."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections."""

    def __enter__(self) -> EventStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
