"""`tenantry plan check` / `tenantry plan infer` over a real capture (the jsonl destination) and
a real local store (DuckDB over Parquet), and the plan section of `tenantry status`."""

from __future__ import annotations

import time

import orjson
import pytest

from tenantry import TelemetryService
from tenantry.cli import main

PLAN = {
    "unplanned": {"events": "warn", "properties": "warn"},
    "events": {
        "memory_created": {
            "properties": {
                "type": {"type": "string", "enum": ["text", "document"], "required": True},
                "size_bytes": {"type": "integer", "max": 100},
            }
        }
    },
}


@pytest.fixture(scope="module")
def sent(tmp_path_factory):
    """A data dir whose local store and capture hold the same 40 events (opensource)."""
    data = tmp_path_factory.mktemp("sent")
    telemetry = TelemetryService(
        destinations="local,jsonl", data_dir=str(data), jsonl_path=str(data / "capture.jsonl")
    )
    for i in range(20):
        props = {"type": ("text", "document", "image")[i % 3], "size_bytes": i * 10}
        telemetry.track_sync("memory_created", props, user_id=f"usr_{i}", developer_id="dev_1")
        telemetry.track_sync(
            "search_query", {"result_count": i % 4, "mode": "fast"}, developer_id="dev_1"
        )
    assert telemetry.shutdown(30.0)
    plan = data / "plan.json"
    plan.write_bytes(orjson.dumps(PLAN))
    return data


# the violations of the 40 events against PLAN: 6 "image" types, sizes 110..190, 20 unplanned
EXPECTED = {
    "memory_created": {"type": {"not_in_enum": 6}, "size_bytes": {"out_of_range": 9}},
    "search_query": {"(event)": {"unplanned_event": 20}},
}


def test_check_a_capture(sent, capsys):
    """check on a capture prints each violation with its count and exits 1; --json has the
    same numbers."""
    args = ["plan", "check", "--plan", str(sent / "plan.json"), str(sent / "capture.jsonl")]
    assert main(args) == 1
    out = capsys.readouterr().out
    assert "35 violation(s) in 40 event(s)" in out
    assert "memory_created.size_bytes" in out and "out_of_range" in out
    assert main([*args, "--json"]) == 1
    doc = orjson.loads(capsys.readouterr().out)
    assert doc["events"] == 40 and doc["violations"] == 35 and doc["by_event"] == EXPECTED


def test_check_the_local_store(sent, capsys, monkeypatch):
    """Without FILE, check reads the local store (TELEMETRY_PLAN as the plan): same verdict."""
    monkeypatch.setenv("TENANTRY_DATA_DIR", str(sent))
    monkeypatch.setenv("TELEMETRY_PLAN", str(sent / "plan.json"))
    assert main(["plan", "check", "--json"]) == 1
    doc = orjson.loads(capsys.readouterr().out)
    assert doc["source"] == "local store" and doc["events"] == 40 and doc["by_event"] == EXPECTED


def test_infer_then_check_round_trip(sent, capsys, monkeypatch, tmp_path):
    """A plan inferred from the store passes the store and the capture with 0 violations, and
    has the enum, range and required it saw."""
    monkeypatch.setenv("TENANTRY_DATA_DIR", str(sent))
    out = tmp_path / "inferred.yaml"
    assert main(["plan", "infer", "--days", "1", "--out", str(out)]) == 0
    assert main(["plan", "check", "--plan", str(out), "--json"]) == 0
    assert orjson.loads(capsys.readouterr().out)["violations"] == 0
    assert main(["plan", "check", "--plan", str(out), str(sent / "capture.jsonl")]) == 0
    assert capsys.readouterr().out.startswith("0 violation(s) in 40 event(s)")
    import yaml

    plan = yaml.safe_load(out.read_text())
    rule = plan["events"]["memory_created"]["properties"]
    assert rule["type"] == {
        "type": "string",
        "enum": ["document", "image", "text"],
        "required": True,
    }
    assert rule["size_bytes"] == {"type": "integer", "min": 0, "max": 190, "required": True}
    assert set(plan["events"]["search_query"]["properties"]) == {"result_count", "mode"}
    assert main(["plan", "infer", "--format", "json"]) == 0
    assert orjson.loads(capsys.readouterr().out)["events"].keys() == plan["events"].keys()


@pytest.mark.parametrize(
    ("argv", "setup", "needle"),
    [
        (["plan", "check", "x.jsonl"], None, "no tracking plan: pass --plan FILE"),
        (
            ["plan", "check", "--plan", "bad.yaml", "x.jsonl"],
            "bad.yaml",
            "--plan: bad.yaml, line 1",
        ),
        (["plan", "check", "--plan", "p.json", "x.jsonl"], "x.jsonl", "x.jsonl, line 2: not JSON"),
        (["plan", "check", "--plan", "p.json", "--days", "2", "x.jsonl"], None, "--days applies"),
        (["plan", "infer"], None, "holds no events"),
        (["plan", "infer", "--format", "xml"], None, "--format: expected yaml or json"),
    ],
)
def test_errors_are_one_line(argv, setup, needle, capsys, monkeypatch, tmp_path):
    """Bad plans, bad captures, bad options and an empty store: one line on stderr, exit 2."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "p.json").write_bytes(orjson.dumps(PLAN))
    if setup == "bad.yaml":
        (tmp_path / "bad.yaml").write_text("unplanned: sometimes\nevents: {}\n")
    if setup == "x.jsonl":
        (tmp_path / "x.jsonl").write_text('{"event": "a", "properties": {}}\n{"event": \n')
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert needle in err and len(err.splitlines()) == 1 and "Traceback" not in err


def test_status_shows_the_plan_and_live_violations(capsys, monkeypatch, tmp_path):
    """`tenantry status` names the plan and its modes, and shows a running process's
    violations by event and property (from its status file)."""
    plan = tmp_path / "plan.json"
    plan.write_bytes(orjson.dumps(PLAN))
    monkeypatch.setenv("TELEMETRY_PLAN", str(plan))
    monkeypatch.setenv("TELEMETRY_PROVIDER", "none")
    telemetry = TelemetryService(status_interval=0.05)
    try:
        telemetry.track_sync(
            "memory_created", {"type": "video", "size_bytes": 5}, developer_id="dev_1"
        )
        telemetry.track_sync("search_query", {}, developer_id="dev_1")
        assert telemetry.flush(5.0)
        deadline = time.monotonic() + 5.0
        while time.monotonic() < deadline:
            assert main(["status", "--json"]) == 0
            processes = orjson.loads(capsys.readouterr().out)["processes"]
            if processes and processes[0].get("plan", {}).get("violations") == 2:
                break
            time.sleep(0.05)
        assert processes[0]["plan"]["by_event"] == {
            "memory_created": {"type": {"not_in_enum": 1}},
            "search_query": {"(event)": {"unplanned_event": 1}},
        }
        assert main(["status"]) == 0
        out = capsys.readouterr().out
    finally:
        telemetry.shutdown(5.0)
    assert f"tracking plan: {plan} (1 events; unplanned events: warn" in out
    assert "plan violations: 2" in out
    assert "memory_created.type not_in_enum=1" in out and "search_query unplanned_event=1" in out
