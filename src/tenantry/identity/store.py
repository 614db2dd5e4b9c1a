"""The identity store: developers, API keys, session tokens and end users (external IDs).

``IdentityStore`` is made of one part per seam: ``_developers`` (developers, password login,
API keys), ``_sessions`` (session tokens), ``_end_users`` (external IDs -> ``usr_`` IDs) and
``_resolve`` (who a request comes from, cached; ``last_used_at``); this module opens, caches,
listens for revocations and closes.

One schema on SQLite (default: ``data_dir/identity.db``) and PostgreSQL
(``TENANTRY_DATABASE_URL=postgresql://...``); Alembic migrations run on open.

Caching (documented contract): API key and session lookups are cached per store in an LRU whose
entries live ``cache_ttl`` seconds (default and maximum 30 s). A key revoked through this store
stops working at once; one revoked elsewhere (another process) stops within ``cache_ttl``.
Unknown keys are remembered for at most ``NEGATIVE_TTL`` seconds. ``last_used_at`` is written
in one batched UPDATE at most once per ``usage_interval`` (default 60 s) and on ``close()``, never
once per request.

With ``TENANTRY_REDIS_URL`` (``redis_url``) a revocation is published to every store on that
Redis, and caches are used only while the subscription is alive (``tenantry.shared_state``), so a
key or session revoked anywhere stops working everywhere within about a second.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from tenantry.errors import InvalidInput
from tenantry.identity._base import END_USER_CACHE_TTL, MAX_CACHE_TTL
from tenantry.identity._cache import TTLCache
from tenantry.identity._developers import Developers
from tenantry.identity._end_users import EndUsers
from tenantry.identity._engine import normalize_url, release_engine, shared_engine
from tenantry.identity._migrate import upgrade
from tenantry.identity._resolve import Resolution
from tenantry.identity._sessions import Sessions

if TYPE_CHECKING:
    from tenantry.config import Settings

__all__ = ["IdentityStore"]


class IdentityStore(Resolution, EndUsers, Developers, Sessions):
    """Developers, API keys, sessions and end users on one SQLAlchemy engine. Thread-safe."""

    def __init__(
        self,
        url: str,
        *,
        cache_ttl: float = MAX_CACHE_TTL,
        usage_interval: float = 60.0,
        redis_url: str | None = None,
    ) -> None:
        if not 0 <= cache_ttl <= MAX_CACHE_TTL:
            raise InvalidInput(f"cache_ttl must be between 0 and {MAX_CACHE_TTL:g} seconds")
        self.url = normalize_url(url)
        self.cache_ttl = float(cache_ttl)
        self.usage_interval = float(usage_interval)
        self._engine = shared_engine(self.url)  # one per database per process
        self._closed = False
        self._dialect = self._engine.dialect.name
        try:
            upgrade(self._engine)
        except Exception:
            release_engine(self._engine)
            raise
        self._keys = TTLCache(cache_ttl, maxsize=100_000)
        self._sessions = TTLCache(cache_ttl, maxsize=100_000)
        self._end_users = TTLCache(END_USER_CACHE_TTL if cache_ttl else 0, maxsize=100_000)
        self._usage: dict[str, float] = {}  # key id -> last use (epoch s), not yet written
        self._usage_flushed = float("-inf")
        self._usage_lock = threading.Lock()
        self._usage_thread: threading.Thread | None = None
        self._shared = self._revocations = None
        if redis_url:
            self._listen_for_revocations(redis_url)

    @classmethod
    def open(cls, settings: Settings | None = None, **kwargs: Any) -> IdentityStore:
        """The store configured by ``TENANTRY_DATABASE_URL`` (default SQLite in the data dir)."""
        if settings is None:
            from tenantry.config import load_settings

            settings = load_settings()
        kwargs.setdefault("redis_url", getattr(settings, "redis_url", None))
        return cls(settings.identity_database_url, **kwargs)

    def __enter__(self) -> IdentityStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"IdentityStore({self.url.render_as_string(hide_password=True)!r})"

    def close(self) -> None:
        """Write pending ``last_used_at`` values and release connections."""
        if self._usage_thread is not None:
            self._usage_thread.join(5.0)
        self.flush_usage()
        if self._shared is not None:
            self._shared.close()
        if not self._closed:
            self._closed = True
            release_engine(self._engine)

    # -- revocations across replicas ----------------------------------------------------------

    def _listen_for_revocations(self, redis_url: str) -> None:
        from tenantry.shared_state import SharedState

        self._shared = SharedState(redis_url)
        self._revocations = self._shared.revocations()
        for cache in (self._keys, self._sessions):
            cache.suspend()  # until the subscription is confirmed
        self._revocations.listen(self._revoked, self._trusted)

    def _revoked(self, kind: str, hashed: str) -> None:
        (self._keys if kind == "key" else self._sessions).invalidate(hashed)

    def _trusted(self, alive: bool) -> None:
        for cache in (self._keys, self._sessions):
            if alive:
                cache.resume()
            elif not cache.suspended:
                cache.suspend()

    def _publish_revocation(self, kind: str, hashed: str) -> None:
        if self._revocations is not None:
            self._revocations.publish(kind, hashed)
