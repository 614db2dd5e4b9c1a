"""Who a request comes from (an API key, with an external user ID, or a session token),
answered from the store's caches when it can, and the batched ``last_used_at`` of API keys.

Part of ``IdentityStore`` (a base class of it); see ``identity.store`` for the caching contract.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.engine import Engine

from tenantry.errors import (
    ConflictingCredentials,
    InvalidSession,
    MissingCredentials,
    RevokedApiKey,
    UnknownApiKey,
)
from tenantry.identity._base import NEGATIVE_TTL, digest
from tenantry.identity._cache import TTLCache
from tenantry.identity._schema import Identity, api_keys, sessions, utc

logger = logging.getLogger("tenantry.identity")

_UNKNOWN = object()  # a cached "no such key/session"


class Resolution:
    """``resolve`` and ``cached_identity``; API key use written in batches."""

    _engine: Engine
    _keys: TTLCache
    _sessions: TTLCache
    usage_interval: float
    _usage: dict[str, float]
    _usage_flushed: float
    _usage_lock: threading.Lock
    _usage_thread: threading.Thread | None
    resolve_end_user: Callable[[str, str], str]  # ``EndUsers``

    def resolve(
        self,
        *,
        api_key: str | None = None,
        session_token: str | None = None,
        external_user_id: str | None = None,
    ) -> Identity:
        """Who a request comes from.

        API key + external user ID -> (developer, end user); API key alone -> (developer, None);
        session token -> (user, user): the user IS the developer (an external ID is ignored).
        """
        if api_key and session_token:
            raise ConflictingCredentials("send an API key or a session token, not both")
        if api_key:
            identity = self._identity_for_key(api_key)
            if external_user_id is None or external_user_id == "":
                return identity
            end_user = self.resolve_end_user(identity.developer_id, external_user_id)
            return Identity(identity.developer_id, end_user, "api_key")
        if session_token:
            return self._identity_for_session(session_token)
        raise MissingCredentials("an API key or a session token is required")

    def cached_identity(
        self, *, api_key: str | None = None, session_token: str | None = None
    ) -> Identity | None:
        """The identity when it is already cached and valid, else None (never touches the DB).

        Lets an event loop answer warm requests inline and send only cold ones to a thread.
        """
        if api_key and not session_token and isinstance(api_key, str):
            entry = self._keys.get(digest(api_key))
            if entry is not None and entry is not _UNKNOWN and entry[1] is None:
                self._note_use(entry[2], background=True)  # an event loop: never block it
                return entry[0]
        elif session_token and not api_key and isinstance(session_token, str):
            entry = self._sessions.get(digest(session_token))
            if entry is not None and entry is not _UNKNOWN and entry[1] > time.time():
                return entry[0]
        return None

    def _identity_for_key(self, api_key: str) -> Identity:
        if not isinstance(api_key, str):
            raise UnknownApiKey("unknown API key")
        hashed = digest(api_key)
        generation = self._keys.generation
        entry = self._keys.get(hashed)
        if entry is None:
            entry = self._load_key(hashed, generation)
        if entry is _UNKNOWN:
            raise UnknownApiKey("unknown API key")
        identity, revoked_at, key_id = entry
        if revoked_at is not None:
            raise RevokedApiKey("this API key has been revoked")
        self._note_use(key_id)
        return identity

    def _load_key(self, hashed: str, generation: int | None = None) -> Any:
        with self._engine.connect() as conn:
            row = conn.execute(
                select(api_keys.c.id, api_keys.c.developer_id, api_keys.c.revoked_at).where(
                    api_keys.c.key_hash == hashed
                )
            ).first()
        if row is None:
            self._keys.set(hashed, _UNKNOWN, ttl=NEGATIVE_TTL, generation=generation)
            return _UNKNOWN
        entry = (Identity(row.developer_id, None, "api_key"), row.revoked_at, row.id)
        self._keys.set(hashed, entry, generation=generation)
        return entry

    def _identity_for_session(self, token: str) -> Identity:
        if not isinstance(token, str):
            raise InvalidSession("unknown or expired session token")
        hashed = digest(token)
        now = time.time()
        generation = self._sessions.generation
        entry = self._sessions.get(hashed)
        if entry is None:
            with self._engine.connect() as conn:
                row = conn.execute(
                    select(sessions.c.developer_id, sessions.c.expires_at).where(
                        sessions.c.token_hash == hashed
                    )
                ).first()
            if row is None:
                entry = _UNKNOWN
                self._sessions.set(hashed, entry, ttl=NEGATIVE_TTL, generation=generation)
            else:
                expires = utc(row.expires_at).timestamp()
                entry = (Identity(row.developer_id, row.developer_id, "session"), expires)
                self._sessions.set(
                    hashed, entry, ttl=max(0.0, expires - now), generation=generation
                )
        if entry is _UNKNOWN or entry[1] <= now:
            raise InvalidSession("unknown or expired session token")
        return entry[0]

    # -- last_used_at, batched --------------------------------------------------------------

    def _note_use(self, key_id: str, *, background: bool = False) -> None:
        self._usage[key_id] = time.time()
        if time.monotonic() - self._usage_flushed >= self.usage_interval:
            if not background:
                self.flush_usage()
                return
            self._usage_flushed = time.monotonic()  # one writer thread per interval
            self._usage_thread = threading.Thread(
                target=self.flush_usage, name="tenantry-usage", daemon=True
            )
            self._usage_thread.start()

    def flush_usage(self) -> None:
        """Write pending ``last_used_at`` values in one statement (errors are logged, not raised)."""
        if not self._usage_lock.acquire(blocking=False):
            return  # another thread is writing them right now
        try:
            self._usage_flushed = time.monotonic()
            pending, self._usage = self._usage, {}
            if not pending:
                return
            stmt = (
                update(api_keys)
                .where(api_keys.c.id == bindparam("key_id"))
                .values(last_used_at=bindparam("used_at"))
            )
            rows = [
                {"key_id": k, "used_at": datetime.fromtimestamp(t, UTC)} for k, t in pending.items()
            ]
            with self._engine.begin() as conn:
                conn.execute(stmt, rows)
        except Exception as exc:  # bookkeeping must never fail a request
            logger.warning("identity: could not record API key use: %s", exc)
        finally:
            self._usage_lock.release()
