"""Keyed pseudonyms: HMAC, not a plain hash; secret-dependent; collision-free in practice."""

from __future__ import annotations

import hashlib
import hmac
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tenantry.policy.pseudonym import Pseudonymizer

SECRET = b"0123456789abcdef0123456789abcdef"


class TestPseudonymizer:
    def test_shape(self):
        """A pseudonym is anon_ plus 32 hex characters (128 bits) and is stable."""
        p = Pseudonymizer(SECRET)
        value = p("user_1234")
        assert value.startswith("anon_") and len(value) == 37
        int(value[5:], 16)
        assert p("user_1234") == value == Pseudonymizer(SECRET).compute("user_1234")

    @pytest.mark.parametrize("algo", ["sha256", "sha1", "md5", "sha512", "blake2b"])
    def test_not_an_unkeyed_hash(self, algo):
        """No prefix of a plain hash of the ID (any length, any case) appears in the pseudonym."""
        for ident in ("user_1234", "dev_abc123", "a"):
            body = Pseudonymizer(SECRET)(ident)[5:]
            for raw in (ident.encode(), ident.encode() + SECRET, SECRET + ident.encode()):
                digest = hashlib.new(algo, ident.encode()).hexdigest()
                for n in range(8, len(digest) + 1):
                    assert digest[:n] not in body
                    assert digest[-n:] not in body
                assert hashlib.new(algo, raw).hexdigest()[:32] != body

    def test_secret_matters(self):
        """Two secrets give different pseudonyms for the same ID."""
        assert Pseudonymizer(SECRET)("user_1234") != Pseudonymizer(SECRET[::-1])("user_1234")

    def test_empty_secret_refused(self):
        """A pseudonym without a key would be a plain hash: refused."""
        with pytest.raises(ValueError):
            Pseudonymizer(b"")

    def test_repr_hides_secret(self):
        """The secret never shows in a repr."""
        assert "0123" not in repr(Pseudonymizer(SECRET))

    def test_million_ids_million_pseudonyms(self):
        """A million distinct IDs give a million distinct pseudonyms (speed: bench/bench_policy)."""
        compute = Pseudonymizer(SECRET).compute
        seen = set(map(compute, [f"usr_{i}" for i in range(1_000_000)]))
        assert len(seen) == 1_000_000

    @settings(max_examples=200, deadline=None)
    @given(st.lists(st.text(min_size=1, max_size=30), min_size=1, max_size=20))
    def test_memo_and_lookup_agree_with_the_keyed_hash(self, ids):
        """``p(id)``, ``p.lookup(id)`` (the chain's) and the memo after a first sight all give
        HMAC-SHA256(secret, id) in the documented form, for any text (lone surrogates too); the
        memo never shows the IDs or the key."""
        p = Pseudonymizer(SECRET)
        for ident in ids + ids:
            raw = hmac.new(SECRET, ident.encode("utf-8", "surrogatepass"), hashlib.sha256)
            expected = "anon_" + raw.hexdigest()[:32]
            assert p(ident) == p.lookup(ident) == p.compute(ident) == expected
        assert re.fullmatch(r"<\d+ pseudonyms>", repr(p._cache))
