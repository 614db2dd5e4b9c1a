"""A small web app that uses the process-wide ``get_telemetry()`` (configured from the
environment, created at import as the contract shows) on every request, served by uvicorn on the
port given as argv[1]. It has no shutdown hook of its own: uvicorn re-raises SIGTERM after its
graceful shutdown, which kills the process before ``atexit`` hooks run, so this proves that
tenantry's own SIGTERM handler flushes."""

from __future__ import annotations

import sys

import uvicorn
from fastapi import FastAPI

from tenantry import get_telemetry

telemetry = get_telemetry()
app = FastAPI()


@app.post("/hit/{i}")
async def hit(i: int) -> dict:
    await telemetry.track(
        "memory_created", {"i": i}, user_id="user_1234", developer_id="dev_abc123"
    )
    return {"ok": True}


@app.get("/ready")
async def ready() -> dict:
    return {"ok": True}


if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
