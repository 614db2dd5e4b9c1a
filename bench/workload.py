"""One hot path in a loop, for a profiler: ``python bench/workload.py posthog|jsonl|asgi N``.

``posthog``: N events, opensource, to a fake PostHog served by a child process (so the profile
holds tenantry's process alone); ``jsonl``: N events, opensource, to a file; ``asgi``: N requests
through ``TelemetryMiddleware`` over a Starlette router. Used to draw the flame graphs in
docs/perf/ (``py-spy record -o docs/perf/<path>.svg -- python bench/workload.py <path> N``).
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROPS = {"type": "text", "has_metadata": True}

_SERVE = """
import sys, time
sys.path.insert(0, sys.argv[1])
from tests.fakes.vendors import FakePostHog
s = FakePostHog()
s.light = True
print(s.base_url, flush=True)
sys.stdin.read()
"""


def threads_cpu(n: int) -> str:
    """CPU per event of each thread of this process so far (from /proc), by thread name."""
    import os
    import threading

    names = {t.native_id: t.name for t in threading.enumerate()}
    tick = os.sysconf("SC_CLK_TCK")
    parts = []
    for tid in os.listdir("/proc/self/task"):
        with open(f"/proc/self/task/{tid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        cpu = (int(fields[11]) + int(fields[12])) / tick
        parts.append(f"{names.get(int(tid), tid)} {cpu / n * 1e6:.2f}")
    return "per thread (us/event, since start): " + ", ".join(parts)


def posthog(n: int) -> None:
    from tenantry import TelemetryService

    server = subprocess.Popen(
        [sys.executable, "-c", _SERVE, str(ROOT)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        url = server.stdout.readline().strip()
        svc = TelemetryService(
            edition="opensource",
            destinations=("posthog",),
            data_dir=tempfile.mkdtemp(),
            queue_size=n + 1,
            posthog_api_key="phc_key",
            posthog_host=url,
        )
        c0 = tight_loop(svc, n)
        svc.flush(120)
        print(f"posthog: {(time.process_time() - c0) / n * 1e6:.2f} us CPU/event")
        print(threads_cpu(n))
        svc.shutdown(120)
    finally:
        server.stdin.close()
        server.wait(10)


def jsonl_service(tmp: str | Path, n: int):
    """An opensource service writing to ``tmp/e.jsonl``, its queue large enough for ``n``."""
    from tenantry import TelemetryService

    return TelemetryService(
        edition="opensource",
        destinations=("jsonl",),
        jsonl_path=Path(tmp) / "e.jsonl",
        data_dir=Path(tmp) / "data",
        queue_size=n + 1,
    )


def tight_loop(svc, n: int) -> float:
    """Once ``svc`` is ready: ``n`` ``track_sync`` calls in a tight loop (500 users, one
    developer); returns the process CPU time at the first call."""
    svc.flush(30)
    c0 = time.process_time()
    track = svc.track_sync
    for i in range(n):
        track("memory_created", PROPS, user_id=f"user_{i % 500}", developer_id="dev_abc123")
    return c0


def jsonl(n: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        svc = jsonl_service(tmp, n)
        c0 = tight_loop(svc, n)
        svc.flush(120)
        print(f"jsonl: {(time.process_time() - c0) / n * 1e6:.2f} us CPU/event")
        print(threads_cpu(n))
        svc.shutdown(10)


def asgi(n: int) -> None:
    sys.path.insert(0, str(ROOT / "bench"))
    from bench_asgi import header_resolve, per_request, router_app

    from tenantry import TelemetryService
    from tenantry.asgi import TelemetryMiddleware

    svc = TelemetryService(
        edition="cloud", destinations=("none",), queue_size=10_000_000, do_not_track=False
    )
    app = TelemetryMiddleware(router_app(), resolve=header_resolve, telemetry=svc)
    cpu, _ = asyncio.run(per_request(app, "/v1/memories/mem_1", n))
    print(f"asgi: {cpu:.2f} us CPU/request (router + middleware)")
    svc.shutdown(10)


if __name__ == "__main__":
    {"posthog": posthog, "jsonl": jsonl, "asgi": asgi}[sys.argv[1]](int(sys.argv[2]))
