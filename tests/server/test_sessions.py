"""Item 9 over HTTP: dashboard logins are random, expiring and server-side; developers' sessions
can be revoked by ID (endpoint), which ends the dashboard logins made from them too."""

from __future__ import annotations

import httpx

from tests.server.conftest import ADMIN_TOKEN, PASSWORD


def _login(running, token: str) -> httpx.Response:
    """POST the login form from a fresh client (the shared one must not keep the cookie)."""
    with httpx.Client(base_url=running.url) as client:
        return client.post("/dashboard/login", data={"token": token}, follow_redirects=False)


def _get(running, path: str, **kwargs) -> httpx.Response:
    with httpx.Client(base_url=running.url) as client:
        return client.get(path, follow_redirects=False, **kwargs)


class TestDashboardLogin:
    def test_each_login_is_a_new_random_session(self, running):
        """Two admin logins give two different cookies, neither containing the token, both
        expiring (Max-Age), HttpOnly and SameSite=Strict; the table holds only their hashes."""
        first, second = _login(running, ADMIN_TOKEN), _login(running, ADMIN_TOKEN)
        assert first.status_code == second.status_code == 303
        a, b = first.cookies["tenantry_dashboard"], second.cookies["tenantry_dashboard"]
        assert a != b and ADMIN_TOKEN not in a
        header = first.headers["set-cookie"].lower()
        assert "max-age=28800" in header and "httponly" in header and "samesite=strict" in header
        from tenantry.identity._schema import dashboard_sessions

        with running.identity._engine.connect() as conn:
            stored = [r.token_hash for r in conn.execute(dashboard_sessions.select())]
        assert a not in stored and b not in stored and len(stored) >= 2

    def test_pages_are_not_cached_nor_framed(self, running):
        """The login page and the dashboard are no-store and refuse to be framed."""
        cookie = _login(running, ADMIN_TOKEN).cookies["tenantry_dashboard"]
        for r in (
            _get(running, "/dashboard/login"),
            _get(running, "/dashboard", cookies={"tenantry_dashboard": cookie}),
        ):
            assert r.status_code == 200 and r.headers["cache-control"] == "no-store"
            assert r.headers["x-frame-options"] == "DENY"
            assert "frame-ancestors 'none'" in r.headers["content-security-policy"]

    def test_token_in_query_string_does_nothing(self, running):
        """``/dashboard?token=<admin token>`` no longer logs in nor sets a cookie."""
        r = _get(running, f"/dashboard?token={ADMIN_TOKEN}")
        assert r.status_code == 401 and "set-cookie" not in r.headers

    def test_expired_login_is_refused(self, running):
        """A dashboard session past its expiry is 401 (checked on the server, not the cookie)."""
        from tenantry.identity._schema import dashboard_sessions

        login, raw = running.state.dashboard.create(None)
        assert _get(running, "/dashboard", cookies={"tenantry_dashboard": raw}).status_code == 200
        with running.identity._engine.begin() as conn:
            conn.execute(
                dashboard_sessions.update()
                .where(dashboard_sessions.c.id == login.id)
                .values(expires_at=login.expires_at.replace(year=2000))
            )
        assert _get(running, "/dashboard", cookies={"tenantry_dashboard": raw}).status_code == 401

    def test_forged_cookies_are_refused(self, running):
        """The old MAC cookie, the admin token itself and a random tnd_ value are all 401."""
        for name, value in (
            ("tenantry_admin", "0" * 64),
            ("tenantry_dashboard", ADMIN_TOKEN),
            ("tenantry_dashboard", "tnd_" + "A" * 43),
        ):
            assert _get(running, "/dashboard", cookies={name: value}).status_code == 401

    def test_api_key_cannot_log_in_to_the_dashboard_form(self, running):
        """Only the admin token or a session token log in; an API key is 401."""
        assert _login(running, running.devs["A"].key).status_code == 401


class TestRevokeSessions:
    def test_developer_revokes_own_session_and_its_dashboard_login(self, running):
        """A developer revokes their session by ID with their API key: the session token and the
        dashboard login made from it both stop working."""
        a = running.devs["A"]
        login = running.client.post(
            "/v1/auth/sessions", json={"email": a.email, "password": PASSWORD}
        )
        body = login.json()
        assert body["session_id"].startswith("ses_")
        cookie = _login(running, body["token"]).cookies["tenantry_dashboard"]
        assert (
            _get(running, "/dashboard", cookies={"tenantry_dashboard": cookie}).status_code == 200
        )
        r = running.client.delete(
            f"/v1/auth/sessions/{body['session_id']}", headers={"X-API-Key": a.key}
        )
        assert r.status_code == 204
        fresh = httpx.Client(base_url=running.url)
        try:
            assert (
                fresh.get("/dashboard", cookies={"tenantry_dashboard": cookie}).status_code == 401
            )
            r = fresh.post(
                "/v1/memories/search",
                json={"query": "x"},
                headers={"X-Session-Token": body["token"]},
            )
            assert r.status_code == 401
        finally:
            fresh.close()

    def test_other_developers_sessions_are_not_found(self, running):
        """B cannot revoke (or learn about) A's session: 404; the admin can: 204; again: 404."""
        a, b = running.devs["A"], running.devs["B"]
        session = running.identity.create_session(a.id)
        path = f"/v1/auth/sessions/{session.id}"
        assert running.client.delete(path, headers={"X-API-Key": b.key}).status_code == 404
        assert running.client.delete(path).status_code == 401
        assert (
            running.client.delete(path, headers={"Authorization": "Bearer nope"}).status_code == 401
        )
        admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
        assert running.client.delete(path, headers=admin).status_code == 204
        assert running.client.delete(path, headers=admin).status_code == 404
