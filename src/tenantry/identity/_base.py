"""What the identity store's parts share: limits, IDs and digests (its errors are in
``tenantry.errors``)."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime

from tenantry._keys import KEY_PREFIX

MAX_CACHE_TTL = 30.0
NEGATIVE_TTL = 5.0
END_USER_CACHE_TTL = 300.0  # (developer, external id) -> usr_ never changes once created

VISIBLE_PREFIX_LEN = len(KEY_PREFIX) + 6
MAX_EXTERNAL_ID = 512


def digest(secret: str) -> str:
    """SHA-256 hex of a high-entropy secret (API key or session token): what the tables hold."""
    return hashlib.sha256(secret.encode()).hexdigest()


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_id(prefix: str) -> str:
    """``prefix`` + 96 random bits in hex: ``dev_...``, ``key_...``, ``ses_...``, ``usr_...``."""
    return prefix + secrets.token_hex(12)
