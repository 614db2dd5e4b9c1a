"""Admin checks (issue 20, items 4, 7 and 10): every check of the admin token (bearer on any
route, the dashboard cookie, the login form) goes through the login limiter per address and
overall; admin dashboard logins end when the admin token changes or goes, and
``tenantry dashboard logout-all`` ends every login; the login form refuses other sites, and its
cookie is ``Secure`` behind a trusted TLS proxy."""

from __future__ import annotations

import json
import subprocess
import sys

import httpx

from tenantry.config import load_settings
from tenantry.identity import IdentityStore
from tenantry.server import ServerThread, create_app
from tenantry.server.limits import Rate
from tests.scale.replicas import base_env

ADMIN = "adm_checks_0123456789abcdef"
COOKIE = "tenantry_dashboard"
ROUTES = ("/v1/analytics/event-counts", "/v1/telemetry/status", "/dashboard")
PLENTY = Rate(per_second=1000, burst=1000)


def _app(tmp_path, *, admin: str | None = ADMIN, **kwargs):
    settings = load_settings(
        data_dir=tmp_path,
        destinations=("none",),
        admin_token=admin,
        trusted_proxies=kwargs.pop("trusted_proxies", None),
    )
    kwargs.setdefault("login_ip_rate", PLENTY)
    kwargs.setdefault("login_overall_rate", PLENTY)
    return create_app(settings, **kwargs)


def _bearer(token: str, address: str | None = None) -> dict[str, str]:
    headers = {"Authorization": f"Bearer {token}"}
    if address:
        headers["X-Forwarded-For"] = address
    return headers


def _login(url: str, token: str, **headers: str) -> httpx.Response:
    with httpx.Client(base_url=url) as client:
        return client.post("/dashboard/login", data={"token": token}, headers=headers)


def _dashboard(url: str, cookie: str) -> int:
    with httpx.Client(base_url=url, cookies={COOKIE: cookie}) as client:
        return client.get("/dashboard").status_code


def test_guesses_are_limited_per_address_and_overall(tmp_path):
    """Right admin tokens cost nothing (20 in a row with an allowance of 6); wrong bearer
    tokens on every admin route, forged cookies and wrong form tokens spend the address's
    allowance (6), then every admin check from it is 429, the right token included; wrong
    guesses from fresh addresses spend the overall allowance (15) until every address is 429."""
    app = _app(
        tmp_path,
        trusted_proxies="127.0.0.1",
        login_ip_rate=Rate(per_second=0.001, burst=6),
        login_overall_rate=Rate(per_second=0.001, burst=15),
    )
    with ServerThread(app) as server, httpx.Client(base_url=server.url, timeout=10) as http:
        right = [http.get(ROUTES[i % 3], headers=_bearer(ADMIN)).status_code for i in range(20)]
        assert right == [200] * 20
        wrong = [http.get(route, headers=_bearer("guess")).status_code for route in ROUTES * 2]
        assert wrong == [401] * 6
        for route in ROUTES:
            for token in ("guess", ADMIN):
                r = http.get(route, headers=_bearer(token))
                assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 1, route
        # a second address: forged cookies and form guesses, then 429 there too
        b = {"X-Forwarded-For": "198.51.100.2"}
        forged = []
        for i in range(3):
            with httpx.Client(base_url=server.url, cookies={COOKIE: f"tnd_{i:043d}"}) as client:
                forged.append(client.get("/dashboard", headers=b).status_code)
        forms = [
            http.post("/dashboard/login", data={"token": f"g{i}"}, headers=b).status_code
            for i in range(3)
        ]
        assert forged == [401] * 3 and forms == [401] * 3
        assert http.post("/dashboard/login", data={"token": ADMIN}, headers=b).status_code == 429
        # fresh addresses: three more wrong guesses spend the overall 15; then everyone waits
        fresh = [
            http.get(ROUTES[0], headers=_bearer("guess", f"203.0.113.{i}")).status_code
            for i in range(3)
        ]
        assert fresh == [401] * 3
        last = http.get(ROUTES[1], headers=_bearer(ADMIN, "192.0.2.77"))
        assert last.status_code == 429, last.text


def test_admin_logins_are_bound_to_the_admin_token_and_logout_all_ends_every_login(tmp_path):
    """A dashboard login made with admin token A stops working on a server whose token is B or
    unset (same database); a developer's login is unaffected; ``tenantry dashboard logout-all``
    then ends it too, on a running server."""
    first = ServerThread(_app(tmp_path)).start()
    rotated = ServerThread(_app(tmp_path, admin="adm_rotated_987654321")).start()
    removed = ServerThread(_app(tmp_path, admin=None)).start()
    try:
        with IdentityStore.open(load_settings(data_dir=tmp_path)) as store:
            dev = store.create_developer("dev@example.com")
            session = store.create_session(dev.id)
        admin_cookie = _login(first.url, ADMIN).cookies[COOKIE]
        dev_cookie = _login(first.url, session.token).cookies[COOKIE]
        assert _dashboard(first.url, admin_cookie) == 200
        for other in (rotated, removed):
            assert _dashboard(other.url, admin_cookie) == 401
            assert _dashboard(other.url, dev_cookie) == 200
        done = subprocess.run(
            [sys.executable, "-m", "tenantry", "dashboard", "logout-all", "--json"],
            env=base_env(TENANTRY_DATA_DIR=str(tmp_path)),
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout) == {"logged_out": 2}
        assert _dashboard(first.url, admin_cookie) == 401
        assert _dashboard(first.url, dev_cookie) == 401
    finally:
        for server in (first, rotated, removed):
            server.stop()


def test_login_form_from_another_site_is_refused(tmp_path):
    """A login form posted from another site (Origin, Referer, or a browser's
    Sec-Fetch-Site) is 403 with no cookie, even with the right token; the same site, and a
    client that names no origin (curl), log in."""
    with ServerThread(_app(tmp_path)) as server:
        here = server.url
        refused = [
            {"Origin": "https://evil.example"},
            {"Origin": "null"},
            {"Referer": "https://evil.example/login"},
            {"Sec-Fetch-Site": "cross-site", "Origin": here},
            {"Sec-Fetch-Site": "same-site"},
        ]
        for headers in refused:
            r = _login(here, ADMIN, **headers)
            assert r.status_code == 403 and COOKIE not in r.cookies, headers
            assert r.json()["code"] == "cross_origin"
        for headers in ({"Origin": here}, {"Sec-Fetch-Site": "same-origin"}, {}):
            assert _login(here, ADMIN, **headers).status_code == 303, headers


def test_cookie_is_secure_behind_a_trusted_tls_proxy(tmp_path):
    """``X-Forwarded-Proto: https`` from a trusted proxy (127.0.0.2 here) makes the login
    cookie ``Secure``; the same header from any other peer, or plain HTTP, does not."""
    with ServerThread(_app(tmp_path, trusted_proxies="127.0.0.2")) as server:

        def cookie_header(local: str, proto: str | None) -> str:
            transport = httpx.HTTPTransport(local_address=local)
            headers = {"X-Forwarded-Proto": proto} if proto else {}
            with httpx.Client(base_url=server.url, transport=transport) as client:
                r = client.post("/dashboard/login", data={"token": ADMIN}, headers=headers)
            assert r.status_code == 303
            return r.headers["set-cookie"].lower()

        assert "secure" in cookie_header("127.0.0.2", "https")
        assert "secure" not in cookie_header("127.0.0.2", "http")
        assert "secure" not in cookie_header("127.0.0.1", "https")
