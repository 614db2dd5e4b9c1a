"""``tenantry demo``: the seed guide's whole scenario, end to end, on embedded defaults.

It starts the service on a free loopback port, creates the seed guide's cast (Developer A with
alice, bob and charlie; Developer B with diana and eve), sends real HTTP requests down the three
auth paths, runs an opensource installation whose library sends through the service's relay,
shows what Amplitude and PostHog would receive side by side, answers the seed guide's analytics
questions (end users by their developer's names), the API usage per developer and route that
the service's own ``TelemetryMiddleware`` recorded, and writes the dashboard as one HTML file. Nothing is sent off this machine; nothing is
left running.
"""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer

CAST = {
    "A": ("developer@company.com", "US", ("alice", "bob", "charlie")),
    "B": ("founder@startup.io", "DE", ("diana", "eve")),
}
DASHBOARD_FILE = "tenantry-dashboard.html"


def register(app: typer.Typer) -> None:
    @app.command("demo")
    def demo(
        output: Annotated[
            Path | None,
            typer.Option("--output", "-o", help="where to write the dashboard HTML file"),
        ] = None,
        keep: Annotated[
            bool, typer.Option("--keep", help="keep the temporary data directory")
        ] = False,
    ) -> None:
        """Run the seed guide's scenario end to end (no configuration needed).

        Example: tenantry demo
        """
        run_demo(output=output, keep=keep)


# -- the scenario ---------------------------------------------------------------------------


class Demo:
    """One run: a cloud service (with its relay) and an opensource installation."""

    def __init__(self, data_dir: Path) -> None:
        from tenantry.config import load_settings

        self.dir = data_dir
        self.admin_token = "adm_" + secrets.token_hex(16)
        self.cloud_settings = load_settings(
            data_dir=data_dir / "service",
            database_url=f"sqlite:///{(data_dir / 'service' / 'identity.db').resolve()}",
            edition="cloud",
            providers=("local",),
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
        self.cloud = None  # the service's TelemetryService: local store + what vendors would get
        self.oss = None
        self.identity = None
        self.client = None

    # 1. the service
    def start_service(self) -> None:
        import httpx

        from tenantry import TelemetryService
        from tenantry.destinations import build
        from tenantry.identity import IdentityStore
        from tenantry.server import ServerThread, create_app
        from tenantry.testing import InMemoryDestination

        s = self.cloud_settings
        self.identity = IdentityStore.open(s)
        self.cloud = TelemetryService(s, destinations=[build(s, "local"), InMemoryDestination()])
        app = create_app(s, telemetry=self.cloud, identity=self.identity)
        self.server = ServerThread(app).start()
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
        from tenantry.destinations import build
        from tenantry.testing import InMemoryDestination

        s = load_settings(
            data_dir=self.dir / "opensource",
            edition="opensource",
            providers=("relay",),
            relay_url=self.server.url,
            enabled=True,
            do_not_track=False,
        )
        self.oss = TelemetryService(s, destinations=[build(s, "relay"), InMemoryDestination()])
        dev_a = self.developers["A"].id
        alice = self.identity.resolve_end_user(dev_a, "alice")
        calls = [
            ({"type": "text", "has_metadata": True}, alice, dev_a),
            ({"type": "text", "has_metadata": False}, None, dev_a),
            ({"type": "text", "has_metadata": True}, dev_a, dev_a),
        ]
        for props, user, dev in calls:
            # A careless caller: PII in the properties is filtered anyway (seed guide: DON'T 2).
            props = {**props, "user_email": "alice@example.com", "user_name": "Alice"}
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
        services = self.server.server.config.app.state.services
        self.oss.flush(10.0)
        services.telemetry.flush(10.0)
        services.relay.flush(10.0)

    # 5. what each vendor would receive
    def vendor_payloads(self) -> list[tuple[str, dict, dict]]:
        services = self.server.server.config.app.state.services
        cloud = [
            e
            for e in services.telemetry.destination("memory").events
            if e.event == "memory_created"
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
        dev_a = self.developers["A"].id
        questions = [
            (
                "Show me all events for Developer A",
                "developer-events",
                {"X-API-Key": self.keys["A"]},
            ),
            (
                "How many memories did Developer A create?",
                "developer-memories",
                {"X-API-Key": self.keys["A"]},
            ),
            (
                "How many memories per end user for Developer A? (alice, bob, charlie)",
                "memories-per-end-user",
                {"X-API-Key": self.keys["A"]},
            ),
            (
                "How many memories per end user for Developer B? (diana, eve)",
                "memories-per-end-user",
                {"X-API-Key": self.keys["B"]},
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
                headers={"X-API-Key": self.keys["B"]},
            )
        )
        self.isolation = body["rows"]

    def write_dashboard(self, output: Path | None) -> Path:
        html = self.client.get(
            "/dashboard", headers={"Authorization": f"Bearer {self.admin_token}"}, timeout=60
        )
        html.raise_for_status()
        target = output or Path.cwd() / DASHBOARD_FILE
        try:
            target.write_text(html.text, encoding="utf-8")
        except OSError:  # a read-only working directory: the system's temp dir outlives ours
            target = Path(tempfile.gettempdir()) / DASHBOARD_FILE
            target.write_text(html.text, encoding="utf-8")
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

    return load_settings(providers=("none",))


# -- the display ----------------------------------------------------------------------------


def run_demo(*, output: Path | None = None, keep: bool = False) -> Path:
    from rich.console import Console
    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    console = Console()
    env_dir = os.environ.get("TENANTRY_DATA_DIR")
    temp = env_dir is None
    if env_dir:  # the demo's own subfolder, fresh each run (its developers would clash)
        data_dir = Path(env_dir) / "demo"
        shutil.rmtree(data_dir, ignore_errors=True)
    else:
        data_dir = Path(tempfile.mkdtemp(prefix="tenantry-demo-"))
    started = time.monotonic()
    demo = Demo(data_dir)
    steps = [
        ("Starting the service on a free loopback port", demo.start_service),
        (
            "Creating Developer A (alice, bob, charlie) and Developer B (diana, eve)",
            demo.create_cast,
        ),
        (
            "Sending requests: API key + external_user_id, API key alone, session token",
            demo.send_requests,
        ),
        ("Running an opensource installation that sends through the relay", demo.run_opensource),
        ("Delivering every event", demo.flush),
        ("Answering the seed guide's analytics questions", demo.analytics),
    ]
    try:
        with Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=False,
        ) as progress:
            task = progress.add_task("tenantry demo", total=len(steps) + 1)
            for label, step in steps:
                progress.update(task, description=label)
                step()
                progress.advance(task)
            progress.update(task, description="Writing the dashboard")
            target = demo.write_dashboard(output)
            progress.advance(task)
            progress.update(task, description="Done")
        _show(console, demo)
    finally:
        demo.close()
        if temp and not keep:
            shutil.rmtree(data_dir, ignore_errors=True)
    took = time.monotonic() - started
    left = leftover_threads()
    running = f"still running: {', '.join(left)}" if left else "nothing is left running"
    console.print(
        f"\n[bold green]Dashboard:[/] {target}  (open it in a browser)\n"
        f"Done in {took:.1f} s; the service is stopped, {running}, and nothing was sent off "
        "this machine."
    )
    return target


def leftover_threads(timeout: float = 5.0) -> list[str]:
    """Names of threads other than the main one still alive (waiting up to ``timeout`` for
    daemon threads that are finishing)."""
    deadline = time.monotonic() + timeout
    while True:
        left = [
            t.name
            for t in threading.enumerate()
            if t is not threading.main_thread() and t.is_alive()
        ]
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.05)


