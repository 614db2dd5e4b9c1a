"""Two in-process replicas (one SQLite identity DB, one Redis) over real HTTP: the relay's
allowance, relay dedup and login limits are shared; with Redis gone the relay still answers
(limits fail open) and logins are refused (fail closed)."""

from __future__ import annotations

import time
import uuid

import httpx
import pytest

from tenantry import TelemetryService
from tenantry.config import load_settings
from tenantry.server import Rate, ServerThread, create_app
from tenantry.testing import InMemoryDestination

PASSWORD = "correct horse battery staple"


def _replicas(tmp_path, redis_url, n=2, **app_kwargs):
    """``n`` apps on one identity database and one Redis; returns (servers, clients, relayed)."""
    db = f"sqlite:///{tmp_path / 'identity.db'}"
    servers, clients, relayed = [], [], []
    for i in range(n):
        settings = load_settings(
            data_dir=tmp_path / f"r{i}",
            database_url=db,
            redis_url=redis_url,
            destinations=("none",),
            edition="cloud",
        )
        dest = InMemoryDestination(name="relayed")
        app = create_app(
            settings,
            telemetry=TelemetryService(settings),
            relay_destinations=[dest],
            **app_kwargs,
        )
        server = ServerThread(app).start()
        servers.append(server)
        clients.append(httpx.Client(base_url=server.url, timeout=10.0))
        relayed.append(dest)
    return servers, clients, relayed


@pytest.fixture
def two_replicas(tmp_path, redis_url):
    servers, clients, relayed = _replicas(
        tmp_path, redis_url, anon_rate=Rate(per_second=0.01, burst=4)
    )
    yield clients, relayed, servers
    for c in clients:
        c.close()
    for s in servers:
        s.stop()


def _batch(anon="inst-1", uid=None):
    return {
        "anonymous_id": anon,
        "events": [{"event_name": "memory_created", "uuid": uid or str(uuid.uuid4())}],
    }


class TestShared:
    def test_installation_allowance_is_shared(self, two_replicas):
        """Burst 4 per installation: 4 requests spread over both replicas pass, the 5th is
        429 on either; another installation is unaffected."""
        clients, _, _ = two_replicas
        codes = [
            clients[i % 2].post("/v1/telemetry/events", json=_batch()).status_code for i in range(4)
        ]
        assert codes == [200] * 4
        for c in clients:
            r = c.post("/v1/telemetry/events", json=_batch())
            assert r.status_code == 429 and r.json()["code"] == "rate_limited"
            assert int(r.headers["Retry-After"]) >= 1
        assert clients[1].post("/v1/telemetry/events", json=_batch("inst-2")).status_code == 200

    def test_dedup_is_shared(self, two_replicas):
        """An event retried against the other replica (same uuid) is processed once."""
        clients, relayed, servers = two_replicas
        uid = str(uuid.uuid4())
        first = clients[0].post("/v1/telemetry/events", json=_batch("d1", uid)).json()
        again = clients[1].post("/v1/telemetry/events", json=_batch("d2", uid)).json()
        assert first["events_processed"] == 1 and again["events_processed"] == 0
        for s in servers:
            s.server.config.app.state.server_state.relay.flush(5.0)
        assert sum(1 for d in relayed for e in d.events if e.uuid == uid) == 1

    def test_login_limit_is_shared(self, two_replicas):
        """Failed logins for one email, alternating between replicas, hit 429 after one shared
        burst of 10 (plus 0.2/s refill), not 10 per replica; right after, even the right
        password is refused on the other replica."""
        clients, _, servers = two_replicas
        identity = servers[0].server.config.app.state.server_state.identity
        identity.create_developer("limited@example.com", password=PASSWORD)
        wrong = {"email": "limited@example.com", "password": "wrong"}
        t0, refused_on, failed = time.monotonic(), None, 0
        for i in range(40):
            r = clients[i % 2].post("/v1/auth/sessions", json=wrong)
            if r.status_code == 429:
                refused_on = i % 2
                break
            assert r.status_code == 401
            failed += 1
        elapsed = time.monotonic() - t0
        assert refused_on is not None and 10 <= failed <= 10 + 0.2 * elapsed + 1, (failed, elapsed)
        right = {"email": "limited@example.com", "password": PASSWORD}
        r = clients[1 - refused_on].post("/v1/auth/sessions", json=right)
        assert r.status_code == 429 and r.json()["code"] == "rate_limited"


class TestRedisGone:
    def test_relay_open_logins_closed(self, tmp_path, own_redis):
        """Redis killed mid-test: the relay keeps answering 200 (limits fail open), logins get
        429 (fail closed), /healthz answers, the status counts the failures; Redis restarted:
        logins work again."""
        servers, clients, _ = _replicas(tmp_path, own_redis.url, n=1)
        client, server = clients[0], servers[0]
        try:
            svc = server.server.config.app.state.server_state
            svc.identity.create_developer("gone@example.com", password=PASSWORD)
            login = {"email": "gone@example.com", "password": PASSWORD}
            assert client.post("/v1/auth/sessions", json=login).status_code == 201
            own_redis.kill()
            relay = [client.post("/v1/telemetry/events", json=_batch()) for _ in range(20)]
            assert [r.status_code for r in relay] == [200] * 20
            assert all(r.json()["events_processed"] == 1 for r in relay)
            r = client.post("/v1/auth/sessions", json=login)
            assert r.status_code == 429 and r.json()["code"] == "rate_limited"
            assert client.get("/healthz").status_code == 200
            assert svc.shared.status()["errors"] >= 21
            own_redis.start()
            time.sleep(1.1)  # RETRY_AFTER: Redis is tried again
            assert client.post("/v1/auth/sessions", json=login).status_code == 201
        finally:
            client.close()
            server.stop()
