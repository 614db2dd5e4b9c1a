"""Delivery end to end: N events through ``TelemetryService`` to the fake Amplitude and the fake
PostHog on 127.0.0.1, beside posthog-python, amplitude-analytics and segment-analytics-python
pointed at the same kind of fake sink, in the same run.

Each contender runs in its own subprocess (``--child``) that creates its client, tracks N events
in a tight loop, flushes and shuts down; it reports the process CPU time (user + system, from
``getrusage``) from the first ``track`` to the end of shutdown (per event), the one-off setup CPU
(client creation; for tenantry also the worker's lazy imports, which ``flush`` waits for)
separately, the wall time, and its peak RSS (``VmHWM``, see ``_peak_rss_mb``). The fake servers run in this (the parent) process, so their cost is not counted.

Targets (issue "Delivery"; issue 9 item 7): tenantry's CPU per event at most a quarter of the
best SDK's; peak RSS at most 80 MB with all events delivered, printed as a ratio to each SDK's.
``import RSS`` is the process's RSS right after importing the contender (the interpreter plus
the library: tenantry's baseline); ``ready RSS`` after creating the client (for tenantry also
its worker's setup: destinations, policy, threads), before the first event. ``tenantry-amplitude-paced`` is the same run with the caller pacing itself at
~20,000 events/s (so no backlog builds up in the queue): its peak RSS is the steady-state
footprint, where the tight loop's is mostly the 100,000 queued calls. ``--quick``: 10,000 events instead of 100,000.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROPS = {"type": "text", "has_metadata": True}


def _rss_mb() -> float:
    """This process's current RSS (``VmRSS``)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _peak_rss_mb() -> float:
    """This process's peak RSS (``VmHWM``). Not ``ru_maxrss``: on Linux that keeps the high-water
    mark of the parent's memory copied at fork, so it would count the parent's fake servers."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


# -- the children ---------------------------------------------------------------------------------
def _child(name: str, n: int, url: str) -> None:
    import resource

    def cpu() -> float:
        r = resource.getrusage(resource.RUSAGE_SELF)
        return r.ru_utime + r.ru_stime

    ok = True
    setup = 0.0
    if name.startswith("tenantry"):
        from tenantry import TelemetryService

        rss_import = _rss_mb()

        vendor = name.split("-")[1]
        keys = (
            {"amplitude_api_key": "amp-key", "amplitude_server_url": url + "/2/httpapi"}
            if vendor == "amplitude"
            else {"posthog_api_key": "phc_key", "posthog_host": url}
        )
        edition = "cloud" if vendor == "amplitude" else "opensource"
        s0 = cpu()
        svc = TelemetryService(
            edition=edition,
            destinations=(vendor,),
            data_dir=tempfile.mkdtemp(),
            queue_size=n + 1,
            **keys,
        )
        svc.flush(30.0)  # setup (lazy imports, secret, destinations) runs on the worker thread
        setup = cpu() - s0
        rss_ready = _rss_mb()
        c0, t0 = cpu(), time.perf_counter()
        track = svc.track_sync
        paced = name.endswith("-paced")  # 500 events per 25 ms: ~20,000 events/s, no backlog
        for i in range(n):
            track("memory_created", PROPS, user_id=f"user_{i % 500}", developer_id="dev_abc123")
            if paced and i % 500 == 499:
                time.sleep(0.025)
        ok = svc.shutdown(120.0)
    elif name == "posthog-python":
        from posthog import Posthog

        rss_import = _rss_mb()
        s0 = cpu()
        client = Posthog("phc_key", host=url, max_queue_size=n + 1, flush_at=100)
        setup = cpu() - s0
        rss_ready = _rss_mb()
        c0, t0 = cpu(), time.perf_counter()
        for i in range(n):
            client.capture("memory_created", distinct_id=f"user_{i % 500}", properties=PROPS)
        client.flush()
        client.shutdown()
    elif name == "amplitude-analytics":
        from amplitude import Amplitude, BaseEvent, Config

        rss_import = _rss_mb()
        s0 = cpu()
        client = Amplitude("amp-key", Config(server_url=url + "/2/httpapi"))
        setup = cpu() - s0
        rss_ready = _rss_mb()
        c0, t0 = cpu(), time.perf_counter()
        for i in range(n):
            client.track(
                BaseEvent(
                    event_type="memory_created",
                    user_id=f"user_{i % 500}",
                    event_properties=dict(PROPS),
                )
            )
        client.flush()
        client.shutdown()
    elif name == "segment-analytics-python":
        from segment.analytics import Client

        rss_import = _rss_mb()
        s0 = cpu()
        client = Client("write-key", host=url, max_queue_size=n + 1)
        setup = cpu() - s0
        rss_ready = _rss_mb()
        c0, t0 = cpu(), time.perf_counter()
        for i in range(n):
            client.track(user_id=f"user_{i % 500}", event="memory_created", properties=PROPS)
        client.flush()
        client.shutdown()
    else:
        raise SystemExit(f"unknown contender {name}")
    wall = time.perf_counter() - t0
    used = cpu() - c0
    rss_mb = _peak_rss_mb()
    row = {"cpu": used, "setup": setup, "wall": wall, "rss_mb": rss_mb, "ok": ok}
    row.update(rss_import=rss_import, rss_ready=rss_ready)
    print(json.dumps(row), flush=True)


# -- the parent -----------------------------------------------------------------------------------
CONTENDERS = [
    ("tenantry-amplitude", "amplitude"),
    ("tenantry-posthog", "posthog"),
    ("tenantry-amplitude-paced", "amplitude"),
    ("amplitude-analytics", "amplitude"),
    ("posthog-python", "posthog"),
    ("segment-analytics-python", "segment"),
]


def _run(name: str, server, n: int) -> dict:
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    for k in list(env):
        if k.startswith(("TELEMETRY_", "TENANTRY_", "POSTHOG_", "AMPLITUDE_")):
            del env[k]
    before = len(server.events)
    proc = subprocess.run(
        [sys.executable, __file__, "--child", name, str(n), server.base_url],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"{name} failed: {proc.stderr[-2000:]}")
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    deadline = time.monotonic() + 10
    while len(server.events) - before < n and time.monotonic() < deadline:
        time.sleep(0.05)
    out["arrived"] = len(server.events) - before
    return out


def main(quick: bool = False) -> None:
    sys.path.insert(0, str(ROOT))
    from tests.fakes.vendors import FakeAmplitude, FakePostHog, FakeSegment

    n = 10_000 if quick else 100_000
    servers = {"amplitude": FakeAmplitude(), "posthog": FakePostHog(), "segment": FakeSegment()}
    rows = {}
    try:
        for name, kind in CONTENDERS:
            rows[name] = _run(name, servers[kind], n)
    finally:
        for s in servers.values():
            s.close()
    sdk_best = min(
        (r["cpu"] / n * 1e6, name) for name, r in rows.items() if not name.startswith("tenantry")
    )
    print(f"{n:,} events each; CPU = process user+system time from first track to shutdown")
    print(
        f"{'contender':26} {'CPU us/event':>12} {'setup CPU':>9} {'events/s':>10} {'import RSS':>10}"
        f" {'ready RSS':>9} {'peak RSS':>9} {'arrived':>8}  CPU vs best SDK"
    )
    for name, r in rows.items():
        us = r["cpu"] / n * 1e6
        print(
            f"{name:26} {us:12.2f} {r['setup'] * 1000:7.0f}ms {n / r['wall']:10,.0f}"
            f" {r['rss_import']:8.1f}MB {r['rss_ready']:7.1f}MB"
            f" {r['rss_mb']:7.1f}MB {r['arrived']:8,}  {us / sdk_best[0]:5.2f}x"
        )
    sdks = [name for name in rows if not name.startswith("tenantry")]
    print("peak RSS as a ratio to each SDK's, same run (below 1.00: tenantry uses less):")
    print(f"{'':26} " + " ".join(f"{s:>26}" for s in sdks))
    for name in (k for k in rows if k.startswith("tenantry")):
        cells = " ".join(f"{rows[name]['rss_mb'] / rows[s]['rss_mb']:25.2f}x" for s in sdks)
        print(f"{name:26} {cells}")
    for name in ("tenantry-amplitude", "tenantry-posthog", "tenantry-amplitude-paced"):
        r = rows[name]
        us = r["cpu"] / n * 1e6
        print(
            f"{name}: {us / sdk_best[0]:.2f}x the best SDK ({sdk_best[1]}) CPU/event "
            f"(target <= 0.25): {'MET' if us <= sdk_best[0] / 4 else 'MISSED'}; "
            f"peak RSS {r['rss_mb']:.1f} MB with {r['arrived']:,} of {n:,} delivered (target <= 80, "
            f"all delivered): {'MET' if r['rss_mb'] <= 80 and r['arrived'] == n else 'MISSED'}"
        )


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        _child(sys.argv[2], int(sys.argv[3]), sys.argv[4])
    else:
        main(quick="--quick" in sys.argv)
