"""The detectors in ``tenantry.policy.pii``: key words and value kinds."""

from __future__ import annotations

import pytest

from tenantry.policy import harmless, pii


class TestKeyWords:
    @pytest.mark.parametrize(
        "key,words",
        [("userEmail", ["user", "email"]), ("x-api-key", ["x", "api", "key"]),
         ("IPAddress", ["ip", "address"]), ("client.secret", ["client", "secret"]),
         ("sessionToken", ["session", "token"]), ("keyboard_layout", ["keyboard", "layout"])],
    )  # fmt: skip
    def test_split(self, key, words):
        """snake, camel, kebab, dotted and acronym keys split into lower-case words."""
        assert pii.key_words(key) == words

    @pytest.mark.parametrize("key", ["keyboard_layout", "monkey_count", "type", "has_metadata",
                                     "result_count", "tokenizer_name_count", "passage"])  # fmt: skip
    def test_not_secret(self, key):
        """Words containing a secret word as a substring are not secrets."""
        assert not pii.is_secret_key(key)


class TestDetect:
    @pytest.mark.parametrize(
        "value,kind",
        [("alice@example.com", "email"), ("https://x.io/a", "url"), ("www.example.com", "url"),
         ("/home/alice/notes.txt", "path"), ("C:\\Users\\alice", "path"), ("~/secrets", "path"),
         ("./x", "path"), ("192.168.1.20", "ipv4"), ("fe80::1ff:fe23:4567:890a", "ipv6"),
         ("::1", "ipv6"), ("4111111111111111", "phone"), ("4111.1111.1111.1111", "phone"), ("4111-1111-1111-1111", "phone"),
         ("123-45-6789", "ssn"), ("DE89370400440532013000", "iban"),
         ("+15551234567", "phone"), ("(555)123-4567", "phone"),
         ("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig", "jwt"),
         ("sk_live_4eC39HqLyjWDarjtT1zdp7dc", "vendor_token"),
         ("ghp_16C7e42F292c6912E7710c838347Ae178B4a", "vendor_token"),
         ("AKIAIOSFODNN7EXAMPLE", "vendor_token"), ("xoxb-2634-abc", "vendor_token"),
         ("550e8400-e29b-41d4-a716-446655440000", "uuid"), ("deadbeefcafebabe1234", "hex"),
         ("usr_8Hk2pQ9z", "prefixed_id"), ("hello world", "free_text"), ("x" * 65, "free_text"),
         ("Zk8qLm3RtY7vNp2Ws5", "high_entropy"), ("x378282246310005y", "card"), ("example.com", "domain")],
    )  # fmt: skip
    def test_kinds(self, value, kind):
        """Each kind of personal or secret value is recognised as that kind."""
        assert pii.detect(value) == kind

    @pytest.mark.parametrize(
        "value",
        ["text", "api", "memory_created", "has_metadata", "qwerty", "en-US", "x86_64",
         "application/json", "2026-01-02", "2026-01-02T03:04:05+00:00", "v1.2.3", "gpt-4o",
         "thisIsACamelCaseName", "linux"],
    )  # fmt: skip
    def test_harmless(self, value):
        """Ordinary short identifiers, versions and dates pass."""
        assert pii.detect(value) is None

    def test_luhn(self):
        """The Luhn check accepts real test card numbers and rejects a changed digit."""
        assert pii.luhn_ok("4111111111111111") and pii.luhn_ok("378282246310005")
        assert not pii.luhn_ok("4111111111111112")

    def test_safe_names(self):
        """Event names and keys may be a few plain words; not words that hold an address."""
        assert harmless.name_reason("Memory Created") is None
        assert harmless.name_reason("sent to alice@example.com") == "text"
        assert harmless.name_reason("alice at example dot com") == "text"
        assert harmless.name_reason("") is None  # judged as empty; NameEvent drops empty names
