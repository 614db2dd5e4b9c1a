"""Session tokens: created for a developer (or by ``login``), looked up, revoked.

Part of ``IdentityStore`` (a base class of it): works on the store's engine and session cache.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.engine import Engine

from tenantry._keys import new_session_token
from tenantry.errors import InvalidInput, NotFound
from tenantry.identity._base import digest, new_id, utcnow
from tenantry.identity._cache import TTLCache
from tenantry.identity._schema import Session, dashboard_sessions, sessions

logger = logging.getLogger("tenantry.identity")


class Sessions:
    """Developer session tokens (``tns_...``), stored as digests."""

    _engine: Engine
    _sessions: TTLCache  # token digest -> cached identity (``_resolve``)
    _publish_revocation: Callable[[str, str], None]  # ``IdentityStore``

    def create_session(self, developer_id: str, *, ttl: float = 86400) -> Session:
        """A session token for a developer (operators, tests, after a login)."""
        if not isinstance(ttl, int | float) or not 0 < ttl <= 366 * 86400:
            raise InvalidInput("session ttl must be between 0 and 366 days (in seconds)")
        raw = new_session_token()
        now = utcnow()
        session = Session(
            token=raw,
            developer_id=developer_id,
            expires_at=now + timedelta(seconds=ttl),
            id=new_id("ses_"),
        )
        with self._engine.begin() as conn:
            self._require_developer(conn, developer_id)
            conn.execute(
                sessions.insert().values(
                    id=session.id,
                    token_hash=digest(raw),
                    developer_id=developer_id,
                    created_at=now,
                    expires_at=session.expires_at,
                )
            )
        logger.info("identity: created session %s for %s", session.id, developer_id)
        return session

    def session_owner(self, session_id: str) -> str | None:
        """The developer a session (by ``ses_`` ID) belongs to, or None when there is none."""
        if not isinstance(session_id, str):
            return None
        with self._engine.connect() as conn:
            return conn.execute(
                select(sessions.c.developer_id).where(sessions.c.id == session_id)
            ).scalar()

    def session_id(self, token: str) -> str | None:
        """The ``ses_`` ID of a session token, or None."""
        if not isinstance(token, str):
            return None
        with self._engine.connect() as conn:
            return conn.execute(
                select(sessions.c.id).where(sessions.c.token_hash == digest(token))
            ).scalar()

    def revoke_session_id(self, session_id: str) -> None:
        """Revoke a session by its ``ses_`` ID, and the dashboard logins made from it. It stops
        working here at once, in other processes within ``cache_ttl`` (within about a second
        with ``redis_url``). ``NotFound`` if unknown."""
        with self._engine.begin() as conn:
            hashed = conn.execute(
                select(sessions.c.token_hash).where(sessions.c.id == session_id)
            ).scalar()
            if hashed is None:
                raise NotFound("no such session")
            conn.execute(sessions.delete().where(sessions.c.id == session_id))
            conn.execute(
                dashboard_sessions.delete().where(dashboard_sessions.c.session_id == session_id)
            )
        self._sessions.pop(hashed)
        self._publish_revocation("session", hashed)
        logger.info("identity: revoked session %s", session_id)

    def revoke_session(self, token: str) -> None:
        """Log out: the token stops working here at once (idempotent)."""
        if not isinstance(token, str):
            return
        hashed = digest(token)
        with self._engine.begin() as conn:
            sid = conn.execute(
                select(sessions.c.id).where(sessions.c.token_hash == hashed)
            ).scalar()
            conn.execute(sessions.delete().where(sessions.c.token_hash == hashed))
            if sid is not None:
                conn.execute(
                    dashboard_sessions.delete().where(dashboard_sessions.c.session_id == sid)
                )
        self._sessions.pop(hashed)
        self._publish_revocation("session", hashed)
