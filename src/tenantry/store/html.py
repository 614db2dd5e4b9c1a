"""Report results as one self-contained HTML page of plotly charts (plotly.js inlined, no CDN).

``render_html(results, title)`` takes ``run_query`` dicts; ``tenantry report --html`` and the
server's ``/dashboard`` both use it.
"""

from __future__ import annotations

import html
from collections import defaultdict
from datetime import date, timedelta

import plotly.graph_objects as go

from tenantry.store.queries import DEFINITIONS

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>body{{font-family:system-ui,sans-serif;margin:2rem;color:#222}}
section{{margin-bottom:2.5rem}} .empty,.about{{color:#777}}
table{{border-collapse:collapse}} th,td{{padding:.25rem .75rem;border-bottom:1px solid #ddd}}
td.n{{text-align:right;font-variant-numeric:tabular-nums}}</style></head>
<body><h1>{title}</h1>
{sections}
</body></html>
"""


# Queries drawn as one series per developer over dates: name -> (value column, chart kind)
_PER_DEVELOPER = {
    "developer-retention": ("unique_end_users", "lines"),
    "developer-daily-events": ("count", "stacked"),
}


_DAY_MS = 86_400_000  # plotly measures date axes in milliseconds
_TABLES = ("api-usage", "monthly-usage", "memories-per-end-user")  # also shown as a table


def _day_axis(fig: go.Figure, rows: list[dict]) -> None:
    """Ticks on whole days (at most ~12), so a chart of one or two days shows dates, not
    hours, and a lone day's bar stays narrow."""
    first, last = (date.fromisoformat(f(r["date"] for r in rows)) for f in (min, max))
    span = (last - first).days + 1
    fig.update_xaxes(
        type="date",
        range=[first - timedelta(days=1), last + timedelta(days=1)],
        tick0=first,
        dtick=_DAY_MS * -(-span // 12),
        tickformat="%Y-%m-%d",
    )


def _per_developer(rows: list[dict], value: str, kind: str) -> go.Figure:
    """One trace per developer, x = date: lines, or bars stacked into each day's total. Ticks
    fall on whole days (at most ~12), so a chart of one or two days shows dates, not hours."""
    series: dict[str, tuple[list, list]] = defaultdict(lambda: ([], []))
    for row in rows:
        xs, ys = series[row["developer_id"]]
        xs.append(row["date"])
        ys.append(row[value])
    if kind == "stacked":
        fig = go.Figure(
            [go.Bar(x=x, y=y, name=n, width=0.8 * _DAY_MS) for n, (x, y) in series.items()]
        )
        fig.update_layout(barmode="stack")
    else:
        fig = go.Figure(
            [go.Scatter(x=x, y=y, mode="lines+markers", name=n) for n, (x, y) in series.items()]
        )
    _day_axis(fig, rows)
    fig.update_layout(
        xaxis_title="date", yaxis_title=value, legend_title_text="developer_id", showlegend=True
    )
    return fig


def _route(row: dict) -> str:
    return f"{row['method']} {row['route']}"


def _per_route_daily(rows: list[dict], value: str) -> go.Figure:
    """``value`` (requests or errors) per route per day, summed over developers: one stacked
    bar trace per route."""
    totals: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in rows:
        totals[_route(row)][row["date"]] += row[value]
    fig = go.Figure(
        [
            go.Bar(x=list(days), y=list(days.values()), name=route, width=0.8 * _DAY_MS)
            for route, days in sorted(totals.items())
        ]
    )
    fig.update_layout(barmode="stack", xaxis_title="date", yaxis_title=value)
    fig.update_yaxes(rangemode="tozero")
    _day_axis(fig, rows)
    return fig


def _monthly(rows: list[dict]) -> go.Figure:
    """Requests and memories per developer (and month, when there are several)."""
    several = len({r["month"] for r in rows}) > 1
    labels = [f"{r['developer_id']} {r['month']}" if several else r["developer_id"] for r in rows]
    fig = go.Figure(
        [go.Bar(x=labels, y=[r[col] for r in rows], name=col) for col in ("requests", "memories")]
    )
    fig.update_layout(barmode="group", xaxis_title="developer_id")
    return fig


def _table(rows: list[dict]) -> str:
    """The rows as an HTML table (numbers right-aligned)."""
    columns = list(rows[0])
    head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="n">{v}</td>'
            if isinstance(v, int | float)
            else f"<td>{html.escape(str(v))}</td>"
            for v in (r[c] for c in columns)
        )
        + "</tr>"
        for r in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _figures(result: dict) -> list[go.Figure]:
    """The charts of one result: usually one, two for api-daily-usage (requests, errors)."""
    rows = result.get("rows") or []
    if result.get("query") == "api-daily-usage" and rows:
        return [_sized(_per_route_daily(rows, v)) for v in ("requests", "errors")]
    fig = _figure(result)
    return [fig] if fig is not None else []


def _sized(fig: go.Figure) -> go.Figure:
    fig.update_layout(margin={"l": 40, "r": 20, "t": 20, "b": 40}, height=360)
    return fig


def _figure(result: dict) -> go.Figure | None:
    rows = result.get("rows") or []
    if not rows:
        return None
    columns = list(rows[0])
    if result.get("query") == "monthly-usage":
        fig = _monthly(rows)
    elif result.get("query") == "api-usage":
        fig = go.Figure([go.Bar(x=[_route(r) for r in rows], y=[r["requests"] for r in rows])])
        fig.update_layout(xaxis_title="route", yaxis_title="requests")
    elif "external_user_id" in columns:  # end users by the developer's own names
        labels = [str(r["external_user_id"] or r["end_user_id"]) for r in rows]
        fig = go.Figure([go.Bar(x=labels, y=[r[columns[-1]] for r in rows])])
        fig.update_layout(xaxis_title="external_user_id", yaxis_title=columns[-1])
    elif result.get("query") in _PER_DEVELOPER:
        fig = _per_developer(rows, *_PER_DEVELOPER[result["query"]])
    elif len(columns) == 1:
        fig = go.Figure([go.Bar(x=[columns[0]], y=[rows[0][columns[0]]])])
    else:
        label, value = columns[0], columns[-1]
        fig = go.Figure([go.Bar(x=[str(r[label]) for r in rows], y=[r[value] for r in rows])])
        fig.update_layout(xaxis_title=label, yaxis_title=value)
    return _sized(fig)


def render_html(results: list[dict], title: str) -> str:
    """A page with one chart per query result."""
    sections, inlined = [], False
    for result in results:
        name = html.escape(str(result.get("query", "")))
        figures = _figures(result)
        if not figures:
            body = '<p class="empty">no data</p>'
        else:
            body = ""
            for fig in figures:
                body += fig.to_html(full_html=False, include_plotlyjs=not inlined)
                inlined = True
            if result.get("query") in _TABLES:
                body += _table(result["rows"])
        about = DEFINITIONS.get(str(result.get("query")))
        caption = f'<p class="about">{html.escape(about.help)}</p>' if about else ""
        sections.append(f"<section><h2>{name}</h2>{caption}{body}</section>")
    return _PAGE.format(title=html.escape(title), sections="\n".join(sections))
