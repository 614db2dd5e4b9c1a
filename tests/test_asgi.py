"""``tenantry.asgi.TelemetryMiddleware`` on real apps served by uvicorn on 127.0.0.1: FastAPI
with the host's own auth header, Starlette without FastAPI, a bare ASGI app without Starlette,
raising routes, streaming, unknown routes, websockets and lifespan, failing resolvers."""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
import textwrap

import pytest
from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import StreamingResponse
from starlette.applications import Starlette
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.testclient import TestClient

from tenantry import TelemetryService
from tenantry.asgi import UNMATCHED, TelemetryMiddleware, identity_resolver
from tenantry.config import load_settings
from tenantry.policy.processors import safe_route
from tenantry.testing import InMemoryDestination

TOKENS = {"tok-a": ("dev_a", "usr_alice"), "tok-b": ("dev_b", None)}


def _service(edition: str = "cloud", **kw) -> tuple[TelemetryService, InMemoryDestination]:
    memory = InMemoryDestination()
    service = TelemetryService(
        edition=edition, destinations=[memory], enabled=True, do_not_track=False, **kw
    )
    return service, memory


def _requests(service: TelemetryService, memory: InMemoryDestination) -> list:
    assert service.flush(5.0)
    return [e for e in memory.events if e.event == "api_request"]


async def platform_auth(request) -> tuple[str, str | None] | None:
    """The platform's own authentication: its own header, looked up asynchronously."""
    await asyncio.sleep(0)
    return TOKENS.get(request.headers.get("x-platform-token"))


def fastapi_app() -> FastAPI:
    app = FastAPI()

    @app.get("/v1/memories/{memory_id}")
    async def read(memory_id: str) -> dict:
        if memory_id == "missing":
            raise HTTPException(404, "no such memory")
        return {"id": memory_id, "content": "notes"}

    @app.post("/v1/memories")
    async def create(request: Request) -> dict:
        body = await request.body()
        return {"stored": len(body)}

    @app.get("/v1/boom")
    async def boom() -> dict:
        raise RuntimeError("the route failed")

    @app.get("/v1/stream")
    async def stream() -> StreamingResponse:
        async def chunks():
            for i in range(4):
                await asyncio.sleep(0.05)
                yield f"chunk-{i};".encode()

        return StreamingResponse(chunks(), media_type="text/plain")

    return app


