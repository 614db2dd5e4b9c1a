"""store/html.py: charts people can read (human titles, names instead of IDs, the k-anonymity
rule in words) and the static page of ``tenantry report --html``."""

from __future__ import annotations

import re

from tenantry.store.html import Names, chart, render_report


class TestCharts:
    def test_daily_events_are_bars_stacked_per_developer_named_by_email(self):
        """developer-daily-events draws one bar trace per developer, named by email with the
        dev_ ID in its hover text, stacked by day; the table links each developer's page."""
        rows = [
            {"developer_id": dev, "date": day, "count": n}
            for day, dev, n in [
                ("2026-01-01", "dev_a", 3),
                ("2026-01-01", "dev_b", 1),
                ("2026-01-02", "dev_a", 2),
            ]
        ]
        names = Names(
            {"dev_a": "a@x.io", "dev_b": "b@y.io"}, lambda d: f"/dashboard/developers/{d}"
        )
        c = chart({"query": "developer-daily-events", "rows": rows}, names)
        assert c.title == "Events per day" and c.about
        assert c.figure["layout"]["barmode"] == "stack"
        traces = [(t["type"], t["name"], t["x"], t["y"]) for t in c.figure["data"]]
        assert traces == [
            ("bar", "a@x.io", ["2026-01-01", "2026-01-02"], [3, 2]),
            ("bar", "b@y.io", ["2026-01-01"], [1]),
        ]
        assert "dev_a" in c.figure["data"][0]["hovertemplate"]
        first = c.rows[0][0]
        assert (first.text, first.href, first.hint) == (
            "a@x.io",
            "/dashboard/developers/dev_a",
            "dev_a",
        )

    def test_status_classes_apart(self):
        """api-daily-status draws 2xx, 4xx and 5xx as separate, coloured stacks."""
        rows = [
            {"date": "2026-01-01", "status_class": c, "requests": n}
            for c, n in (("2xx", 10), ("4xx", 4), ("5xx", 1))
        ]
        c = chart({"query": "api-daily-status", "rows": rows})
        assert [(t["name"], t["y"]) for t in c.figure["data"]] == [
            ("2xx", [10]),
            ("4xx", [4]),
            ("5xx", [1]),
        ]
        assert "4xx" in c.about and "5xx" in c.about

    def test_k_anonymity_is_said_not_drawn(self):
        """A single-installation deployment: no bar named 'other'; a note says how many events
        are not broken down and why."""
        c = chart({"query": "os-distribution", "rows": [{"os": "other", "count": 42}]})
        assert c.figure is None and c.rows == []
        assert "All 42 events" in c.note and "fewer than 5 installations" in c.note
        mixed = chart(
            {
                "query": "os-distribution",
                "rows": [{"os": "linux", "count": 9}, {"os": "other", "count": 3}],
            },
            min_group_size=7,
        )
        assert mixed.figure["data"][0]["y"] == ["linux"] and "3 of 12 events" in mixed.note

    def test_single_numbers_are_not_bars(self):
        """One-row results (developer-memories, overview) are numbers in a table, not charts."""
        c = chart({"query": "developer-memories", "rows": [{"count": 7}]})
        assert c.figure is None and c.rows[0][0].text == "7"

    def test_end_users_by_the_developers_own_id(self):
        """memories-per-end-user labels end users by external_user_id, usr_ ID on hover."""
        rows = [{"end_user_id": "usr_1", "external_user_id": "alice", "memory_count": 3}]
        c = chart({"query": "memories-per-end-user", "rows": rows})
        assert c.figure["data"][0]["y"] == ["alice"]
        assert (c.rows[0][0].text, c.rows[0][0].hint) == ("alice", "usr_1")


class TestStaticReport:
    def test_self_contained_page_says_it_inlines_plotly(self):
        """plotly.js is inlined once (no CDN, no src=), the page says so, titles are human and
        escaped, an empty result says so."""
        results = [
            {"query": "event-counts", "rows": [{"event": "memory_created", "count": 3}]},
            {"query": "top-developers", "rows": []},
        ]
        page = render_report(results, "<b>report</b>")
        assert page.startswith("<!doctype html>")
        assert not re.search(r"<script[^>]+src=", page), "no external script"
        assert len(page) > 1_000_000 and "inlines" in page and "plotly.js" in page
        assert page.count("<div data-figure>") == 1 and "no data" in page
        assert "Events by name" in page and "Developers by active end users" in page
        assert "&lt;b&gt;report&lt;/b&gt;" in page
