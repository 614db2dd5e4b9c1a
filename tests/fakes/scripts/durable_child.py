"""A process using tenantry in durable mode (TELEMETRY_DURABLE=1, cloud, amplitude from the
environment).

``track N [RATE]``: waits until the service is ready, then tracks N events, in chunks of 1,000 with a 20 ms pause between them (a
burst) or, with RATE, paced at RATE events/s in chunks of RATE/50. After each chunk it prints
``<last index> <time.time()> <durability lag>``; then keeps printing ``lag <time> <lag>`` every
20 ms (the test SIGKILLs it meanwhile). The lag is ``get_status()["durability"]["lag"]``: every
call accepted before ``time - lag`` was on disk at ``time``.

``drain [TIMEOUT]``: starts, lets the spool replay, flushes, prints the status as JSON, shuts
down."""

from __future__ import annotations

import json
import sys
import time

from tenantry import TelemetryService


def lag(svc: TelemetryService) -> float:
    return svc.get_status()["durability"]["lag"]


def main() -> None:
    svc = TelemetryService()
    if sys.argv[1] == "track":
        svc.flush(30.0)  # ready: set up, spool open (the promise starts there)
        n = int(sys.argv[2])
        rate = float(sys.argv[3]) if len(sys.argv) > 3 else 0.0
        chunk = max(1, int(rate / 50)) if rate else 1000
        started = time.monotonic()
        for start in range(0, n, chunk):
            for i in range(start, min(n, start + chunk)):
                svc.track_sync(
                    "memory_created", {"i": i}, user_id=f"user_{i % 50}", developer_id="dev_abc123"
                )
            print(min(n, start + chunk) - 1, time.time(), lag(svc), flush=True)
            if rate:  # the next chunk is due when the rate says so
                time.sleep(max(0.0, started + (start + chunk) / rate - time.monotonic()))
            else:
                time.sleep(0.02)
        print("done", time.time(), lag(svc), flush=True)
        while True:
            print("lag", time.time(), lag(svc), flush=True)
            time.sleep(0.02)
    else:
        ok = svc.flush(float(sys.argv[2]) if len(sys.argv) > 2 else 30.0)
        status = svc.get_status()
        svc.shutdown(5.0)
        print(json.dumps({"flushed": ok, "status": status}, default=str), flush=True)


if __name__ == "__main__":
    main()
