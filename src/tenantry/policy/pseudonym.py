"""Keyed pseudonyms for opensource mode: ``anon_`` + the first 128 bits of HMAC-SHA256(secret, id).

Not a plain hash of the ID: without the installation's secret nobody can test a guessed ID
against a pseudonym. The secret is never sent anywhere.
"""

from __future__ import annotations

import hashlib
import hmac

PREFIX = "anon_"
HEX_CHARS = 32  # 128 bits
_CACHE_MAX = 65536


class Pseudonymizer:
    """``Pseudonymizer(secret)(id) -> "anon_<32 hex>"``; equal IDs give equal pseudonyms."""

    def __init__(self, secret: bytes) -> None:
        if isinstance(secret, str):
            secret = secret.encode()
        if not secret:
            raise ValueError("the pseudonym secret is empty")
        self._mac = hmac.new(secret, digestmod=hashlib.sha256)
        self._cache: dict[str, str] = {}

    def compute(self, identifier: str) -> str:
        """The pseudonym, without the cache."""
        mac = self._mac.copy()
        mac.update(identifier.encode("utf-8", "surrogatepass"))
        return PREFIX + mac.hexdigest()[:HEX_CHARS]

    def __call__(self, identifier: str) -> str:
        out = self._cache.get(identifier)
        if out is None:
            out = self.compute(identifier)
            cache = self._cache
            if len(cache) >= _CACHE_MAX:
                cache.clear()
            cache[identifier] = out
        return out

    def __repr__(self) -> str:  # never show the key
        return "Pseudonymizer(<secret>)"
