"""Cloud enrichment: a developer's profile (email, country, created_at) for shaped events.

``profile_lookup(settings)`` returns None when there is no identity database (it never creates
one: for SQLite it checks that the file exists) or it cannot be read; otherwise a callable
``developer_id -> {"email", "country", "created_at"} | None`` with an LRU+TTL cache (a warm lookup is about a
microsecond). It is called on the telemetry worker thread and never raises. Events get
``email`` and ``country`` as properties (``policy.processors.AddProfile``); the whole profile
becomes the developer's user properties at Amplitude and PostHog (``policy.people``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, inspect, select

from tenantry.identity._cache import TTLCache
from tenantry.identity._engine import normalize_url, release_engine, shared_engine, sqlite_path
from tenantry.identity._schema import developers, utc

if TYPE_CHECKING:
    from tenantry.config import Settings

logger = logging.getLogger("tenantry.identity")

PROFILE_TTL = 60.0  # a changed email or country shows up in events within a minute
_NONE = object()


class ProfileLookup:
    """developer_id -> read-only {"email", "country", "created_at"} or None; cached; never
    raises. ``created_at`` is ISO 8601 text."""

    def __init__(self, engine: Engine, *, ttl: float = PROFILE_TTL, maxsize: int = 10_000) -> None:
        self._engine = engine
        self._cache = TTLCache(ttl, maxsize=maxsize)
        self._warned = False

    def __call__(self, developer_id: str) -> Mapping[str, Any] | None:
        try:
            found = self._cache.get(developer_id)
        except TypeError:  # unhashable: not an ID we know
            return None
        if found is not None:
            return None if found is _NONE else found
        if not isinstance(developer_id, str):
            return None
        try:
            with self._engine.connect() as conn:
                row = conn.execute(
                    select(developers.c.email, developers.c.country, developers.c.created_at).where(
                        developers.c.id == developer_id
                    )
                ).first()
        except Exception as exc:
            if not self._warned:
                self._warned = True
                logger.warning("tenantry: developer profiles unavailable: %s", exc)
            self._cache.set(developer_id, _NONE, ttl=5.0)
            return None
        profile = None
        if row:
            created = utc(row.created_at).isoformat() if row.created_at is not None else None
            profile = MappingProxyType(
                {"email": row.email, "country": row.country, "created_at": created}
            )
        self._cache.set(developer_id, _NONE if profile is None else profile)
        return profile

    def close(self) -> None:
        engine, self._engine = self._engine, None
        if engine is not None:
            release_engine(engine)


def profile_lookup(
    settings: Settings, *, ttl: float = PROFILE_TTL
) -> Callable[[str], Mapping[str, Any] | None] | None:
    """The profile lookup for cloud events, or None when no identity database exists."""
    try:
        url = normalize_url(settings.identity_database_url)
        path = sqlite_path(url)
        if url.get_backend_name() == "sqlite" and (path is None or not path.is_file()):
            return None
        engine = shared_engine(url)  # the file exists: nothing is created
        try:
            with engine.connect() as conn:
                if not inspect(conn).has_table("developers"):
                    release_engine(engine)
                    return None
        except Exception:
            release_engine(engine)
            raise
    except Exception as exc:
        logger.info("tenantry: no developer profiles (%s)", exc)
        return None
    return ProfileLookup(engine, ttl=ttl)
