"""The server under attack (issue 10, items 6-8, 10 and the layout), over real HTTP on loopback:
body limits on every route, login throttling with real wrong passwords, the status endpoint,
file modes of the data dir, and a server package without import cycles."""

from __future__ import annotations

import ast
import os
import socket
import stat
import threading
from pathlib import Path

import httpx

import tenantry.server
from tenantry.config import load_settings
from tenantry.server import Rate, ServerThread, create_app
from tests.server.conftest import ADMIN_TOKEN, PASSWORD, start, stop

SERVER_PKG = Path(tenantry.server.__file__).resolve().parent  # the package under test


def _port(url: str) -> int:
    return int(url.rsplit(":", 1)[1])


class TestBodyLimits:
    """Item 6: every route has a body cap, answered 413 before the body is read on."""

    def test_declared_150mb_login_is_refused_at_once(self, running):
        """``/v1/auth/sessions`` with Content-Length 150 MB is 413 before any body byte is sent."""
        with socket.create_connection(("127.0.0.1", _port(running.url)), 10) as s:
            s.sendall(
                b"POST /v1/auth/sessions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json"
                b"\r\nContent-Length: 157286400\r\n\r\n"
            )
            s.settimeout(10)
            assert s.recv(4096).startswith(b"HTTP/1.1 413")

    def test_chunked_body_is_cut_off(self, running):
        """A chunked (no Content-Length) login body is answered 413 while the client is still
        sending: the server stops after the cap and a bounded drain (8 MiB), not after 150 MB.
        (Past the drain the server closes; if its reset overtakes the 413, the bound still
        shows in how little was sent.)"""
        sent, head, reset = 0, b"", False
        with socket.create_connection(("127.0.0.1", _port(running.url)), 10) as s:
            s.sendall(
                b"POST /v1/auth/sessions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json"
                b"\r\nTransfer-Encoding: chunked\r\n\r\n"
            )
            chunk = b"10000\r\n" + b"a" * 0x10000 + b"\r\n"
            s.settimeout(0.05)
            while sent < 150 * 1024 * 1024 and not head and not reset:
                try:
                    s.sendall(chunk)
                    sent += 0x10000
                    head = s.recv(4096)
                except TimeoutError:
                    continue
                except OSError:
                    reset = True
            if not head:
                s.settimeout(10)
                try:
                    head = s.recv(4096)
                except OSError:
                    reset = True
        assert head.startswith(b"HTTP/1.1 413") or (reset and not head)
        assert sent < 32 * 1024 * 1024

    def test_each_route_has_its_own_cap(self, running):
        """A 20 KB body passes the relay and memories caps, but not login's (8 KiB) nor search's
        (16 KiB); each 413 carries the JSON error shape."""
        key = {"X-API-Key": running.devs["A"].key}
        pad = "p" * 20_000
        r = running.client.post("/v1/auth/sessions", json={"email": "a@b.co", "password": pad})
        assert r.status_code == 413 and r.json()["code"] == "payload_too_large"
        r = running.client.post("/v1/memories/search", json={"query": pad}, headers=key)
        assert r.status_code == 413
        r = running.client.post("/v1/memories", json={"content": pad}, headers=key)
        assert r.status_code == 201
        r = running.client.post("/dashboard/login", data={"token": pad})
        assert r.status_code == 413


