"""``tenantry.celery.instrument`` with a real Celery worker (prefork, one child) on Redis as
broker: each task run is one ``task_run`` event under the developer and end user of the request
that enqueued it (WSGI with a sync resolve, ASGI with an async one), carried on by tasks that
enqueue tasks; failures, retries, tasks enqueued outside a request; eager runs in opensource."""

from __future__ import annotations

import importlib
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from tenantry.wsgi import TelemetryMiddleware
from tests.fakes.vendors import FakePostHog
from tests.integrations.helpers import TOKENS, platform_resolve, recorded, service, wsgi_server

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def tasks(redis_base, tmp_path_factory):
    """The test app's tasks module (configured for a broker prefix of this module's own) and
    the file its worker's events land in; the worker runs until the module's tests are done."""
    import redis

    root = tmp_path_factory.mktemp("celery")
    prefix = "t" + uuid.uuid4().hex[:12]
    broker = redis_base.split("?")[0]
    os.environ["TENANTRY_TEST_BROKER"] = broker
    os.environ["TENANTRY_TEST_PREFIX"] = prefix
    module = importlib.import_module("tests.integrations.celery_app")
    module = importlib.reload(module)  # this module's broker and prefix, whoever imported it
    events = root / "events.jsonl"
    posthog = FakePostHog()  # batches up to 1 s: what a worker's exit must not lose
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        "TELEMETRY_EDITION": "cloud",
        "TELEMETRY_PROVIDER": "jsonl,posthog",
        "POSTHOG_API_KEY": "phc_key",
        "POSTHOG_HOST": posthog.base_url,
        "TELEMETRY_JSONL_PATH": str(events),
        "TENANTRY_DATA_DIR": str(root / "data"),
        "TELEMETRY_ENABLED": "true",
    }
    env.pop("DO_NOT_TRACK", None)
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "tests.integrations.celery_app",
            "worker",
            "--pool=prefork",
            "--concurrency=1",
            "--without-mingle",
            "--without-gossip",
            "--without-heartbeat",
            "-Q",
            module.QUEUE,
            "--loglevel=WARNING",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=open(root / "worker.log", "wb"),  # noqa: SIM115 - closed with the process
    )
    try:
        yield module, events, worker, posthog
    finally:
        posthog.close()
        worker.send_signal(signal.SIGTERM)  # warm shutdown
        try:
            worker.wait(20)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait(5)
        client = redis.Redis.from_url(broker)
        keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
        if keys:
            client.delete(*keys)
        client.close()
        for name in ("TENANTRY_TEST_BROKER", "TENANTRY_TEST_PREFIX"):
            os.environ.pop(name, None)


def task_runs(path: Path, n: int, timeout: float = 30.0) -> list[dict]:
    """The worker's first ``n`` task_run events (waiting for its batches to land)."""
    deadline = time.monotonic() + timeout
    while True:
        lines = path.read_text().splitlines() if path.exists() else []
        runs = [e for e in map(json.loads, lines) if e["event"] == "task_run"]
        if len(runs) >= n or time.monotonic() > deadline:
            return runs
        time.sleep(0.05)


def enqueuing_app(task_calls):
    """A WSGI app whose one route enqueues ``task_calls()`` while serving the request."""

    def app(environ, start_response):
        task_calls()
        start_response("202 Accepted", [("Content-Type", "text/plain")])
        return [b"queued"]

    return app


