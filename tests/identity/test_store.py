"""IdentityStore on SQLite and PostgreSQL: developers, API keys, sessions, end users, resolution."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
from sqlalchemy import create_engine, text

from tenantry.config import load_settings
from tenantry.errors import (
    ConflictingCredentials,
    InvalidLogin,
    InvalidSession,
    MissingCredentials,
    NotFound,
    RevokedApiKey,
    UnknownApiKey,
)
from tenantry.identity import DuplicateDeveloper, Identity, IdentityStore, InvalidInput
from tenantry.identity._engine import normalize_url


class TestDevelopers:
    def test_create_and_get(self, store):
        """A created developer gets a dev_ ID and reads back with its email and country."""
        dev = store.create_developer("Ada@Example.com", country="GB")
        assert dev.id.startswith("dev_") and len(dev.id) > 12
        assert store.get_developer(dev.id) == dev
        assert dev.created_at.tzinfo is not None
        assert store.get_developer("dev_nope") is None

    def test_email_unique_case_insensitive(self, store):
        """A second developer with the same email in another case is refused."""
        store.create_developer("ada@example.com")
        with pytest.raises(DuplicateDeveloper):
            store.create_developer("ADA@example.COM")

    @pytest.mark.parametrize("email", ["", "no-at-sign", "a b@example.com", "a@nodot", None])
    def test_bad_email(self, store, email):
        """A malformed email is refused with InvalidInput."""
        with pytest.raises(InvalidInput):
            store.create_developer(email)


class TestApiKeys:
    def test_key_resolves_to_its_developer(self, store, developer):
        """A new key is 256-bit random, shown once with a short prefix, and resolves to its owner."""
        key, raw = store.create_api_key(developer.id)
        assert key.id.startswith("key_") and raw.startswith("tnt_") and len(raw) >= 4 + 43
        assert raw.startswith(key.prefix) and len(key.prefix) == 10
        assert store.resolve(api_key=raw) == Identity(developer.id, None, "api_key")

    def test_unknown_developer(self, store):
        """A key for a developer that does not exist is NotFound."""
        with pytest.raises(NotFound):
            store.create_api_key("dev_missing")

    def test_unknown_key(self, store, developer):
        """A key nobody issued is UnknownApiKey."""
        store.create_api_key(developer.id)
        with pytest.raises(UnknownApiKey):
            store.resolve(api_key="tnt_" + "x" * 43)

    def test_revoke_takes_effect_at_once_in_the_same_store(self, store, developer):
        """Revoking through the store that cached the key rejects it on the next request."""
        key, raw = store.create_api_key(developer.id)
        store.resolve(api_key=raw)  # warm the cache
        store.revoke_api_key(key.id)
        with pytest.raises(RevokedApiKey):
            store.resolve(api_key=raw)
        assert store.get_api_key(key.id).revoked_at is not None
        store.revoke_api_key(key.id)  # idempotent
        with pytest.raises(NotFound):
            store.revoke_api_key("key_missing")

    def test_revoked_elsewhere_stops_within_the_ttl(self, db_url, store, developer):
        """A key revoked by another process still works from cache, then fails once the TTL ends."""
        key, raw = store.create_api_key(developer.id)
        server = IdentityStore(db_url, cache_ttl=0.3)
        try:
            assert server.resolve(api_key=raw).developer_id == developer.id
            store.revoke_api_key(key.id)
            assert server.resolve(api_key=raw).developer_id == developer.id  # cached
            time.sleep(0.35)
            with pytest.raises(RevokedApiKey):
                server.resolve(api_key=raw)
        finally:
            server.close()

    def test_cache_ttl_is_capped(self, db_url):
        """A cache TTL above the documented 30 s maximum is refused."""
        with pytest.raises(InvalidInput):
            IdentityStore(db_url, cache_ttl=31)

    def test_last_used_at_is_batched(self, db_url, developer, store):
        """last_used_at is written at most once per interval and on close, not per request."""
        key, raw = store.create_api_key(developer.id)
        server = IdentityStore(db_url, usage_interval=3600)
        server.resolve(api_key=raw)  # first use: flushed at once
        first = store.get_api_key(key.id).last_used_at
        assert first is not None
        time.sleep(0.01)
        for _ in range(20):
            server.resolve(api_key=raw)
        assert store.get_api_key(key.id).last_used_at == first  # not written per request
        server.close()
        assert store.get_api_key(key.id).last_used_at > first

    def test_list_keys(self, store, developer):
        """list_api_keys returns a developer's keys oldest first, without secrets."""
        a, _ = store.create_api_key(developer.id)
        b, _ = store.create_api_key(developer.id)
        assert [k.id for k in store.list_api_keys(developer.id)] == [a.id, b.id]


