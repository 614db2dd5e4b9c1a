"""``tenantry serve`` tracks its own /v1/* routes through TelemetryMiddleware; API usage over
HTTP and in the dashboard, tenant-scoped; end users by their developer's names, shown to that
developer and the admin only, never in opensource."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import httpx
import pytest

from tenantry.config import load_settings
from tenantry.events import Event
from tenantry.identity import IdentityStore
from tenantry.policy.context import BUCKETS, SLOWEST
from tenantry.server import ServerThread, create_app
from tenantry.store.local import LocalStore
from tests.server.conftest import ADMIN_TOKEN, start, stop

ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
USERS = {"A": ("alice", "bob", "charlie"), "B": ("diana", "eve")}


@pytest.fixture(scope="module")
def usage(tmp_path_factory):
    """A fresh cloud server: A's end users created 3+2+1 memories, B's 2+1, A searched once;
    one unknown /v1 path, one /healthz; everything delivered."""
    server, running = start(tmp_path_factory.mktemp("usage"))
    c = running.client
    for name, users in USERS.items():
        key = {"X-API-Key": running.devs[name].key}
        for i, user in enumerate(users):
            for _ in range(len(users) - i):
                body = {"content": f"notes of {user}", "metadata": {"external_user_id": user}}
                assert c.post("/v1/memories", headers=key, json=body).status_code == 201
    a_key = {"X-API-Key": running.devs["A"].key}
    assert c.post("/v1/memories/search", headers=a_key, json={"query": "notes"}).status_code == 200
    assert c.get("/v1/nope/mem_123", headers=a_key).status_code == 404
    assert c.get("/healthz").status_code == 200
    running.flush()
    yield running
    stop(server, running)


def _rows(running, query, headers, **params) -> list[dict]:
    r = running.client.get(f"/v1/analytics/{query}", params=params, headers=headers)
    assert r.status_code == 200, r.text
    assert r.json()["query"] == query
    return r.json()["rows"]


class TestServeTracksItsRoutes:
    def test_api_requests_by_template_and_developer(self, usage):
        """Each /v1 request became one api_request of its developer, under its route
        template; /healthz is not tracked; the unknown path is '(unmatched)', its ID nowhere."""
        requests = [e for e in usage.captured.events if e.event == "api_request"]
        a, b = usage.devs["A"].id, usage.devs["B"].id
        seen = {}
        for e in requests:
            key = (e.developer_id, e.properties["method"], e.properties["route"])
            seen[key] = seen.get(key, 0) + 1
        assert seen == {
            (a, "POST", "/v1/memories"): 6,
            (b, "POST", "/v1/memories"): 3,
            (a, "POST", "/v1/memories/search"): 1,
            (a, "GET", "(unmatched)"): 1,
        }
        assert all(e.properties["status"] in (200, 201, 404) for e in requests)
        assert "mem_123" not in str([e.to_dict() for e in requests])
        assert "/healthz" not in str([e.properties for e in requests])

    def test_api_usage_over_http(self, usage):
        """The admin reads both developers' usage per route (requests, errors, p50 <= p95);
        A's key asking for B gets A's rows only."""
        a, b = usage.devs["A"].id, usage.devs["B"].id
        rows = _rows(usage, "api-usage", ADMIN)
        mine = {(r["developer_id"], r["route"], r["method"]): r for r in rows}
        assert mine[(a, "/v1/memories", "POST")]["requests"] == 6
        assert mine[(b, "/v1/memories", "POST")]["requests"] == 3
        assert all(r["errors"] == 0 and 0 < r["p50_ms"] <= r["p95_ms"] for r in rows)
        own = _rows(usage, "api-usage", {"X-API-Key": usage.devs["A"].key}, developer=b)
        assert own and {r["developer_id"] for r in own} == {a}
        assert b not in str(own)

    def test_monthly_usage_over_http(self, usage):
        """This month's usage: A 6 memories, B 3; requests count every tracked /v1 call; B's
        key sees only B's row."""
        a, b = usage.devs["A"].id, usage.devs["B"].id
        month = datetime.now(UTC).strftime("%Y-%m")
        rows = {r["developer_id"]: r for r in _rows(usage, "monthly-usage", ADMIN)}
        assert rows[a]["month"] == rows[b]["month"] == month
        assert (rows[a]["memories"], rows[b]["memories"]) == (6, 3)
        assert rows[a]["requests"] >= 8 and rows[b]["requests"] >= 3
        own = _rows(usage, "monthly-usage", {"X-API-Key": usage.devs["B"].key}, developer=a)
        assert [r["developer_id"] for r in own] == [b]


