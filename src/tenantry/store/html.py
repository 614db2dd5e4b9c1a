"""Report results as charts and tables people can read: human titles, one-line explanations,
developers by email (their ``dev_`` ID on hover and in links), end users by the developer's own
ID, and every chart's numbers as an HTML table.

``chart(result, names)`` turns one ``run_query`` result into a ``Chart``: a Plotly figure as
plain JSON-ready dicts (drawn in the browser by plotly.js; nothing of plotly's Python side is
needed) and the same numbers as table rows. The server's dashboard lays charts out in its
templates and loads plotly.js once as a cached asset; ``render_report(results, title)`` is the
self-contained page of ``tenantry report --html``, which inlines plotly.js (and says so).
"""

from __future__ import annotations

import html
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from importlib import resources
from typing import Any

import orjson

from tenantry.store.folding import OTHER
from tenantry.store.queries import DEFINITIONS

_DAY_MS = 86_400_000  # plotly measures date axes in milliseconds
STATUS_COLOURS = {"2xx": "#2e7d32", "3xx": "#1565c0", "4xx": "#ef6c00", "5xx": "#c62828"}

# query -> (title, one line saying what the chart shows)
TITLES: dict[str, tuple[str, str]] = {
    "overview": ("At a glance", "Totals for the range."),
    "developer-events": ("Events by name", "How often each event was sent."),
    "developer-memories": ("Memories", "Memories created across all end users."),
    "top-developers": (
        "Developers by active end users",
        "Distinct end users each developer's app acted for in the range.",
    ),
    "memories-per-end-user": (
        "Memories per end user",
        "Memories each end user created, named by the developer's own user ID.",
    ),
    "developer-retention": (
        "Active end users per day",
        "Distinct end users who did anything that day, per developer.",
    ),
    "developer-daily-events": (
        "Events per day",
        "Every event the developers' apps sent, stacked by developer.",
    ),
    "api-usage": (
        "API usage by route",
        "Requests per route, 5xx server errors among them, and median and 95th-percentile latency.",
    ),
    "api-daily-usage": ("API requests per day by route", "Requests per route template and day."),
    "api-daily-status": (
        "API requests per day by outcome",
        "2xx succeeded; 4xx were refused (bad input, wrong key, unknown route); 5xx failed on "
        "the server.",
    ),
    "monthly-usage": ("Usage per month", "API requests and memories per developer and month."),
    "recent-events": ("Recent events", "The latest events, newest first (UTC)."),
    "end-user-activity": (
        "End users",
        "Each end user's events and memories in the range, and the first and last day seen.",
    ),
    "event-counts": ("Events by name", "How often each event was sent, in either edition."),
    "installations": ("Installations", "Opensource installations that reported, and events."),
    "edition-distribution": ("Events by edition", "Cloud and opensource events."),
    "os-distribution": (
        "Opensource installations by operating system",
        "Events from opensource installations, by the operating system they run on.",
    ),
}
_K_ANONYMOUS = ("edition-distribution", "os-distribution")
_SAID_ELSEWHERE = ("developer_id", "end_user_id", "email", "country")


@dataclass(frozen=True, slots=True)
class Cell:
    """One table cell: ``text`` shown, ``href`` to follow, ``hint`` on hover (an ID)."""

    text: str
    href: str | None = None
    hint: str | None = None
    numeric: bool = False


@dataclass(slots=True)
class Chart:
    """What a page shows for one result: a title, a line about it, a Plotly figure (None when
    there is nothing to draw), its numbers as a table, and a note (the k-anonymity rule)."""

    query: str
    title: str
    about: str
    figure: dict | None
    columns: list[str]
    rows: list[list[Cell]]
    note: str = ""
    empty: bool = False


@dataclass(frozen=True, slots=True)
class Names:
    """How people are shown: ``developers`` maps ``dev_`` IDs to emails; ``link(dev_id)`` is the
    URL of that developer's page (None: no links, as in a static file)."""

    developers: dict[str, str] = field(default_factory=dict)
    link: Callable[[str], str] | None = None

    def developer(self, dev_id: Any) -> str:
        if dev_id == OTHER:
            return "other developers"
        return self.developers.get(dev_id) or str(dev_id)

    def developer_cell(self, dev_id: Any) -> Cell:
        if dev_id == OTHER or dev_id is None:
            return Cell(self.developer(dev_id))
        href = self.link(str(dev_id)) if self.link else None
        return Cell(self.developer(dev_id), href=href, hint=str(dev_id))


