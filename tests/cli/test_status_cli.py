"""`tenantry status` says what is collected, where it goes and how to opt out."""

from __future__ import annotations

import orjson

from tenantry.cli import main


class TestStatusCommand:
    def test_json(self, capsys, monkeypatch):
        """--json prints one JSON document naming the edition, providers and the opt-out."""
        monkeypatch.setenv("TELEMETRY_EDITION", "cloud")
        monkeypatch.setenv("TELEMETRY_PROVIDER", "amplitude,jsonl")
        assert main(["status", "--json"]) == 0
        doc = orjson.loads(capsys.readouterr().out)
        assert doc["edition"] == "cloud" and doc["providers"] == ["amplitude", "jsonl"]
        assert "DO_NOT_TRACK=1" in doc["opt_out"] and doc["never_collected"]

    def test_opted_out(self, capsys, monkeypatch):
        """With DO_NOT_TRACK=1 status reports telemetry off and why."""
        monkeypatch.setenv("DO_NOT_TRACK", "1")
        assert main(["status", "--json"]) == 0
        doc = orjson.loads(capsys.readouterr().out)
        assert doc["enabled"] is False and doc["disabled_by"] == "DO_NOT_TRACK=1"

    def test_human_readable(self, capsys):
        """Without --json it prints a table with what is and is never collected."""
        assert main(["status"]) == 0
        out = capsys.readouterr().out
        assert "never collected" in out and "opt out" in out

    def test_bad_environment_is_one_line(self, capsys, monkeypatch):
        """A bad TELEMETRY_EDITION gives one line on stderr naming it, and a non-zero exit."""
        monkeypatch.setenv("TELEMETRY_EDITION", "enterprise")
        assert main(["status"]) != 0
        err = capsys.readouterr().err.strip()
        assert "TELEMETRY_EDITION" in err and len(err.splitlines()) == 1
