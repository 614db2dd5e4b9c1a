"""``tenantry.flask.Telemetry`` on a real Flask app served by wsgiref on 127.0.0.1: rule
templates (blueprints included), developers and end users resolved inside the request's context,
unknown routes and wrong methods, exceptions, streaming, ``init_app`` with the process-wide
service."""

from __future__ import annotations

import json
import time

import flask

from tenantry import set_telemetry
from tenantry.flask import Telemetry
from tests.integrations.helpers import TOKENS, recorded, service, settled, wsgi_server


def flask_app() -> flask.Flask:
    app = flask.Flask("tenantry_tests")
    api = flask.Blueprint("api", "tenantry_tests_api", url_prefix="/api")

    @app.before_request
    def authenticate():  # the host's own auth, before the view: resolve reads flask.g
        flask.g.who = TOKENS.get(flask.request.headers.get("x-platform-token"))

    @app.get("/v1/memories/<memory_id>")
    def read(memory_id):
        if memory_id == "missing":
            flask.abort(404)
        return {"id": memory_id, "content": "notes"}

    @app.post("/v1/memories")
    def create():
        return {"stored": len(flask.request.get_data())}, 201

    @app.get("/v1/boom")
    def boom():
        raise RuntimeError("the view failed")

    @app.get("/v1/stream")
    def stream():
        @flask.stream_with_context
        def chunks():
            for i in range(4):
                time.sleep(0.05)
                yield f"chunk-{i};"

        return flask.Response(chunks(), mimetype="text/plain")

    @api.get("/items/<int:item_id>")
    def item(item_id):
        return {"item": item_id}

    app.register_blueprint(api)
    return app


def resolve_from_g(request):
    """Reads what the host's before_request stored: works only inside the request's context."""
    return flask.g.who


class TestFlask:
    def test_rule_templates_developers_and_statuses(self):
        """Each request is one api_request of its developer (and end user, resolved from
        flask.g), with the rule's template (blueprint prefix included; never the values),
        status and sizes; 404s and 405s are (unmatched)."""
        svc, memory = service()
        app = flask_app()
        Telemetry(app, resolve=resolve_from_g, telemetry=svc)
        body = b'{"content": "Meeting notes"}'
        with wsgi_server(app) as client:
            r = client.get("/v1/memories/mem_8f3a2b", x_platform_token="tok-a")
            r2 = client.post("/v1/memories", body, x_platform_token="tok-b")
            assert client.get("/v1/memories/missing", x_platform_token="tok-b").status == 404
            assert client.get("/api/items/7", x_platform_token="tok-a").status == 200
            assert client.get("/users/alice@example.com").status == 404
            assert client.post("/v1/boom", b"").status == 405
        assert json.loads(r2.body) == {"stored": len(body)}
        events = recorded(svc, memory, 6)
        assert [(e.properties["route"], e.properties["status"]) for e in events] == [
            ("/v1/memories/{memory_id}", 200),
            ("/v1/memories", 201),
            ("/v1/memories/{memory_id}", 404),
            ("/api/items/{item_id}", 200),
            ("(unmatched)", 404),
            ("(unmatched)", 405),
        ]
        first, second = events[0], events[1]
        assert (first.developer_id, first.end_user_id) == ("dev_a", "usr_alice")
        assert first.properties["response_bytes"] == len(r.body)
        assert (second.developer_id, second.end_user_id) == ("dev_b", None)
        assert second.properties["request_bytes"] == len(body)
        assert events[3].developer_id == "dev_a" and events[4].developer_id is None
        text = str([e.to_dict() for e in events])
        assert "mem_8f3a2b" not in text and "alice@example.com" not in text
        svc.shutdown(5.0)

    def test_exception_and_streaming(self):
        """A view that raises is a 500 on its route; a streamed response (stream_with_context)
        counts every chunk and is timed until the last one."""
        svc, memory = service()
        app = flask_app()
        Telemetry(app, resolve=resolve_from_g, telemetry=svc)
        with wsgi_server(app) as client:
            assert client.get("/v1/boom", x_platform_token="tok-a").status == 500
            r = client.get("/v1/stream", x_platform_token="tok-b")
        assert r.body == b"chunk-0;chunk-1;chunk-2;chunk-3;"
        boom, stream = recorded(svc, memory, 2)
        assert (boom.properties["route"], boom.properties["status"]) == ("/v1/boom", 500)
        assert boom.developer_id == "dev_a"
        assert stream.properties["route"] == "/v1/stream"
        assert stream.properties["response_bytes"] == len(r.body)
        assert stream.properties["duration_ms"] >= 190  # four chunks 50 ms apart
        assert stream.developer_id == "dev_b"
        svc.shutdown(5.0)

    def test_init_app_with_the_process_wide_service(self):
        """``Telemetry()`` then ``init_app(app)`` records through get_telemetry(); a second
        init_app changes nothing (one event per request)."""
        svc, memory = service()
        extension = Telemetry(resolve=lambda request: TOKENS.get(request.headers.get("x-t")))
        app = flask_app()
        extension.init_app(app)
        extension.init_app(app)
        previous = set_telemetry(svc)
        try:
            with wsgi_server(app) as client:
                assert client.get("/api/items/1", x_t="tok-a").status == 200
        finally:
            set_telemetry(previous)
        assert [e.developer_id for e in settled(svc, memory)] == ["dev_a"]
        svc.shutdown(5.0)
