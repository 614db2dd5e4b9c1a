"""Session IDs, revocation by ID and dashboard logins in the identity store, on SQLite and
PostgreSQL (item 9)."""

from __future__ import annotations

import os
import stat

import pytest
from sqlalchemy import text

from tenantry.errors import InvalidSession, NotFound
from tenantry.identity import IdentityStore
from tenantry.identity._base import digest
from tenantry.identity.dashboard_sessions import DashboardSessions


def test_revoke_by_id_stops_token_and_dashboard_logins(store, developer):
    """``revoke_session_id`` ends the session and the dashboard logins made from it, not
    others; a second revoke is ``NotFound``."""
    keep = store.create_session(developer.id)
    gone = store.create_session(developer.id)
    assert gone.id.startswith("ses_") and gone.id != keep.id
    logins = DashboardSessions(store, admin_token="adm_0123456789")
    _, from_gone = logins.create(developer.id, session_id=gone.id)
    _, from_keep = logins.create(developer.id, session_id=keep.id)
    _, admin = logins.create(None)
    store.resolve(session_token=gone.token)  # cached now: revocation must still win
    store.revoke_session_id(gone.id)
    with pytest.raises(InvalidSession):
        store.resolve(session_token=gone.token)
    assert logins.lookup(from_gone) is None
    assert logins.lookup(from_keep).developer_id == developer.id
    assert logins.lookup(admin).developer_id is None
    with pytest.raises(NotFound):
        store.revoke_session_id(gone.id)


def test_logins_are_hashed_and_expire(store, developer):
    """The table holds a developer login's cookie as its SHA-256 only, an admin login's as a
    hash keyed with the admin token (neither the cookie nor its plain hash); a login past its
    TTL is gone."""
    session_id = store.create_session(developer.id).id
    logins = DashboardSessions(store, admin_token="adm_0123456789")
    _, raw = logins.create(developer.id, session_id=session_id)
    _, admin = logins.create(None)
    with store._engine.connect() as conn:
        hashes = conn.execute(text("SELECT token_hash FROM dashboard_sessions")).scalars().all()
    assert digest(raw) in hashes and len(hashes) == 2
    assert not {admin, digest(admin)} & set(hashes)
    import time

    short = DashboardSessions(store, admin_token="adm_0123456789", ttl=0.05)
    _, raw = short.create(developer.id, session_id=session_id)
    _, admin = short.create(None)
    time.sleep(0.1)
    assert short.lookup(raw) is None and short.lookup(admin) is None


def test_admin_logins_are_bound_to_the_admin_token(store, developer):
    """An admin login ends when the admin token changes or is removed; a developer's login
    does not depend on it; ``revoke_all`` ends every login."""
    _, admin = DashboardSessions(store, admin_token="adm_first_0123").create(None)
    session = store.create_session(developer.id)
    _, dev = DashboardSessions(store, admin_token="adm_first_0123").create(
        developer.id, session_id=session.id
    )
    assert DashboardSessions(store, admin_token="adm_first_0123").lookup(admin) is not None
    for rotated in (
        DashboardSessions(store, admin_token="adm_second_456"),
        DashboardSessions(store),
    ):
        assert rotated.lookup(admin) is None
        assert rotated.lookup(dev).developer_id == developer.id
    with pytest.raises(ValueError):
        DashboardSessions(store).create(None)
    logins = DashboardSessions(store, admin_token="adm_first_0123")
    assert logins.revoke_all() == 2
    assert logins.lookup(admin) is None and logins.lookup(dev) is None


def test_sessions_from_before_the_migration_get_an_id(tmp_path):
    """A database created at revision 0001 with a session is upgraded: the session gets a
    ``ses_`` ID (not its token) and can be revoked by it."""
    from alembic import command
    from alembic.config import Config

    from tenantry.identity._engine import make_engine
    from tenantry.identity._migrate import MIGRATIONS

    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = make_engine(url)
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0001")
        conn.execute(
            text(
                "INSERT INTO developers (id, email, email_normalized, created_at) "
                "VALUES ('dev_old', 'o@x.io', 'o@x.io', '2026-01-01 00:00:00')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO sessions (token_hash, developer_id, created_at, expires_at) VALUES "
                f"('{digest('tns_old')}', 'dev_old', '2026-01-01 00:00:00', '2099-01-01 00:00:00')"
            )
        )
    engine.dispose()
    with IdentityStore(url) as store:
        sid = store.session_id("tns_old")
        assert sid == "ses_" + digest("tns_old")[:24]
        store.revoke_session_id(sid)
        with pytest.raises(InvalidSession):
            store.resolve(session_token="tns_old")


def test_sqlite_file_is_private_whatever_the_umask(tmp_path):
    """Item 10: the identity database and its -wal/-shm are 0600, its new directory 0700,
    with umask 022."""
    old = os.umask(0o022)
    try:
        path = tmp_path / "new-dir" / "identity.db"
        with IdentityStore(f"sqlite:///{path}") as store:
            store.create_developer("p@x.io")
            modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in path.parent.iterdir()}
        assert {"identity.db", "identity.db-wal", "identity.db-shm"} <= set(modes)
        assert set(modes.values()) == {0o600}
        assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    finally:
        os.umask(old)
