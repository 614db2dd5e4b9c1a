"""What each dashboard page shows, for a viewer and a range: which report queries it runs, the
tiles and their change against the previous range, and names in place of IDs.

Every number on a page comes from ``run_query`` (the registry in ``store.queries``), the same
function as ``tenantry report`` and ``GET /v1/analytics/{query}``, so a tile can be checked
against a report for the same range. Charts are bounded: a handful of developers drawn one by
one and the rest summed as ``other``, the top rows of rankings.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tenantry.errors import PrivacyRefused
from tenantry.server.web.ranges import Range
from tenantry.store.html import Chart, Names, chart
from tenantry.store.queries import DEFINITIONS, run_query

# The pages' queries, in the order they are shown.
ADMIN_OVERVIEW = (
    "developer-daily-events",
    "developer-retention",
    "api-daily-status",
    "top-developers",
    "api-usage",
    "monthly-usage",
    "event-counts",
)
DEVELOPER_OVERVIEW = (
    "developer-events",
    "developer-retention",
    "api-daily-status",
    "memories-per-end-user",
    "api-usage",
    "monthly-usage",
)
DEVELOPER_PAGE = (
    "recent-events",
    "developer-daily-events",
    "end-user-activity",
    "developer-events",
    "api-daily-usage",
    "api-usage",
    "monthly-usage",
)
OPENSOURCE = ("os-distribution", "edition-distribution")
TILES = "overview"  # the tiles' query; developer-memories is the memories tile of one developer
# How many groups a chart or table shows (the rest are summed as "other").
TOP = {
    "developer-daily-events": 8,
    "developer-retention": 8,
    "monthly-usage": 8,
    "api-usage": 10,
    "api-daily-usage": 10,
    "top-developers": 10,
    "event-counts": 12,
    "developer-events": 12,
    "memories-per-end-user": 12,
    "end-user-activity": 25,
}


@dataclass(frozen=True, slots=True)
class Tile:
    key: str
    label: str
    value: float
    text: str
    detail: str = ""
    change: str = ""
    tone: str = "flat"  # good, bad or flat


@dataclass(slots=True)
class Page:
    """What a template needs: tiles, charts, and the opensource part (admin only)."""

    tiles: list[Tile] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)
    opensource: dict | None = None
    notice: str = ""


def _change(now: float, before: float, *, up_is_good: bool = True, percent_points=False) -> tuple:
    """The change against the previous range, in words, and whether it is good news."""
    if percent_points:
        diff = now - before
        if abs(diff) < 0.05:
            return "no change vs previous range", "flat"
        good = (diff > 0) == up_is_good
        return f"{diff:+.1f} points vs previous range", "good" if good else "bad"
    if before == 0:
        return ("new in this range", "good" if up_is_good else "bad") if now else ("", "flat")
    ratio = (now - before) / before * 100
    if abs(ratio) < 0.5:
        return f"no change vs previous range ({before:,.0f})", "flat"
    good = (ratio > 0) == up_is_good
    return f"{ratio:+.0f}% vs previous range ({before:,.0f})", "good" if good else "bad"


def _count_tile(key: str, label: str, now: dict, before: dict) -> Tile:
    change, tone = _change(now[key], before[key])
    return Tile(key, label, now[key], f"{now[key]:,}", change=change, tone=tone)


def _rate(row: dict) -> float:
    requests = row["api_requests"]
    return (row["errors_4xx"] + row["errors_5xx"]) / requests * 100 if requests else 0.0


def tiles(now: dict, before: dict, *, admin: bool) -> list[Tile]:
    """The overview's tiles: counts with their change; the error rate with 4xx and 5xx apart."""
    out = []
    if admin:
        out.append(_count_tile("developers", "Active developers", now, before))
    out += [
        _count_tile("end_users", "Active end users", now, before),
        _count_tile("events", "Events", now, before),
        _count_tile("api_requests", "API requests", now, before),
    ]
    rate, was = _rate(now), _rate(before)
    change, tone = ("", "flat")
    if now["api_requests"] and before["api_requests"]:
        change, tone = _change(rate, was, up_is_good=False, percent_points=True)
    out.append(
        Tile(
            "error_rate",
            "Error rate",
            round(rate, 1),
            f"{rate:.1f}%" if now["api_requests"] else "-",
            detail=f"4xx: {now['errors_4xx']:,} · 5xx: {now['errors_5xx']:,}",
            change=change,
            tone=tone,
        )
    )
    out.append(_count_tile("memories", "Memories", now, before))
    return out


