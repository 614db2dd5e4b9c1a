"""Per-request overhead of ``tenantry.asgi.TelemetryMiddleware``.

Two minimal apps, each called directly (no server, no network: only the app's own cost) with
and without the middleware, in alternating rounds in one run:

1. a bare ASGI callable (no router: the request is ``(unmatched)``), resolve returning a
   constant pair; the request view is Starlette's ``Request``;
2. a Starlette ``Router`` with one route (``/v1/memories/{memory_id}``) and a resolve that reads
   the platform's header, as a host would.

The middleware's cost is the difference of the per-request medians, printed with the ratio.
Time is the CPU time of the thread serving the requests (``time.thread_time``): what the
request path pays, unaffected by other processes on a busy machine. The telemetry worker runs
as in production (cloud edition, destination ``none``); its shaping happens on its own thread,
off the request path (``bench_track`` measures its CPU per event). Wall-clock figures are
printed too, for reference. Target (issue 13): <= 5 us per request.
"""

from __future__ import annotations

import asyncio
import statistics
import time

from tenantry import TelemetryService
from tenantry.asgi import TelemetryMiddleware

HEADERS = [(b"host", b"api.example.com"), (b"x-platform-token", b"tok-a"), (b"accept", b"*/*")]


async def bare_app(scope, receive, send):
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b'{"ok":true}'})


def router_app():
    from starlette.responses import Response
    from starlette.routing import Route, Router

    async def read(request):
        return Response(b'{"ok":true}', media_type="application/json")

    return Router(routes=[Route("/v1/memories/{memory_id}", read)])


def const_resolve(request):
    return ("dev_abc123", "usr_1234")


def header_resolve(request):
    token = request.headers.get("x-platform-token")
    return ("dev_abc123", None) if token == "tok-a" else None


async def per_request(app, path: str, n: int) -> tuple[float, float]:
    """Mean microseconds per request over ``n`` requests: (thread CPU, wall clock)."""
    body = {"type": "http.request", "body": b"", "more_body": False}

    async def receive():
        return body

    async def send(message):
        pass

    base = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": HEADERS,
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }
    cpu, wall = time.thread_time, time.perf_counter
    c0, w0 = cpu(), wall()
    for _ in range(n):
        await app(dict(base), receive, send)
    return (cpu() - c0) / n * 1e6, (wall() - w0) / n * 1e6


async def compare(name: str, plain, wrapped, path: str, rounds: int, n: int) -> None:
    without, with_ = [], []
    for _ in range(rounds):
        without.append(await per_request(plain, path, n))
        with_.append(await per_request(wrapped, path, n))
    a, b = (statistics.median(x[0] for x in runs) for runs in (without, with_))
    wa, wb = (statistics.median(x[1] for x in runs) for runs in (without, with_))
    print(
        f"{name:<34} CPU without {a:6.2f} us  with {b:6.2f} us  "
        f"overhead {b - a:5.2f} us/request  ratio {b / a:4.2f}x  (target <= 5 us)\n"
        f"{'':<34} wall without {wa:6.2f} us  with {wb:6.2f} us  overhead {wb - wa:5.2f} us"
    )


def main(quick: bool = False) -> None:
    rounds, n = (5, 2_000) if quick else (15, 10_000)
    service = TelemetryService(
        edition="cloud",
        destinations=("none",),
        enabled=True,
        do_not_track=False,
        queue_size=10_000_000,
    )
    router = router_app()

    async def run() -> None:
        await per_request(bare_app, "/", 1000)  # warm up
        cases = (
            ("bare ASGI app, constant resolve", bare_app, const_resolve),
            ("Starlette Router, header resolve", router, header_resolve),
        )
        for name, app, resolve in cases:
            wrapped = TelemetryMiddleware(app, resolve=resolve, telemetry=service)
            await compare(name, app, wrapped, "/v1/memories/mem_1", rounds, n)

    print(f"{rounds} alternating rounds of {n:,} requests each; medians of the round means")
    asyncio.run(run())
    service.flush(30.0)
    status = service.get_status()
    print(f"events accepted {status['accepted']:,}, dropped {status['dropped']}")
    service.shutdown(5.0)


if __name__ == "__main__":
    import sys

    main(quick="--quick" in sys.argv)
