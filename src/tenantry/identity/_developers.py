"""Developers and their credentials: accounts, passwords (``login``) and API keys.

Part of ``IdentityStore`` (a base class of it): works on the store's engine and key cache.
"""

from __future__ import annotations

import functools
import logging
import secrets
from collections.abc import Callable
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from tenantry._keys import new_api_key
from tenantry.errors import DuplicateDeveloper, InvalidInput, InvalidLogin, NotFound
from tenantry.identity._base import VISIBLE_PREFIX_LEN, digest, new_id, utcnow
from tenantry.identity._cache import TTLCache
from tenantry.identity._schema import ApiKey, Developer, Session, api_keys, developers, utc

logger = logging.getLogger("tenantry.identity")

_hasher = PasswordHasher()


@functools.cache
def _dummy_hash() -> str:
    """Verified against when the email is unknown: a wrong email costs what a wrong password does."""
    return _hasher.hash(secrets.token_urlsafe(16))


class Developers:
    """Developers, their password login and their API keys."""

    _engine: Engine
    _keys: TTLCache  # key digest -> cached identity (``_resolve``)
    create_session: Callable[..., Session]  # ``Sessions``
    _publish_revocation: Callable[[str, str], None]  # ``IdentityStore``

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
        dev = Developer(id=new_id("dev_"), email=email, country=country, created_at=utcnow())
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

    def developer_emails(self, developer_ids: list[str]) -> dict[str, str]:
        """``{dev_ ID: email}`` for those of ``developer_ids`` that exist (the dashboard shows
        people by email)."""
        wanted = sorted({d for d in developer_ids if isinstance(d, str) and d})
        found: dict[str, str] = {}
        with self._engine.connect() as conn:
            for i in range(0, len(wanted), 500):
                rows = conn.execute(
                    select(developers.c.id, developers.c.email).where(
                        developers.c.id.in_(wanted[i : i + 500])
                    )
                )
                found.update({row.id: row.email for row in rows})
        return found

    def find_developers(self, text: str, *, limit: int = 50) -> list[Developer]:
        """Developers whose email contains ``text`` (case-insensitive) or whose ID starts with
        it; exact matches first, then by email. An empty ``text`` lists the newest."""
        text = (text or "").strip()[:320]
        query = select(
            developers.c.id, developers.c.email, developers.c.country, developers.c.created_at
        )
        if text:
            escaped = _like_escaped(text)
            query = query.where(
                developers.c.email_normalized.like(f"%{escaped.lower()}%", escape="\\")
                | developers.c.id.like(f"{escaped}%", escape="\\")
            ).order_by(developers.c.email_normalized)
        else:
            query = query.order_by(developers.c.created_at.desc(), developers.c.id)
        with self._engine.connect() as conn:
            rows = conn.execute(query.limit(limit)).all()
        found = [
            Developer(id=r.id, email=r.email, country=r.country, created_at=utc(r.created_at))
            for r in rows
        ]
        exact = text.lower()
        found.sort(key=lambda d: d.id != text and d.email.lower() != exact)
        return found

    def _require_developer(self, conn: Any, developer_id: str) -> None:
        if not isinstance(developer_id, str) or (
            conn.execute(select(developers.c.id).where(developers.c.id == developer_id)).first()
            is None
        ):
            raise NotFound("no such developer")

    # -- password login ------------------------------------------------------------------------

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

    # -- API keys ---------------------------------------------------------------------------

    def create_api_key(self, developer_id: str) -> tuple[ApiKey, str]:
        """A new key for the developer: the record, and the raw key (shown once, never stored)."""
        raw = new_api_key()  # tnt_ + 256 random bits
        key = ApiKey(
            id=new_id("key_"),
            developer_id=developer_id,
            prefix=raw[:VISIBLE_PREFIX_LEN],
            created_at=utcnow(),
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
                    update(api_keys).where(api_keys.c.id == key_id).values(revoked_at=utcnow())
                )
        self._keys.pop(row.key_hash)
        self._publish_revocation("key", row.key_hash)
        logger.info("identity: revoked API key %s", key_id)


def _api_key(row: Any) -> ApiKey:
    return ApiKey(
        id=row.id,
        developer_id=row.developer_id,
        prefix=row.prefix,
        created_at=utc(row.created_at),
        revoked_at=utc(row.revoked_at),
        last_used_at=utc(row.last_used_at),
    )


def _like_escaped(text: str) -> str:
    """``text`` for a LIKE pattern with ``\\`` as the escape: its ``%`` and ``_`` are literal."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


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
