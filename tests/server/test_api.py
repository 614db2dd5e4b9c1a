"""The reference API over real HTTP: the three auth paths and every credential failure."""

from __future__ import annotations

import time

import pytest

from tests.server.conftest import ADMIN_TOKEN, PASSWORD


def _memory_events(service, developer_id):
    service.flush()
    return [
        e
        for e in service.captured.events
        if e.event == "memory_created" and e.developer_id == developer_id
    ]


class TestAuthPaths:
    def test_api_key_with_external_user(self, service):
        """API key + external_user_id: 201, the end user is resolved to a usr_ ID and the cloud
        event is tracked by developer with end_user_id, email and country (seed Example 1)."""
        a = service.devs["A"]
        r = service.client.post(
            "/v1/memories",
            headers={"X-API-Key": a.key},
            json={"content": "Meeting notes", "metadata": {"external_user_id": "alice"}},
        )
        assert r.status_code == 201, r.text
        body = r.json()
        assert body["developer_id"] == a.id and body["end_user_id"].startswith("usr_")
        assert body["id"].startswith("mem_")
        event = next(
            e for e in _memory_events(service, a.id) if e.end_user_id == body["end_user_id"]
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
        again = service.client.post(
            "/v1/memories",
            headers={"X-API-Key": a.key},
            json={"content": "More notes", "metadata": {"external_user_id": "alice"}},
        )
        assert again.json()["end_user_id"] == body["end_user_id"]

    def test_api_key_alone(self, service):
        """API key without external_user_id: the developer is known, the end user is not."""
        b = service.devs["B"]
        r = service.client.post("/v1/memories", headers={"X-API-Key": b.key}, json={"content": "x"})
        assert r.status_code == 201, r.text
        assert r.json()["end_user_id"] is None
        events = _memory_events(service, b.id)
        assert any(e.end_user_id is None and e.properties["has_metadata"] is False for e in events)
        assert all("end_user_id" not in e.properties for e in events if e.end_user_id is None)

    def test_session_token(self, service):
        """Login with email + password gives a session token; its requests have
        developer_id == end_user_id, as the seed guide's session path says."""
        a = service.devs["A"]
        login = service.client.post(
            "/v1/auth/sessions", json={"email": a.email, "password": PASSWORD}
        )
        assert login.status_code == 201, login.text
        token = login.json()["token"]
        r = service.client.post(
            "/v1/memories", headers={"X-Session-Token": token}, json={"content": "own note"}
        )
        assert r.status_code == 201, r.text
        assert r.json()["end_user_id"] == a.id
        assert any(e.end_user_id == a.id for e in _memory_events(service, a.id))

    def test_search_is_scoped_and_tracked(self, service):
        """Search finds only the caller's memories and tracks search_performed."""
        a, b = service.devs["A"], service.devs["B"]
        service.client.post(
            "/v1/memories", headers={"X-API-Key": a.key}, json={"content": "zebra secret plan"}
        )
        found = service.client.post(
            "/v1/memories/search", headers={"X-API-Key": a.key}, json={"query": "zebra"}
        )
        other = service.client.post(
            "/v1/memories/search", headers={"X-API-Key": b.key}, json={"query": "zebra"}
        )
        assert len(found.json()["results"]) >= 1 and other.json()["results"] == []
        service.flush()
        assert any(e.event == "search_performed" for e in service.captured.events)


class TestCredentialFailures:
    def _assert_401(self, response, secret=None):
        assert response.status_code == 401, response.text
        body = response.json()
        assert set(body) >= {"error", "code"}
        if secret:
            assert secret not in response.text

    def test_wrong_key(self, service):
        """An unknown API key is a 401 JSON error that does not echo the key."""
        bad = "tnt_this_is_not_a_key_123"
        r = service.client.post("/v1/memories", headers={"X-API-Key": bad}, json={"content": "x"})
        self._assert_401(r, bad)
        assert r.json()["code"] == "unknown_api_key"

    def test_no_credentials(self, service):
        """No credentials at all is a 401 JSON error."""
        self._assert_401(service.client.post("/v1/memories", json={"content": "x"}))

    def test_revoked_key(self, service):
        """A revoked key stops working at once: 401."""
        a = service.devs["A"]
        key, raw = service.identity.create_api_key(a.id)
        ok = service.client.post("/v1/memories", headers={"X-API-Key": raw}, json={"content": "x"})
        assert ok.status_code == 201
        service.identity.revoke_api_key(key.id)
        r = service.client.post("/v1/memories", headers={"X-API-Key": raw}, json={"content": "x"})
        self._assert_401(r, raw)

    def test_expired_session(self, service):
        """An expired session token is a 401."""
        session = service.identity.create_session(service.devs["A"].id, ttl=0.05)
        time.sleep(0.1)
        r = service.client.post(
            "/v1/memories", headers={"X-Session-Token": session.token}, json={"content": "x"}
        )
        self._assert_401(r, session.token)

    @pytest.mark.parametrize("password", ["wrong password", ""])
    def test_wrong_login(self, service, password):
        """A wrong password is 401 (or 422 when empty), never a session; the password is not echoed."""
        r = service.client.post(
            "/v1/auth/sessions", json={"email": service.devs["A"].email, "password": password}
        )
        assert r.status_code in (401, 422)
        assert "token" not in r.json()
        if password:
            assert password not in r.text

    def test_invalid_body(self, service):
        """A body that does not match the schema is 422 with a JSON error body."""
        r = service.client.post(
            "/v1/memories", headers={"X-API-Key": service.devs["A"].key}, json={"content": 5}
        )
        assert r.status_code == 422 and r.json()["code"] == "invalid_request"


def test_health_and_status(service):
    """/healthz answers ok and /v1/telemetry/status reports the service's own telemetry to the
    admin."""
    assert service.client.get("/healthz").json() == {"status": "ok"}
    status = service.client.get(
        "/v1/telemetry/status", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}
    ).json()
    assert status["edition"] == "cloud" and status["enabled"] is True
    assert "relay" in status
