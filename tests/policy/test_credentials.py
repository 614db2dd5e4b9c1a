"""Credentials found by value (issue 11 item 1): masked in cloud with the rest of the text kept,
dropped in opensource, never in the jsonl output or the TELEMETRY_DEBUG log line."""

from __future__ import annotations

import logging

import orjson
import pytest

from tenantry import TelemetryService
from tenantry._keys import new_api_key, new_session_token
from tenantry.policy import credentials, pii, redact, shape
from tenantry.policy.privacy import StripSecrets
from tests.policy.conftest import make_draft


@pytest.fixture(scope="module")
def issued() -> dict[str, str]:
    """A real API key and session token, made by the functions the identity store issues them
    with (tenantry._keys; tests/identity checks the store uses them)."""
    key, session = new_api_key(), new_session_token()
    assert key.startswith("tnt_") and session.startswith("tns_")
    return {"key": key, "session": session}


JWT = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJkZXZfYWJjMTIzIiwiaWF0IjoxNzY0MDAwMDAwfQ"
    ".SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
)
PEM = (
    "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW"
    "\nQyNTUxOQAAACDx2Tq0t7X1a9Zq\n-----END OPENSSH PRIVATE KEY-----"
)
# (text, the secret part that must go, the rest that must stay) -- vendors' documented shapes
VENDOR_FORMS = [
    ("AKIAIOSFODNN7EXAMPLE", "AKIAIOSFODNN7EXAMPLE", ""),
    ("aws ASIAY34FZKBOKMUTVV7A expired", "ASIAY34FZKBOKMUTVV7A", "aws  expired"),
    ("ghp_16C7e42F292c6912E7710c838347Ae178B4a", "16C7e42F292c6912E7710c838347Ae178B4a", ""),
    (
        "push with github_pat_11ABCDEFG0123456789_abcdefXYZ failed",
        "11ABCDEFG0123456789",
        "push with",
    ),
    ("slack xoxb-2634-1234567890-AbCdEfGhIjKlMnOpQrStUvWx", "AbCdEfGhIjKlMnOpQrStUvWx", "slack "),
    ("sk_live_4eC39HqLyjWDarjtT1zdp7dc", "4eC39HqLyjWDarjtT1zdp7dc", ""),
    ("stripe rk_test_51HxYzAbCdEf0123 says no", "51HxYzAbCdEf0123", "stripe  says no"),
    ("key=AIzaSyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY&q=1", "9tSrke72PouQMnMX", "&q=1"),
    ("openai sk-proj-T3BlbkFJabcdefghijklmnop0123456789 rejected", "T3BlbkFJabcdef", "rejected"),
    (
        "anthropic sk-ant-api03-abcdefghijklmnopqrstuvwx_yz0123",
        "abcdefghijklmnopqrstuvwx",
        "anthropic",
    ),
    ("hf_AbCdEfGhIjKlMnOpQrStUvWxYz012345", "AbCdEfGhIjKlMnOpQrStUvWxYz012345", ""),
    ("gitlab glpat-xxxxXXXX1234yyyyZZZZ", "xxxxXXXX1234yyyyZZZZ", "gitlab"),
    ("posthog phx_AbCdEf0123456789GhIjKl", "AbCdEf0123456789GhIjKl", "posthog"),
]
# (text, the secret part, the rest that must stay) -- credentials inside URLs and messages
EMBEDDED_FORMS = [
    ("https://bob:hunter2pw@db.internal:5432/app", "hunter2pw", "@db.internal:5432/app"),
    ("postgresql://svc:S3cr3t!@10.0.0.5/app", "S3cr3t!", "10.0.0.5/app"),
    ("GET /v1/items?token=abc123xyz&page=2", "abc123xyz", "GET &page=2"),
    ("https://api.example.com/x?api_key=zzKEY0099&lang=en", "zzKEY0099", "&lang=en"),
    ("retrying with api_key=abcdef123 after 3s", "abcdef123", "retrying with api_key= after 3s"),
    ('payload {"password": "hunter2 again", "ok": 1}', "hunter2 again", '"ok": 1}'),
    ("Authorization: Basic dXNlcjpwYXNzd29yZA== rejected", "dXNlcjpwYXNzd29yZA==", "rejected"),
    ("header Bearer abc.DEF-123_xyz~987 bad", "abc.DEF-123_xyz~987", "header Bearer  bad"),
    ("Cookie: sid=s%3Aabc123def; theme=dark", "abc123def", "theme=dark"),
    ("s3 X-Amz-Signature=fe5f80f77d5fa3beca038a248ff027d0445342fe2855ddc963176630326f1024",
     "fe5f80f77d5fa3beca038a248ff027d0445342fe", "s3 X-Amz-Signature="),
    (f"jwt {JWT} expired", "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c", "jwt  expired"),
    (f"bad key file {PEM} end", "b3BlbnNzaC1rZXktdjEAAAAABG5vbmU", "bad key file  end"),
]  # fmt: skip