class TestNames:
    def test_developer_sees_own_names(self, usage):
        """A's key reads A's end users with A's own IDs for them: alice 3, bob 2, charlie 1."""
        rows = _rows(usage, "memories-per-end-user", {"X-API-Key": usage.devs["A"].key})
        assert [(r["external_user_id"], r["memory_count"]) for r in rows] == [
            ("alice", 3),
            ("bob", 2),
            ("charlie", 1),
        ]
        assert all(r["end_user_id"].startswith("usr_") for r in rows)

    def test_admin_sees_names(self, usage):
        """The admin asking for B's end users sees diana and eve."""
        rows = _rows(usage, "memories-per-end-user", ADMIN, developer=usage.devs["B"].id)
        assert [r["external_user_id"] for r in rows] == ["diana", "eve"]

    def test_other_developer_never_sees_them(self, usage):
        """B's key asking for A's end users gets B's own rows: no alice, bob or charlie."""
        rows = _rows(
            usage,
            "memories-per-end-user",
            {"X-API-Key": usage.devs["B"].key},
            developer=usage.devs["A"].id,
        )
        assert [r["external_user_id"] for r in rows] == ["diana", "eve"]
        text = str(rows)
        assert not any(name in text for name in USERS["A"])

    def test_never_in_opensource(self, tmp_path):
        """A server running in the opensource edition never shows external_user_id, even for
        the admin over a store holding cloud rows of a known developer."""
        settings = load_settings(
            data_dir=tmp_path, edition="opensource", admin_token=ADMIN_TOKEN, destinations=("none",)
        )
        identity = IdentityStore.open(settings)
        dev = identity.create_developer("developer@company.com")
        alice = identity.resolve_end_user(dev.id, "alice")
        store = LocalStore(tmp_path / "events")
        props = {"developer_id": dev.id, "end_user_id": alice}
        store.write(
            [
                Event(
                    f"u-{i}", "memory_created", dev.id, time.time(), "cloud", props, dev.id, alice
                )
                for i in range(2)
            ]
        )
        with ServerThread(create_app(settings, identity=identity, store=store)) as server:
            r = httpx.get(
                f"{server.url}/v1/analytics/memories-per-end-user",
                params={"developer": dev.id},
                headers=ADMIN,
            )
        assert r.status_code == 200
        assert r.json()["rows"] == [{"end_user_id": alice, "memory_count": 2}]
        identity.close()
        store.close()


class TestDashboard:
    def test_admin_dashboard_has_usage(self, usage):
        """The admin dashboard shows requests per day by outcome, usage per route and per
        month, both developers by email with their dev_ ID on hover and in links."""
        page = usage.client.get("/dashboard", headers=ADMIN).text
        for section in ("api-usage", "api-daily-status", "monthly-usage"):
            assert f'id="{section}"' in page
        assert "<td>/v1/memories</td>" in page and "<td>POST</td>" in page
        for dev in (usage.devs["A"], usage.devs["B"]):
            assert f'title="{dev.id}">{dev.email}</a>' in page
            assert f"/dashboard/developers/{dev.id}?" in page

    def test_developer_dashboard_names_own_users_only(self, usage):
        """A developer's dashboard (session login) shows their usage and their end users by
        their own names; nothing of the other developer."""
        session = usage.identity.create_session(usage.devs["B"].id)
        with httpx.Client(base_url=usage.url, timeout=30.0) as client:
            r = client.post(
                "/dashboard/login", data={"token": session.token}, follow_redirects=False
            )
            assert r.status_code == 303
            page = client.get("/dashboard").text
        assert 'id="api-usage"' in page and 'id="monthly-usage"' in page
        assert ">diana</td>" in page and ">eve</td>" in page
        assert usage.devs["A"].id not in page and usage.devs["A"].email not in page
        assert not any(f">{name}</td>" in page for name in USERS["A"])


class TestOpensourceThroughRelay:
    def test_installation_api_requests_keep_their_template(self, usage, tmp_path, served):
        """An opensource installation's middleware sends api_request through the server's
        relay: the relayed event keeps the route template, method, status class and duration
        bucket (not dropped as a path), and nothing else of the request."""
        from fastapi import FastAPI

        from tenantry import TelemetryService
        from tenantry.asgi import TelemetryMiddleware

        oss = TelemetryService(
            data_dir=tmp_path, edition="opensource", destinations=("relay",), relay_url=usage.url
        )
        app = FastAPI()

        @app.get("/v1/notes/{note_id}")
        async def note(note_id: str) -> dict:
            return {"id": note_id}

        app.add_middleware(
            TelemetryMiddleware, resolve=lambda r: ("dev_host", "usr_9"), telemetry=oss
        )
        assert served(app).get("/v1/notes/n_77").json() == {"id": "n_77"}
        assert oss.flush(10.0)
        oss.shutdown(2.0)
        usage.flush()
        [event] = [
            e
            for e in usage.relayed.events
            if e.event == "api_request" and e.properties.get("route") == "/v1/notes/{note_id}"
        ]
        p = event.properties
        assert (p["method"], p["status_class"]) == ("GET", "2xx")
        assert p["duration_bucket"] in {label for _, label in BUCKETS} | {SLOWEST}
        assert not {"status", "duration_ms", "request_bytes", "developer_id"} & set(p)
        assert "n_77" not in str(event.to_dict()) and "dev_host" not in str(event.to_dict())
