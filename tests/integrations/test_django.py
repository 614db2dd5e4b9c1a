"""``tenantry.django.TelemetryMiddleware`` in a real Django project, served under WSGI (wsgiref)
and ASGI (uvicorn) on 127.0.0.1: URL pattern templates (path, re_path, include), sync and async
views, unknown routes, exceptions, streaming, both editions, the settings; and
``tenantry.asgi.TelemetryMiddleware`` around Django's ASGI handler."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from tests.integrations import django_app
from tests.integrations.helpers import (
    asgi_server,
    platform_resolve,
    recorded,
    service,
    settled,
    wsgi_server,
)

django_app.setup()

from django.conf import settings  # noqa: E402 - after the settings are configured
from django.core.asgi import get_asgi_application  # noqa: E402
from django.core.exceptions import ImproperlyConfigured  # noqa: E402
from django.core.wsgi import get_wsgi_application  # noqa: E402
from django.test import override_settings  # noqa: E402

from tenantry import set_telemetry  # noqa: E402
from tenantry.asgi import TelemetryMiddleware as AsgiMiddleware  # noqa: E402
from tenantry.django import TelemetryMiddleware  # noqa: E402

STREAM = {"wsgi": "/v1/stream", "asgi": "/v1/astream"}


@contextmanager
def served(kind: str, **overrides) -> Iterator:
    """The project under ``kind`` (``wsgi`` or ``asgi``), its middleware loaded from the
    settings as they are with ``overrides``."""
    with override_settings(**overrides):
        if kind == "wsgi":
            with wsgi_server(get_wsgi_application()) as client:
                yield client
        else:
            with asgi_server(get_asgi_application()) as client:
                yield client


@pytest.fixture
def telemetry():
    """A cloud service in memory as the process-wide one (the middleware's default)."""
    svc, memory = service()
    previous = set_telemetry(svc)
    yield svc, memory
    set_telemetry(previous)
    svc.shutdown(5.0)


@pytest.mark.parametrize("kind", ["wsgi", "asgi"])
class TestDjangoMiddleware:
    def test_url_pattern_templates_developers_and_statuses(self, kind, telemetry):
        """Each request is one api_request of its developer (and end user), with the matched
        pattern's template (path, re_path, include; never the path's values), status and
        sizes; sync and async views alike; no pattern matched is (unmatched)."""
        svc, memory = telemetry
        body = b'{"content": "Meeting notes"}'
        with served(kind) as client:
            r = client.get("/v1/memories/mem_8f3a2b", x_platform_token="tok-a")
            assert client.post("/v1/memories", body, x_platform_token="tok-b").status == 201
            assert client.get("/v1/memories/missing", x_platform_token="tok-b").status == 404
            assert client.get("/v1/legacy/2024/").status == 200
            assert client.get("/api/items/7", x_platform_token="tok-a").status == 200
            assert client.get("/v1/async/5", x_platform_token="tok-a").status == 200
            assert client.get("/users/alice@example.com").status == 404
        events = recorded(svc, memory, 7)
        assert [(e.properties["route"], e.properties["status"]) for e in events] == [
            ("/v1/memories/{memory_id}", 200),
            ("/v1/memories", 201),
            ("/v1/memories/{memory_id}", 404),
            ("/v1/legacy/{year}/", 200),
            ("/api/items/{item_id}", 200),
            ("/v1/async/{n}", 200),
            ("(unmatched)", 404),
        ]
        first, second = events[0], events[1]
        assert (first.developer_id, first.end_user_id) == ("dev_a", "usr_alice")
        assert first.properties["response_bytes"] == len(r.body)
        assert first.properties["method"] == "GET" and 0 < first.properties["duration_ms"] < 1e4
        assert (second.developer_id, second.end_user_id) == ("dev_b", None)
        assert second.properties["request_bytes"] == len(body)
        assert events[3].developer_id is None and events[5].developer_id == "dev_a"
        text = str([e.to_dict() for e in events])
        assert "mem_8f3a2b" not in text and "alice@example.com" not in text and "2024" not in text

    def test_exception_is_a_500_on_its_route(self, kind, telemetry):
        """A view that raises is answered 500 by Django and recorded as a 500 on its route."""
        svc, memory = telemetry
        with served(kind) as client:
            assert client.get("/v1/boom", x_platform_token="tok-a").status == 500
        [event] = recorded(svc, memory, 1)
        assert (event.properties["route"], event.properties["status"]) == ("/v1/boom", 500)
        assert event.developer_id == "dev_a"

    def test_streaming_is_timed_to_its_last_chunk(self, kind, telemetry):
        """A streaming response counts every chunk and is timed until the last one."""
        svc, memory = telemetry
        with served(kind) as client:
            r = client.get(STREAM[kind], x_platform_token="tok-b")
        assert r.body == b"chunk-0;chunk-1;chunk-2;chunk-3;"
        [event] = recorded(svc, memory, 1)
        assert event.properties["route"] == STREAM[kind]
        assert event.properties["response_bytes"] == len(r.body)
        assert event.properties["duration_ms"] >= 190  # four chunks 50 ms apart
        assert event.developer_id == "dev_b"

    def test_failing_resolve_is_counted_and_telemetry_setting(self, kind):
        """TENANTRY_TELEMETRY names the service; a TENANTRY_RESOLVE that raises drops the
        event, counted resolve_failed, and the response is unaffected."""
        svc, memory = service()
        with served(
            kind,
            TENANTRY_TELEMETRY=lambda: svc,
            TENANTRY_RESOLVE="tests.integrations.test_django.raising_resolve",
        ) as client:
            assert client.get("/v1/memories/m1").status == 200
        assert settled(svc, memory) == []
        assert svc.get_status()["drops"]["resolve_failed"] == 1
        svc.shutdown(5.0)


def raising_resolve(request):
    raise LookupError("the platform's auth failed")


def test_opensource_under_asgi(telemetry):
    """Opensource: template, method, status class and duration bucket, under a pseudonym."""
    svc, memory = service("opensource", secret="k" * 32)
    with served("asgi", TENANTRY_TELEMETRY=lambda: svc) as client:
        client.get("/v1/memories/mem_8f3a2b", x_platform_token="tok-a")
    [event] = recorded(svc, memory, 1)
    p = event.properties
    assert (p["route"], p["status_class"]) == ("/v1/memories/{memory_id}", "2xx")
    assert "duration_bucket" in p and "status" not in p and "duration_ms" not in p
    text = str(event.to_dict())
    assert "dev_a" not in text and "usr_alice" not in text and "mem_8f3a2b" not in text
    svc.shutdown(5.0)


def test_bad_settings_fail_at_start_up():
    """A TENANTRY_RESOLVE that does not import, or is not callable, is a start-up error
    naming the setting."""
    for value in ("myapp.telemetry.missing", 42):
        with (
            override_settings(TENANTRY_RESOLVE=value),
            pytest.raises(ImproperlyConfigured, match="TENANTRY_RESOLVE"),
        ):
            TelemetryMiddleware(lambda request: None)


def test_asgi_middleware_finds_django_routes():
    """tenantry.asgi.TelemetryMiddleware around Django's ASGI handler records the Django
    pattern's template, not (unmatched)."""
    svc, memory = service()
    with override_settings(MIDDLEWARE=[]):
        app = AsgiMiddleware(get_asgi_application(), resolve=platform_resolve, telemetry=svc)
    assert settings.MIDDLEWARE == django_app.DEFAULT_MIDDLEWARE
    with asgi_server(app) as client:
        assert client.get("/v1/memories/m1", x_platform_token="tok-a").status == 200
        assert client.get("/api/items/3").status == 200
        assert client.get("/nope").status == 404
    events = recorded(svc, memory, 3)
    assert [e.properties["route"] for e in events] == [
        "/v1/memories/{memory_id}",
        "/api/items/{item_id}",
        "(unmatched)",
    ]
    assert events[0].developer_id == "dev_a"
    svc.shutdown(5.0)
