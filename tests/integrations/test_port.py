"""The integrations' port on ``TelemetryService`` (``record_request``, ``record_task``,
``count_drop``, ``enabled``, ``request_done``) works on a real service, and the integrations use
nothing else: no ``_``-prefixed name of another module (which import-linter cannot express; its
``integrations-port`` contract keeps them out of the pipeline, policy and destinations)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tenantry.facts import RequestFacts, TaskFacts
from tenantry.web import template
from tests.integrations.helpers import recorded, service

SRC = Path(__file__).resolve().parents[2] / "src" / "tenantry"
INTEGRATIONS = ["web.py", "asgi.py", "wsgi.py", "django.py", "flask.py", "celery.py"]


def private_uses(path: Path) -> list[str]:
    """``line: what`` for each import of a ``_``-prefixed tenantry module or name, and each
    ``_``-prefixed attribute read on anything but ``self``/``cls``."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("tenantry"):
            parts = node.module.split(".")
            names = [a.name for a in node.names]
            if any(p.startswith("_") for p in parts) or any(n.startswith("_") for n in names):
                found.append(f"{node.lineno}: from {node.module} import {', '.join(names)}")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("tenantry") and any(
                    p.startswith("_") for p in alias.name.split(".")
                ):
                    found.append(f"{node.lineno}: import {alias.name}")
        elif (
            isinstance(node, ast.Attribute)
            and node.attr.startswith("_")
            and not node.attr.startswith("__")
            and not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"))
        ):
            found.append(f"{node.lineno}: {ast.unparse(node)}")
    return found


@pytest.mark.parametrize("module", INTEGRATIONS)
def test_integrations_touch_no_private_name(module):
    """No integration module imports a private tenantry name or reads a private attribute of
    another object (the service's ``_record``, ``_counters``, ``_active`` included)."""
    assert private_uses(SRC / module) == []


def test_the_check_finds_private_uses(tmp_path):
    """The check reports what the ASGI middleware used to do before the port existed."""
    before = tmp_path / "before.py"
    before.write_text(
        "from tenantry._status import shared_status\n"
        "def finish(telemetry, facts):\n"
        "    if telemetry._active:\n"
        "        telemetry._record('request', 'api_request', None, None, None, None, None, facts)\n"
        "    telemetry._counters.drop('resolve_failed')\n"
        "    self._ok = 1\n"
    )
    assert [use.split(":")[0] for use in private_uses(before)] == ["1", "3", "4", "5"]


def test_record_request_and_record_task_through_the_port():
    """A RequestFacts and a TaskFacts become an api_request and a task_run of that developer
    and end user; a value that is not facts is counted, never raised; count_drop shows in
    get_status; request_done is callable in every mode."""
    svc, memory = service()
    assert svc.enabled
    facts = RequestFacts("/v1/memories/{memory_id}", "POST", 201, 8.25, 30, 12)
    svc.record_request(facts, developer_id="dev_a", end_user_id="usr_alice")
    svc.record_task(
        TaskFacts("billing.tasks.send_invoice", "SUCCESS", 40.0, 1), developer_id="dev_a"
    )
    svc.record_request("not facts", developer_id="dev_a")  # type: ignore[arg-type]
    svc.count_drop("resolve_failed", 2)
    svc.request_done()
    [request] = recorded(svc, memory, 1)
    [task] = recorded(svc, memory, 1, event="task_run")
    assert (request.developer_id, request.end_user_id) == ("dev_a", "usr_alice")
    assert {k: request.properties[k] for k in ("route", "method", "status", "request_bytes")} == {
        "route": "/v1/memories/{memory_id}",
        "method": "POST",
        "status": 201,
        "request_bytes": 30,
    }
    assert (task.properties["task"], task.properties["retries"]) == (
        "billing.tasks.send_invoice",
        1,
    )
    drops = svc.get_status()["drops"]
    assert drops["resolve_failed"] == 2 and drops["invalid_facts"] == 1
    svc.shutdown(5.0)
    off, _ = service(enabled=False)
    assert not off.enabled


def test_route_templates_of_the_frameworks():
    """Werkzeug and Django rules (path, re_path) become ``{name}`` templates with a leading
    slash."""
    assert template("/items/<int:item_id>") == "/items/{item_id}"
    assert template("/files/<path:rest>/<name>") == "/files/{rest}/{name}"
    assert template("api/items/<int:item_id>/") == "/api/items/{item_id}/"
    assert template(r"^v1/legacy/(?P<year>[0-9]{4})/$") == "/v1/legacy/{year}/"
    assert template(r"^v1/pages/([0-9]+)\.html$") == "/v1/pages/{param}.html"
    assert template("") == "/"
