"""`tenantry report`, `forget` and `maintenance`: same JSON as run_query, one-line errors."""

from __future__ import annotations

import os
import time
from pathlib import Path

import orjson
import pytest

from tenantry.cli import main
from tenantry.config import load_settings
from tenantry.pipeline.suppression import SuppressionList
from tenantry.store import open_store
from tenantry.store.queries import run_query
from tests.store.test_local_store import _events


@pytest.fixture
def filled():
    """The env's data dir holding 700 cloud events of dev_0..dev_6."""
    settings = load_settings()
    events = _events(1, 700, ts=time.time() - 2 * 86400)
    open_store(settings, "local").write(events)
    return settings, events


class TestReport:
    def test_json_is_exactly_run_query(self, filled, capsys):
        """--json prints run_query's dict and nothing else on stdout."""
        settings, _ = filled
        assert main(["report", "developer-events", "--developer", "dev_2", "--json"]) == 0
        doc = orjson.loads(capsys.readouterr().out)
        assert doc == run_query(open_store(settings), "developer-events", developer="dev_2")
        assert doc["rows"] and {r["event"] for r in doc["rows"]} == {"memory_created", "search"}

    def test_table_and_html(self, filled, capsys, tmp_path):
        """Without --json a table is printed; --html writes a self-contained chart page."""
        page = tmp_path / "top.html"
        assert main(["report", "top-developers", "--html", str(page)]) == 0
        out = capsys.readouterr().out
        assert "unique_end_users" in out and "dev_0" in out
        text = page.read_text()
        assert "Plotly.newPlot" in text and "top-developers" in text

    def test_developer_daily_events(self, filled, capsys, tmp_path):
        """developer-daily-events --json is run_query's dict (all 7 developers, 700 events);
        --developer keeps one developer; --html draws the chart."""
        settings, events = filled
        assert main(["report", "developer-daily-events", "--json"]) == 0
        doc = orjson.loads(capsys.readouterr().out)
        assert doc == run_query(open_store(settings), "developer-daily-events")
        assert {r["developer_id"] for r in doc["rows"]} == {f"dev_{i}" for i in range(7)}
        assert sum(r["count"] for r in doc["rows"]) == len(events)
        page = tmp_path / "daily.html"
        argv = ["report", "developer-daily-events", "--developer", "dev_2", "--html", str(page)]
        assert main([*argv, "--json"]) == 0
        rows = orjson.loads(capsys.readouterr().out)["rows"]
        assert rows and {r["developer_id"] for r in rows} == {"dev_2"}
        assert sum(r["count"] for r in rows) == sum(e.developer_id == "dev_2" for e in events)
        assert "Plotly.newPlot" in page.read_text()

    def test_clickhouse_backend(self, filled, clickhouse_db, capsys, monkeypatch):
        """--backend clickhouse reads from ClickHouse (here: empty, so no rows)."""
        monkeypatch.setenv("TENANTRY_CLICKHOUSE_URL", clickhouse_db)
        assert main(["report", "event-counts", "--backend", "clickhouse", "--json"]) == 0
        assert orjson.loads(capsys.readouterr().out) == {"query": "event-counts", "rows": []}

    def test_help_names_every_query(self, capsys):
        """``report --help`` lists every query of the registry (``store.queries``)."""
        from tenantry.store.queries import QUERIES

        main(["report", "--help"])
        out = " ".join(capsys.readouterr().out.split())
        for name in QUERIES:
            assert name in out

    @pytest.mark.parametrize(
        ("argv", "needle"),
        [
            (["report", "developer-memories"], "needs --developer"),
            (["report", "nope"], "unknown query"),
            (["report", "event-counts", "--since", "last week"], "not a date"),
            (["report", "event-counts", "--backend", "oracle"], "unknown backend"),
            (["report", "event-counts", "--backend", "clickhouse"], "TENANTRY_CLICKHOUSE_URL"),
        ],
    )
    def test_errors_are_one_line(self, argv, needle, capsys):
        """Bad queries exit non-zero with one 'error:' line on stderr and nothing on stdout."""
        assert main(argv) != 0
        captured = capsys.readouterr()
        assert captured.out == ""
        assert captured.err.startswith("error:") and needle in captured.err
        assert len(captured.err.strip().splitlines()) == 1

    @pytest.mark.parametrize(
        ("url", "needle"),
        [("clickhouse://127.0.0.1:1/default", "Connection refused"), ("http://x", "expected")],
    )
    def test_clickhouse_problems_are_one_line(self, url, needle, capsys, monkeypatch):
        """An unreachable or malformed ClickHouse URL is one readable line, no driver traceback."""
        monkeypatch.setenv("TENANTRY_CLICKHOUSE_URL", url)
        assert main(["report", "event-counts", "--backend", "clickhouse"]) != 0
        err = capsys.readouterr().err
        assert needle in err and len(err.strip().splitlines()) == 1

    def test_privacy_refusal(self, capsys):
        """A user-level report over opensource-only data is refused with a readable line."""
        from tenantry.events import Event

        open_store(load_settings(), "local").write(
            [Event(f"u{i}", "e", f"anon_{i}", 1.79e9, "opensource", {}) for i in range(3)]
        )
        assert main(["report", "top-developers"]) != 0
        assert "refused" in capsys.readouterr().err


