"""Item 11: event names and values printed by ``tenantry report`` and ``tenantry status`` come
from clients; they reach the terminal without control characters and without being read as
rich markup."""

from __future__ import annotations

import pytest

from tenantry import TelemetryService
from tenantry._text import printable
from tenantry.cli import main

NASTY = [
    "\x1b[2J\x1b[31mcleared",  # ANSI: clear screen, red
    "[bold red]fake[/bold red]",  # rich markup
    "[link=https://evil.example]click[/link]",
    "bidi\u202eeman",  # right-to-left override
    "bell\x07and\rreturn",
    "trail\\",  # a backslash that could escape what follows
]


@pytest.fixture
def nasty_store(monkeypatch):
    monkeypatch.setenv("TELEMETRY_EDITION", "cloud")
    monkeypatch.setenv("TELEMETRY_MIN_GROUP_SIZE", "1")
    monkeypatch.setenv("COLUMNS", "400")  # one line per row, whatever the runner
    service = TelemetryService(edition="cloud", destinations=("local",))
    for name in NASTY:
        service.track_sync(name, {"type": "text"}, developer_id="dev_term01")
    assert service.flush(10.0)
    service.shutdown(5.0)


def _check(out: str) -> None:
    assert "\x1b" not in out and "\x07" not in out and "\r" not in out and "\u202e" not in out
    assert "[bold red]fake[/bold red]" in out  # printed as written, not as bold red
    assert "[link=https://evil.example]click[/link]" in out


def test_report_prints_names_safely(nasty_store, capsys):
    """``tenantry report event-counts`` prints every nasty name literally, with no control or
    bidi characters."""
    assert main(["report", "event-counts", "--developer", "dev_term01"]) == 0
    _check(capsys.readouterr().out)


def test_status_prints_names_safely(nasty_store, capsys):
    """``tenantry status`` (recent event counts) likewise."""
    assert main(["status"]) == 0
    _check(capsys.readouterr().out)


@pytest.mark.parametrize(
    ("raw", "plain", "escaped"),
    [
        ("a\x1b[0mb", "a[0mb", "a\\[0mb"),
        ("x\\[b]y", "x\\[b]y", "x\\\\\\[b]y"),
        ("end\\", "end\\", "end\\\\"),
        ("ok", "ok", "ok"),
    ],
)
def test_printable(raw, plain, escaped):
    """``printable`` drops control characters; with ``markup`` it escapes brackets and the
    backslashes before them, and doubles a trailing backslash."""
    assert printable(raw) == plain and printable(raw, markup=True) == escaped
