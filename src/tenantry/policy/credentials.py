"""Credentials found by their value, wherever they sit: alone, inside a URL, inside a message.

    mask("invalid key tnt_5L2j...")        -> "invalid key [REDACTED]"
    mask("https://bob:pw@db.internal/x")    -> "https://[REDACTED]@db.internal/x"
    mask("GET /v1?token=abc123&page=2")     -> "GET /v1?token=[REDACTED]&page=2"
    has_credential("Bearer eyJhbGciOi...")  -> True

What counts as a credential: tenantry's own API keys (``tnt_``) and session tokens (``tns_``),
``Bearer``/``Basic`` credentials, JWTs, vendor tokens (AWS, GitHub, GitLab, Slack, Stripe,
Google, OpenAI-style ``sk-``, Hugging Face, npm, PyPI, PostHog personal keys, ...), PEM private
key blocks, the user-info part of a URL, and the value after a secret-named parameter
(``?token=``, ``api_key=``, ``"password": "..."``, ``Authorization: Basic ...``), the name
judged by the same key words as properties (``pii.is_secret_key``). Only the credential is
replaced; the text around it is kept. Cloud masks with this; opensource drops any such value.

Verdicts for strings up to ``_CACHED_LEN`` are memoised in a bounded dict: telemetry repeats.
"""

from __future__ import annotations

import re

from tenantry.policy import pii

REDACTED = "[REDACTED]"

_TOKEN_CHARS = r"[A-Za-z0-9_.\-]"
_B64 = r"[A-Za-z0-9+/=._~\-]"
# A credential after an auth scheme: 8+ characters with a digit or a symbol, or 20+ of any.
_SCHEME_TOKEN = rf"(?:(?={_B64}*[0-9+/=_.~\-]){_B64}{{8,}}|{_B64}{{20,}})"

_TOKENS = [
    # PEM private keys, to their END line (or to the end of a cut text)
    r"-----BEGIN[ A-Z0-9]*PRIVATE KEY(?: BLOCK)?-----(?:[\s\S]*?-----END[ A-Z0-9]*-----|[\s\S]*)",
    # JWTs (and the JWS/JWE shapes that start with a base64url JSON header)
    r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]+){0,2}",
    # tenantry's own API keys and session tokens (also their shown prefixes, tnt_5L2jAb)
    r"(?<![A-Za-z0-9])tn[ts]_[A-Za-z0-9_-]{4,}",
    # vendor tokens by their documented prefixes
    rf"(?<![A-Za-z0-9])(?:(?:sk|pk|rk)_(?:live|test)_|whsec_|gh[pousr]_|github_pat_|glpat-"
    rf"|gldt-|xox[abposre]-|xapp-|hf_|npm_|pypi-|shp(?:at|ss|ca|pa)_|sq0(?:atp|csp)-|dop_v1_"
    rf"|phx_|lin_api_|PMAK-|ATATT|AGE-SECRET-KEY-){_TOKEN_CHARS}{{8,}}",
    r"(?<![A-Za-z0-9])(?:AIza[A-Za-z0-9_-]{30,}|ya29\.[A-Za-z0-9_.-]{20,}"
    r"|SG\.[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{16,}|dapi[0-9a-f]{32,}"
    r"|sk-(?:proj-|ant-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}"
    r"|(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[A-Z0-9]{16,})",
]
# Alternatives that keep a prefix (group ``keep``) and replace what follows.
_SCHEME = rf"(?P<scheme>(?<![A-Za-z0-9])(?i:bearer|basic|negotiate|ntlm)\s+){_SCHEME_TOKEN}"
_USERINFO = r"(?P<userinfo>[A-Za-z][A-Za-z0-9+.\-]*://)[^/?#\s@]+(?=@)"
# name=value, name: value, "name": "value" (the name decides, in ``_replace``)
_PAIR = (
    r"(?P<pair>(?<![A-Za-z0-9])(?P<name>[A-Za-z][A-Za-z0-9_.\-]{0,63})[\"']?\s*[:=]\s*)"
    r"(?P<value>\"[^\"]*\"|'[^']*'|(?:(?i:bearer|basic|token|digest)\s+)?[^\s\"'&,;<>]+)"
)
CREDENTIAL = re.compile("|".join([*_TOKENS, _SCHEME, _USERINFO]))
_WITH_PAIRS = re.compile("|".join([*_TOKENS, _SCHEME, _USERINFO, _PAIR]))
# Parameter names that carry a credential in URLs even though the word is not a secret alone.
_NUMBER = re.compile(r"[\"']?-?[0-9][0-9.,_]*[\"']?|true|false|True|False")
_QUERY_WORDS = frozenset({"sig", "sas", "x-amz-signature", "x-goog-signature"})