def _show(console, demo: Demo) -> None:
    from rich.panel import Panel
    from rich.table import Table

    console.rule("[bold]What each vendor would receive for memory_created")
    for label, amp, ph in demo.vendor_payloads():
        console.print(f"\n[bold]{label}[/]")
        grid = Table.grid(expand=True, padding=(0, 1))
        grid.add_column(ratio=1)
        grid.add_column(ratio=1)
        grid.add_row(
            Panel(_json(amp), title="Result in Amplitude (cloud)", border_style="blue"),
            Panel(_json(ph), title="Result in PostHog (opensource)", border_style="magenta"),
        )
        console.print(grid)
    console.rule("[bold]Analytics (GET /v1/analytics/...)")
    for question, query, rows in demo.answers:
        console.print(f"\n[bold]{question}[/] [dim]GET /v1/analytics/{query}[/]")
        table = Table()
        columns = list(rows[0]) if rows else ["(no rows)"]
        for col in columns:
            table.add_column(col)
        for row in rows[:10]:
            table.add_row(*(str(row.get(c)) for c in columns))
        console.print(table)
    counts = ", ".join(f"{r['event']}={r['count']}" for r in demo.isolation) or "no rows"
    console.print(
        "\nTenant isolation: Developer B's key asking for Developer A's events "
        f"(?developer=<A>) was answered with Developer B's own rows only: {counts}."
    )


def _json(obj: Any):
    from rich.syntax import Syntax

    text = orjson.dumps(obj, option=orjson.OPT_INDENT_2).decode()
    return Syntax(text, "json", word_wrap=True, theme="ansi_dark", background_color="default")
