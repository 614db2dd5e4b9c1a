"""The identity store: developers, API keys, session tokens and end users (external IDs).

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

import functools
import hashlib
import logging
import secrets
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import bindparam, select, update
from sqlalchemy.exc import IntegrityError

from tenantry._keys import (
    KEY_PREFIX,
    SESSION_PREFIX,  # noqa: F401 - re-exported for callers
    new_api_key,
    new_session_token,
)
from tenantry.errors import (
    ConflictingCredentials,
    IdentityError,
    InvalidLogin,
    InvalidSession,
    MissingCredentials,
    NotFound,
    RevokedApiKey,
    UnknownApiKey,
)
from tenantry.identity._cache import TTLCache
from tenantry.identity._engine import make_engine, normalize_url
from tenantry.identity._migrate import upgrade
from tenantry.identity._schema import (
    ApiKey,
    Developer,
    Identity,
    Session,
    api_keys,
    dashboard_sessions,
    developers,
    end_users,
    sessions,
    utc,
)

if TYPE_CHECKING:
    from tenantry.config import Settings

logger = logging.getLogger("tenantry.identity")

MAX_CACHE_TTL = 30.0
NEGATIVE_TTL = 5.0
END_USER_CACHE_TTL = 300.0  # (developer, external id) -> usr_ never changes once created

VISIBLE_PREFIX_LEN = len(KEY_PREFIX) + 6
MAX_EXTERNAL_ID = 512

_UNKNOWN = object()
_hasher = PasswordHasher()


@functools.cache
def _dummy_hash() -> str:
    """Verified against when the email is unknown: a wrong email costs what a wrong password does."""
    return _hasher.hash(secrets.token_urlsafe(16))


class InvalidInput(IdentityError, ValueError):
    """A malformed email, external user ID, password or TTL. Never contains a credential."""

    status_code = 422


class DuplicateDeveloper(IdentityError, ValueError):
    """A developer with this email (compared case-insensitively) already exists."""

    status_code = 409


def digest(secret: str) -> str:
    """SHA-256 hex of a high-entropy secret (API key or session token): what the tables hold."""
    return hashlib.sha256(secret.encode()).hexdigest()


def _now() -> datetime:
    return datetime.now(UTC)


def _new_id(prefix: str) -> str:
    return prefix + secrets.token_hex(12)


class IdentityStore:
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
        self._engine = make_engine(self.url)
        self._dialect = self._engine.dialect.name
        try:
            upgrade(self._engine)
        except Exception:
            self._engine.dispose()
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
        self._engine.dispose()

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

    # -- developers -------------------------------------------------------------------------

    def create_developer(
        self, email: str, *, country: str | None = None, password: str | None = None
    ) -> Developer:
        email = _check_email(email)
        if country is not None:
            if not isinstance(country, str) or not country.strip() or len(country) > 64:
                raise InvalidInput("country must be a short non-empty string")
            country = country.strip()
        password_hash = None
        if password is not None:
            if not isinstance(password, str) or not password:
                raise InvalidInput("password must be a non-empty string")
            password_hash = _hasher.hash(password)
        dev = Developer(id=_new_id("dev_"), email=email, country=country, created_at=_now())
        try:
            with self._engine.begin() as conn:
                conn.execute(
                    developers.insert().values(
                        id=dev.id,
                        email=dev.email,
                        email_normalized=email.lower(),
                        country=country,
                        password_hash=password_hash,
                        created_at=dev.created_at,
                    )
                )
        except IntegrityError:
            raise DuplicateDeveloper("a developer with this email already exists") from None
        logger.info("identity: created developer %s", dev.id)
        return dev

    def get_developer(self, developer_id: str) -> Developer | None:
        if not isinstance(developer_id, str):
            return None
        with self._engine.connect() as conn:
            row = conn.execute(
                select(
                    developers.c.id,
                    developers.c.email,
                    developers.c.country,
                    developers.c.created_at,
                ).where(developers.c.id == developer_id)
            ).first()
        if row is None:
            return None
        return Developer(
            id=row.id, email=row.email, country=row.country, created_at=utc(row.created_at)
        )

    def _require_developer(self, conn: Any, developer_id: str) -> None:
        if not isinstance(developer_id, str) or (
            conn.execute(select(developers.c.id).where(developers.c.id == developer_id)).first()
            is None
        ):
            raise NotFound("no such developer")

    # -- API keys ---------------------------------------------------------------------------

    def create_api_key(self, developer_id: str) -> tuple[ApiKey, str]:
        """A new key for the developer: the record, and the raw key (shown once, never stored)."""
        raw = new_api_key()  # tnt_ + 256 random bits
        key = ApiKey(
            id=_new_id("key_"),
            developer_id=developer_id,
            prefix=raw[:VISIBLE_PREFIX_LEN],
            created_at=_now(),
        )
        with self._engine.begin() as conn:
            self._require_developer(conn, developer_id)
            conn.execute(
                api_keys.insert().values(
                    id=key.id,
                    developer_id=developer_id,
                    prefix=key.prefix,
                    key_hash=digest(raw),
                    created_at=key.created_at,
                )
            )
        logger.info("identity: created API key %s (%s...) for %s", key.id, key.prefix, developer_id)
        return key, raw

    def get_api_key(self, key_id: str) -> ApiKey | None:
        with self._engine.connect() as conn:
            row = conn.execute(select(api_keys).where(api_keys.c.id == key_id)).first()
        return _api_key(row) if row is not None else None

    def list_api_keys(self, developer_id: str) -> list[ApiKey]:
        with self._engine.connect() as conn:
            rows = conn.execute(
                select(api_keys)
                .where(api_keys.c.developer_id == developer_id)
                .order_by(api_keys.c.created_at)
            ).all()
        return [_api_key(row) for row in rows]

    def revoke_api_key(self, key_id: str) -> None:
        """Revoke a key (idempotent). It stops working here at once, elsewhere within the TTL."""
        with self._engine.begin() as conn:
            row = conn.execute(
                select(api_keys.c.key_hash, api_keys.c.revoked_at).where(api_keys.c.id == key_id)
            ).first()
            if row is None:
                raise NotFound("no such API key")
            if row.revoked_at is None:
                conn.execute(
                    update(api_keys).where(api_keys.c.id == key_id).values(revoked_at=_now())
                )
        self._keys.pop(row.key_hash)
        self._publish_revocation("key", row.key_hash)
        logger.info("identity: revoked API key %s", key_id)

    # -- sessions ---------------------------------------------------------------------------

    def login(self, email: str, password: str, *, ttl: float = 86400) -> Session:
        """A session for the developer with this email and password, or ``InvalidLogin``."""
        if not isinstance(email, str) or not isinstance(password, str) or not password:
            raise InvalidLogin("wrong email or password")
        with self._engine.connect() as conn:
            row = conn.execute(
                select(developers.c.id, developers.c.password_hash).where(
                    developers.c.email_normalized == email.strip().lower()
                )
            ).first()
        stored = row.password_hash if row is not None and row.password_hash else None
        try:
            _hasher.verify(stored or _dummy_hash(), password)
        except (VerificationError, InvalidHashError):
            stored = None
        if stored is None:
            raise InvalidLogin("wrong email or password")
        if _hasher.check_needs_rehash(stored):
            with self._engine.begin() as conn:
                conn.execute(
                    update(developers)
                    .where(developers.c.id == row.id)
                    .values(password_hash=_hasher.hash(password))
                )
        return self.create_session(row.id, ttl=ttl)

    def create_session(self, developer_id: str, *, ttl: float = 86400) -> Session:
        """A session token for a developer (operators, tests, after a login)."""
        if not isinstance(ttl, int | float) or not 0 < ttl <= 366 * 86400:
            raise InvalidInput("session ttl must be between 0 and 366 days (in seconds)")
        raw = new_session_token()
        now = _now()
        session = Session(
            token=raw,
            developer_id=developer_id,
            expires_at=now + timedelta(seconds=ttl),
            id=_new_id("ses_"),
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
        working here at once, in other processes within ``cache_ttl``. ``NotFound`` if unknown."""
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

    # -- end users --------------------------------------------------------------------------

    def resolve_end_user(self, developer_id: str, external_id: str) -> str:
        """The ``usr_`` ID for a developer's external user ID, created on first sight.

        Safe under concurrency on both backends: INSERT ... ON CONFLICT DO NOTHING RETURNING id,
        then SELECT when another writer won the race.
        """
        if isinstance(external_id, int) and not isinstance(external_id, bool):
            external_id = str(external_id)
        if (
            not isinstance(external_id, str)
            or not external_id
            or len(external_id) > MAX_EXTERNAL_ID
        ):
            raise InvalidInput(
                f"external user ID must be a non-empty string of at most {MAX_EXTERNAL_ID} characters"
            )
        cache_key = (developer_id, external_id)
        found = self._end_users.get(cache_key)
        if found is not None:
            return found
        found = self._find_end_user(developer_id, external_id)
        if found is None:
            try:
                with self._engine.begin() as conn:
                    found = conn.execute(
                        self._insert_ignoring_conflict(
                            end_users,
                            ["developer_id", "external_id"],
                            id=_new_id("usr_"),
                            developer_id=developer_id,
                            external_id=external_id,
                            created_at=_now(),
                        ).returning(end_users.c.id)
                    ).scalar()  # None when another writer won the race: then read theirs
            except IntegrityError:  # the foreign key: the developer does not exist
                raise NotFound("no such developer") from None
            if found is None:
                found = self._find_end_user(developer_id, external_id)
            if found is None:  # pragma: no cover - deleted between insert and select
                raise NotFound("end user vanished while being created")
        self._end_users.set(cache_key, found)
        return found

    def external_ids(self, developer_id: str, end_user_ids: list[str]) -> dict[str, str]:
        """``{usr_ ID: the developer's external ID}`` for those of ``end_user_ids`` that belong
        to ``developer_id`` (another developer's end users are simply not found)."""
        found: dict[str, str] = {}
        wanted = sorted({u for u in end_user_ids if isinstance(u, str)})
        with self._engine.connect() as conn:
            for i in range(0, len(wanted), 500):
                rows = conn.execute(
                    select(end_users.c.id, end_users.c.external_id).where(
                        end_users.c.developer_id == developer_id,
                        end_users.c.id.in_(wanted[i : i + 500]),
                    )
                )
                found.update({row.id: row.external_id for row in rows})
        return found

    def _find_end_user(self, developer_id: str, external_id: str) -> str | None:
        with self._engine.connect() as conn:
            return conn.execute(
                select(end_users.c.id).where(
                    end_users.c.developer_id == developer_id,
                    end_users.c.external_id == external_id,
                )
            ).scalar()

    def _insert_ignoring_conflict(self, table: Any, conflict: list[str], **values: Any) -> Any:
        if self._dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert
        return insert(table).values(**values).on_conflict_do_nothing(index_elements=conflict)

    # -- resolution -------------------------------------------------------------------------

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


def _api_key(row: Any) -> ApiKey:
    return ApiKey(
        id=row.id,
        developer_id=row.developer_id,
        prefix=row.prefix,
        created_at=utc(row.created_at),
        revoked_at=utc(row.revoked_at),
        last_used_at=utc(row.last_used_at),
    )


def _check_email(email: Any) -> str:
    if not isinstance(email, str):
        raise InvalidInput("email must be a string")
    email = email.strip()
    local, at, domain = email.rpartition("@")
    if (
        not at
        or not local
        or "." not in domain
        or len(email) > 320
        or any(c.isspace() for c in email)
    ):
        raise InvalidInput("email must look like name@example.com")
    return email
