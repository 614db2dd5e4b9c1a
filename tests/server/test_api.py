"""The reference API over real HTTP: the three auth paths and every credential failure."""

from __future__ import annotations

import time

import pytest

from tests.server.conftest import ADMIN_TOKEN, PASSWORD


def _memory_events(running, developer_id):
    running.flush()
    return [
        e
        for e in running.captured.events
        if e.event == "memory_created" and e.developer_id == developer_id
    ]


class TestAuthPaths:
    def test_api_key_with_external_user(self, running):
        """API key + external_user_id: 201, the end user is resolved to a usr_ ID and the cloud
        event is tracked by developer with end_user_id, email and country (seed Example 1)."""
        a = running.devs["A"]
        r = running.client.post(
            "/v1/memories",
            headers={"X-API-Key": a.key},
            json={"content": "Meeting notes", "metadata": {"external_user_id": "alice"}},
        )
        assert r.status_code == 201, r.text
        body = r.json()
        assert body["developer_id"] == a.id and body["end_user_id"].startswith("usr_")
        assert body["id"].startswith("mem_")
        event = next(
            e for e in _memory_events(running, a.id) if e.end_user_id == body["end_user_id"]
        )
        assert event.distinct_id == a.id
        assert event.properties == {
            "type": "text",
            "has_metadata": True,
            "end_user_id": body["end_user_id"],
            "developer_id": a.id,
            "email": "developer@company.com",
            "country": "US",
        }
        again = running.client.post(
            "/v1/memories",
            headers={"X-API-Key": a.key},
            json={"content": "More notes", "metadata": {"external_user_id": "alice"}},
        )
        assert again.json()["end_user_id"] == body["end_user_id"]

    def test_api_key_alone(self, running):
        """API key without external_user_id: the developer is known, the end user is not."""
        b = running.devs["B"]
        r = running.client.post("/v1/memories", headers={"X-API-Key": b.key}, json={"content": "x"})
        assert r.status_code == 201, r.text
        assert r.json()["end_user_id"] is None
        events = _memory_events(running, b.id)
        assert any(e.end_user_id is None and e.properties["has_metadata"] is False for e in events)
        assert all("end_user_id" not in e.properties for e in events if e.end_user_id is None)

    def test_session_token(self, running):
        """Login with email + password gives a session token; its requests have
        developer_id == end_user_id, as the seed guide's session path says."""
        a = running.devs["A"]
        login = running.client.post(
            "/v1/auth/sessions", json={"email": a.email, "password": PASSWORD}
        )
        assert login.status_code == 201, login.text
        token = login.json()["token"]
        r = running.client.post(
            "/v1/memories", headers={"X-Session-Token": token}, json={"content": "own note"}
        )
        assert r.status_code == 201, r.text
        assert r.json()["end_user_id"] == a.id
        assert any(e.end_user_id == a.id for e in _memory_events(running, a.id))

    def test_search_is_scoped_and_tracked(self, running):
        """Search finds only the caller's memories and tracks search_performed."""
        a, b = running.devs["A"], running.devs["B"]
        running.client.post(
            "/v1/memories", headers={"X-API-Key": a.key}, json={"content": "zebra secret plan"}
        )
        found = running.client.post(
            "/v1/memories/search", headers={"X-API-Key": a.key}, json={"query": "zebra"}
        )
        other = running.client.post(
            "/v1/memories/search", headers={"X-API-Key": b.key}, json={"query": "zebra"}
        )
        assert len(found.json()["results"]) >= 1 and other.json()["results"] == []
        running.flush()
        assert any(e.event == "search_performed" for e in running.captured.events)


class TestCredentialFailures:
    def _assert_401(self, response, secret=None):
        assert response.status_code == 401, response.text
        body = response.json()
        assert set(body) >= {"error", "code"}
        if secret:
            assert secret not in response.text

    def test_wrong_key(self, running):
        """An unknown API key is a 401 JSON error that does not echo the key."""
        bad = "tnt_this_is_not_a_key_123"
        r = running.client.post("/v1/memories", headers={"X-API-Key": bad}, json={"content": "x"})
        self._assert_401(r, bad)
        assert r.json()["code"] == "unknown_api_key"

    def test_no_credentials(self, running):
        """No credentials at all is a 401 JSON error."""
        self._assert_401(running.client.post("/v1/memories", json={"content": "x"}))

    def test_revoked_key(self, running):
        """A revoked key stops working at once: 401."""
        a = running.devs["A"]
        key, raw = running.identity.create_api_key(a.id)
        ok = running.client.post("/v1/memories", headers={"X-API-Key": raw}, json={"content": "x"})
        assert ok.status_code == 201
        running.identity.revoke_api_key(key.id)
        r = running.client.post("/v1/memories", headers={"X-API-Key": raw}, json={"content": "x"})
        self._assert_401(r, raw)

    def test_expired_session(self, running):
        """An expired session token is a 401."""
        session = running.identity.create_session(running.devs["A"].id, ttl=0.05)
        time.sleep(0.1)
        r = running.client.post(
            "/v1/memories", headers={"X-Session-Token": session.token}, json={"content": "x"}
        )
        self._assert_401(r, session.token)

    @pytest.mark.parametrize("password", ["wrong password", ""])
    def test_wrong_login(self, running, password):
        """A wrong password is 401 (or 422 when empty), never a session; the password is not echoed."""
        r = running.client.post(
            "/v1/auth/sessions", json={"email": running.devs["A"].email, "password": password}
        )
        assert r.status_code in (401, 422)
        assert "token" not in r.json()
        if password:
            assert password not in r.text

    def test_invalid_body(self, running):
        """A body that does not match the schema is 422 with a JSON error body."""
        r = running.client.post(
            "/v1/memories", headers={"X-API-Key": running.devs["A"].key}, json={"content": 5}
        )
        assert r.status_code == 422 and r.json()["code"] == "invalid_request"

    @pytest.mark.parametrize("path", ["/v1/memories", "/v1/memories/search"])
    def test_metadata_that_json_cannot_store_is_422(self, running, path):
        """Metadata with an integer beyond 64 bits (schemathesis found it: a 500 from the write)
        is a 422 with a JSON error body, on both routes that take metadata."""
        body = {"content": "x", "query": "x", "metadata": {"n": -539159202585737395437568}}
        r = running.client.post(path, headers={"X-API-Key": running.devs["A"].key}, json=body)
        assert r.status_code == 422 and r.json()["code"] == "invalid_request"
        assert "-539159202585737395437568" not in r.text


def test_health_and_status(running):
    """/healthz answers ok and /v1/telemetry/status reports the server's own telemetry to the
    admin."""
    assert running.client.get("/healthz").json() == {"status": "ok"}
    status = running.client.get(
        "/v1/telemetry/status", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}
    ).json()
    assert status["edition"] == "cloud" and status["enabled"] is True
    assert "relay" in status
