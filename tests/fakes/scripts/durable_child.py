"""A process using tenantry in durable mode (TELEMETRY_DURABLE=1, cloud, amplitude from the
environment). ``track N``: tracks N events in chunks, printing "<index> <time>" after each chunk,
then sleeps (the test SIGKILLs it). ``drain``: starts, lets the spool replay, flushes, prints the
status as JSON, shuts down."""

from __future__ import annotations

import json
import sys
import time

from tenantry import TelemetryService


def main() -> None:
    svc = TelemetryService()
    if sys.argv[1] == "track":
        n = int(sys.argv[2])
        chunk = 1000
        for start in range(0, n, chunk):
            for i in range(start, min(n, start + chunk)):
                svc.track_sync(
                    "memory_created", {"i": i}, user_id=f"user_{i % 50}", developer_id="dev_abc123"
                )
            print(min(n, start + chunk) - 1, time.time(), flush=True)
            time.sleep(0.02)
        print("done", time.time(), flush=True)
        time.sleep(60)
    else:
        ok = svc.flush(float(sys.argv[2]) if len(sys.argv) > 2 else 30.0)
        status = svc.get_status()
        svc.shutdown(5.0)
        print(json.dumps({"flushed": ok, "status": status}, default=str), flush=True)


if __name__ == "__main__":
    main()