_CACHED_LEN = 256
_CACHE_MAX = 8192
# text -> its masked form, or "" when it holds no credential (a masked text is never empty)
mask_cache: dict[str, str] = {}


def _replace(m: re.Match) -> str:
    groups = m.groupdict()
    if groups.get("pair") is not None:
        name = groups["name"]
        value = groups["value"]
        verdict = pii.secret_key_verdict(name)
        if verdict == 2 and _NUMBER.fullmatch(value):  # token_count=3, session_ttl: 600
            return m.group(0)
        if verdict or name.lower() in _QUERY_WORDS:
            if value[:1] in "\"'":
                return m.group("pair") + value[0] + REDACTED + value[0]
            return m.group("pair") + REDACTED
        return m.group("pair") + _mask(value)  # a URL with user-info after "url="
    keep = groups["scheme"] or groups["userinfo"]
    return keep + REDACTED if keep else REDACTED


def _variants(*words: str) -> list[str]:
    return [v for w in words for v in (w, w.capitalize(), w.upper())]


# Cheap gates: literal alternatives only, so the regex engine skips ahead in C to a possible
# start. A text that passes neither gate holds no credential; most texts stop here.
_TOKEN_HINT = re.compile(
    "|".join(
        re.escape(h)
        for h in (
            "tnt_", "tns_", "eyJ", "-----BEGIN", "_live_", "_test_", "whsec_", "ghp_", "gho_",
            "ghu_", "ghs_", "ghr_", "github_pat_", "glpat-",
            "gldt-", "xox", "xapp-", "hf_", "npm_", "pypi-", "shp", "sq0", "dop_v1_", "phx_",
            "lin_api_", "PMAK-", "ATATT", "AGE-", "AIza", "ya29.", "SG.", "dapi", "sk-", "AKIA",
            "ASIA", "AGPA", "AIDA", "AROA", "ANPA", "ANVA", "AIPA", "@",
            *_variants("bearer", "basic", "negotiate", "ntlm"),
        )
    )
)  # fmt: skip
_PAIR_HINT = re.compile(
    "|".join(
        _variants(
            "key", "token", "secret", "pass", "pwd", "auth", "cookie", "cred", "session",
            "sessid", "sid", "sig", "jwt", "pin", "otp", "dsn", "csrf", "xsrf", "bearer",
        )
    )
)  # fmt: skip


def _mask(text: str) -> str:
    if ("=" in text or ":" in text) and _PAIR_HINT.search(text) is not None:
        return _WITH_PAIRS.sub(_replace, text)
    if _TOKEN_HINT.search(text) is None:
        return text
    return CREDENTIAL.sub(_replace, text)


def masked(text: str) -> str:
    """``text`` with each credential replaced by ``"[REDACTED]"``, or ``""`` when it holds none
    (memoised for short texts)."""
    if len(text) > _CACHED_LEN:
        out = _mask(text)
        return "" if out == text else out
    out = mask_cache.get(text)
    if out is None:
        out = _mask(text)
        if out == text:
            out = ""
        if len(mask_cache) >= _CACHE_MAX:
            mask_cache.clear()
        mask_cache[text] = out
    return out


def mask(text: str) -> str:
    """``text`` with every credential in it replaced by ``"[REDACTED]"`` (``text`` itself when
    it holds none)."""
    return masked(text) or text


def has_credential(text: str) -> bool:
    """True when ``text`` holds a credential."""
    return bool(masked(text))