class TestFastAPI:
    def test_own_auth_header_and_route_template(self, served):
        """With the platform's own header, each request is one api_request of that developer
        (and end user): the route template (never the memory ID), method, status, duration and
        body sizes; no ID from the path appears anywhere in the event."""
        service, memory = _service()
        app = fastapi_app()
        app.add_middleware(TelemetryMiddleware, resolve=platform_auth, telemetry=service)
        client = served(app)
        r = client.get("/v1/memories/mem_8f3a2b", headers={"X-Platform-Token": "tok-a"})
        assert r.json() == {"id": "mem_8f3a2b", "content": "notes"}
        body = b'{"content": "Meeting notes"}'
        r2 = client.post("/v1/memories", content=body, headers={"x-platform-token": "tok-b"})
        assert r2.json() == {"stored": len(body)}
        client.get("/v1/memories/missing", headers={"X-Platform-Token": "tok-b"})
        events = _requests(service, memory)
        assert len(events) == 3
        first, second, third = events
        assert (first.distinct_id, first.developer_id, first.end_user_id) == (
            "dev_a",
            "dev_a",
            "usr_alice",
        )
        p = first.properties
        assert p["route"] == "/v1/memories/{memory_id}" and p["method"] == "GET"
        assert p["status"] == 200 and p["response_bytes"] == len(r.content)
        assert p["request_bytes"] == 0 and 0 < p["duration_ms"] < 10_000
        assert "mem_8f3a2b" not in str(first.to_dict())
        assert second.developer_id == "dev_b" and second.end_user_id is None
        assert second.properties["request_bytes"] == len(body)
        assert (second.properties["route"], second.properties["method"]) == ("/v1/memories", "POST")
        assert third.properties["status"] == 404
        assert third.properties["route"] == "/v1/memories/{memory_id}"
        service.shutdown(5.0)

    def test_response_is_unchanged(self, served):
        """Status, headers and body are byte for byte those of the same app without it."""
        service, _ = _service()
        plain, wrapped = fastapi_app(), fastapi_app()
        wrapped.add_middleware(TelemetryMiddleware, resolve=platform_auth, telemetry=service)
        a, b = served(plain), served(wrapped)
        for path in ("/v1/memories/m1", "/v1/memories/missing", "/nope", "/v1/stream"):
            ra, rb = a.get(path), b.get(path)
            assert (ra.status_code, ra.content) == (rb.status_code, rb.content), path
            drop = {"date"}
            assert {k: v for k, v in ra.headers.items() if k not in drop} == {
                k: v for k, v in rb.headers.items() if k not in drop
            }
        service.shutdown(5.0)

    def test_raising_route(self, served):
        """A route that raises still answers the app's own 500 (the exception passes through
        unchanged to Starlette's error handler) and is recorded with status 500."""
        service, memory = _service()
        app = fastapi_app()
        app.add_middleware(TelemetryMiddleware, resolve=platform_auth, telemetry=service)
        client = served(app)
        r = client.get("/v1/boom", headers={"X-Platform-Token": "tok-a"})
        assert r.status_code == 500 and r.text == "Internal Server Error"
        [event] = _requests(service, memory)
        assert event.properties["route"] == "/v1/boom" and event.properties["status"] == 500
        assert event.developer_id == "dev_a"
        service.shutdown(5.0)

    def test_streaming_response(self, served):
        """A streamed body arrives whole; its event counts every chunk's bytes and lasts at
        least as long as the four 50 ms pauses between them."""
        service, memory = _service()
        app = fastapi_app()
        app.add_middleware(TelemetryMiddleware, resolve=platform_auth, telemetry=service)
        client = served(app)
        with client.stream("GET", "/v1/stream", headers={"X-Platform-Token": "tok-b"}) as r:
            text = "".join(r.iter_text())
        assert text == "chunk-0;chunk-1;chunk-2;chunk-3;"
        [event] = _requests(service, memory)
        assert event.properties["response_bytes"] == len(text)
        assert event.properties["duration_ms"] >= 200.0
        assert event.properties["route"] == "/v1/stream"
        service.shutdown(5.0)

    def test_unknown_routes_share_one_template(self, served):
        """404s of three different unknown paths are three events under the one template
        ``(unmatched)``; none of the paths appears in any event."""
        service, memory = _service()
        app = fastapi_app()
        app.add_middleware(TelemetryMiddleware, resolve=platform_auth, telemetry=service)
        client = served(app)
        for path in ("/nope/123", "/nope/456", "/v1/other/usr_789"):
            assert client.get(path, headers={"X-Platform-Token": "tok-a"}).status_code == 404
        events = _requests(service, memory)
        assert [e.properties["route"] for e in events] == [UNMATCHED] * 3
        # the properties only: the event's random uuid and timestamp may hold any digits
        values = [str(v) for e in events for v in e.properties.values()]
        assert not [v for v in values if any(s in v for s in ("nope", "123", "456", "usr_789"))]
        service.shutdown(5.0)


def starlette_app(calls: list) -> Starlette:
    async def item(request):
        return JSONResponse({"item": request.path_params["item_id"]})

    async def notes(request):
        return PlainTextResponse("notes of " + request.path_params["uid"])

    async def ws(websocket):
        await websocket.accept()
        await websocket.send_text("hello")
        await websocket.close()

    @contextlib.asynccontextmanager
    async def lifespan(app):
        calls.append("startup")
        yield
        calls.append("shutdown")

    return Starlette(
        routes=[
            Route("/items/{item_id:int}", item),
            Mount("/api", routes=[Route("/items/{item_id}", item)]),
            Mount("/users/{uid}", routes=[Route("/notes", notes)]),
            WebSocketRoute("/ws", ws),
        ],
        lifespan=lifespan,
    )


def sync_auth(request):
    """A synchronous resolve reading the platform's header."""
    return TOKENS.get(request.headers.get("X-Platform-Token"))


class TestStarlette:
    def test_routes_and_mounts(self, served):
        """Starlette without FastAPI: a converter route, a route inside a Mount and a route
        under a Mount with a parameter all record their full template, never a path value."""
        service, memory = _service()
        app = starlette_app([])
        app.add_middleware(TelemetryMiddleware, resolve=sync_auth, telemetry=service)
        client = served(app)
        headers = {"X-Platform-Token": "tok-a"}
        assert client.get("/items/42", headers=headers).json() == {"item": 42}
        assert client.get("/api/items/abc", headers=headers).json() == {"item": "abc"}
        assert client.get("/users/usr_1234/notes", headers=headers).text == "notes of usr_1234"
        events = _requests(service, memory)
        assert [e.properties["route"] for e in events] == [
            "/items/{item_id}",
            "/api/items/{item_id}",
            "/users/{uid}/notes",
        ]
        assert all(e.developer_id == "dev_a" for e in events)
        assert "usr_1234" not in str([e.to_dict() for e in events])
        service.shutdown(5.0)

    def test_websocket_and_lifespan_not_tracked(self):
        """A websocket exchange and the lifespan pass through untouched and record nothing."""
        service, memory = _service()
        calls: list = []
        app = starlette_app(calls)
        app.add_middleware(TelemetryMiddleware, resolve=sync_auth, telemetry=service)
        with TestClient(app) as client:
            with client.websocket_connect("/ws") as ws:
                assert ws.receive_text() == "hello"
            assert client.get("/items/7").status_code == 200
        assert calls == ["startup", "shutdown"]
        events = _requests(service, memory)
        assert [e.properties["route"] for e in events] == ["/items/{item_id}"]
        service.shutdown(5.0)

    @pytest.mark.parametrize(
        ("option", "tracked"),
        [
            ({"prefixes": ("/api/",)}, ["/api/items/1"]),
            ({"exclude": ("/api/",)}, ["/items/1"]),
        ],
        ids=["prefixes", "exclude"],
    )
    def test_which_paths_are_tracked(self, served, option, tracked):
        """``prefixes`` tracks only the paths under them; ``exclude`` never tracks those."""
        service, memory = _service()
        app = starlette_app([])
        app.add_middleware(TelemetryMiddleware, resolve=sync_auth, telemetry=service, **option)
        client = served(app)
        client.get("/items/1")
        client.get("/api/items/1")
        routes = [e.properties["route"] for e in _requests(service, memory)]
        assert routes == [p.replace("1", "{item_id}") for p in tracked]
        service.shutdown(5.0)


