"""The server under test: uvicorn on a free loopback port in a thread, a real SQLite identity
database and a real local event store, with the seed guide's two developers."""

from __future__ import annotations

from dataclasses import dataclass, field

import httpx
import pytest

from tenantry import TelemetryService
from tenantry.config import load_settings
from tenantry.destinations import build
from tenantry.identity import IdentityStore
from tenantry.server import ServerThread, create_app
from tenantry.testing import InMemoryDestination

ADMIN_TOKEN = "adm_test_token_0123456789"
PASSWORD = "correct horse battery staple"


@dataclass
class Dev:
    id: str
    email: str
    key: str
    key_id: str


@dataclass
class Running:
    url: str
    client: httpx.Client
    identity: IdentityStore
    telemetry: TelemetryService
    captured: InMemoryDestination
    relayed: InMemoryDestination
    app: object
    devs: dict[str, Dev] = field(default_factory=dict)

    @property
    def state(self):
        return self.app.state.server_state

    def flush(self) -> None:
        self.telemetry.flush(5.0)
        self.state.relay.flush(5.0)


def start(tmp_path, *, trusted_proxies: str = "", **app_kwargs):
    """Start a cloud server with developers A and B; returns (ServerThread, Running)."""
    settings = load_settings(
        data_dir=tmp_path,
        edition="cloud",
        destinations=("local",),
        admin_token=ADMIN_TOKEN,
        min_group_size=1,
        **({"trusted_proxies": trusted_proxies} if trusted_proxies else {}),
    )
    identity = IdentityStore.open(settings)
    captured = InMemoryDestination()
    local = build(settings, "local")
    telemetry = TelemetryService(settings, destinations=[captured, local])
    relayed = InMemoryDestination(name="relayed")
    relay_local = build(settings, "local")
    app = create_app(
        settings,
        telemetry=telemetry,
        identity=identity,
        relay_destinations=[relayed, relay_local],
        **app_kwargs,
    )
    server = ServerThread(app).start()
    running = Running(
        server.url,
        httpx.Client(base_url=server.url, timeout=10.0),
        identity,
        telemetry,
        captured,
        relayed,
        app,
    )
    for name, email in (("A", "developer@company.com"), ("B", "founder@startup.io")):
        dev = identity.create_developer(
            email, country="US" if name == "A" else "DE", password=PASSWORD
        )
        key, raw = identity.create_api_key(dev.id)
        running.devs[name] = Dev(dev.id, email, raw, key.id)
    return server, running


def stop(server, running) -> None:
    running.client.close()
    server.stop()
    running.telemetry.shutdown(5.0)
    running.identity.close()


@pytest.fixture(scope="package")
def running(tmp_path_factory):
    """One running server shared by the tests of this package."""
    server, running = start(tmp_path_factory.mktemp("server"))
    yield running
    stop(server, running)
