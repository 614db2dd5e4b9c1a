"""forget: local + ClickHouse deletion, suppression, and vendor deletion requests filed over real
HTTP to fake Amplitude (User Privacy API) and PostHog (persons bulk delete) servers."""

from __future__ import annotations

import base64
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tenantry.config import load_settings
from tenantry.errors import QueryError
from tenantry.pipeline.suppression import SuppressionList
from tenantry.store import open_store
from tenantry.store.deletion import forget
from tests.store.test_local_store import _events

AMP_KEY, AMP_SECRET, PH_KEY = "amp-key", "amp-secret", "phx_personal"


class _Vendor(BaseHTTPRequestHandler):
    """Answers as Amplitude's and PostHog's deletion APIs document, errors included."""

    def log_message(self, *args):
        pass

    def _reply(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        auth = self.headers.get("Authorization", "")
        self.server.calls.append((self.path, auth, body))
        if self.path == "/api/2/deletions/users":
            expected = "Basic " + base64.b64encode(f"{AMP_KEY}:{AMP_SECRET}".encode()).decode()
            if auth != expected:
                return self._reply(401, {"error": "Invalid API key or secret key"})
            users = [{"user_id": u, "requester": body.get("requester")} for u in body["user_ids"]]
            return self._reply(200, {"day": "2026-12-29", "status": "staging", "user_ids": users})
        if self.path == "/api/projects/@current/persons/bulk_delete/":
            if auth != f"Bearer {PH_KEY}":
                return self._reply(
                    401,
                    {
                        "type": "authentication_error",
                        "code": "authentication_failed",
                        "detail": "Personal API key found in request Authorization header is invalid.",
                    },
                )
            return self._reply(202, {})
        return self._reply(404, {"detail": "Not found."})


@pytest.fixture
def vendor():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Vendor)
    server.calls = []
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def _settings(vendor, tmp_path, **kw):
    base = f"http://127.0.0.1:{vendor.server_port}"
    return load_settings(
        data_dir=tmp_path,
        amplitude_api_key=AMP_KEY,
        amplitude_server_url=f"{base}/2/httpapi",
        posthog_api_key="phc_project",
        posthog_host=base,
        **kw,
    )


class TestForget:
    def test_forget_developer_everywhere(self, vendor, tmp_path, clickhouse_db, monkeypatch):
        """Deletes from local and ClickHouse, files both vendor requests, suppresses the ID."""
        monkeypatch.setenv("AMPLITUDE_SECRET_KEY", AMP_SECRET)
        monkeypatch.setenv("POSTHOG_PERSONAL_API_KEY", PH_KEY)
        settings = _settings(vendor, tmp_path, clickhouse_url=clickhouse_db)
        events = _events(6, 700)
        for backend in ("local", "clickhouse"):
            open_store(settings, backend).write(events)
        mine = sum(e.developer_id == "dev_4" for e in events)
        report = forget(settings, developer="dev_4")
        assert report["deleted"] == {"local": mine, "clickhouse": mine}
        assert report["requests"] == {"amplitude": "filed", "posthog": "filed"}
        paths = {path: body for path, _, body in vendor.calls}
        assert paths["/api/2/deletions/users"]["user_ids"] == ["dev_4"]
        assert paths["/api/projects/@current/persons/bulk_delete/"] == {
            "distinct_ids": ["dev_4"],
            "delete_events": True,
        }
        assert SuppressionList(tmp_path).contains("dev_4")
        assert open_store(settings, "local").count() == 700 - mine

    def test_vendor_errors_are_reported_not_raised(self, vendor, tmp_path, monkeypatch):
        """Wrong credentials come back as 'failed: http_401 ...' with the vendor's message."""
        monkeypatch.setenv("AMPLITUDE_SECRET_KEY", "wrong")
        monkeypatch.setenv("POSTHOG_PERSONAL_API_KEY", "wrong")
        report = forget(_settings(vendor, tmp_path), developer="dev_1")
        assert report["requests"]["amplitude"].startswith("failed: http_401")
        assert "Invalid API key" in report["requests"]["amplitude"]
        assert report["requests"]["posthog"].startswith("failed: http_401")

    def test_end_user_is_not_sent_to_amplitude(self, vendor, tmp_path, monkeypatch):
        """Amplitude keys cloud events by developer, so an end-user forget files only PostHog."""
        monkeypatch.setenv("AMPLITUDE_SECRET_KEY", AMP_SECRET)
        monkeypatch.setenv("POSTHOG_PERSONAL_API_KEY", PH_KEY)
        report = forget(_settings(vendor, tmp_path), end_user="usr_3")
        assert report["requests"]["amplitude"].startswith("skipped")
        assert [path for path, _, _ in vendor.calls] == [
            "/api/projects/@current/persons/bulk_delete/"
        ]

    def test_exactly_one_id(self, tmp_path):
        """forget needs exactly one of developer and end_user."""
        with pytest.raises(QueryError):
            forget(load_settings(data_dir=tmp_path))
        with pytest.raises(QueryError):
            forget(load_settings(data_dir=tmp_path), developer="a", end_user="b")

    def test_unreachable_vendors_are_values_within_the_timeout(self, tmp_path, monkeypatch):
        """Over the core HTTP client: a refused connection and a vendor that never answers come
        back as 'failed: ...' values naming the cause, and forget returns within its timeout."""
        import time

        from tests.fakes.vendors import FakePostHog, free_port

        monkeypatch.setenv("AMPLITUDE_SECRET_KEY", AMP_SECRET)
        monkeypatch.setenv("POSTHOG_PERSONAL_API_KEY", PH_KEY)
        with FakePostHog() as hanging:
            hanging.hang = True
            settings = load_settings(
                data_dir=tmp_path,
                amplitude_api_key=AMP_KEY,
                amplitude_server_url=f"http://127.0.0.1:{free_port()}/2/httpapi",
                posthog_api_key="phc_project",
                posthog_host=hanging.base_url,
            )
            t0 = time.monotonic()
            report = forget(settings, developer="dev_1", timeout=0.5)
            elapsed = time.monotonic() - t0
            hanging.release()
        assert report["requests"]["amplitude"] == "failed: HttpError ConnectionRefusedError"
        assert report["requests"]["posthog"].startswith("failed: HttpTimeout")
        assert elapsed < 3.0
