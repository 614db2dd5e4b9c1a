"""Keyed pseudonyms for opensource mode: ``anon_`` + the first 128 bits of HMAC-SHA256(secret, id).

Not a plain hash of the ID: without the installation's secret nobody can test a guessed ID
against a pseudonym. The secret is never sent anywhere.
"""

from __future__ import annotations

import hashlib
import hmac
from functools import partial

from tenantry.policy._memo import Memo

PREFIX = "anon_"
HEX_CHARS = 32  # 128 bits
_CACHE_MAX = 65536


class Pseudonymizer:
    """``Pseudonymizer(secret)(id) -> "anon_<32 hex>"``; equal IDs give equal pseudonyms.
    ``lookup`` is the same function as the memo's own look-up (a known ID runs no Python
    code): the chain's ``Pseudonymize`` calls it once per event."""

    def __init__(self, secret: bytes) -> None:
        if isinstance(secret, str):
            secret = secret.encode()
        if not secret:
            raise ValueError("the pseudonym secret is empty")
        self._mac = hmac.new(secret, digestmod=hashlib.sha256)
        self._cache = _Known(partial(_keyed, self._mac), _CACHE_MAX, None)
        self.lookup = self._cache.__getitem__

    def compute(self, identifier: str) -> str:
        """The pseudonym, without the cache."""
        return _keyed(self._mac, identifier)

    def __call__(self, identifier: str) -> str:
        return self._cache[identifier]

    def __repr__(self) -> str:  # never show the key
        return "Pseudonymizer(<secret>)"


def _keyed(mac: hmac.HMAC, identifier: str) -> str:
    mac = mac.copy()
    mac.update(identifier.encode("utf-8", "surrogatepass"))
    return PREFIX + mac.hexdigest()[:HEX_CHARS]


class _Known(Memo):
    """The pseudonyms computed so far (``_memo``: at most ``_CACHE_MAX``, a full memo starts
    over); its repr never shows the IDs."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"<{len(self)} pseudonyms>"
