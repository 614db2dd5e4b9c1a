"""The processors that turn an integration's facts into properties: ``RequestProperties``
(``kind="request"``) and ``TaskProperties`` (``kind="task"``), in both editions and relayed."""

from __future__ import annotations

from tenantry.policy import shape
from tenantry.policy.processors import safe_task
from tests.policy.conftest import make_draft

REQUEST = ("/v1/memories/{memory_id}", "GET", 404, 12.3456, 10, 321)
TASK = ("billing.tasks.send_invoice", "RETRY", 1234.5678, 2)


class TestRequestProperties:
    def test_cloud_keeps_exact_facts(self, cloud):
        """Cloud: route, method, status, duration (3 decimals) and both sizes, as handed over."""
        event = shape(cloud, make_draft(kind="request", event="api_request", duration_ms=REQUEST))
        assert {k: event.properties[k] for k in ("route", "method", "status")} == {
            "route": "/v1/memories/{memory_id}",
            "method": "GET",
            "status": 404,
        }
        assert event.properties["duration_ms"] == 12.346
        assert (event.properties["request_bytes"], event.properties["response_bytes"]) == (10, 321)

    def test_opensource_keeps_classes(self, oss):
        """Opensource: template, method, status class and duration bucket; no exact numbers."""
        event = shape(oss, make_draft(kind="request", event="api_request", duration_ms=REQUEST))
        p = event.properties
        assert (p["route"], p["method"], p["status_class"]) == (REQUEST[0], "GET", "4xx")
        assert "duration_bucket" in p
        assert not {"status", "duration_ms", "request_bytes", "response_bytes"} & set(p)


class TestTaskProperties:
    def test_cloud_keeps_exact_facts(self, cloud):
        """Cloud: task name, state, duration (3 decimals) and retries, as handed over."""
        event = shape(cloud, make_draft(kind="task", event="task_run", duration_ms=TASK))
        p = event.properties
        assert (p["task"], p["state"], p["duration_ms"], p["retries"]) == (
            "billing.tasks.send_invoice",
            "RETRY",
            1234.568,
            2,
        )
        assert event.developer_id == "dev_abc123"

    def test_opensource_buckets_and_checks_the_name(self, oss):
        """Opensource: the name (a dotted code name), state, a duration bucket, retries; an
        unknown state is OTHER."""
        facts = ("billing.tasks.send_invoice", "WEIRD", 5.0, 0)
        event = shape(oss, make_draft(kind="task", event="task_run", duration_ms=facts))
        p = event.properties
        assert (p["task"], p["state"], p["retries"]) == ("billing.tasks.send_invoice", "OTHER", 0)
        assert "duration_bucket" in p and "duration_ms" not in p
        assert "dev_abc123" not in str(event.to_dict())

    def test_a_name_that_identifies_someone_is_redacted(self):
        """A dotted part that is an email, an ID or not an identifier becomes {redacted}."""
        assert safe_task("billing.tasks.send_invoice") == "billing.tasks.send_invoice"
        assert safe_task("mail.alice@example.com") == "mail.{redacted}.com"
        assert safe_task("jobs.run-42") == "jobs.{redacted}"

    def test_relayed_task_run_keeps_its_name(self, relayed):
        """A task_run relayed from another installation keeps its task name (held from the
        personal-data filter, then checked like a local one)."""
        props = {"task": "billing.tasks.send_invoice", "state": "SUCCESS", "retries": 0}
        event = shape(relayed, make_draft(event="task_run", properties=props, user_id=None))
        assert event.properties["task"] == "billing.tasks.send_invoice"
        assert event.properties["state"] == "SUCCESS"