def _end_user(row: dict) -> Cell:
    """An end user by the developer's own ID when known, the ``usr_`` ID on hover."""
    user = row.get("end_user_id")
    if user == OTHER:
        return Cell("other end users")
    external = row.get("external_user_id")
    if external:
        return Cell(str(external), hint=str(user))
    return Cell(str(user) if user is not None else "-")


def _number(value: Any) -> Cell:
    if value is None:
        return Cell("-", numeric=True)
    if isinstance(value, float):
        return Cell(f"{value:,.1f}", numeric=True)
    if isinstance(value, int):
        return Cell(f"{value:,}", numeric=True)
    return Cell(str(value))


def _day_axis(layout: dict, days: Iterable[str]) -> None:
    """Ticks on whole days (at most ~12), so a chart of one or two days shows dates, not
    hours, and a lone day's bar stays narrow."""
    days = sorted(days)
    first, last = date.fromisoformat(days[0]), date.fromisoformat(days[-1])
    span = (last - first).days + 1
    layout["xaxis"] = {
        "type": "date",
        "range": [(first - timedelta(days=1)).isoformat(), (last + timedelta(days=1)).isoformat()],
        "tick0": first.isoformat(),
        "dtick": _DAY_MS * -(-span // 12),
        "tickformat": "%Y-%m-%d",
    }


def _layout(height: int = 320, **extra: Any) -> dict:
    layout = {
        "height": height,
        "margin": {"l": 50, "r": 20, "t": 10, "b": 40},
        "legend": {"orientation": "h", "y": -0.2},
        "font": {"family": "system-ui, sans-serif", "size": 12},
    }
    layout.update(extra)
    return layout


def _per_developer(rows: list[dict], value: str, kind: str, names: Names, unit: str) -> dict:
    """One trace per developer (email as its name, ``dev_`` ID on hover), x = date: lines, or
    bars stacked into each day's total."""
    series: dict[str, tuple[list, list]] = defaultdict(lambda: ([], []))
    for row in rows:
        xs, ys = series[row["developer_id"]]
        xs.append(row["date"])
        ys.append(row[value])
    ordered = sorted(series, key=lambda d: (d == OTHER, -sum(series[d][1]), str(d)))
    traces = []
    for dev in ordered:
        xs, ys = series[dev]
        label = names.developer(dev)
        hover = f"{html.escape(label)}" + (f" ({dev})" if dev != OTHER else "")
        trace = {
            "x": xs,
            "y": ys,
            "name": label,
            "hovertemplate": f"{hover}<br>%{{x|%Y-%m-%d}}: %{{y:,}} {unit}<extra></extra>",
        }
        if kind == "stacked":
            trace.update(type="bar", width=0.8 * _DAY_MS)
        else:
            trace.update(type="scatter", mode="lines+markers")
        traces.append(trace)
    layout = _layout(barmode="stack", yaxis={"title": {"text": unit}, "rangemode": "tozero"})
    _day_axis(layout, {r["date"] for r in rows})
    return {"data": traces, "layout": layout}


def _ranking(labels: list[str], values: list[float], hints: list[str], unit: str) -> dict:
    """Horizontal bars, largest first, labels in full on the left."""
    trace = {
        "type": "bar",
        "orientation": "h",
        "x": values,
        "y": labels,
        "customdata": hints,
        "hovertemplate": f"%{{y}} %{{customdata}}: %{{x:,}} {unit}<extra></extra>",
    }
    height = 60 + 26 * len(labels)
    layout = _layout(
        height=max(160, height),
        yaxis={"autorange": "reversed", "automargin": True},
        xaxis={"title": {"text": unit}, "rangemode": "tozero"},
        showlegend=False,
    )
    return {"data": [trace], "layout": layout}


def _status_daily(rows: list[dict]) -> dict:
    per: dict[str, dict[str, int]] = defaultdict(dict)
    for row in rows:
        per[row["status_class"]][row["date"]] = row["requests"]
    traces = [
        {
            "type": "bar",
            "name": cls,
            "x": list(per[cls]),
            "y": list(per[cls].values()),
            "marker": {"color": STATUS_COLOURS.get(cls)},
            "width": 0.8 * _DAY_MS,
            "hovertemplate": f"%{{x|%Y-%m-%d}}: %{{y:,}} {cls}<extra></extra>",
        }
        for cls in sorted(per)
    ]
    layout = _layout(barmode="stack", yaxis={"title": {"text": "requests"}, "rangemode": "tozero"})
    _day_axis(layout, {r["date"] for r in rows})
    return {"data": traces, "layout": layout}


def _per_route_daily(rows: list[dict]) -> dict:
    per: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in rows:
        per[f"{row['method']} {row['route']}"][row["date"]] += row["requests"]
    traces = [
        {
            "type": "bar",
            "name": route,
            "x": list(days),
            "y": list(days.values()),
            "width": 0.8 * _DAY_MS,
        }
        for route, days in sorted(per.items())
    ]
    layout = _layout(barmode="stack", yaxis={"title": {"text": "requests"}, "rangemode": "tozero"})
    _day_axis(layout, {r["date"] for r in rows})
    return {"data": traces, "layout": layout}


def _monthly(rows: list[dict], names: Names) -> dict:
    """Requests and memories per developer (and month, when there are several)."""
    several = len({r["month"] for r in rows}) > 1
    labels = [
        f"{names.developer(r['developer_id'])} {r['month']}"
        if several
        else names.developer(r["developer_id"])
        for r in rows
    ]
    traces = [
        {"type": "bar", "name": col, "x": labels, "y": [r[col] for r in rows]}
        for col in ("requests", "memories")
    ]
    return {"data": traces, "layout": _layout(barmode="group", xaxis={"automargin": True})}


def _k_note(rows: list[dict], key: str, k: int) -> tuple[list[dict], str]:
    """The k-anonymity rule said in words instead of a bar named ``other``."""
    shown = [r for r in rows if r[key] != OTHER]
    hidden = sum(r["count"] for r in rows if r[key] == OTHER)
    total = hidden + sum(r["count"] for r in shown)
    what = "editions" if key == "edition" else "operating systems"
    rule = (
        f"A group is shown only when at least {k} installations share it (k-anonymity), so no "
        "installation can be singled out."
    )
    if not hidden:
        return shown, rule
    share = f"{hidden:,} of {total:,} events" if shown else f"All {total:,} events"
    return shown, (
        f"{share} come from {what} that fewer than {k} installations share; they are counted "
        f"but not broken down. {rule}"
    )


def _table(result: dict, names: Names) -> tuple[list[str], list[list[Cell]]]:
    """The result's rows as table cells: developers and end users by name, numbers aligned."""
    rows = result.get("rows") or []
    if not rows:
        return [], []
    columns = [c for c in rows[0] if c not in ("external_user_id",)]
    out = []
    for row in rows:
        cells = []
        for col in columns:
            value = row[col]
            if col == "developer_id":
                cells.append(names.developer_cell(value))
            elif col == "end_user_id":
                cells.append(_end_user(row))
            elif col == "properties":  # the IDs and profile are in the other columns already
                shown = {k: v for k, v in (value or {}).items() if k not in _SAID_ELSEWHERE}
                cells.append(Cell(", ".join(f"{k}={v}" for k, v in shown.items())))
            elif col == "time":
                cells.append(Cell(str(value).replace("T", " ").removesuffix("Z")))
            elif value == OTHER:
                cells.append(Cell(OTHER))
            else:
                cells.append(_number(value))
        out.append(cells)
    headers = {"developer_id": "developer", "end_user_id": "end user", "time": "time (UTC)"}
    return [headers.get(c, c.replace("_", " ")) for c in columns], out


def _figure(query: str, rows: list[dict], names: Names) -> dict | None:
    if not rows or DEFINITIONS.get(query) is not None and DEFINITIONS[query].one_row:
        return None
    if query == "developer-daily-events":
        return _per_developer(rows, "count", "stacked", names, "events")
    if query == "developer-retention":
        return _per_developer(rows, "unique_end_users", "lines", names, "end users")
    if query == "api-daily-status":
        return _status_daily(rows)
    if query == "api-daily-usage":
        return _per_route_daily(rows)
    if query == "monthly-usage":
        return _monthly(rows, names)
    if query == "top-developers":
        return _ranking(
            [names.developer(r["developer_id"]) for r in rows],
            [r["unique_end_users"] for r in rows],
            [f"({r['developer_id']})" if r["developer_id"] != OTHER else "" for r in rows],
            "end users",
        )
    if query == "memories-per-end-user":
        cells = [_end_user(r) for r in rows]
        return _ranking(
            [c.text for c in cells],
            [r["memory_count"] for r in rows],
            [f"({c.hint})" if c.hint else "" for c in cells],
            "memories",
        )
    if query in ("event-counts", "developer-events", "edition-distribution", "os-distribution"):
        key = {"edition-distribution": "edition", "os-distribution": "os"}.get(query, "event")
        return _ranking(
            [str(r[key]) for r in rows], [r["count"] for r in rows], [""] * len(rows), "events"
        )
    return None  # tables only: api-usage, recent-events, end-user-activity


def chart(result: dict, names: Names | None = None, *, min_group_size: int = 5) -> Chart:
    """The ``Chart`` of one ``run_query`` result (``names``: how to show developers)."""
    names = names or Names()
    query = str(result.get("query", ""))
    rows = list(result.get("rows") or [])
    title, about = TITLES.get(
        query, (query, DEFINITIONS[query].help if query in DEFINITIONS else "")
    )
    note = ""
    drawn = rows
    if query in _K_ANONYMOUS and rows:
        key = "edition" if query == "edition-distribution" else "os"
        drawn, note = _k_note(rows, key, min_group_size)
    columns, cells = _table({"rows": drawn}, names)
    return Chart(
        query=query,
        title=title,
        about=about,
        figure=_figure(query, drawn, names),
        columns=columns,
        rows=cells,
        note=note,
        empty=not rows,
    )


def figure_json(figure: dict) -> str:
    """A figure as JSON safe inside a ``<script type="application/json">`` element."""
    text = orjson.dumps(figure).decode()
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def plotly_js() -> bytes:
    """plotly.js, minified, as shipped inside the plotly package (no CDN, no network)."""
    return resources.files("plotly").joinpath("package_data", "plotly.min.js").read_bytes()


def draw_js() -> bytes:
    """The few lines that draw every ``[data-figure]`` element (shared with the dashboard)."""
    return resources.files("tenantry.store").joinpath("draw.js").read_bytes()


# -- the static page of ``tenantry report --html`` ------------------------------------------------

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{{font-family:system-ui,sans-serif;margin:2rem;color:#222;max-width:72rem}}
section{{margin-bottom:2.5rem}} .about,.note,.empty,.inlined{{color:#555}}
table{{border-collapse:collapse}} th,td{{padding:.25rem .75rem;border-bottom:1px solid #ddd;
text-align:left}} td.n{{text-align:right;font-variant-numeric:tabular-nums}}</style></head>
<body><h1>{title}</h1>
<p class="inlined">A static report written by <code>tenantry report --html</code>. It inlines
plotly.js ({size}), so it opens offline; the server's dashboard loads that library once and
caches it.</p>
{sections}
<script>{plotly}</script><script>{draw}</script>
</body></html>
"""


def table_html(c: Chart) -> str:
    """The chart's numbers as an HTML table (links and hover IDs kept)."""
    if not c.rows:
        return ""
    head = "".join(f'<th scope="col">{html.escape(col)}</th>' for col in c.columns)
    body = []
    for row in c.rows:
        tds = []
        for cell in row:
            text = html.escape(cell.text)
            hint = f' title="{html.escape(cell.hint)}"' if cell.hint else ""
            if cell.href:
                text = f'<a href="{html.escape(cell.href)}"{hint}>{text}</a>'
                hint = ""
            tds.append(f"<td{' class=n' if cell.numeric else ''}{hint}>{text}</td>")
        body.append("<tr>" + "".join(tds) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def render_report(results: list[dict], title: str, names: Names | None = None) -> str:
    """A self-contained page: each result's chart (plotly.js inlined) and its table."""
    sections = []
    for result in results:
        c = chart(result, names)
        parts = [f"<h2>{html.escape(c.title)}</h2>", f'<p class="about">{html.escape(c.about)}</p>']
        if c.empty:
            parts.append('<p class="empty">no data</p>')
        if c.figure is not None:
            parts.append(
                f'<div data-figure><script type="application/json">{figure_json(c.figure)}'
                "</script></div>"
            )
        if c.note:
            parts.append(f'<p class="note">{html.escape(c.note)}</p>')
        parts.append(table_html(c))
        sections.append("<section>" + "".join(parts) + "</section>")
    library = plotly_js()
    return _PAGE.format(
        title=html.escape(title),
        sections="\n".join(sections),
        size=f"{len(library) / 1e6:.1f} MB",
        plotly=library.decode("utf-8").replace("</script", "<\\/script"),
        draw=draw_js().decode("utf-8"),
    )
