"""The identity schema (one for SQLite and PostgreSQL) and the records the store hands out.

Secrets never reach a table: API keys and session tokens are stored as SHA-256 hex digests (they
are 256-bit random values, so a fast hash is right), passwords as argon2id hashes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from sqlalchemy import (
    Column,
    DateTime,
    ForeignKey,
    Index,
    MetaData,
    String,
    Table,
    UniqueConstraint,
)

metadata = MetaData()

developers = Table(
    "developers",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("email", String(320), nullable=False),
    Column("email_normalized", String(320), nullable=False, unique=True),
    Column("country", String(64)),
    Column("password_hash", String(255)),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", String(40), primary_key=True),
    Column(
        "developer_id", String(40), ForeignKey("developers.id", ondelete="CASCADE"), nullable=False
    ),
    Column("prefix", String(16), nullable=False),
    Column("key_hash", String(64), nullable=False, unique=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True)),
    Column("last_used_at", DateTime(timezone=True)),
    Index("ix_api_keys_developer_id", "developer_id"),
)

sessions = Table(
    "sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column(
        "developer_id", String(40), ForeignKey("developers.id", ondelete="CASCADE"), nullable=False
    ),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("id", String(40)),  # ses_...: names a session without its token (revoke, list)
    Index("ix_sessions_developer_id", "developer_id"),
    Index("ix_sessions_id", "id", unique=True),
)

# A dashboard login: random, expiring, server-side (so replicas share it), stored as a hash.
# developer_id None = the admin; session_id = the developer session it was made from (revoking
# that session ends it too).
dashboard_sessions = Table(
    "dashboard_sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("id", String(40), nullable=False, unique=True),
    Column("developer_id", String(40), ForeignKey("developers.id", ondelete="CASCADE")),
    Column("session_id", String(40)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Index("ix_dashboard_sessions_session_id", "session_id"),
)

end_users = Table(
    "end_users",
    metadata,
    Column("id", String(40), primary_key=True),
    Column(
        "developer_id", String(40), ForeignKey("developers.id", ondelete="CASCADE"), nullable=False
    ),
    Column("external_id", String(512), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("developer_id", "external_id", name="uq_end_users_developer_external"),
)


def utc(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; everything we store is UTC."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


@dataclass(frozen=True, slots=True)
class Developer:
    """An API key owner (the seed guide's developer)."""

    id: str
    email: str
    country: str | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ApiKey:
    """An API key's public record. The raw key is returned once, by ``create_api_key``."""

    id: str
    developer_id: str
    prefix: str
    created_at: datetime
    revoked_at: datetime | None = None
    last_used_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Session:
    """A session: ``token`` is the raw token (shown once), stored only as its hash."""

    token: str
    developer_id: str
    expires_at: datetime
    id: str | None = None  # ses_...: for revoking without the token

    def __repr__(self) -> str:  # never print the token
        return (
            f"Session(id={self.id!r}, developer_id={self.developer_id!r}, "
            f"expires_at={self.expires_at!r})"
        )


@dataclass(frozen=True, slots=True)
class Identity:
    """Who a request comes from. Session requests: the user IS the developer."""

    developer_id: str
    end_user_id: str | None
    via: Literal["api_key", "session"]
