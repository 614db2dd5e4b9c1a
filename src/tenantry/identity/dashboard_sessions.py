"""Dashboard logins: random, expiring, server-side sessions in the identity database.

    logins = DashboardSessions(store)
    session_id, cookie = logins.create(developer_id=None)        # the admin
    session_id, cookie = logins.create("dev_...", session_id="ses_...")
    logins.lookup(cookie)   # -> DashboardLogin | None (unknown, expired, or its session revoked)
    logins.revoke(cookie)   # logout

The cookie value is 256 random bits, stored only as its SHA-256 (like session tokens), so a
copied table gives nothing to replay and nothing to test admin-token guesses against. Rows live
in the shared identity database, so every replica sees a login and a logout at once. A login made
from a developer session ends when that session is revoked or expires.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import and_, or_, select

from tenantry.identity._base import digest
from tenantry.identity._schema import dashboard_sessions, sessions, utc
from tenantry.identity.store import IdentityStore

DASHBOARD_TTL = 8 * 3600.0  # seconds a dashboard login lasts
COOKIE_PREFIX = "tnd_"


@dataclass(frozen=True, slots=True)
class DashboardLogin:
    """Who is logged in: ``developer_id`` None is the admin."""

    id: str
    developer_id: str | None
    expires_at: datetime


class DashboardSessions:
    """Create, look up and revoke dashboard logins on an ``IdentityStore``'s database."""

    def __init__(self, store: IdentityStore, *, ttl: float = DASHBOARD_TTL) -> None:
        self.engine = store._engine
        self.ttl = float(ttl)

    def create(
        self, developer_id: str | None, *, session_id: str | None = None
    ) -> tuple[DashboardLogin, str]:
        """A new login and its raw cookie value (shown once). Expired rows are swept here."""
        raw = COOKIE_PREFIX + secrets.token_urlsafe(32)
        now = datetime.now(UTC)
        login = DashboardLogin(
            "dsh_" + secrets.token_hex(12), developer_id, now + timedelta(seconds=self.ttl)
        )
        with self.engine.begin() as conn:
            conn.execute(dashboard_sessions.delete().where(dashboard_sessions.c.expires_at < now))
            conn.execute(
                dashboard_sessions.insert().values(
                    token_hash=digest(raw),
                    id=login.id,
                    developer_id=developer_id,
                    session_id=session_id,
                    created_at=now,
                    expires_at=login.expires_at,
                )
            )
        return login, raw

    def lookup(self, raw: str | None) -> DashboardLogin | None:
        """The live login for a cookie value, or None."""
        if not isinstance(raw, str) or not raw.startswith(COOKIE_PREFIX) or len(raw) > 100:
            return None
        now = datetime.now(UTC)
        d, s = dashboard_sessions.c, sessions.c
        query = (
            select(d.id, d.developer_id, d.expires_at)
            .select_from(dashboard_sessions.outerjoin(sessions, s.id == d.session_id))
            .where(
                d.token_hash == digest(raw),
                d.expires_at > now,
                or_(d.session_id.is_(None), and_(s.id.is_not(None), s.expires_at > now)),
            )
        )
        with self.engine.connect() as conn:
            row = conn.execute(query).first()
        if row is None:
            return None
        return DashboardLogin(row.id, row.developer_id, utc(row.expires_at))

    def revoke(self, raw: str | None) -> None:
        """Log out (idempotent)."""
        if isinstance(raw, str):
            with self.engine.begin() as conn:
                conn.execute(
                    dashboard_sessions.delete().where(
                        dashboard_sessions.c.token_hash == digest(raw)
                    )
                )