def _rest_kept(masked: str, rest: str) -> bool:
    return all(part in masked for part in rest.split() if part)


class TestMask:
    def test_tenantry_keys_and_sessions(self, issued):
        """Real tnt_ keys and tns_ session tokens are masked alone, after Bearer, and inside an
        exception message, whose other words stay."""
        for raw in issued.values():
            assert credentials.mask(raw) == "[REDACTED]"
            assert credentials.mask(f"Bearer {raw}") == "Bearer [REDACTED]"
            assert (
                credentials.mask(f"invalid key {raw} (revoked)")
                == "invalid key [REDACTED] (revoked)"
            )
            assert credentials.mask(f"X-API-Key:{raw}") == "X-API-Key:[REDACTED]"
        assert credentials.mask("key tnt_5L2jAb") == "key [REDACTED]"  # the shown prefix too

    @pytest.mark.parametrize("text,secret,rest", VENDOR_FORMS + EMBEDDED_FORMS)
    def test_forms(self, text, secret, rest):
        """Vendor tokens, URL user-info, ?token=, api_key=, JSON passwords, Basic/Bearer
        credentials, cookies, signatures, JWTs and PEM blocks are masked; the rest stays."""
        masked = credentials.mask(text)
        assert secret not in masked and "[REDACTED]" in masked, masked
        assert _rest_kept(masked, rest), masked
        assert credentials.has_credential(text)

    @pytest.mark.parametrize(
        "text",
        ["text", "gpt-4o", "memory_created", "Basic settings", "the author wrote 12:30",
         "authority_count=3", "token_count: 15", "max_tokens=4096", "error: timeout",
         "https://example.com/docs?page=2&lang=en", "2026-01-02T03:04:05Z", "monkey=3",
         "desk-lamp", "x86_64", "application/json", "alice@example.com", "sk-learn",
         "connection reset by peer after 5 ms", "keyboard_layout: qwerty", "tnt", "Bearer",
         "author=bob", "https://docs.example.com/auth/guide", "usr_8Hk2pQ9z", "dev_abc123",
         "oauth provider github", "pinned: true", "session_count=4", "has_password: true"],
    )  # fmt: skip
    def test_ordinary_text_unchanged(self, text):
        """Text that holds no credential comes back as the same object."""
        assert credentials.mask(text) is text
        assert not credentials.has_credential(text)


class TestSecretKeys:
    @pytest.mark.parametrize(
        "key",
        ["auth", "Auth", "creds", "cred", "credential", "credentials", "bearer", "cookie",
         "Set-Cookie", "x-api-key", "X-Api-Key", "proxy-authorization", "Proxy-Authorization",
         "api-key", "apikey", "apiKey", "private_key", "privateKey", "client_secret",
         "clientSecret", "session", "sessionId", "authToken", "basicAuth", "PHPSESSID",
         "JSESSIONID", "connect.sid", "db_password", "AWS_SECRET_ACCESS_KEY", "signature",
         "csrf_token", "dsn", "connection_string", "x-auth-token"],
    )  # fmt: skip
    def test_usual_spellings_are_secret(self, key):
        """Each usual spelling names a secret, matched on its words (snake, kebab, camel)."""
        assert pii.secret_key_verdict(key) == 1

    @pytest.mark.parametrize(
        "key",
        ["author", "authority_count", "authors", "keyboard_layout", "monkey", "tokenizer",
         "passage", "oauth_provider", "sidebar", "pinned", "design", "signal", "cookbook",
         "sessional", "type", "max_tokens", "prompt_tokens"],
    )  # fmt: skip
    def test_lookalikes_are_not(self, key):
        """Words that merely contain a secret word (author, authority_count) are not secrets."""
        assert pii.secret_key_verdict(key) == 0

    @pytest.mark.parametrize("key", ["token_count", "has_password", "session_duration_ms",
                                     "auth_attempts", "session_count", "is_authenticated_auth"])  # fmt: skip
    def test_measures_of_secrets_keep_numbers(self, counters, key):
        """A measure or flag under a secret word keeps a number or bool, never a string."""
        assert pii.secret_key_verdict(key) == 2
        d = StripSecrets(counters)({"properties": {key: 3, "nested": {key: "tnt_abcdef123"}}})
        assert d["properties"] == {key: 3, "nested": {}}

    def test_key_holding_a_credential_goes(self, counters, issued):
        """A property key that is itself a credential is removed with its value."""
        d = StripSecrets(counters, mask_values=True)({"properties": {issued["key"]: 1, "a": 2}})
        assert d["properties"] == {"a": 2}


