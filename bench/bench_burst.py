"""Bursts without loss (issue 20 item 3): 1,000,000 ``track_sync`` calls in a tight loop, default
settings, to a fake vendor on 127.0.0.1 that takes 50 ms per request, and to one that answers at
once. Target: every event delivered (distinct uuids at the vendor), 0 dropped, ``flush()`` True,
peak RSS <= 80 MB in each of 3 runs (the maximum is what counts).

Each run is a subprocess (``tests/fakes/scripts/burst_child.py``) so that its peak RSS
(``VmHWM``) is its own; the fake vendor runs in this process in ``light`` mode (it keeps only
the uuids). The baseline, measured in the same run, is the child's RSS once its service is
ready, before the first call: ``peak / ready`` is what the burst itself costs. With the default
32 MiB memory budget, most of a million calls wait in the on-disk overflow (``max spilled``).
``--quick``: 100,000 calls, one run each.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHILD = ROOT / "tests" / "fakes" / "scripts" / "burst_child.py"
TARGET_MB = 80.0


def run_once(server, vendor: str, n: int) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEMETRY_", "TENANTRY_"))}
    env["PYTHONPATH"] = str(ROOT / "src")
    before_unique, before_received = len(server.unique), server.received
    proc = subprocess.run(
        [sys.executable, str(CHILD), vendor, server.base_url, str(n)],
        env=env,
        capture_output=True,
        text=True,
        timeout=3600,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"burst child failed: {proc.stderr[-2000:]}")
    row = json.loads(proc.stdout.strip().splitlines()[-1])
    row["arrived"] = len(server.unique) - before_unique
    row["duplicates"] = server.received - before_received - row["arrived"]
    return row


def main(quick: bool = False) -> None:
    sys.path.insert(0, str(ROOT))
    from tests.fakes.vendors import FakePostHog

    n = 100_000 if quick else 1_000_000
    runs = 1 if quick else 3
    for label, delay in (("vendor 50 ms/request", 0.05), ("fast vendor", 0.0)):
        with FakePostHog() as server:
            server.light = True
            if delay:
                server.script(lambda req, d=delay: time.sleep(d))
            rows = [run_once(server, "posthog", n) for _ in range(runs)]
        print(f"{n:,} track_sync in a tight loop to fake PostHog, {label}:")
        for i, r in enumerate(rows, 1):
            print(
                f"  run {i}: loop {r['loop']:5.2f} s ({r['loop'] / n * 1e6:4.2f} us/call), "
                f"all delivered after {r['wall']:6.1f} s; arrived {r['arrived']:,} "
                f"(+{r['duplicates']} duplicates), dropped {r['dropped']} {r['drops'] or ''}, "
                f"flush {r['flushed']}; RSS ready {r['ready_rss']:.1f} MB, peak "
                f"{r['peak_rss']:.1f} MB ({r['peak_rss'] / r['ready_rss']:.2f}x ready); "
                f"max spilled {r['max_spilled']:,} calls"
            )
        worst = max(r["peak_rss"] for r in rows)
        ok = all(r["arrived"] == n and r["dropped"] == 0 and r["flushed"] for r in rows)
        met = ok and worst <= TARGET_MB
        print(
            f"  {label}: max peak RSS {worst:.1f} MB over {runs} run(s) (target <= {TARGET_MB:.0f}),"
            f" every event delivered and none dropped: {ok} -> {'MET' if met else 'MISSED'}"
        )


if __name__ == "__main__":
    main(quick="--quick" in sys.argv)
