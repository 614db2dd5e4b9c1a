"""The seed guide's three auth paths, resolved by the identity store and shaped by the library."""

from __future__ import annotations

import pytest

from tenantry import TelemetryService
from tenantry.identity import IdentityStore
from tenantry.testing import InMemoryDestination


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
async def test_three_auth_paths_through_the_library(backend, tmp_path, request):
    """API key + external ID, API key alone, and session token give the right IDs and profile."""
    data_dir = tmp_path / "data"
    url = None if backend == "sqlite" else request.getfixturevalue("postgres_url")
    svc_kw = {"data_dir": data_dir} | ({"database_url": url} if url else {})
    store = IdentityStore.open(TelemetryService(enabled=False, **svc_kw).settings)
    dev = store.create_developer("developer@company.com", country="US", password="pw-123456789")
    _, key = store.create_api_key(dev.id)
    session = store.login("developer@company.com", "pw-123456789")
    via_external = store.resolve(api_key=key, external_user_id="alice_from_dev_system")
    via_key = store.resolve(api_key=key)
    via_session = store.resolve(session_token=session.token)

    dest = InMemoryDestination()
    svc = TelemetryService(edition="cloud", destinations=[dest], **svc_kw)  # profile lookup: auto
    for ident in (via_external, via_key, via_session):
        await svc.track("memory_created", {"type": "text", "has_metadata": True}, identity=ident)
    assert svc.shutdown(10)
    store.close()

    external, key_only, own = dest.events
    for e in (external, key_only, own):
        assert e.distinct_id == dev.id and e.properties["developer_id"] == dev.id
        assert e.properties["email"] == "developer@company.com" and e.properties["country"] == "US"
    assert external.properties["end_user_id"] == via_external.end_user_id
    assert via_external.end_user_id.startswith("usr_")
    assert "end_user_id" not in key_only.properties
    assert own.properties["end_user_id"] == own.properties["developer_id"] == dev.id
