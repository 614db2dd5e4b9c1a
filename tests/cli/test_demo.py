"""``tenantry demo`` end to end in a subprocess, exactly as the README's first command runs it."""

from __future__ import annotations

import os
import subprocess
import sys
import time


def test_demo_runs_end_to_end(tmp_path):
    """`tenantry demo` exits 0 within a minute, shows both vendors' payloads for all three auth
    paths and the analytics answers, writes a dashboard with charts, and leaves nothing running."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEMETRY_", "TENANTRY_"))}
    env.update(COLUMNS="160", TERM="dumb")
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "tenantry", "demo"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    took = time.monotonic() - started
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = proc.stdout
    assert took < 60
    assert out.count("Result in Amplitude (cloud)") == 3
    assert out.count("Result in PostHog (opensource)") == 3
    for label in ("API key + external_user_id", "API key alone", "session token"):
        assert label in out
    assert '"email": "developer@company.com"' in out and '"country": "US"' in out
    assert "Which developer has the most active end users?" in out
    assert "nothing is left running" in out
    dashboard = tmp_path / "tenantry-dashboard.html"
    page = dashboard.read_text()
    assert dashboard.exists() and "plotly" in page and "inlines plotly.js" in page
    assert "Log out" not in page and "/dashboard/logout" not in page  # a file has no session
    assert "<script src=" not in page and "developer@company.com" in page
    assert str(dashboard) in out.replace("\n", "")
    assert not [p for p in tmp_path.iterdir() if p.name.startswith("tenantry-demo-")]


def test_demo_uses_data_dir_when_set(tmp_path):
    """With TENANTRY_DATA_DIR set, the demo keeps its state in its own subfolder there
    (identity DB, events) and can run again over it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEMETRY_", "TENANTRY_"))}
    env.update(TENANTRY_DATA_DIR=str(tmp_path / "data"), COLUMNS="160")
    for _ in range(2):
        proc = subprocess.run(
            [sys.executable, "-m", "tenantry", "demo", "--output", str(tmp_path / "d.html")],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert proc.returncode == 0, proc.stderr[-2000:]
    server = tmp_path / "data" / "demo" / "server"
    assert (server / "identity.db").exists()
    assert any((server / "events").rglob("*.parquet"))
    assert (tmp_path / "d.html").exists()
