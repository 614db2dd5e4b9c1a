"""``tenantry.policy.normalize``: the views of a text that every privacy rule reads."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tenantry.policy import normalize


class TestViews:
    @pytest.mark.parametrize(
        "text,hidden",
        [("alice＠example.com", "alice@example.com"),          # full-width @
         ("alice﹫example.com", "alice@example.com"),          # small-form @
         ("tnt_5L2j\u200bAbcdef", "tnt_5L2jAbcdef"),           # zero-width space
         ("tnt_5L2j\u202eAbcdef", "tnt_5L2jAbcdef"),           # bidi override
         ("alice%2540example.com", "alice@example.com"),       # percent-encoded twice
         ('{\\"password\\": \\"hunter2\\"}', '{"password": "hunter2"}'),  # escaped JSON
         ("a&#64;b.com", "a@b.com"),                           # HTML reference
         (base64.b64encode(b"alice@example.com").decode(), "alice@example.com"),
         (base64.urlsafe_b64encode(b"password=hunter2!?").decode(), "password=hunter2!?"),
         ("id:" + b"bob@example.com".hex(), "bob@example.com"),
         (base64.b64encode(base64.b64encode(b"carol@example.com")).decode(), "carol@example.com"),
         ("\\u0040", "@")],
    )  # fmt: skip
    def test_hidden_text_is_a_view(self, text, hidden):
        """Each respelling, escape or encoding of a text has its plain form among the views."""
        assert hidden in normalize.views(text)

    @pytest.mark.parametrize("token", ["text", "gpt-4o-mini", "application/json", "1.2.3",
                                       "TimeoutError", "eu-west-1", "memory_created"])  # fmt: skip
    def test_plain_tokens_have_one_view(self, token):
        """Ordinary tokens are read once, as they are (no false decodings)."""
        assert normalize.views(token) == (token,)

    @given(st.text(max_size=200))
    def test_never_raises_and_starts_canonical(self, text):
        """Any text, lone surrogates included, gives views that start with its canonical form."""
        out = normalize.views(text)
        assert out and out[0] == normalize.canonical(text)
        assert len(out) == len(set(out))

    @given(st.text(alphabet=st.characters(blacklist_characters="%\\&"), max_size=100))
    def test_nothing_to_unescape(self, text):
        """A text without escape characters unescapes to its canonical form, unchanged."""
        canon = normalize.canonical(text)
        if not any(c in canon for c in "%\\&"):  # NFKC may make a full-width % plain
            assert normalize.unescaped(text) == canon
