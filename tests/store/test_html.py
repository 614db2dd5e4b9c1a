"""render_html: one self-contained page of charts."""

from __future__ import annotations

import re

from tenantry.store.html import render_html


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