def _opensource_tiles(now: dict, before: dict) -> list[Tile]:
    return [
        _count_tile("installations", "Installations", now, before),
        _count_tile("events", "Events from installations", now, before),
    ]


class Runner:
    """Runs a page's queries for one viewer and range over one store."""

    def __init__(
        self,
        store: Any,
        rng: Range,
        *,
        developer: str | None,
        external_ids: Callable | None,
        min_group_size: int,
    ) -> None:
        self.store = store
        self.range = rng
        self.developer = developer
        self.external_ids = external_ids
        self.min_group_size = min_group_size
        self.editions = store.editions()
        self.anonymous_only = bool(self.editions) and "cloud" not in self.editions

    def run(self, name: str, rng: Range | None = None) -> dict | None:
        """The result, or None when it is refused (user-level data over anonymous data)."""
        since, until = (rng or self.range).bounds()
        query = DEFINITIONS[name]
        try:
            return run_query(
                self.store,
                name,
                developer=self.developer if query.cloud else None,
                since=since,
                until=until,
                external_ids=self.external_ids,
                top=TOP.get(name, 1000),
                editions=self.editions,
            )
        except PrivacyRefused:
            return None

    def one_row(self, name: str, rng: Range | None = None) -> dict:
        result = self.run(name, rng)
        return result["rows"][0] if result and result["rows"] else {}

    def charts(self, names: tuple[str, ...], people: Callable[[list[dict]], Names]) -> list[Chart]:
        results = [r for r in (self.run(n) for n in names) if r is not None]
        who = people(results)
        return [chart(r, who, min_group_size=self.min_group_size) for r in results]


def overview(runner: Runner, people: Callable[[list[dict]], Names], *, admin: bool) -> Page:
    """The overview: tiles against the previous range, then the charts; for the admin, the
    opensource installations' aggregates when there are any."""
    page = Page()
    if runner.anonymous_only:
        page.notice = (
            "This store holds anonymous (opensource) data only: per-developer and per-user "
            "reports are not available, by design."
        )
    else:
        now, before = runner.one_row(TILES), runner.one_row(TILES, runner.range.previous())
        if now:
            page.tiles = tiles(now, before, admin=admin)
        page.charts = runner.charts(ADMIN_OVERVIEW if admin else DEVELOPER_OVERVIEW, people)
    if admin:
        now = runner.one_row("installations")
        if now.get("installations"):
            before = runner.one_row("installations", runner.range.previous())
            page.opensource = {
                "tiles": _opensource_tiles(now, before),
                "charts": runner.charts(OPENSOURCE, people)
                + (runner.charts(("event-counts",), people) if runner.anonymous_only else []),
            }
    return page


def developer_page(runner: Runner, people: Callable[[list[dict]], Names]) -> Page:
    """One developer: tiles, recent events, end users, usage."""
    now, before = runner.one_row(TILES), runner.one_row(TILES, runner.range.previous())
    return Page(
        tiles=tiles(now, before, admin=False) if now else [],
        charts=runner.charts(DEVELOPER_PAGE, people),
    )


def developer_ids(results: list[dict]) -> list[str]:
    """Every ``dev_`` ID in the results' rows (to be named)."""
    return sorted(
        {r["developer_id"] for res in results for r in res["rows"] if r.get("developer_id")}
    )