class TestForgetAndMaintenance:
    def test_forget_end_user(self, filled, capsys):
        """forget --end-user deletes that user's events, reports the count and suppresses the ID."""
        settings, events = filled
        gone = sum(e.end_user_id == "usr_3" for e in events)
        assert main(["forget", "--end-user", "usr_3", "--json"]) == 0
        doc = orjson.loads(capsys.readouterr().out)
        assert doc["deleted"] == {"local": gone} and doc["suppressed"] is True
        assert SuppressionList(settings.data_dir).contains("usr_3")
        assert open_store(settings).count() == 700 - gone

    def test_forget_needs_one_id(self, capsys):
        """forget with no ID or two IDs is a usage error."""
        assert main(["forget"]) != 0
        assert main(["forget", "--developer", "a", "--end-user", "b"]) != 0
        assert capsys.readouterr().err.count("error:") == 2

    def test_retention_command(self, filled, capsys):
        """maintenance retention --days 1 removes the 700 day-old events; compact still works."""
        settings, _ = filled
        open_store(settings, "local").write(_events(2, 5, ts=1.7e9))  # 2023: past retention
        assert main(["maintenance", "retention", "--json"]) == 0
        assert orjson.loads(capsys.readouterr().out)["deleted"] == {"local": 5}
        assert main(["maintenance", "retention", "--days", "1"]) == 0
        assert "deleted 700 from local" in capsys.readouterr().out
        assert main(["maintenance", "compact"]) == 0
        assert open_store(settings).count() == 0
        assert Path(os.environ["TENANTRY_DATA_DIR"], "events").is_dir()


class TestReportWords:
    """Issue 22's CLI items: a version, a clear word for an unknown developer and for an empty
    report, errors in plain words, table titles on their own line, a private --html file."""

    def test_version(self, capsys):
        """``tenantry --version`` (and -V) prints the version and exits 0."""
        from tenantry import __version__

        assert main(["--version"]) == 0 and main(["-V"]) == 0
        assert capsys.readouterr().out == f"tenantry {__version__}\n" * 2

    def test_unknown_developer_is_an_error(self, filled, capsys):
        """An unknown --developer exits 1 with 'no such developer', nothing on stdout."""
        assert main(["report", "developer-events", "--developer", "dev_doesnotexist"]) == 1
        captured = capsys.readouterr()
        assert captured.out == ""
        assert captured.err == "error: no such developer: dev_doesnotexist\n"

    def test_empty_report_says_no_data_with_the_range(self, filled, capsys):
        """A report with no rows says so, with the range it covered (not an empty frame)."""
        argv = ["report", "developer-events", "--developer", "dev_2", "--since", "2020-01-01"]
        assert main([*argv, "--until", "2020-01-31"]) == 0
        out = capsys.readouterr().out
        assert out == "no data for developer-events of dev_2 from 2020-01-01 to 2020-01-31\n"

    def test_errors_have_no_class_names(self, capsys, tmp_path):
        """An unwritable --html path and a mistyped command are plain words."""
        assert main(["report", "event-counts", "--html", str(tmp_path / "no" / "x.html")]) == 1
        assert main(["reprot"]) == 2
        err = capsys.readouterr().err.splitlines()
        assert (
            err[0] == f"error: cannot write {tmp_path / 'no' / 'x.html'}: No such file or directory"
        )
        assert err[1].startswith("error: No such command 'reprot'")
        assert not any("Error:" in line or "Exception" in line for line in err)

    def test_title_line_above_the_table_and_private_html(
        self, filled, capsys, tmp_path, monkeypatch
    ):
        """On a narrow terminal the title is a line of its own (never wrapped mid-word inside
        the table frame); --html is written with mode 0600."""
        monkeypatch.setenv("COLUMNS", "30")
        page = tmp_path / "report.html"
        assert (
            main(["report", "memories-per-end-user", "--developer", "dev_2", "--html", str(page)])
            == 0
        )
        lines = capsys.readouterr().out.splitlines()
        assert lines[0] == "memories-per-end-user"
        assert lines[1].startswith(("┏", "+", "┌"))
        assert (page.stat().st_mode & 0o777) == 0o600
