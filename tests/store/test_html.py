"""render_html: one self-contained page of charts."""

from __future__ import annotations

import re

from tenantry.store.html import _figure, render_html


class TestRenderHtml:
    def test_self_contained_page_with_every_result(self):
        """plotly.js is inlined once (no CDN), each query has a section, titles are escaped."""
        results = [
            {"query": "event-counts", "rows": [{"event": "memory_created", "count": 3}]},
            {
                "query": "developer-retention",
                "rows": [{"developer_id": "dev_1", "date": "2026-01-01", "unique_end_users": 2}],
            },
            {"query": "developer-memories", "rows": [{"count": 7}]},
            {"query": "top-developers", "rows": []},
        ]
        page = render_html(results, "<b>report</b>")
        assert page.startswith("<!doctype html>")
        assert not re.search(r"<script[^>]+src=", page), "no external script"
        assert len(page) > 1_000_000, "plotly.js is inlined"
        assert page.count("Plotly.newPlot") == 3 and "no data" in page
        assert "&lt;b&gt;report&lt;/b&gt;" in page

    def test_daily_events_are_bars_stacked_per_developer(self):
        """developer-daily-events draws one bar trace per developer, stacked by day, and the
        section is captioned "events per day per developer"."""
        rows = [
            {"developer_id": dev, "date": day, "count": n}
            for day, dev, n in [
                ("2026-01-01", "dev_a", 3),
                ("2026-01-01", "dev_b", 1),
                ("2026-01-02", "dev_a", 2),
            ]
        ]
        result = {"query": "developer-daily-events", "rows": rows}
        fig = _figure(result)
        assert fig.layout.barmode == "stack"
        assert [(t.type, t.name, list(t.x), list(t.y)) for t in fig.data] == [
            ("bar", "dev_a", ["2026-01-01", "2026-01-02"], [3, 2]),
            ("bar", "dev_b", ["2026-01-01"], [1]),
        ]
        page = render_html([result], "daily")
        assert "events per day per developer" in page and page.count("Plotly.newPlot") == 1