def _issue_props(key: str) -> dict:
    return {
        "type": "text",
        "auth": f"Bearer {key}",
        "creds": key,
        "headers": {"Auth": f"Bearer {JWT}", "Accept": "application/json"},
        "error": f"invalid key {key}",
    }


class TestCloudChain:
    def test_issue_example(self, cloud, counters, issued):
        """The issue's example: auth, creds and headers.Auth go, the error keeps its words."""
        event = shape(cloud, make_draft(properties=_issue_props(issued["key"])))
        props = event.properties
        assert {k: props[k] for k in ("type", "headers", "error")} == {
            "type": "text",
            "headers": {"Accept": "application/json"},
            "error": "invalid key [REDACTED]",
        }
        assert "auth" not in props and "creds" not in props
        wire = orjson.dumps(event.to_record())
        assert issued["key"].encode() not in wire and JWT[:40].encode() not in wire
        assert counters.get("secrets_removed") == 3 and counters.get("credentials_masked") == 1

    def test_credentials_under_innocent_keys_and_in_lists(self, cloud, issued):
        """Values are checked wherever they sit: innocent keys, nested dicts, list items."""
        props = {
            "note": f"retry with {issued['session']}",
            "meta": {"sentry": "https://pk123:sk456@o1.ingest.example.io/1"},
            "tags": ["ok", f"Bearer {JWT}", "AKIAIOSFODNN7EXAMPLE"],
        }
        event = shape(cloud, make_draft(properties=props))
        assert event.properties["note"] == "retry with [REDACTED]"
        assert event.properties["meta"] == {"sentry": "https://[REDACTED]@o1.ingest.example.io/1"}
        assert event.properties["tags"] == ["ok", "Bearer [REDACTED]", "[REDACTED]"]

    def test_cloud_keeps_ordinary_values_unchanged(self, cloud):
        """Everything that is not a credential survives cloud shaping exactly as given."""
        props = {
            "type": "text", "model": "gpt-4o", "route": "/v1/memories", "status": 200,
            "url": "https://example.com/docs?page=2", "email_domain": "example.com",
            "error": "connection reset by peer: timeout after 30s", "author": "alice",
            "authority_count": 4, "token_count": 812, "max_tokens": 4096, "ratio": 0.5,
            "tags": ["a", "b"], "nested": {"keyboard_layout": "qwerty", "ok": True},
            "user_agent": "python-requests/2.32", "when": "2026-01-02T03:04:05Z",
        }  # fmt: skip
        event = shape(cloud, make_draft(properties=dict(props)))
        assert {k: event.properties[k] for k in props} == props

    def test_event_and_error_names_masked(self, cloud, counters, issued):
        """An error name that quotes a key keeps its words and loses the key."""
        event = shape(cloud, make_draft(kind="error", event=f"invalid key {issued['key']}"))
        assert event.properties["error_type"] == "invalid key [REDACTED]"
        assert issued["key"].encode() not in orjson.dumps(event.to_record())

    def test_api_key_passed_as_developer_id(self, cloud, counters, issued):
        """An API key passed as developer_id never becomes the vendor's user ID."""
        event = shape(cloud, make_draft(developer_id=issued["key"], user_id="user_1234"))
        assert issued["key"].encode() not in orjson.dumps(event.to_record())
        assert event.distinct_id == "user_1234" and counters.get("credential_ids") == 1


