"""A small web app that uses the process-wide ``get_telemetry()`` (configured from the
environment) on every request, served by uvicorn on the port given as argv[1].

uvicorn re-raises SIGTERM after its graceful shutdown, which kills the process before ``atexit``
hooks run; so the app flushes telemetry in its lifespan's shutdown, as a FastAPI app should."""

from __future__ import annotations

import sys
from contextlib import asynccontextmanager

import uvicorn
from fastapi import FastAPI

from tenantry import get_telemetry


@asynccontextmanager
async def lifespan(app: FastAPI):
    yield
    get_telemetry().shutdown(timeout=5.0)


app = FastAPI(lifespan=lifespan)


@app.post("/hit/{i}")
async def hit(i: int) -> dict:
    await get_telemetry().track(
        "memory_created", {"i": i}, user_id="user_1234", developer_id="dev_abc123"
    )
    return {"ok": True}


@app.get("/ready")
async def ready() -> dict:
    return {"ok": True}


if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