class TestSessions:
    def test_login_and_resolve(self, store):
        """login with the right password (any email case) gives a token that resolves to (user, user)."""
        dev = store.create_developer("pw@example.com", password="correct horse")
        session = store.login("PW@example.com", "correct horse", ttl=60)
        assert session.developer_id == dev.id and session.token.startswith("tns_")
        assert session.expires_at > datetime.now(UTC)
        assert store.resolve(session_token=session.token) == Identity(dev.id, dev.id, "session")
        assert session.token not in repr(session)

    @pytest.mark.parametrize(
        ("email", "password"),
        [
            ("pw@example.com", "wrong"),
            ("nobody@example.com", "correct horse"),
            ("nopw@example.com", "x"),
        ],
    )
    def test_bad_login(self, store, email, password):
        """A wrong password, unknown email or password-less developer are all InvalidLogin."""
        store.create_developer("pw@example.com", password="correct horse")
        store.create_developer("nopw@example.com")
        with pytest.raises(InvalidLogin):
            store.login(email, password)

    def test_expired_session(self, store, developer):
        """A session past its expiry is InvalidSession, even when it was cached while valid."""
        session = store.create_session(developer.id, ttl=0.2)
        assert store.resolve(session_token=session.token).developer_id == developer.id
        time.sleep(0.25)
        with pytest.raises(InvalidSession):
            store.resolve(session_token=session.token)

    def test_unknown_and_revoked_session(self, store, developer):
        """An unknown token and a logged-out token are InvalidSession."""
        with pytest.raises(InvalidSession):
            store.resolve(session_token="tns_unknown")
        session = store.create_session(developer.id)
        store.resolve(session_token=session.token)
        store.revoke_session(session.token)
        with pytest.raises(InvalidSession):
            store.resolve(session_token=session.token)

    def test_session_for_unknown_developer(self, store):
        """create_session for a developer that does not exist is NotFound."""
        with pytest.raises(NotFound):
            store.create_session("dev_missing")


class TestResolution:
    def test_api_key_with_external_user(self, store, developer):
        """API key + external user ID gives (developer, usr_ end user), stable across calls."""
        _, raw = store.create_api_key(developer.id)
        who = store.resolve(api_key=raw, external_user_id="alice_from_dev_system")
        assert who.developer_id == developer.id and who.via == "api_key"
        assert who.end_user_id.startswith("usr_")
        assert store.resolve(api_key=raw, external_user_id="alice_from_dev_system") == who

    def test_missing_and_conflicting(self, store, developer):
        """No credential is MissingCredentials; both kinds at once is ConflictingCredentials."""
        _, raw = store.create_api_key(developer.id)
        session = store.create_session(developer.id)
        with pytest.raises(MissingCredentials):
            store.resolve()
        with pytest.raises(MissingCredentials):
            store.resolve(api_key="", session_token="")
        with pytest.raises(ConflictingCredentials):
            store.resolve(api_key=raw, session_token=session.token)


class TestEndUsers:
    def test_isolation_between_developers(self, store):
        """The same external ID under two developers is two different end users."""
        a = store.create_developer("a@example.com")
        b = store.create_developer("b@example.com")
        ua = store.resolve_end_user(a.id, "user_1234")
        ub = store.resolve_end_user(b.id, "user_1234")
        assert ua != ub and ua.startswith("usr_") and ub.startswith("usr_")
        assert store.resolve_end_user(a.id, "user_1234") == ua

    def test_concurrent_resolution_creates_one(self, db_url, developer):
        """50 threads (each with its own store, so no shared cache) resolving one new ID get one user."""
        stores = [IdentityStore(db_url) for _ in range(5)]
        barrier = threading.Barrier(50)

        def resolve(i: int) -> str:
            barrier.wait()
            return stores[i % 5].resolve_end_user(developer.id, "brand_new_user")

        try:
            with ThreadPoolExecutor(50) as pool:
                ids = set(pool.map(resolve, range(50)))
        finally:
            for s in stores:
                s.close()
        assert len(ids) == 1
        engine = create_engine(normalize_url(db_url))
        with engine.connect() as conn:
            count = conn.execute(
                text("SELECT count(*) FROM end_users WHERE external_id = 'brand_new_user'")
            ).scalar()
        engine.dispose()
        assert count == 1

    def test_numeric_external_id_and_bad_ones(self, store, developer):
        """A numeric external ID means its string form; empty, too long or non-string IDs are refused."""
        assert store.resolve_end_user(developer.id, 42) == store.resolve_end_user(
            developer.id, "42"
        )
        for bad in ("", "x" * 513, None, {"id": 1}, True):
            with pytest.raises(InvalidInput):
                store.resolve_end_user(developer.id, bad)

    def test_unknown_developer(self, store):
        """Resolving an end user for a developer that does not exist is NotFound."""
        with pytest.raises(NotFound):
            store.resolve_end_user("dev_missing", "alice")


class TestOpening:
    def test_open_uses_settings(self, tmp_path):
        """IdentityStore.open uses TENANTRY_DATA_DIR's identity.db by default."""
        settings = load_settings(data_dir=tmp_path / "data")
        with IdentityStore.open(settings) as s:
            s.create_developer("x@example.com")
        assert (tmp_path / "data" / "identity.db").is_file()

    def test_concurrent_first_open_migrates_once(self, db_url):
        """Several stores opening the same new database at once all succeed, at the head revision."""
        with ThreadPoolExecutor(4) as pool:
            stores = list(pool.map(lambda _: IdentityStore(db_url), range(4)))
        for s in stores:
            s.close()
        engine = create_engine(normalize_url(db_url))
        with engine.connect() as conn:
            assert conn.execute(
                text("SELECT version_num FROM alembic_version")
            ).scalars().all() == ["0002"]
        engine.dispose()

    def test_postgres_url_maps_to_psycopg(self):
        """postgresql:// and postgres:// URLs select the psycopg 3 driver."""
        assert normalize_url("postgresql://u@h/db").drivername == "postgresql+psycopg"
        assert normalize_url("postgres://u@h/db").drivername == "postgresql+psycopg"
        assert normalize_url("sqlite:///x.db").drivername == "sqlite"
