"""Report results as one self-contained HTML page of plotly charts (plotly.js inlined, no CDN).

``render_html(results, title)`` takes ``run_query`` dicts; ``tenantry report --html`` and the
service's ``/dashboard`` both use it.
"""

from __future__ import annotations

import html
from collections import defaultdict

import plotly.graph_objects as go

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>body{{font-family:system-ui,sans-serif;margin:2rem;color:#222}}
section{{margin-bottom:2.5rem}} .empty{{color:#777}}</style></head>
<body><h1>{title}</h1>
{sections}
</body></html>
"""


def _figure(result: dict) -> go.Figure | None:
    rows = result.get("rows") or []
    if not rows:
        return None
    columns = list(rows[0])
    if result.get("query") == "developer-retention":
        series: dict[str, tuple[list, list]] = defaultdict(lambda: ([], []))
        for row in rows:
            xs, ys = series[row["developer_id"]]
            xs.append(row["date"])
            ys.append(row["unique_end_users"])
        fig = go.Figure(
            [go.Scatter(x=x, y=y, mode="lines+markers", name=n) for n, (x, y) in series.items()]
        )
    elif len(columns) == 1:
        fig = go.Figure([go.Bar(x=[columns[0]], y=[rows[0][columns[0]]])])
    else:
        label, value = columns[0], columns[-1]
        fig = go.Figure([go.Bar(x=[str(r[label]) for r in rows], y=[r[value] for r in rows])])
        fig.update_layout(xaxis_title=label, yaxis_title=value)
    fig.update_layout(margin={"l": 40, "r": 20, "t": 20, "b": 40}, height=360)
    return fig


def render_html(results: list[dict], title: str) -> str:
    """A page with one chart per query result."""
    sections, inlined = [], False
    for result in results:
        name = html.escape(str(result.get("query", "")))
        fig = _figure(result)
        if fig is None:
            body = '<p class="empty">no data</p>'
        else:
            body = fig.to_html(full_html=False, include_plotlyjs=not inlined)
            inlined = True
        sections.append(f"<section><h2>{name}</h2>{body}</section>")
    return _PAGE.format(title=html.escape(title), sections="\n".join(sections))
