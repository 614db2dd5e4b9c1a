"""The installation context of opensource events: this installation's (``AddContext``) and a
relayed sender's (``ClientContext``, ``context_value``), and the relayed chain that uses it."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tenantry.policy import shape
from tenantry.policy.context import CONTEXT_KEYS, AddContext, ClientContext, context_value
from tests.policy.conftest import make_draft


def _kinds(chain) -> list[type]:
    return [type(getattr(p, "__self__", p)) for p in chain]


class TestRelayedChain:
    def test_order(self, relayed, oss):
        """The relayed chain is the opensource chain with ``ClientContext`` in place of
        ``AddContext``, last, whatever the relay's own edition; it stamps ``opensource``."""
        kinds = _kinds(relayed)
        assert AddContext not in kinds
        assert kinds[-1] is ClientContext
        assert relayed.edition == "opensource"
        assert kinds == [ClientContext if k is AddContext else k for k in _kinds(oss)]
        assert relayed.counters is oss.counters

    def test_sender_context_kept_or_replaced(self, relayed):
        """A relayed event keeps the sender's real context, replaces a personal one by
        ``unknown``, and is an opensource event whatever its properties say."""
        sent = {"os": "Darwin", "arch": "arm64", "version": "alice@example.com"}
        draft = make_draft(
            properties={"type": "text", "os": "Linux", "edition": "cloud"}, client_context=sent
        )
        event = shape(relayed, draft)
        assert event.edition == "opensource"
        assert event.properties["edition"] == "opensource"
        assert event.properties["type"] == "text"
        assert {k: event.properties[k] for k in CONTEXT_KEYS} == {
            "os": "Darwin",
            "arch": "arm64",
            "version": "unknown",
            "python_version": "unknown",
        }


class TestClientContext:
    def test_without_client_context(self):
        """A draft without ``client_context`` gets ``unknown`` for every field."""
        draft = ClientContext()({"properties": {"os": "Linux"}})
        assert draft["properties"] == {
            **dict.fromkeys(CONTEXT_KEYS, "unknown"),
            "edition": "opensource",
        }


class TestContextValue:
    @pytest.mark.parametrize(
        ("key", "value"),
        [("os", "Linux"), ("os", "Darwin"), ("os", "Windows"), ("os", "MINGW64_NT-10.0"),
         ("arch", "x86_64"), ("arch", "arm64"), ("arch", "AMD64"), ("version", "0.3.1"),
         ("version", "0.10.12"), ("version", "1.0.0rc1"), ("python_version", "3.12")],
    )  # fmt: skip
    def test_real_values_are_kept(self, key, value):
        """Platform names and release numbers of their field's shape are kept as sent."""
        assert context_value(key, value) == value

    @pytest.mark.parametrize(
        "value",
        ["tnt_5L2jAbCdEf", "alice@example.com", "Linux alice-laptop", "x" * 40, "/home/alice",
         "192.168.1.20", "+14155550100", "AKIAIOSFODNN7EXAMPLE", "555.0100", "", None, 3],
    )  # fmt: skip
    def test_anything_else_is_unknown(self, value):
        """Credentials, personal data, free text, long or non-string values become
        ``unknown`` in every field."""
        for key in CONTEXT_KEYS:
            assert context_value(key, value) == "unknown", key

    def test_a_phone_length_version_is_unknown(self):
        """A "version" with more digits than a release has (a phone number) is refused."""
        assert context_value("version", "415.555.0100") == "unknown"


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)
_FIELD = (
    st.sampled_from(
        ["Linux", "Darwin", "x86_64", "arm64", "0.9.0", "3.11", "alice@example.com", "", "unknown"]
    )
    | _JSON
)


class TestClientContextMemo:
    @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.lists(st.fixed_dictionaries({}, optional=dict.fromkeys(CONTEXT_KEYS, _FIELD)),
                    min_size=1, max_size=6))  # fmt: skip
    def test_memoised_fields_are_the_judged_fields(self, senders):
        """Whatever a sender's context holds (any JSON value, repeated or not), ``ClientContext``
        writes exactly what ``context_value`` judges each field to be, on its first sight and
        from its memo after; it never raises."""
        ctx = ClientContext()
        for sent in senders + senders:
            draft = make_draft(properties={"type": "text"}, client_context=sent)
            props = ctx(draft)["properties"]
            expected = {k: context_value(k, sent.get(k)) for k in CONTEXT_KEYS}
            assert props == {"type": "text", **expected, "edition": "opensource"}
