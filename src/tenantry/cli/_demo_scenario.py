"""The demo's scenario: the seed guide's cast and calls, run against a real server.

``Demo`` starts the server (cloud edition, with its relay) on a free loopback port, creates
Developer A (alice, bob, charlie) and Developer B (diana, eve), sends requests down the three
auth paths over HTTP, runs an opensource installation that sends through the relay, asks the
seed guide's analytics questions over HTTP and fetches the dashboard. It records what it did
(``shown``, ``answers``, ``isolation``); ``tenantry.cli.demo`` runs the steps and shows them.
"""

from __future__ import annotations

import secrets
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

CAST = {
    "A": ("developer@company.com", "US", ("alice", "bob", "charlie")),
    "B": ("founder@startup.io", "DE", ("diana", "eve")),
}
DASHBOARD_FILE = "tenantry-dashboard.html"


class Demo:
    """One run: a cloud server (with its relay) and an opensource installation."""

    def __init__(self, data_dir: Path) -> None:
        from tenantry.config import load_settings

        self.dir = data_dir
        self.admin_token = "adm_" + secrets.token_hex(16)
        self.cloud_settings = load_settings(
            data_dir=data_dir / "server",
            database_url=f"sqlite:///{(data_dir / 'server' / 'identity.db').resolve()}",
            edition="cloud",
            destinations=("local",),
            enabled=True,
            do_not_track=False,
            admin_token=self.admin_token,
            min_group_size=1,
        )
        self.developers: dict[str, Any] = {}
        self.keys: dict[str, str] = {}
        self.passwords: dict[str, str] = {}
        self.shown: list[tuple[str, str]] = []  # (auth path, event uuid) shown side by side
        self.answers: list[tuple[str, str, Any]] = []
        self.server = None
        self.app = None
        self.cloud = None  # the server's TelemetryService: local store + what vendors would get
        self.oss = None
        self.identity = None
        self.client = None

    # 1. the server
    def start_server(self) -> None:
        import httpx

        from tenantry import TelemetryService
        from tenantry.identity import IdentityStore
        from tenantry.server import ServerThread, create_app
        from tenantry.testing import InMemoryDestination

        s = self.cloud_settings
        self.identity = IdentityStore.open(s)
        self.cloud = TelemetryService(s, destinations=["local", InMemoryDestination()])
        self.app = create_app(s, telemetry=self.cloud, identity=self.identity)
        self.server = ServerThread(self.app).start()
        self.client = httpx.Client(base_url=self.server.url, timeout=10.0)

    # 2. the cast
    def create_cast(self) -> None:
        for name, (email, country, _users) in CAST.items():
            password = secrets.token_urlsafe(12)
            dev = self.identity.create_developer(email, country=country, password=password)
            _key, raw = self.identity.create_api_key(dev.id)
            self.developers[name], self.keys[name], self.passwords[name] = dev, raw, password

    # 3. the three auth paths, over HTTP
    def send_requests(self) -> None:
        c = self.client
        first = None
        for name, (_email, _country, users) in CAST.items():
            for i, user in enumerate(users):
                for n in range(len(users) - i):  # alice 3 memories, bob 2, charlie 1, ...
                    r = _ok(
                        c.post(
                            "/v1/memories",
                            headers={"X-API-Key": self.keys[name]},
                            json={
                                "content": f"Meeting notes #{n + 1} of {user}",
                                "metadata": {"external_user_id": user, "topic": "meetings"},
                            },
                        )
                    )
                    first = first or r
            _ok(
                c.post(
                    "/v1/memories/search",
                    headers={"X-API-Key": self.keys[name]},
                    json={"query": "Meeting", "metadata": {"external_user_id": users[0]}},
                )
            )
        self.shown.append(("API key + external_user_id (alice)", "first"))
        _ok(
            c.post(
                "/v1/memories",
                headers={"X-API-Key": self.keys["A"]},
                json={"content": "Quarterly plan"},
            )
        )
        self.shown.append(("API key alone", "key-alone"))
        email = CAST["A"][0]
        session = _ok(
            c.post("/v1/auth/sessions", json={"email": email, "password": self.passwords["A"]})
        )["token"]
        _ok(
            c.post(
                "/v1/memories",
                headers={"X-Session-Token": session},
                json={"content": "My own note", "metadata": {"source": "dashboard"}},
            )
        )
        self.shown.append(("session token", "session"))
        # Wrong credentials are a 401 with a JSON body, never a crash.
        bad = c.post("/v1/memories", headers={"X-API-Key": "tnt_wrong"}, json={"content": "x"})
        assert bad.status_code == 401, bad.text
        self.session = session

    # 4. an opensource installation of the same host application, through the relay
    def run_opensource(self) -> None:
        from tenantry import TelemetryService
        from tenantry.config import load_settings
        from tenantry.testing import InMemoryDestination

        s = load_settings(
            data_dir=self.dir / "opensource",
            edition="opensource",
            destinations=("relay",),
            relay_url=self.server.url,
            enabled=True,
            do_not_track=False,
        )
        self.oss = TelemetryService(s, destinations=["relay", InMemoryDestination()])
        dev_a = self.developers["A"].id
        alice = self.identity.resolve_end_user(dev_a, "alice")
        calls = [
            ({"type": "text", "has_metadata": True}, alice, dev_a),
            ({"type": "text", "has_metadata": False}, None, dev_a),
            ({"type": "text", "has_metadata": True}, dev_a, dev_a),
        ]
        for props, user, dev in calls:
            # A careless caller: PII in the properties is filtered anyway (seed guide: DON'T 2).
            props = {**props, "user_email": "alice@example.com", "user_name": "Alice"}  # noqa: TNT003 - the careless caller the demo shows being filtered
            self.oss.track_sync("memory_created", props, user_id=user, developer_id=dev)
        for name, (_e, _c, users) in CAST.items():
            dev = self.developers[name].id
            for user in users:
                end_user = self.identity.resolve_end_user(dev, user)
                self.oss.track_sync(
                    "memory_created", {"type": "text"}, user_id=end_user, developer_id=dev
                )
                self.oss.track_sync(
                    "search_performed", {"result_count": 3}, user_id=end_user, developer_id=dev
                )

    def flush(self) -> None:
        state = self.server.server.config.app.state.server_state
        self.oss.flush(10.0)
        state.telemetry.flush(10.0)
        state.relay.flush(10.0)

    # 5. what each vendor would receive
    def vendor_payloads(self) -> list[tuple[str, dict, dict]]:
        state = self.server.server.config.app.state.server_state
        cloud = [
            e for e in state.telemetry.destination("memory").events if e.event == "memory_created"
        ]
        oss = [e for e in self.oss.destination("memory").events if e.event == "memory_created"]
        picks = [
            (self.shown[0][0], cloud[0], oss[0]),
            (self.shown[1][0], _find(cloud, end_user=None), oss[1]),
            (self.shown[2][0], _find(cloud, session=True), oss[2]),
        ]
        return [(label, amplitude_payload(c), posthog_payload(o)) for label, c, o in picks]

    # 6. the seed guide's analytics questions, over HTTP (the same run_query as the CLI)
    def analytics(self) -> None:
        admin = {"Authorization": f"Bearer {self.admin_token}"}
        key_a, key_b = ({"X-API-Key": self.keys[name]} for name in ("A", "B"))
        dev_a = self.developers["A"].id
        questions = [
            ("Show me all events for Developer A", "developer-events", key_a),
            ("How many memories did Developer A create?", "developer-memories", key_a),
            (
                "How many memories per end user for Developer A? (alice, bob, charlie)",
                "memories-per-end-user",
                key_a,
            ),
            (
                "How many memories per end user for Developer B? (diana, eve)",
                "memories-per-end-user",
                key_b,
            ),
            ("Which developer has the most active end users?", "top-developers", admin),
            ("Developer retention over time", "developer-retention", admin),
            ("Events per day per developer", "developer-daily-events", admin),
            ("Total usage (anonymous)", "event-counts", admin),
            ("Edition distribution", "edition-distribution", admin),
            ("OS distribution (opensource installations)", "os-distribution", admin),
            ("API usage per developer and route", "api-usage", admin),
            ("This month's usage per developer", "monthly-usage", admin),
        ]
        this_month = {"since": datetime.now(UTC).date().replace(day=1).isoformat()}
        for question, query, headers in questions:
            params = this_month if query == "monthly-usage" else None
            body = _ok(self.client.get(f"/v1/analytics/{query}", params=params, headers=headers))
            self.answers.append((question, query, body["rows"]))
        # Developer B's key cannot read Developer A's rows, whatever it asks for.
        body = _ok(
            self.client.get(
                "/v1/analytics/developer-events",
                params={"developer": dev_a},
                headers=key_b,
            )
        )
        self.isolation = body["rows"]

    def write_dashboard(self, output: Path | None) -> Path:
        """The admin overview (the server answers it over HTTP; checked here), written as one
        self-contained file: plotly.js inlined, no links back to the server, no log-out."""
        from tenantry.server.dashboard import static_overview

        live = self.client.get(
            "/dashboard", headers={"Authorization": f"Bearer {self.admin_token}"}, timeout=60
        )
        live.raise_for_status()
        html = static_overview(self.app.state.server_state)
        target = output or Path.cwd() / DASHBOARD_FILE
        try:
            target.write_text(html, encoding="utf-8")
        except OSError:  # a read-only working directory: the system's temp dir outlives ours
            target = Path(tempfile.gettempdir()) / DASHBOARD_FILE
            target.write_text(html, encoding="utf-8")
        return target

    def close(self) -> None:
        if self.client is not None:
            self.client.close()
        if self.oss is not None:
            self.oss.shutdown(5.0)
        if self.server is not None:
            self.server.stop()
        if self.cloud is not None:
            self.cloud.shutdown(5.0)
        if self.identity is not None:
            self.identity.close()


def _ok(response) -> dict:
    if response.status_code >= 400:
        raise RuntimeError(
            f"{response.request.method} {response.request.url.path}: "
            f"{response.status_code} {response.text[:200]}"
        )
    return response.json()


def _find(events: list, *, end_user=..., session: bool = False):
    for e in events:
        if session and e.developer_id and e.end_user_id == e.developer_id:
            return e
        if not session and end_user is None and e.end_user_id is None:
            return e
    return events[-1]


def amplitude_payload(event) -> dict:
    """What Amplitude's HTTP V2 API receives for ``event``, from the real encoder."""
    from tenantry.destinations.amplitude import AmplitudeDestination

    return _encoded(AmplitudeDestination, event)


def posthog_payload(event) -> dict:
    """What PostHog's batch API receives for ``event``, from the real encoder."""
    from tenantry.destinations.posthog import PostHogDestination

    return _encoded(PostHogDestination, event)


def _encoded(destination_class, event) -> dict:
    dest = destination_class(_plain_settings(), api_key="demo")
    try:
        return orjson.loads(dest.encode_event(event))
    finally:
        dest.shutdown(0.1)


def _plain_settings():
    from tenantry.config import load_settings

    return load_settings(destinations=("none",))
