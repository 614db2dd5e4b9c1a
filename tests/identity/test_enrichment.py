"""Cloud enrichment: developer profiles for shaped events, from the identity store."""

from __future__ import annotations

import time

from tenantry.config import load_settings
from tenantry.identity import IdentityStore
from tenantry.identity.enrichment import profile_lookup


def test_no_database_means_none_and_nothing_created(tmp_path):
    """Without an identity database, profile_lookup is None and creates no file or directory."""
    settings = load_settings(data_dir=tmp_path / "data", edition="cloud")
    assert profile_lookup(settings) is None
    assert not (tmp_path / "data").exists()


def test_profile_of_known_and_unknown_developers(db_url):
    """A known developer maps to email, country and created_at (ISO 8601); an unknown ID or a
    non-string to None."""
    with IdentityStore(db_url) as store:
        dev = store.create_developer("prof@example.com", country="FR")
    lookup = profile_lookup(load_settings(database_url=db_url))
    assert lookup is not None
    profile = dict(lookup(dev.id))
    assert profile == {
        "email": "prof@example.com",
        "country": "FR",
        "created_at": dev.created_at.isoformat(),
    }
    assert lookup("dev_missing") is None
    assert lookup(["unhashable"]) is None
    lookup.close()


def test_warm_lookup_is_cached_and_fast(tmp_path):
    """Repeated lookups come from the cache (no DB) and cost a few microseconds at most."""
    url = f"sqlite:///{tmp_path / 'identity.db'}"
    with IdentityStore(url) as store:
        dev = store.create_developer("fast@example.com", country="JP")
    lookup = profile_lookup(load_settings(database_url=url))
    assert lookup(dev.id)["country"] == "JP"
    lookup._engine.dispose()
    (tmp_path / "identity.db").unlink()  # a DB read now would fail: the answer must be cached
    n = 20_000
    started = time.perf_counter()
    for _ in range(n):
        lookup(dev.id)
    per_call = (time.perf_counter() - started) / n
    assert lookup(dev.id)["email"] == "fast@example.com"
    assert per_call < 10e-6, per_call


def test_database_errors_give_none(tmp_path):
    """An unreachable or corrupt database gives None, never an exception."""
    unreachable = load_settings(database_url="postgresql://postgres@127.0.0.1:1/none")
    assert profile_lookup(unreachable) is None
    garbage = tmp_path / "identity.db"
    garbage.write_bytes(b"this is not a sqlite database" * 100)
    assert profile_lookup(load_settings(database_url=f"sqlite:///{garbage}")) is None


def test_error_after_opening_gives_none(tmp_path):
    """When the database breaks after the lookup was built, lookups return None instead of raising."""
    url = f"sqlite:///{tmp_path / 'identity.db'}"
    with IdentityStore(url) as store:
        store.create_developer("gone@example.com")
    lookup = profile_lookup(load_settings(database_url=url))
    lookup._engine.dispose()
    (tmp_path / "identity.db").write_bytes(b"corrupt" * 1000)
    assert lookup("dev_whatever") is None
