"""The identity database beside a running server: every identity CLI command runs as its own
process next to a real ``tenantry serve`` (SQLite in WAL mode), then the server is killed with
SIGKILL. Nothing the server or the CLI acknowledged may be lost, revocations must hold, and the
file must stay intact. (A raw open/close of the database file inside the server drops its POSIX
locks; the next CLI process then takes itself for the last connection and deletes the server's
``-wal``/``-shm``: the failure this guards against.)"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import httpx
import pytest
from sqlalchemy import func, select, text

from tenantry.errors import InvalidSession, RevokedApiKey
from tenantry.identity import IdentityStore
from tenantry.server.memories import memories
from tests.scale.replicas import Replica, base_env

ADMIN = "adm_locks_0123456789abcdef"
PASSWORD = "correct horse battery staple"


def _cli(env: dict[str, str], *args: str, stdin: str | None = None) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "tenantry", *args],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, f"tenantry {' '.join(args)}: {done.stderr}"
    return done.stdout


def _remember(http: httpx.Client, acked: list[str], **headers: str) -> None:
    """One memory through the server; its id counts as acknowledged once answered 201."""
    r = http.post(
        "/v1/memories",
        json={"content": f"note {len(acked)}", "metadata": {"external_user_id": "alice"}},
        headers=headers,
    )
    assert r.status_code == 201, r.text
    acked.append(r.json()["id"])


def test_every_identity_command_beside_serve_then_sigkill(tmp_path):
    """With a server running, developers/keys/sessions commands lose no acknowledged write,
    the server keeps reading the CLI's rows, and after SIGKILL every memory, key and
    revocation is still there in an intact database."""
    data = tmp_path / "srv"
    env = base_env(
        TENANTRY_ADMIN_TOKEN=ADMIN,
        TELEMETRY_EDITION="cloud",
        TELEMETRY_PROVIDER="none",
        TENANTRY_DATA_DIR=str(data),
    )
    server = Replica("srv", tmp_path, env).start()
    acked: list[str] = []
    try:
        with httpx.Client(base_url=server.url, timeout=10.0) as http:
            made = json.loads(
                _cli(
                    env,
                    "developers",
                    "create",
                    "--email",
                    "a@example.com",
                    "--password-stdin",
                    "--json",
                    stdin=PASSWORD + "\n",
                )
            )
            dev, key1 = made["developer_id"], made["api_key"]
            _remember(http, acked, **{"X-API-Key": key1})
            key2 = json.loads(_cli(env, "keys", "create", dev, "--json"))
            _remember(http, acked, **{"X-API-Key": key2["api_key"]})
            listed = json.loads(_cli(env, "keys", "list", dev, "--json"))
            assert {k["id"] for k in listed["api_keys"]} == {made["api_key_id"], key2["id"]}
            _remember(http, acked, **{"X-API-Key": key1})
            shown = json.loads(_cli(env, "developers", "show", dev, "--json"))
            assert len(shown["api_keys"]) == 2
            # a session made and revoked over HTTP, by the server's own connections
            login = http.post(
                "/v1/auth/sessions", json={"email": "a@example.com", "password": PASSWORD}
            )
            assert login.status_code == 201, login.text
            http_session = login.json()
            revoked = http.delete(
                f"/v1/auth/sessions/{http_session['session_id']}",
                headers={"Authorization": f"Bearer {ADMIN}"},
            )
            assert revoked.status_code == 204
            # a session made and revoked by the CLI
            cli_session = json.loads(_cli(env, "sessions", "create", dev, "--json"))
            _remember(http, acked, **{"X-Session-Token": cli_session["session_token"]})
            _cli(env, "sessions", "revoke", cli_session["session_id"])
            _cli(env, "keys", "revoke", key2["id"])
            _remember(http, acked, **{"X-API-Key": key1})
            other = json.loads(
                _cli(env, "developers", "create", "--email", "b@example.com", "--json")
            )
            _remember(http, acked, **{"X-API-Key": other["api_key"]})
            _remember(http, acked, **{"X-API-Key": key1})
    finally:
        server.kill()  # SIGKILL: no shutdown, no checkpoint

    url = f"sqlite:///{(data / 'identity.db').resolve()}"
    with IdentityStore(url, cache_ttl=0) as store:
        with store._engine.connect() as conn:
            assert conn.execute(text("PRAGMA integrity_check")).scalar() == "ok"
            stored = set(conn.execute(select(memories.c.id)).scalars())
            assert conn.execute(select(func.count()).select_from(memories)).scalar() == len(acked)
        assert stored == set(acked)  # every memory answered 201 survived the crash
        assert store.resolve(api_key=key1).developer_id == dev
        assert store.resolve(api_key=other["api_key"]).developer_id == other["developer_id"]
        with pytest.raises(RevokedApiKey):
            store.resolve(api_key=key2["api_key"])
        for token in (http_session["token"], cli_session["session_token"]):
            with pytest.raises(InvalidSession):
                store.resolve(session_token=token)
    assert os.stat(data / "identity.db").st_mode & 0o777 == 0o600


def test_one_engine_per_database_per_process(tmp_path):
    """The identity store, the reference API's memories and the cloud profile lookup of one
    process share one engine for one database file, however its path is spelled; it is
    disposed of when the last of them is done, and a new one is made after that."""
    from tenantry.config import load_settings
    from tenantry.identity._engine import release_engine, shared_engine
    from tenantry.identity.enrichment import profile_lookup
    from tenantry.server.memories import MemoryTable

    path = tmp_path / "identity.db"
    store = IdentityStore(f"sqlite:///{path}")
    table = MemoryTable(f"sqlite:///{tmp_path / 'sub' / '..' / 'identity.db'}")
    lookup = profile_lookup(load_settings(data_dir=tmp_path, edition="cloud"))
    try:
        assert table.engine is store._engine
        assert lookup._engine is store._engine
    finally:
        engine = store._engine
        table.close()
        store.close()
        store.close()  # twice: still one release
        again = shared_engine(f"sqlite:///{path}")
        assert again is engine  # the lookup still holds it
        release_engine(again)
        lookup.close()
    fresh = shared_engine(f"sqlite:///{path}")
    assert fresh is not engine
    release_engine(fresh)