class TestWorker:
    def test_runs_carry_the_enqueuing_requests_identity(self, tasks):
        """Tasks enqueued while serving a request (WSGI, sync resolve) run under its developer
        and end user: a success, a failure, a retry then a success (retries 1), and a task
        enqueued by a task; each event has the task name, state and duration."""
        module, events, _, _ = tasks
        svc, memory = service()

        def enqueue():
            module.add.delay(2, 3)
            module.fail.delay()
            module.flaky.delay()
            module.fan_out.delay()

        app = TelemetryMiddleware(enqueuing_app(enqueue), resolve=platform_resolve, telemetry=svc)
        with wsgi_server(app) as client:
            assert client.get("/enqueue", x_platform_token="tok-a").status == 202
        runs = task_runs(events, 6)
        assert len(runs) == 6, runs
        seen = sorted(
            (e["properties"]["task"], e["properties"]["state"], e["properties"]["retries"])
            for e in runs
        )
        assert seen == [
            ("tests.add", "SUCCESS", 0),
            ("tests.add", "SUCCESS", 0),  # enqueued by tests.fan_out
            ("tests.fail", "FAILURE", 0),
            ("tests.fan_out", "SUCCESS", 0),
            ("tests.flaky", "RETRY", 0),
            ("tests.flaky", "SUCCESS", 1),
        ]
        for e in runs:
            assert e["distinct_id"] == "dev_a"
            assert e["properties"]["developer_id"] == "dev_a"
            assert e["properties"]["end_user_id"] == "usr_alice"
            assert 0 <= e["properties"]["duration_ms"] < 30_000
        [request] = recorded(svc, memory, 1)  # the request itself, resolved once
        assert request.developer_id == "dev_a"
        svc.shutdown(5.0)

    def test_async_resolve_and_no_request(self, tasks):
        """A task enqueued by an ASGI app with an async resolve carries that developer (the
        middleware awaits resolve before the handler once Celery is instrumented); one enqueued
        outside any request runs anonymous."""
        from tenantry.asgi import TelemetryMiddleware as AsgiMiddleware
        from tests.integrations.helpers import asgi_server

        module, events, _, _ = tasks
        before = len(task_runs(events, 0, timeout=0))
        svc, _ = service()

        async def resolve(request):
            return TOKENS.get(request.headers.get("x-platform-token"))

        async def app(scope, receive, send):
            module.add.delay(1, 2)
            await send({"type": "http.response.start", "status": 202, "headers": []})
            await send({"type": "http.response.body", "body": b"queued"})

        with asgi_server(AsgiMiddleware(app, resolve=resolve, telemetry=svc)) as client:
            assert client.get("/enqueue", x_platform_token="tok-b").status == 202
        module.add.delay(3, 4)
        runs = task_runs(events, before + 2)[before:]
        assert len(runs) == 2
        by_developer = {e["properties"].get("developer_id"): e for e in runs}
        assert set(by_developer) == {"dev_b", None}
        assert "end_user_id" not in by_developer["dev_b"]["properties"]
        assert by_developer[None]["distinct_id"] not in ("dev_a", "dev_b")
        svc.shutdown(5.0)


def test_eager_runs_in_opensource():
    """An eager run (task_always_eager) inside a request is recorded under that request,
    shaped for opensource: the task name, state, a duration bucket and retries under a
    pseudonym, no raw ID."""
    from celery import Celery

    from tenantry.celery import instrument

    svc, memory = service("opensource", secret="k" * 32)
    app = Celery("tenantry_eager", broker="memory://")
    app.conf.task_always_eager = True
    instrument(app, telemetry=svc)

    @app.task(name="billing.tasks.send_invoice")
    def send_invoice() -> str:
        return "sent"

    web_app = TelemetryMiddleware(
        enqueuing_app(lambda: send_invoice.delay()), resolve=platform_resolve, telemetry=svc
    )
    with wsgi_server(web_app) as client:
        assert client.get("/enqueue", x_platform_token="tok-a").status == 202
    [run] = recorded(svc, memory, 1, event="task_run")
    p = run.properties
    assert (p["task"], p["state"], p["retries"]) == ("billing.tasks.send_invoice", "SUCCESS", 0)
    assert "duration_bucket" in p and "duration_ms" not in p
    [request] = recorded(svc, memory, 1)
    assert run.distinct_id == request.distinct_id  # the same pseudonym: the same person
    assert "dev_a" not in str(run.to_dict()) and "usr_alice" not in str(run.to_dict())
    svc.shutdown(5.0)


def test_a_warm_shutdown_loses_no_event(tasks, tmp_path):
    """The event of a task that finished just before the worker was told to stop has reached
    a destination that batches for up to a second (PostHog) once the worker exited."""
    module, _, worker, posthog = tasks
    marker = tmp_path / "ran"
    module.touch.delay(str(marker))
    deadline = time.monotonic() + 30
    while not marker.exists():
        assert time.monotonic() < deadline, "the worker never ran the task"
        time.sleep(0.005)
    worker.send_signal(signal.SIGTERM)
    assert worker.wait(20) == 0
    touched = [
        e
        for e in posthog.events
        if e["event"] == "task_run" and e["properties"]["task"] == "tests.touch"
    ]
    assert [e["properties"]["state"] for e in touched] == ["SUCCESS"]
