"""Starts a TelemetryService (configured from the environment), tracks one event, forks; the
child tracks 100 events marked "child" and shuts down; the parent tracks 100 marked "parent"."""

from __future__ import annotations

import os

from tenantry import TelemetryService

svc = TelemetryService()
svc.track_sync(
    "memory_created", {"side": "before_fork"}, user_id="user_1234", developer_id="dev_abc123"
)
svc.flush(5.0)
pid = os.fork()
who = "child" if pid == 0 else "parent"
for i in range(100):
    svc.track_sync(
        "memory_created", {"side": who, "i": i}, user_id="user_1234", developer_id="dev_abc123"
    )
ok = svc.shutdown(10.0)
if pid == 0:
    os._exit(0 if ok else 3)
_, status = os.waitpid(pid, 0)
print("child exit", os.waitstatus_to_exitcode(status), "parent flushed", ok, flush=True)
