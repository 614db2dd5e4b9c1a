"""Sampled usage stays unbiased: a known population of requests through the ASGI middleware of a
real Starlette app, sampled by ``TelemetryService(sample_rates=...)``, then written to the local
store and to ClickHouse 18.16: the usage reports count each kept event as 1/rate events, agree
with the population within a stated tolerance, and are the same rows on both stores."""

from __future__ import annotations

import asyncio
import math

import pytest
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from tenantry import TelemetryService
from tenantry.asgi import TelemetryMiddleware
from tenantry.store.queries import run_query
from tenantry.testing import InMemoryDestination
from tests.store.conftest import both_stores

REQUESTS = 10_000  # every 20th answers 500
MEMORIES = 2_000
RATES = {"api_request": 0.1, "memory_created": 0.5}


def _app() -> Starlette:
    async def memory(request):
        status = 500 if int(request.path_params["n"]) % 20 == 0 else 200
        return PlainTextResponse("ok", status_code=status)

    return Starlette(routes=[Route("/v1/memories/{n}", memory)])


async def _drive(app, n: int) -> None:
    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        pass

    for i in range(n):
        scope = {
            "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
            "scheme": "http", "path": f"/v1/memories/{i}", "raw_path": f"/v1/memories/{i}".encode(),
            "root_path": "", "query_string": b"", "headers": [], "server": ("127.0.0.1", 80),
        }  # fmt: skip
        await app(scope, receive, send)


def _within(estimate: int, truth: int, kept: int, rate: float) -> bool:
    """The estimate is kept/rate; kept is binomial(truth, rate): 5 standard deviations of
    the estimate are 5 * sqrt(truth * (1 - rate) / rate)."""
    return abs(estimate - truth) <= 5 * math.sqrt(truth * (1 - rate) / rate)


@pytest.fixture(scope="module")
def sampled(clickhouse_url, tmp_path_factory):
    memory = InMemoryDestination()
    svc = TelemetryService(
        edition="cloud", destinations=[memory], sample_rates=RATES, profile_lookup=None,
        data_dir=tmp_path_factory.mktemp("svc"),
    )  # fmt: skip
    app = TelemetryMiddleware(_app(), resolve=lambda request: ("dev_sampled", None), telemetry=svc)
    asyncio.run(_drive(app, REQUESTS))
    for i in range(MEMORIES):
        svc.track_sync("memory_created", {"type": "text"}, f"usr_{i % 9}", "dev_sampled")
    assert svc.shutdown(10.0)
    events = memory.events
    sampled_out = svc.get_status()["counters"]["sampled_out"]
    assert len(events) + sampled_out == REQUESTS + MEMORIES
    stores = both_stores(events, clickhouse_url, "sampled_usage", tmp_path_factory.mktemp("s"))
    yield events, stores
    for store in stores.values():
        store.close()


class TestSampledUsage:
    def test_reports_scale_by_the_rate(self, sampled):
        """api-usage counts each kept api_request as 10 (rate 0.1) and monthly-usage each kept
        memory as 2 (rate 0.5): requests, errors and memories equal kept/rate exactly, and are
        within 5 standard deviations of the population (10,000 +- 1,500 requests, 500 +- 335
        errors, 2,000 +- 224 memories)."""
        events, stores = sampled
        kept = [e for e in events if e.event == "api_request"]
        kept_errors = sum(e.properties["status"] == 500 for e in kept)
        kept_memories = sum(e.event == "memory_created" for e in events)
        for store in stores.values():
            [usage] = run_query(store, "api-usage")["rows"]
            assert (usage["route"], usage["requests"]) == ("/v1/memories/{n}", len(kept) * 10)
            assert usage["errors"] == kept_errors * 10
            [month] = run_query(store, "monthly-usage")["rows"]
            assert month["requests"] == usage["requests"]
            assert month["memories"] == kept_memories * 2
            daily = run_query(store, "api-daily-usage")["rows"]
            assert sum(r["requests"] for r in daily) == usage["requests"]
        assert _within(len(kept) * 10, REQUESTS, len(kept), 0.1)
        assert _within(kept_errors * 10, REQUESTS // 20, kept_errors, 0.1)
        assert _within(kept_memories * 2, MEMORIES, kept_memories, 0.5)

    def test_same_rows_on_both_stores(self, sampled):
        """The three usage reports are exactly the same rows on the local store and on
        ClickHouse."""
        _, stores = sampled
        for name in ("api-usage", "api-daily-usage", "monthly-usage"):
            assert run_query(stores["local"], name) == run_query(stores["clickhouse"], name), name

    def test_other_reports_count_the_kept_events(self, sampled):
        """developer-events counts the events kept (no scaling outside the usage reports)."""
        events, stores = sampled
        rows = run_query(stores["local"], "developer-events", developer="dev_sampled")["rows"]
        assert sum(r["count"] for r in rows) == len(events)
