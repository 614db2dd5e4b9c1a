"""`tenantry report api-usage / monthly-usage / memories-per-end-user` on the command line: the
same JSON as run_query, a table otherwise, end users by the developer's names in cloud only."""

from __future__ import annotations

import time

import orjson

from tenantry.cli import main
from tenantry.config import load_settings
from tenantry.events import Event
from tenantry.identity import IdentityStore
from tenantry.store import open_store
from tenantry.store.queries import run_query


def _fill(settings) -> tuple[str, str, dict[str, str]]:
    """Two developers in the identity store; their api_request and memory_created events in the
    env's local store. Returns (dev A, dev B, {usr_ ID: external ID} of A)."""
    now = time.time()
    with IdentityStore.open(settings) as identity:
        a = identity.create_developer("developer@company.com").id
        b = identity.create_developer("founder@startup.io").id
        users = {identity.resolve_end_user(a, n): n for n in ("alice", "bob")}
        eve = identity.resolve_end_user(b, "eve")
    events, i = [], 0
    for dev, n, ms in ((a, 5, 12.5), (b, 3, 40.0)):
        for k in range(n):
            props = {
                "developer_id": dev,
                "route": "/v1/memories",
                "method": "POST",
                "status": 500 if k == 0 else 201,
                "duration_ms": ms + k,
            }
            events.append(Event(f"req-{i}", "api_request", dev, now, "cloud", props, dev, None))
            i += 1
    for usr, dev in [*((u, a) for u in users), (eve, b)]:
        props = {"developer_id": dev, "end_user_id": usr}
        events.append(Event(f"mem-{i}", "memory_created", dev, now, "cloud", props, dev, usr))
        i += 1
    open_store(settings, "local").write(events)
    return a, b, users


class TestUsageReports:
    def test_api_usage_json_and_table(self, capsys):
        """--json is exactly run_query's dict, one developer's rows only (5 requests, 1 error,
        nearest-rank p50 14.5 and p95 16.5); the table shows the route and its numbers."""
        settings = load_settings()
        a, b, _ = _fill(settings)
        assert main(["report", "api-usage", "--developer", a, "--json"]) == 0
        doc = orjson.loads(capsys.readouterr().out)
        assert doc == run_query(open_store(settings), "api-usage", developer=a)
        assert doc["rows"] == [
            {
                "developer_id": a,
                "route": "/v1/memories",
                "method": "POST",
                "requests": 5,
                "errors": 1,
                "p50_ms": 14.5,
                "p95_ms": 16.5,
            }
        ]
        assert main(["report", "monthly-usage"]) == 0
        out = capsys.readouterr().out
        assert a in out and b in out and "requests" in out and "memories" in out

    def test_names_in_cloud_only(self, capsys, monkeypatch):
        """In cloud, memories-per-end-user shows the developer's own IDs (alice, bob); in
        opensource the column is absent."""
        settings = load_settings()
        a, _, users = _fill(settings)
        monkeypatch.setenv("TELEMETRY_EDITION", "cloud")
        assert main(["report", "memories-per-end-user", "--developer", a, "--json"]) == 0
        rows = orjson.loads(capsys.readouterr().out)["rows"]
        assert {r["end_user_id"]: r["external_user_id"] for r in rows} == users
        assert main(["report", "memories-per-end-user", "--developer", a]) == 0
        assert "alice" in capsys.readouterr().out
        monkeypatch.setenv("TELEMETRY_EDITION", "opensource")
        assert main(["report", "memories-per-end-user", "--developer", a, "--json"]) == 0
        rows = orjson.loads(capsys.readouterr().out)["rows"]
        assert rows and all(set(r) == {"end_user_id", "memory_count"} for r in rows)

    def test_help_names_the_new_queries(self, capsys):
        """`tenantry report -h` lists api-usage and monthly-usage and ends with an example."""
        main(["report", "-h"])
        out = capsys.readouterr().out
        assert "api-usage" in out and "monthly-usage" in out
        assert "Example: tenantry report api-usage" in out
