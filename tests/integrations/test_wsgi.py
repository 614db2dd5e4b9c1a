"""``tenantry.wsgi.TelemetryMiddleware`` on a bare WSGI app served by wsgiref on 127.0.0.1: route
templates named by the app's own router, developers and end users, unknown routes, exceptions,
streaming and the legacy ``write()``, failing resolvers, both editions."""

from __future__ import annotations

import json
import logging
import time

import pytest

from tenantry import set_telemetry
from tenantry.web import set_route
from tenantry.wsgi import TelemetryMiddleware
from tests.integrations.helpers import (
    platform_resolve,
    recorded,
    service,
    settled,
    wsgi_server,
)


def bare_app(environ, start_response):
    """A WSGI app with a router of its own, which names each matched route."""
    path, method = environ["PATH_INFO"], environ["REQUEST_METHOD"]
    if path.startswith("/v1/memories/"):
        set_route("/v1/memories/{memory_id}")
        memory_id = path.rsplit("/", 1)[1]
        if memory_id == "missing":
            start_response("404 Not Found", [("Content-Type", "application/json")])
            return [b'{"error": "no such memory"}']
        body = json.dumps({"id": memory_id, "content": "notes"}).encode()
        start_response("200 OK", [("Content-Type", "application/json")])
        return [body]
    if path == "/v1/memories" and method == "POST":
        set_route("/v1/memories")
        size = int(environ.get("CONTENT_LENGTH") or 0)
        stored = len(environ["wsgi.input"].read(size))
        start_response("201 Created", [("Content-Type", "application/json")])
        return [json.dumps({"stored": stored}).encode()]
    if path == "/v1/boom":
        set_route("/v1/boom")
        raise RuntimeError("the route failed")
    if path == "/v1/stream":
        set_route("/v1/stream")
        start_response("200 OK", [("Content-Type", "text/plain")])

        def chunks():
            for i in range(4):
                time.sleep(0.05)
                yield f"chunk-{i};".encode()

        return chunks()
    if path == "/v1/write":
        set_route("/v1/write")
        write = start_response("200 OK", [("Content-Type", "text/plain")])
        write(b"written;")
        return [b"returned"]
    start_response("404 Not Found", [("Content-Type", "text/plain")])
    return [b"not found"]


