"""The FastAPI dependency: X-API-Key / X-Session-Token headers -> Identity, 401s without secrets."""

from typing import Annotated

import pytest
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient

from tenantry.identity import Identity, IdentityStore
from tenantry.identity.web import make_authenticator


@pytest.fixture
def client_and_store(tmp_path):
    store = IdentityStore(f"sqlite:///{tmp_path / 'identity.db'}")
    app = FastAPI()
    authenticate = make_authenticator(lambda: store)

    @app.get("/whoami")
    async def whoami(who: Annotated[Identity, Depends(authenticate)]) -> dict:
        return {"developer_id": who.developer_id, "end_user_id": who.end_user_id, "via": who.via}

    with TestClient(app) as client:
        yield client, store
    store.close()


def test_three_paths_and_errors(client_and_store):
    """A key gives (developer, None), a session (user, user); bad credentials give coded 401s."""
    client, store = client_and_store
    dev = store.create_developer("web@example.com")
    key, raw = store.create_api_key(dev.id)
    session = store.create_session(dev.id)

    for _ in range(2):  # cold, then warm (answered from the cache)
        r = client.get("/whoami", headers={"X-API-Key": raw})
        assert r.status_code == 200
        assert r.json() == {"developer_id": dev.id, "end_user_id": None, "via": "api_key"}
        r = client.get("/whoami", headers={"X-Session-Token": session.token})
        assert r.json() == {"developer_id": dev.id, "end_user_id": dev.id, "via": "session"}

    cases = [
        ({}, "missing_credentials"),
        ({"X-API-Key": raw, "X-Session-Token": session.token}, "conflicting_credentials"),
        ({"X-API-Key": raw + "nope"}, "unknown_api_key"),
        ({"X-Session-Token": "tns_nope"}, "invalid_session"),
    ]
    store.revoke_api_key(key.id)
    cases.append(({"X-API-Key": raw}, "revoked_api_key"))
    for headers, code in cases:
        r = client.get("/whoami", headers=headers)
        assert r.status_code == 401, (code, r.text)
        assert r.json()["detail"]["code"] == code
        assert raw not in r.text and session.token not in r.text