class TestFailures:
    @pytest.mark.parametrize(
        "resolve",
        [lambda request: 1 / 0, lambda request: "dev_a"],
        ids=["raises", "returns-garbage"],
    )
    def test_failing_resolve_is_counted(self, served, resolve):
        """A resolve that raises or returns something that is not None or a pair never
        reaches the app: the response is normal, the event is dropped and counted as
        drops['resolve_failed']."""
        service, memory = _service()
        app = fastapi_app()
        app.add_middleware(TelemetryMiddleware, resolve=resolve, telemetry=service)
        client = served(app)
        for _ in range(3):
            assert client.get("/v1/memories/m1").json()["id"] == "m1"
        assert _requests(service, memory) == []
        assert service.get_status()["drops"]["resolve_failed"] == 3
        service.shutdown(5.0)

    def test_anonymous_requests_are_tracked_without_developer(self, served):
        """A request resolve answers None for is recorded without developer or end user."""
        service, memory = _service()
        app = fastapi_app()
        app.add_middleware(TelemetryMiddleware, resolve=platform_auth, telemetry=service)
        served(app).get("/v1/memories/m1")
        [event] = _requests(service, memory)
        assert event.developer_id is None and event.end_user_id is None
        service.shutdown(5.0)

    def test_disabled_telemetry_never_resolves(self, served):
        """With telemetry off, resolve is not even called and nothing is recorded."""
        seen = []
        service = TelemetryService(enabled=False)
        app = fastapi_app()
        app.add_middleware(
            TelemetryMiddleware, resolve=lambda r: seen.append(r) or None, telemetry=service
        )
        assert served(app).get("/v1/memories/m1").status_code == 200
        assert seen == [] and service.get_status()["accepted"] == 0


class TestOpensource:
    def test_only_template_method_status_class_and_bucket(self, served):
        """In opensource an api_request keeps the route template, method, status class and a
        duration bucket; no developer, exact status, duration or size leaves the process."""
        service, memory = _service("opensource")
        app = fastapi_app()
        app.add_middleware(TelemetryMiddleware, resolve=platform_auth, telemetry=service)
        client = served(app)
        client.get("/v1/memories/mem_1", headers={"X-Platform-Token": "tok-a"})
        client.get("/v1/boom", headers={"X-Platform-Token": "tok-a"})
        first, second = _requests(service, memory)
        keep = {"route", "method", "status_class", "duration_bucket"}
        context = {"edition", "os", "arch", "version", "python_version"}
        assert set(first.properties) == keep | context
        assert first.properties["route"] == "/v1/memories/{memory_id}"
        assert (
            first.properties["status_class"] == "2xx" and second.properties["status_class"] == "5xx"
        )
        assert first.developer_id is None and first.distinct_id not in ("dev_a", "usr_alice")
        service.shutdown(5.0)

    def test_safe_route_redacts_raw_paths(self):
        """A raw path handed in by mistake loses every segment that could identify anyone."""
        assert safe_route("/v1/memories/{memory_id}") == "/v1/memories/{memory_id}"
        assert safe_route("/items/{item_id:int}") == "/items/{item_id:int}"
        assert safe_route("/users/alice@example.com/notes") == "/users/{redacted}/notes"
        assert safe_route("/orders/123456/items") == "/orders/{redacted}/items"
        assert safe_route(UNMATCHED) == UNMATCHED


