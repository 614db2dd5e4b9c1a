"""Dashboard logins: random, expiring, server-side sessions in the identity database.

    logins = DashboardSessions(store, admin_token=settings.admin_token)
    session_id, cookie = logins.create(developer_id=None)        # the admin
    session_id, cookie = logins.create("dev_...", session_id="ses_...")
    logins.lookup(cookie)   # -> DashboardLogin | None (unknown, expired, or its session revoked)
    logins.revoke(cookie)   # logout
    logins.revoke_all()     # `tenantry dashboard logout-all`

The cookie value is 256 random bits, stored only as its SHA-256 (like session tokens), so a
copied table gives nothing to replay and nothing to test admin-token guesses against. Rows live
in the shared identity database, so every replica sees a login and a logout at once. A login made
from a developer session ends when that session is revoked or expires. An admin login is bound
to the admin token it was made with: its row is stored under the SHA-256 of an HMAC of the
cookie keyed with that token, so once ``TENANTRY_ADMIN_TOKEN`` changes or is removed no cookie
finds it any more (and a copied table still holds nothing to test a token guess against: the
cookie is not in it).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import and_, func, or_, select

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

    def __init__(
        self, store: IdentityStore, *, admin_token: str | None = None, ttl: float = DASHBOARD_TTL
    ) -> None:
        self.engine = store._engine
        self.admin_token = admin_token or None
        self.ttl = float(ttl)

    def _admin_hash(self, raw: str) -> str | None:
        """What an admin login's row is stored under (None without an admin token)."""
        if self.admin_token is None:
            return None
        keyed = hmac.new(self.admin_token.encode(), raw.encode(), hashlib.sha256).hexdigest()
        return digest(keyed)

    def create(
        self, developer_id: str | None, *, session_id: str | None = None
    ) -> tuple[DashboardLogin, str]:
        """A new login and its raw cookie value (shown once). Expired rows are swept here. An
        admin login (``developer_id`` None) needs the admin token."""
        raw = COOKIE_PREFIX + secrets.token_urlsafe(32)
        token_hash = digest(raw) if developer_id is not None else self._admin_hash(raw)
        if token_hash is None:
            raise ValueError("an admin dashboard login needs the admin token")
        now = datetime.now(UTC)
        login = DashboardLogin(
            "dsh_" + secrets.token_hex(12), developer_id, now + timedelta(seconds=self.ttl)
        )
        with self.engine.begin() as conn:
            conn.execute(dashboard_sessions.delete().where(dashboard_sessions.c.expires_at < now))
            conn.execute(
                dashboard_sessions.insert().values(
                    token_hash=token_hash,
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
        whose = and_(d.token_hash == digest(raw), d.developer_id.is_not(None))
        admin_hash = self._admin_hash(raw)
        if admin_hash is not None:
            whose = or_(whose, and_(d.token_hash == admin_hash, d.developer_id.is_(None)))
        query = (
            select(d.id, d.developer_id, d.expires_at)
            .select_from(dashboard_sessions.outerjoin(sessions, s.id == d.session_id))
            .where(
                whose,
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
            hashes = [h for h in (digest(raw), self._admin_hash(raw)) if h is not None]
            with self.engine.begin() as conn:
                conn.execute(
                    dashboard_sessions.delete().where(dashboard_sessions.c.token_hash.in_(hashes))
                )

    def revoke_all(self) -> int:
        """End every dashboard login, the admin's and the developers'; returns how many were
        live."""
        now = datetime.now(UTC)
        with self.engine.begin() as conn:
            live = conn.execute(
                select(func.count())
                .select_from(dashboard_sessions)
                .where(dashboard_sessions.c.expires_at > now)
            ).scalar_one()
            conn.execute(dashboard_sessions.delete())
        return int(live)
