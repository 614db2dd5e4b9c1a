"""Per-request overhead of the framework integrations, beside the ASGI middleware's, in one run:
``tenantry.wsgi.TelemetryMiddleware`` over a bare WSGI app, ``tenantry.django`` over a bare Django
view (WSGI handler; a constant resolve, and one reading a header through Django's
``request.headers``, which Django builds on first use), ``tenantry.flask`` over a one-route
Flask app, and
``tenantry.asgi.TelemetryMiddleware`` over a bare ASGI app (``bench_asgi``'s case).

Each app is called directly, as a server calls it (no network: only the app's own cost): the
WSGI ones with an environ, iterating and closing the body. With and without the integration in
alternating rounds; the overhead is the difference of the per-request medians of the serving
thread's CPU time (``time.thread_time``: unaffected by other processes on a busy machine), with
the ratio. The telemetry worker runs as in production (cloud edition, destination ``none``),
shaping on its own thread. Targets (issue 21): WSGI <= 5 us per request.
"""

from __future__ import annotations

import asyncio
import io
import statistics
import sys
import time
import types
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_asgi import bare_app as asgi_bare_app  # noqa: E402
from bench_asgi import compare as asgi_compare  # noqa: E402
from bench_asgi import const_resolve  # noqa: E402

from tenantry import TelemetryService  # noqa: E402
from tenantry.asgi import TelemetryMiddleware as AsgiMiddleware  # noqa: E402
from tenantry.wsgi import TelemetryMiddleware as WsgiMiddleware  # noqa: E402

BODY = b'{"ok":true}'


def wsgi_bare_app(environ, start_response):
    start_response("200 OK", [("Content-Type", "application/json")])
    return [BODY]


def header_resolve(request):
    token = request.headers.get("x-platform-token")
    return ("dev_abc123", None) if token == "tok-a" else None


def environ_for(path: str) -> dict:
    return {
        "REQUEST_METHOD": "GET",
        "SCRIPT_NAME": "",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "api.example.com",
        "HTTP_X_PLATFORM_TOKEN": "tok-a",
        "HTTP_ACCEPT": "*/*",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }


def _start_response(status, headers, exc_info=None):
    return None


def wsgi_per_request(app, path: str, n: int) -> tuple[float, float]:
    """Mean microseconds per request over ``n`` requests: (thread CPU, wall clock)."""
    base = environ_for(path)
    cpu, wall = time.thread_time, time.perf_counter
    c0, w0 = cpu(), wall()
    for _ in range(n):
        body = app(dict(base), _start_response)
        for _chunk in body:
            pass
        close = getattr(body, "close", None)
        if close is not None:
            close()
    return (cpu() - c0) / n * 1e6, (wall() - w0) / n * 1e6


def wsgi_compare(name: str, plain, wrapped, path: str, rounds: int, n: int, target: str) -> None:
    without, with_ = [], []
    for _ in range(rounds):
        without.append(wsgi_per_request(plain, path, n))
        with_.append(wsgi_per_request(wrapped, path, n))
    a, b = (statistics.median(x[0] for x in runs) for runs in (without, with_))
    wa, wb = (statistics.median(x[1] for x in runs) for runs in (without, with_))
    print(
        f"{name:<34} CPU without {a:6.2f} us  with {b:6.2f} us  "
        f"overhead {b - a:5.2f} us/request  ratio {b / a:4.2f}x{target}\n"
        f"{'':<34} wall without {wa:6.2f} us  with {wb:6.2f} us  overhead {wb - wa:5.2f} us"
    )


def django_handlers(service: TelemetryService):
    """Django's WSGI handler for a project with one bare view, without and with tenantry's
    middleware."""
    import django
    from django.conf import settings
    from django.http import HttpResponse
    from django.urls import path

    def read(request, memory_id):
        return HttpResponse(BODY, content_type="application/json")

    urls = types.ModuleType("bench_integrations_urls")
    urls.urlpatterns = [path("v1/memories/<str:memory_id>", read)]
    sys.modules[urls.__name__] = urls
    if not settings.configured:
        settings.configure(
            DEBUG=False,
            ALLOWED_HOSTS=["*"],
            SECRET_KEY="bench",
            ROOT_URLCONF=urls.__name__,
            MIDDLEWARE=[],
            INSTALLED_APPS=[],
            DATABASES={},
            USE_TZ=True,
            TENANTRY_RESOLVE=header_resolve,
            TENANTRY_TELEMETRY=service,
        )
        django.setup()
    from django.core.wsgi import get_wsgi_application

    settings.MIDDLEWARE = []
    plain = get_wsgi_application()
    settings.MIDDLEWARE = ["tenantry.django.TelemetryMiddleware"]
    wrapped = {}
    for name, resolve in (("constant", const_resolve), ("header", header_resolve)):
        settings.TENANTRY_RESOLVE = resolve  # read when the handler loads its middleware
        wrapped[name] = get_wsgi_application()
    return plain, wrapped


def flask_apps(service: TelemetryService):
    import flask

    from tenantry.flask import Telemetry

    def make():
        app = flask.Flask("bench")

        @app.get("/v1/memories/<memory_id>")
        def read(memory_id):
            return flask.Response(BODY, mimetype="application/json")

        return app

    plain, wrapped = make(), make()
    Telemetry(wrapped, resolve=header_resolve, telemetry=service)
    return plain, wrapped


def main(quick: bool = False) -> None:
    rounds, n = (5, 2_000) if quick else (15, 10_000)
    service = TelemetryService(
        edition="cloud",
        destinations=("none",),
        enabled=True,
        do_not_track=False,
        queue_size=10_000_000,
    )
    path = "/v1/memories/mem_1"
    print(f"{rounds} alternating rounds of {n:,} requests each; medians of the round means")
    asyncio.run(_asgi(service, path, rounds, n))
    wsgi_per_request(wsgi_bare_app, path, 1000)  # warm up
    for name, resolve in (
        ("bare WSGI app, constant resolve", const_resolve),
        ("bare WSGI app, header resolve", header_resolve),
    ):
        wrapped = WsgiMiddleware(wsgi_bare_app, resolve=resolve, telemetry=service)
        wsgi_compare(name, wsgi_bare_app, wrapped, path, rounds, n, "  (target <= 5 us)")
    django_rounds, django_n = rounds, max(n // 5, 500)
    plain, wrapped = django_handlers(service)
    wsgi_per_request(plain, path, 200)
    for name, app in wrapped.items():
        label = f"Django view, {name} resolve"
        wsgi_compare(label, plain, app, path, django_rounds, django_n, "")
    plain, wrapped = flask_apps(service)
    wsgi_per_request(plain, path, 200)
    wsgi_compare("Flask route", plain, wrapped, path, django_rounds, django_n, "")
    service.flush(30.0)
    status = service.get_status()
    print(f"events accepted {status['accepted']:,}, dropped {status['dropped']}")
    service.shutdown(5.0)


async def _asgi(service: TelemetryService, path: str, rounds: int, n: int) -> None:
    wrapped = AsgiMiddleware(asgi_bare_app, resolve=const_resolve, telemetry=service)
    await asgi_compare("bare ASGI app, constant resolve", asgi_bare_app, wrapped, path, rounds, n)


if __name__ == "__main__":
    main(quick="--quick" in sys.argv)