class TestIdentityResolver:
    def test_default_resolves_keys_and_sessions(self, served):
        """Without resolve, X-API-Key and X-Session-Token are resolved by tenantry's identity
        store (the environment's); an unknown key is an anonymous request."""
        from tenantry.identity import IdentityStore

        with IdentityStore.open(load_settings()) as identity:
            dev = identity.create_developer("developer@company.com", country="US")
            _, raw = identity.create_api_key(dev.id)
            session = identity.create_session(dev.id)
        service, memory = _service()
        app = fastapi_app()
        app.add_middleware(TelemetryMiddleware, telemetry=service)
        client = served(app)
        client.get("/v1/memories/m1", headers={"X-API-Key": raw})
        client.get("/v1/memories/m1", headers={"X-API-Key": raw})  # warm: from the cache
        client.get("/v1/memories/m1", headers={"X-Session-Token": session.token})
        client.get("/v1/memories/m1", headers={"X-API-Key": "tnt_not_a_key"})
        events = _requests(service, memory)
        assert [(e.developer_id, e.end_user_id) for e in events] == [
            (dev.id, None),
            (dev.id, None),
            (dev.id, dev.id),
            (None, None),
        ]
        assert "drops" not in service.get_status() or not service.get_status()["drops"]
        service.shutdown(5.0)

    def test_given_store(self, tmp_path):
        """``identity_resolver(get_store)`` uses that store."""
        from tenantry.asgi import RequestView
        from tenantry.identity import IdentityStore

        store = IdentityStore(f"sqlite:///{tmp_path / 'id.db'}")
        dev = store.create_developer("founder@startup.io")
        _, raw = store.create_api_key(dev.id)
        resolve = identity_resolver(lambda: store)
        scope = {"type": "http", "headers": [(b"x-api-key", raw.encode())]}
        assert asyncio.run(resolve(RequestView(scope))) == (dev.id, None)
        assert asyncio.run(resolve(RequestView({"type": "http", "headers": []}))) is None
        store.close()


def _python(code: str, env: dict | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )


class TestCore:
    def test_import_loads_no_extra(self):
        """``import tenantry.asgi`` loads none of the extras' libraries beyond what
        ``import tenantry`` itself loads (the core's own budget, checked elsewhere)."""
        proc = _python(
            """
            import sys
            import tenantry
            before = set(sys.modules)
            import tenantry.asgi
            heavy = ("fastapi", "starlette", "sqlalchemy", "duckdb", "pyarrow", "pydantic",
                     "clickhouse_driver", "redis", "typer", "rich", "httpx", "anyio")
            print(sorted(m for m in set(sys.modules) - before if m.split(".")[0] in heavy))
            """
        )
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout.strip() == "[]"

    def test_bare_asgi_app_without_starlette(self, tmp_path):
        """With Starlette and FastAPI not importable, a bare ASGI app on uvicorn is tracked:
        resolve gets the minimal request view (case-insensitive headers, method, path)."""
        proc = _python(
            """
            import sys
            sys.modules["starlette"] = None
            sys.modules["fastapi"] = None
            import urllib.request
            from tenantry import TelemetryService
            from tenantry.asgi import TelemetryMiddleware
            from tenantry.testing import InMemoryDestination
            import uvicorn, threading, socket, time

            async def app(scope, receive, send):
                if scope["type"] == "lifespan":
                    while True:
                        m = await receive()
                        if m["type"] == "lifespan.startup":
                            await send({"type": "lifespan.startup.complete"})
                        else:
                            await send({"type": "lifespan.shutdown.complete"})
                            return
                await send({"type": "http.response.start", "status": 201, "headers": []})
                await send({"type": "http.response.body", "body": b"made"})

            seen = []
            def resolve(request):
                seen.append((type(request).__name__, request.method, request.path))
                return (request.headers.get("X-PLATFORM-TOKEN"), None)

            memory = InMemoryDestination()
            service = TelemetryService(edition="cloud", destinations=[memory], enabled=True,
                                       do_not_track=False)
            s = socket.socket(); s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]; s.close()
            server = uvicorn.Server(uvicorn.Config(
                TelemetryMiddleware(app, resolve=resolve, telemetry=service),
                host="127.0.0.1", port=port, log_level="warning"))
            server.install_signal_handlers = lambda: None
            t = threading.Thread(target=server.run, daemon=True); t.start()
            while not server.started:
                time.sleep(0.01)
            req = urllib.request.Request(f"http://127.0.0.1:{port}/things/9",
                                         headers={"x-platform-token": "dev_raw"})
            body = urllib.request.urlopen(req).read()
            service.flush(5.0)
            server.should_exit = True; t.join(5)
            [e] = memory.events
            print(body, seen, e.developer_id, e.properties["route"], e.properties["status"],
                  "starlette" in sys.modules and sys.modules["starlette"] is not None)
            """
        )
        assert proc.returncode == 0, proc.stderr[-2000:]
        assert proc.stdout.strip() == (
            "b'made' [('RequestView', 'GET', '/things/9')] dev_raw (unmatched) 201 False"
        )
