"""The dashboard's date range: presets (last 24 hours, 7 days, 30 days) or custom days, read
from and written to the URL, so a view can be shared; and the range just before it, which the
tiles compare against.

    ?range=24h | ?range=7d | ?range=30d | ?since=2026-09-01&until=2026-09-30 (days, inclusive)

Days are UTC. "24 hours" is an instant range (the last 24 hours up to now); the other presets
are whole days ending today.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlencode

from tenantry.errors import QueryError

PRESETS = {"24h": "last 24 hours", "7d": "last 7 days", "30d": "last 30 days"}
DEFAULT = "7d"
MAX_DAYS = 3660  # a custom range of at most ten years


@dataclass(frozen=True, slots=True)
class Range:
    """``since``/``until``: dates (whole days, ``until`` inclusive) or, for ``24h``, naive UTC
    datetimes (``until`` exclusive)."""

    preset: str  # a key of PRESETS, or "custom"
    since: date | datetime
    until: date | datetime

    @property
    def label(self) -> str:
        if self.preset in PRESETS:
            return PRESETS[self.preset]
        return f"{self.since.isoformat()} to {self.until.isoformat()}"

    @property
    def span(self) -> str:
        """The range in words with its bounds (``2026-09-01 to 2026-09-07``)."""
        if isinstance(self.since, datetime):
            fmt = "%Y-%m-%d %H:%M"
            return f"{self.since.strftime(fmt)} to {self.until.strftime(fmt)} UTC"
        return f"{self.since.isoformat()} to {self.until.isoformat()}"

    def previous(self) -> Range:
        """The range of the same length just before this one."""
        if isinstance(self.since, datetime):
            length = self.until - self.since
            return Range(self.preset, self.since - length, self.since)
        days = (self.until - self.since).days + 1
        return Range(self.preset, self.since - timedelta(days=days), self.since - timedelta(days=1))

    def params(self) -> dict[str, str]:
        """The URL parameters that give this range back."""
        if self.preset in PRESETS:
            return {"range": self.preset}
        return {"since": self.since.isoformat(), "until": self.until.isoformat()}

    @property
    def query(self) -> str:
        return urlencode(self.params())

    def bounds(self) -> tuple[str, str]:
        """``since``/``until`` as ``run_query`` takes them (ISO text)."""
        if isinstance(self.since, datetime):
            return (
                self.since.isoformat(timespec="seconds"),
                self.until.isoformat(timespec="seconds"),
            )
        return self.since.isoformat(), self.until.isoformat()


def _day(text: str, name: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise QueryError(f"{name}: {text[:40]!r} is not a date (YYYY-MM-DD)") from None


def parse_range(
    preset: str | None, since: str | None, until: str | None, now: datetime | None = None
) -> Range:
    """The range a URL asks for: ``since``/``until`` (custom days) win over ``range``; an
    unknown preset or a bad day is a ``QueryError`` (400)."""
    now = (now or datetime.now(UTC)).astimezone(UTC).replace(tzinfo=None)
    today = now.date()
    if since or until:
        last = _day(until, "until") if until else today
        first = _day(since, "since") if since else last - timedelta(days=6)
        if first > last:
            raise QueryError("since is after until")
        if (last - first).days > MAX_DAYS:
            raise QueryError(f"a range of at most {MAX_DAYS} days")
        if first.year < 1971 or last.year > 2105:
            raise QueryError("days between 1971 and 2105")
        return Range("custom", first, last)
    preset = preset or DEFAULT
    if preset == "24h":
        end = now.replace(second=0, microsecond=0) + timedelta(minutes=1)
        return Range("24h", end - timedelta(hours=24), end)
    if preset in ("7d", "30d"):
        days = int(preset[:-1])
        return Range(preset, today - timedelta(days=days - 1), today)
    raise QueryError(f"range: choose from {', '.join(PRESETS)} or give since and until")