class TestLoginThrottling:
    """Item 7: login attempts are throttled per account and per address; hashing is capped."""

    def test_wrong_passwords_then_429_even_for_the_right_one(self, tmp_path):
        """After 10 wrong passwords for one account the 11th attempt, and then the right
        password, get 429 with Retry-After; the account's email in other case/whitespace counts
        the same; another account from the same address still logs in."""
        server, running = start(tmp_path)
        try:
            a, b = running.devs["A"], running.devs["B"]
            codes = []
            for i in range(10):
                email = a.email if i % 2 else f"  {a.email.upper()} "
                r = running.client.post(
                    "/v1/auth/sessions", json={"email": email, "password": f"wrong-{i}"}
                )
                codes.append(r.status_code)
            assert codes == [401] * 10
            r = running.client.post(
                "/v1/auth/sessions", json={"email": a.email, "password": "wrong-again"}
            )
            assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 1
            r = running.client.post(
                "/v1/auth/sessions", json={"email": a.email, "password": PASSWORD}
            )
            assert r.status_code == 429 and r.json()["code"] == "rate_limited"
            r = running.client.post(
                "/v1/auth/sessions", json={"email": b.email, "password": PASSWORD}
            )
            assert r.status_code == 201
        finally:
            stop(server, running)

    def test_address_limit_stops_rotating_accounts(self, tmp_path):
        """Guessing across many accounts (unknown emails too) from one address is stopped by
        the per-address limit."""
        server, running = start(tmp_path, login_ip_rate=Rate(per_second=0.01, burst=6))
        try:
            codes = [
                running.client.post(
                    "/v1/auth/sessions", json={"email": f"u{i}@example.com", "password": "x"}
                ).status_code
                for i in range(9)
            ]
            assert codes[:6] == [401] * 6 and codes[6:] == [429] * 3
        finally:
            stop(server, running)

    def test_concurrent_password_checks_are_capped(self, tmp_path):
        """16 concurrent logins with real wrong passwords run at most 2 argon2 checks at a time
        (``HashSlots.peak``), and all answer 401."""
        server, running = start(
            tmp_path,
            login_rate=Rate(per_second=100, burst=100),
            login_ip_rate=Rate(per_second=100, burst=100),
        )
        try:
            codes = []
            lock = threading.Lock()

            def attempt(i):
                r = httpx.post(
                    running.url + "/v1/auth/sessions",
                    json={"email": running.devs["A"].email, "password": f"nope-{i}"},
                    timeout=60,
                )
                with lock:
                    codes.append(r.status_code)

            threads = [threading.Thread(target=attempt, args=(i,)) for i in range(16)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            assert codes == [401] * 16
            assert running.state.hashing.peak == 2
        finally:
            stop(server, running)


class TestStatus:
    """Item 8: the status endpoint shows every tenant's counters to the admin only."""

    def test_status_needs_the_admin_token(self, running):
        """No token, a wrong bearer token, a developer's API key or session: 401; the admin
        token: 200 with the relay's counters."""
        a = running.devs["A"]
        session = running.identity.create_session(a.id)
        for headers in (
            {},
            {"Authorization": "Bearer wrong"},
            {"Authorization": f"Basic {ADMIN_TOKEN}"},
            {"X-API-Key": a.key},
            {"X-Session-Token": session.token},
        ):
            r = running.client.get("/v1/telemetry/status", headers=headers)
            assert r.status_code == 401 and "relay" not in r.text, headers
        r = running.client.get(
            "/v1/telemetry/status", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}
        )
        assert r.status_code == 200 and "relay" in r.json()


def test_data_dir_is_private_whatever_the_umask(tmp_path):
    """Item 10: with umask 022 the server's data dir is 0700 and every file tenantry writes
    there (identity.db and its -wal/-shm, the secret, ...) is 0600; the Parquet segments under
    events/ belong to the store (branch h9-memory) and are not checked here."""
    old = os.umask(0o022)
    try:
        data = tmp_path / "data"
        settings = load_settings(
            data_dir=data, edition="cloud", destinations=("local",), admin_token=ADMIN_TOKEN
        )
        with ServerThread(create_app(settings)) as server:
            client = httpx.Client(base_url=server.url, timeout=10)
            client.post("/v1/telemetry/events", json={"events": [{"event_name": "e"}]})
            client.post("/v1/auth/sessions", json={"email": "x@y.co", "password": "z"})
            client.close()
            files = {p.name: p for p in data.rglob("*") if "events" not in p.parts}
            assert {"identity.db", "identity.db-wal", "identity.db-shm"} <= set(files)
            assert stat.S_IMODE(data.stat().st_mode) == 0o700
            loose = {
                str(p.relative_to(data)): oct(stat.S_IMODE(p.stat().st_mode))
                for p in files.values()
                if p.stat().st_mode & 0o077
            }
            assert loose == {}
    finally:
        os.umask(old)


def test_loose_existing_data_dir_is_warned_once(tmp_path, caplog):
    """Item 10: an existing data dir that others can read is left as it is, with one warning
    at start-up that names it."""
    data = tmp_path / "loose"
    data.mkdir()
    os.chmod(data, 0o755)
    settings = load_settings(data_dir=data, edition="cloud", destinations=("local",))
    with caplog.at_level("WARNING", logger="tenantry"), ServerThread(create_app(settings)):
        pass
    warnings = [r for r in caplog.records if str(data) in r.getMessage()]
    assert len(warnings) == 1 and "chmod 700" in warnings[0].getMessage()


def test_server_package_has_no_import_cycle():
    """Layout: no module of ``tenantry.server`` imports ``tenantry.server.app`` except the
    package's ``__init__``; the routes share ``common`` instead."""
    offenders = []
    for path in SERVER_PKG.glob("*.py"):
        if path.name in ("__init__.py", "app.py"):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module == "tenantry.server.app":
                offenders.append(path.name)
    assert offenders == []