class TestBareWsgi:
    def test_routes_developers_statuses_and_sizes(self):
        """Each request is one api_request of its developer (and end user) with the template
        the app's router named (never the ID in the path), method, status, duration and sizes;
        a request no route matched is (unmatched)."""
        svc, memory = service()
        app = TelemetryMiddleware(bare_app, resolve=platform_resolve, telemetry=svc)
        with wsgi_server(app) as client:
            r = client.get("/v1/memories/mem_8f3a2b", x_platform_token="tok-a")
            body = b'{"content": "Meeting notes"}'
            r2 = client.post("/v1/memories", body, x_platform_token="tok-b")
            r3 = client.get("/v1/memories/missing", x_platform_token="tok-b")
            r4 = client.get("/users/alice@example.com")
        assert (r.status, r2.status, r3.status, r4.status) == (200, 201, 404, 404)
        assert json.loads(r2.body) == {"stored": len(body)}
        events = recorded(svc, memory, 4)
        assert len(events) == 4
        first, second, third, fourth = events
        assert (first.distinct_id, first.developer_id, first.end_user_id) == (
            "dev_a",
            "dev_a",
            "usr_alice",
        )
        p = first.properties
        assert (p["route"], p["method"], p["status"]) == ("/v1/memories/{memory_id}", "GET", 200)
        assert p["response_bytes"] == len(r.body) and p["request_bytes"] == 0
        assert 0 < p["duration_ms"] < 10_000
        assert "mem_8f3a2b" not in str(first.to_dict())
        assert (second.developer_id, second.end_user_id) == ("dev_b", None)
        assert second.properties["request_bytes"] == len(body)
        assert (second.properties["route"], second.properties["status"]) == ("/v1/memories", 201)
        assert third.properties["status"] == 404
        assert third.properties["route"] == "/v1/memories/{memory_id}"
        assert fourth.properties["route"] == "(unmatched)" and fourth.developer_id is None
        assert "alice@example.com" not in str(fourth.to_dict())
        svc.shutdown(5.0)

    def test_response_is_unchanged(self):
        """Status, headers (a one-chunk body keeps its Content-Length) and body are those of
        the same app without the middleware."""
        svc, _ = service()
        wrapped = TelemetryMiddleware(bare_app, resolve=platform_resolve, telemetry=svc)
        with wsgi_server(bare_app) as plain, wsgi_server(wrapped) as tracked:
            for path in ("/v1/memories/m1", "/v1/stream", "/nope"):
                a, b = plain.get(path), tracked.get(path)
                assert (a.status, a.body) == (b.status, b.body)
                assert {k: v for k, v in a.headers.items() if k != "date"} == {
                    k: v for k, v in b.headers.items() if k != "date"
                }
                if path != "/v1/stream":  # a one-chunk body: the server still knows its length
                    assert b.headers["content-length"] == str(len(b.body))
        svc.shutdown(5.0)

    def test_exception_passes_through_and_is_a_500(self):
        """The app's exception reaches the server unchanged (which answers 500), and the
        request is recorded as a 500 on its route."""
        svc, memory = service()
        app = TelemetryMiddleware(bare_app, resolve=platform_resolve, telemetry=svc)
        with wsgi_server(app) as client:
            assert client.get("/v1/boom", x_platform_token="tok-a").status == 500
        environ = {"PATH_INFO": "/v1/boom", "REQUEST_METHOD": "GET"}
        with pytest.raises(RuntimeError, match="the route failed"):
            app(environ, lambda status, headers, exc_info=None: None)
        events = recorded(svc, memory, 2)
        assert [(e.properties["route"], e.properties["status"]) for e in events] == [
            ("/v1/boom", 500)
        ] * 2
        assert events[0].developer_id == "dev_a"
        svc.shutdown(5.0)

    def test_streaming_is_timed_to_its_last_chunk(self):
        """A streamed body counts every chunk and is timed until the last one was taken;
        a legacy write() is counted too."""
        svc, memory = service()
        app = TelemetryMiddleware(bare_app, resolve=platform_resolve, telemetry=svc)
        with wsgi_server(app) as client:
            r = client.get("/v1/stream", x_platform_token="tok-a")
            w = client.get("/v1/write")
        assert r.body == b"chunk-0;chunk-1;chunk-2;chunk-3;" and w.body == b"written;returned"
        stream, write = recorded(svc, memory, 2)
        assert stream.properties["response_bytes"] == len(r.body)
        assert stream.properties["duration_ms"] >= 190  # four chunks 50 ms apart
        assert write.properties["response_bytes"] == len(w.body)
        svc.shutdown(5.0)

    def test_opensource_keeps_template_class_and_bucket(self):
        """Opensource: the template, method, status class and a duration bucket; a
        pseudonym, never the developer's or end user's ID."""
        svc, memory = service("opensource", secret="k" * 32)
        app = TelemetryMiddleware(bare_app, resolve=platform_resolve, telemetry=svc)
        with wsgi_server(app) as client:
            client.get("/v1/memories/mem_8f3a2b", x_platform_token="tok-a")
        [event] = recorded(svc, memory, 1)
        p = event.properties
        assert (p["route"], p["method"], p["status_class"]) == (
            "/v1/memories/{memory_id}",
            "GET",
            "2xx",
        )
        assert "duration_bucket" in p and "duration_ms" not in p and "status" not in p
        text = str(event.to_dict())
        assert "dev_a" not in text and "usr_alice" not in text and "mem_8f3a2b" not in text
        svc.shutdown(5.0)

    def test_failing_resolvers_drop_their_event_counted(self, caplog):
        """A resolver that raises, or returns something else than a pair or None, drops that
        request's event (counted resolve_failed, one warning); the response is unaffected."""

        def raising(request):
            raise KeyError("no such key")

        svc, memory = service()
        raises = TelemetryMiddleware(bare_app, resolve=raising, telemetry=svc)
        wrong = TelemetryMiddleware(bare_app, resolve=lambda request: "dev_a", telemetry=svc)
        with caplog.at_level(logging.WARNING, "tenantry.web"):
            with wsgi_server(raises) as a, wsgi_server(wrong) as b:
                assert a.get("/v1/memories/m1").status == 200
                assert a.get("/v1/memories/m2").status == 200
                assert b.get("/v1/memories/m3").status == 200
            time.sleep(0.3)  # the servers closed the bodies
        assert settled(svc, memory) == []
        assert svc.get_status()["drops"]["resolve_failed"] == 3
        assert sum("resolve failed" in r.message for r in caplog.records) == 2  # one each
        svc.shutdown(5.0)

    def test_async_resolve_default_telemetry_and_off(self):
        """An async resolve is awaited; without telemetry= the process-wide service records;
        with telemetry off nothing is resolved or recorded."""
        calls = []

        async def resolve(request):
            calls.append(request.path)
            return ("dev_async", None)

        svc, memory = service()
        off, _ = service(enabled=False)
        previous = set_telemetry(svc)
        try:
            with wsgi_server(TelemetryMiddleware(bare_app, resolve=resolve)) as client:
                assert client.get("/v1/memories/m1").status == 200
            with wsgi_server(TelemetryMiddleware(bare_app, resolve=resolve, telemetry=off)) as c:
                assert c.get("/v1/memories/m2").status == 200
        finally:
            set_telemetry(previous)
        [event] = recorded(svc, memory, 1)
        assert event.developer_id == "dev_async" and calls == ["/v1/memories/m1"]
        svc.shutdown(5.0)

    def test_prefixes_and_exclude(self):
        """Only paths under ``prefixes`` and not under ``exclude`` are tracked."""
        svc, memory = service()
        app = TelemetryMiddleware(
            bare_app, resolve=platform_resolve, telemetry=svc, prefixes=["/v1/"], exclude=["/v1/w"]
        )
        with wsgi_server(app) as client:
            for path in ("/v1/memories/m1", "/v1/write", "/health"):
                assert client.get(path).status in (200, 404)
        assert [e.properties["route"] for e in settled(svc, memory)] == ["/v1/memories/{memory_id}"]
        svc.shutdown(5.0)
