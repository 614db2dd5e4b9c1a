"""Real servers and a plain client for the integration tests: wsgiref for WSGI apps, uvicorn for
ASGI apps, both on a free loopback port in a thread; ``fetch`` speaks HTTP/1.1 with http.client.
Standard library and uvicorn only, so the same tests run in the lowest-versions venv."""

from __future__ import annotations

import http.client
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from tenantry import TelemetryService
from tenantry.events import Event
from tenantry.testing import InMemoryDestination

TOKENS = {"tok-a": ("dev_a", "usr_alice"), "tok-b": ("dev_b", None)}


def platform_resolve(request) -> tuple[str, str | None] | None:
    """The platform's own authentication: its own header (any framework's request)."""
    return TOKENS.get(request.headers.get("x-platform-token"))


def service(edition: str = "cloud", **kw) -> tuple[TelemetryService, InMemoryDestination]:
    memory = InMemoryDestination()
    settings = {"enabled": True, "do_not_track": False, **kw}
    svc = TelemetryService(edition=edition, destinations=[memory], **settings)
    return svc, memory


def recorded(
    svc: TelemetryService, memory: InMemoryDestination, n: int, event: str = "api_request"
) -> list[Event]:
    """The first ``n`` events named ``event`` (in order), waiting up to 10 s: a WSGI server
    closes the body, which records the request, just after the client has read it."""
    deadline = time.monotonic() + 10.0
    while True:
        assert svc.flush(5.0)
        found = [e for e in memory.events if e.event == event]
        if len(found) >= n or time.monotonic() > deadline:
            return found
        time.sleep(0.01)


def settled(svc: TelemetryService, memory: InMemoryDestination, event: str = "api_request"):
    """Every event named ``event`` once nothing more arrives for 0.2 s (proves absences)."""
    time.sleep(0.2)
    assert svc.flush(5.0)
    return [e for e in memory.events if e.event == event]


class Response:
    def __init__(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.status = status
        self.headers = headers
        self.body = body


class Client:
    def __init__(self, url: str) -> None:
        host, port = url.removeprefix("http://").split(":")
        self.host, self.port = host, int(port)

    def request(
        self, method: str, path: str, body: bytes | None = None, headers: dict | None = None
    ) -> Response:
        conn = http.client.HTTPConnection(self.host, self.port, timeout=15)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            r = conn.getresponse()
            data = r.read()
            return Response(r.status, {k.lower(): v for k, v in r.getheaders()}, data)
        finally:
            conn.close()

    def get(self, path: str, **headers: str) -> Response:
        return self.request("GET", path, headers=_headers(headers))

    def post(self, path: str, body: bytes, **headers: str) -> Response:
        return self.request("POST", path, body=body, headers=_headers(headers))


def _headers(kw: dict) -> dict:
    return {k.replace("_", "-"): v for k, v in kw.items()}


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, *args) -> None:  # no access log on stderr
        pass


@contextmanager
def wsgi_server(app: Callable) -> Iterator[Client]:
    """``app`` served by the standard library's wsgiref on a free loopback port, one request
    at a time: a request is recorded (its body closed) before the next one is read, so the
    events arrive in the order of the requests, however loaded the machine is."""
    server = make_server("127.0.0.1", 0, app, server_class=WSGIServer, handler_class=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield Client(f"http://127.0.0.1:{server.server_port}")
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def asgi_server(app: Callable) -> Iterator[Client]:
    """``app`` served by uvicorn on a free loopback port, in a thread."""
    import uvicorn

    port = _free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", access_log=False, lifespan="off"
    )
    server = uvicorn.Server(config)
    server.install_signal_handlers = lambda: None  # not the main thread (older uvicorn)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.01)
    try:
        yield Client(f"http://127.0.0.1:{port}")
    finally:
        server.should_exit = True
        thread.join(10)
