"""A process that tracks N events in a tight loop and measures its own peak RSS.

``burst_child.py VENDOR URL N [SETTINGS_JSON]``: a ``TelemetryService`` sending to the fake
``VENDOR`` (``amplitude`` in cloud, ``posthog`` in opensource) at ``URL``, default settings
otherwise (``SETTINGS_JSON`` adds keyword settings); waits until it is ready, calls
``track_sync`` N times as fast as it can, flushes (up to 20 minutes) and shuts down. Prints one
JSON line: RSS when ready and at its peak (``VmHWM``, MB), the loop's and the whole run's
seconds, ``flush()``'s answer, the service's delivered / dropped counts and drops by reason,
and the most calls the overflow held at once (sampled every 50 ms).
"""

from __future__ import annotations

import json
import sys
import tempfile
import threading
import time

from tenantry import TelemetryService


def status_mb(field: str) -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    vendor, url, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    extra = json.loads(sys.argv[4]) if len(sys.argv) > 4 else {}
    if vendor == "amplitude":
        keys = {"amplitude_api_key": "amp-key", "amplitude_server_url": url + "/2/httpapi"}
        edition = "cloud"
    else:
        keys = {"posthog_api_key": "phc_key", "posthog_host": url}
        edition = "opensource"
    svc = TelemetryService(
        edition=edition,
        destinations=(vendor,),
        data_dir=tempfile.mkdtemp(),
        **keys,
        **extra,
    )
    svc.flush(30.0)  # ready: the worker's setup (imports, secret, destinations) is done
    ready = status_mb("VmRSS")
    held = {"spilled": 0}
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(0.05):
            overflow = svc.get_status()["memory"].get("overflow") or {}
            held["spilled"] = max(held["spilled"], overflow.get("calls", 0))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    track = svc.track_sync
    props = {"type": "text", "has_metadata": True}
    t0 = time.perf_counter()
    for i in range(n):
        track("memory_created", props, user_id=f"user_{i % 500}", developer_id="dev_abc123")
    loop = time.perf_counter() - t0
    flushed = svc.flush(1200.0)
    wall = time.perf_counter() - t0
    stop.set()
    sampler.join()
    st = svc.get_status()
    svc.shutdown(10.0)
    row = {
        "ready_rss": ready,
        "peak_rss": status_mb("VmHWM"),
        "loop": loop,
        "wall": wall,
        "flushed": flushed,
        "delivered": st["delivered"],
        "dropped": st["dropped"],
        "drops": st["drops"],
        "max_spilled": held["spilled"],
    }
    print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