class TestOpensourceChain:
    def test_issue_example_and_credentials_dropped(self, oss, issued):
        """In opensource the same credentials are dropped (free text stays dropped)."""
        props = _issue_props(issued["key"]) | {
            "k1": issued["session"], "k2": "token=abc12345", "k3": "tnt_5L2jAb",
        }  # fmt: skip
        event = shape(oss, make_draft(properties=props))
        assert event.properties["type"] == "text"
        assert event.properties["headers"] == {"Accept": "application/json"}
        for k in ("auth", "creds", "error", "k1", "k2", "k3"):
            assert k not in event.properties
        wire = orjson.dumps(event.to_record())
        assert issued["key"].encode() not in wire and issued["session"].encode() not in wire


class TestRedact:
    def test_new_spellings_and_values(self, issued):
        """redact (the debug log) masks the new key spellings and credentials by value, and keeps
        measures under secret words."""
        out = redact(_issue_props(issued["key"]) | {"token_count": 3, issued["session"]: 1})
        assert out["auth"] == out["creds"] == "[REDACTED]"
        assert out["headers"] == {"Auth": "[REDACTED]", "Accept": "application/json"}
        assert out["error"] == "invalid key [REDACTED]" and out["token_count"] == 3
        text = orjson.dumps(out)
        assert issued["key"].encode() not in text and issued["session"].encode() not in text


def test_issue_example_through_the_pipeline_to_jsonl_and_debug_log(tmp_path, caplog, issued):
    """Cloud, jsonl provider, TELEMETRY_DEBUG=1: neither the jsonl line nor the debug log line
    holds the key, the session or the JWT; the error's words and ordinary values arrive."""
    out = tmp_path / "events.jsonl"
    svc = TelemetryService(
        edition="cloud",
        destinations=("jsonl",),
        jsonl_path=out,
        debug=True,
        data_dir=tmp_path / "d",
    )
    props = _issue_props(issued["key"]) | {"hint": f"use {issued['session']} now"}
    with caplog.at_level(logging.INFO, logger="tenantry"):
        svc.track_sync("memory_created", props, user_id="user_1234", developer_id="dev_abc123")
        svc.track_sync(
            f"login failed for Bearer {issued['session']}", {}, developer_id="dev_abc123"
        )
        assert svc.shutdown(5)
    lines = [orjson.loads(line) for line in out.read_bytes().splitlines()]
    logged = [r.getMessage() for r in caplog.records if "tenantry event" in r.getMessage()]
    assert len(lines) == 2 and len(logged) == 2
    first = lines[0]["properties"]
    assert first["error"] == "invalid key [REDACTED]" and first["type"] == "text"
    assert first["hint"] == "use [REDACTED] now"
    assert first["headers"] == {"Accept": "application/json"}
    assert lines[1]["event"] == "login failed for Bearer [REDACTED]"
    for blob in (out.read_text(), "\n".join(logged)):
        for secret in (issued["key"], issued["session"], JWT[:40], JWT[-20:]):
            assert secret not in blob
    assert "invalid key [REDACTED]" in logged[0]


def test_counters_public():
    """The new counters are named in the policy's docs (what get_status reports)."""
    import tenantry.policy as policy

    assert "credentials_masked" in policy.__doc__ and "credential_ids" in policy.__doc__


def test_pathological_texts_neither_raise_nor_crawl():
    """8 KB texts built to make the patterns backtrack or recurse (repeated pairs, schemes,
    prefixes, quotes) are masked without an exception, in well under a second of CPU each."""
    import time

    texts = ["key=" * 2048, "token=" * 1365, 'token="' * 1170, "a:" * 4096, "Bearer " * 1170,
             "sk-" * 2730, "eyJa." * 1638, "-----BEGIN " + "A" * 8180, "://" * 2730,
             "url=" * 2048, "password=" + "x" * 8000 + " tail"]  # fmt: skip
    for text in texts:
        started = time.process_time()
        out = credentials.mask(text)
        assert isinstance(out, str) and time.process_time() - started < 1.0, text[:20]
    assert credentials.mask("password=" + "x" * 8000 + " tail") == "password=[REDACTED] tail"
    assert credentials.mask("token=" * 1365) == "token=[REDACTED]"
