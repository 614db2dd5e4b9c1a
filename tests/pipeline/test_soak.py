"""Bursts without loss, the suite's short soak (issue 20 item 3; the full one, 1,000,000 calls in
3 runs per vendor with default settings, is ``bench/bench_burst.py``): 100,000 ``track_sync``
calls in a tight loop in a process of their own, to a fake PostHog on 127.0.0.1 that takes 50 ms
per request and to one that answers at once, with the memory budget scaled down with the count
(8 MiB instead of 32), so that most of the burst waits in the overflow as in the full soak:
every event delivered, none dropped, the process's peak RSS at most 80 MB."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.fakes.vendors import FakePostHog

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
CHILD = ROOT / "tests" / "fakes" / "scripts" / "burst_child.py"
N = 100_000
SETTINGS = json.dumps({"queue_max_bytes": 8 * 1024 * 1024})


@pytest.mark.parametrize("delay", [0.05, 0.0], ids=["vendor-50ms", "fast-vendor"])
def test_a_tight_loop_of_100k_calls_is_delivered_whole_in_80_mb(delay):
    """100,000 calls in a tight loop: 100,000 distinct uuids arrive, 0 dropped, ``flush`` True,
    peak RSS (``VmHWM``) <= 80 MB, and the overflow held a good part of them."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEMETRY_", "TENANTRY_"))}
    env["PYTHONPATH"] = str(ROOT / "src")
    with FakePostHog() as server:
        server.light = True
        if delay:
            server.script(lambda req: time.sleep(delay))
        proc = subprocess.run(
            [sys.executable, str(CHILD), "posthog", server.base_url, str(N), SETTINGS],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert proc.returncode == 0, proc.stderr[-2000:]
        row = json.loads(proc.stdout.strip().splitlines()[-1])
        arrived = len(server.unique)
    print(f"\n{row}; arrived {arrived:,}")
    assert arrived == N and row["delivered"] == N
    assert row["dropped"] == 0 and row["flushed"]
    assert row["peak_rss"] <= 80.0 and row["max_spilled"] > 10_000
