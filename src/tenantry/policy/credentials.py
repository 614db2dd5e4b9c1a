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
judged by the same key words as properties (``tenantry.policy.words``). Only the credential is
replaced; the text around it is kept. Cloud masks with this; opensource drops any such value.

``masked`` is memoised for strings up to ``_CACHED_LEN`` characters (``_memo.memoised``):
telemetry repeats.
"""

from __future__ import annotations

import re

from tenantry.policy import words
from tenantry.policy._memo import memoised

REDACTED = "[REDACTED]"

_TOKEN_CHARS = r"[A-Za-z0-9_.\-]"
_B64 = r"[A-Za-z0-9+/=._~\-]"
# A credential after an auth scheme: 8+ characters with a digit or a symbol, or 20+ of any.
_SCHEME_TOKEN = rf"(?:(?=[A-Za-z]*[0-9+/=_.~\-]){_B64}{{8,}}|{_B64}{{20,}})"


_marks = iter(range(1_000))


def _prefixed(prefixes: list[str], rest: str) -> list[tuple[str, str]]:
    """``(anchor, tail)`` per literal prefix. The match starts at the prefix's first capital
    or symbol (``tnt_`` at ``_``, ``eyJ`` at ``J``), which ordinary text seldom has, so the
    engine skips most positions in C; the tail checks the letters before it (a fixed-width
    look-behind), that the prefix does not sit inside a longer word, then ``rest``. A named
    empty group at the end, ``b<back>x<n>``, says how far before the anchor the match starts."""
    items = []
    for p in prefixes:
        back = next((i for i, ch in enumerate(p) if not (ch.islower() or ch.isdigit())), 0)
        whole = re.escape(p)
        tail = rf"(?<=(?<![A-Za-z0-9]){whole})" if back else rf"(?<![A-Za-z0-9]{whole})"
        items.append((p[back:], rf"{tail}{rest}(?P<b{back}x{next(_marks)}>)"))
    return items


def _trie(items: list[tuple[str, str]]) -> str:
    """One regex for ``(literal, tail regex)`` alternatives, the literals as a prefix tree
    (``tnt_``/``tns_`` share ``tn``): at each position the engine compares one character per
    branch instead of trying every alternative."""
    root: dict = {}
    for literal, tail in items:
        node = root
        for ch in literal:
            node = node.setdefault(ch, {})
        node.setdefault("", []).append(tail)

    def build(node: dict) -> str:
        alts = [re.escape(ch) + build(sub) for ch, sub in sorted(node.items()) if ch]
        tails = node.get("", [])
        if "" in tails:  # a literal ends here with nothing after it: the rest is optional
            body = "|".join(alts + [t for t in tails if t])
            return f"(?:{body})?" if body else ""
        alts += tails
        return alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"

    return build(root)


_SCHEMES = ["Bearer", "bearer", "BEARER", "Basic", "basic", "BASIC", "Negotiate", "NEGOTIATE",
            "NTLM"]  # fmt: skip
# Vendors' documented token prefixes (Stripe, GitHub, GitLab, Slack, Hugging Face, npm, PyPI,
# Shopify, Square, DigitalOcean, PostHog personal keys, Linear, Postman, Atlassian, age).
_VENDOR_PREFIXES = [
    "sk_live_", "sk_test_", "pk_live_", "pk_test_", "rk_live_", "rk_test_", "whsec_", "ghp_",
    "gho_", "ghu_", "ghs_", "ghr_", "github_pat_", "glpat-", "gldt-", "xoxa-", "xoxb-", "xoxp-",
    "xoxo-", "xoxs-", "xoxr-", "xoxe-", "xapp-", "hf_", "npm_", "pypi-", "shpat_", "shpss_",
    "shpca_", "shppa_", "sq0atp-", "sq0csp-", "dop_v1_", "phx_", "lin_api_", "PMAK-", "ATATT",
    "AGE-SECRET-KEY-",
]  # fmt: skip
_AWS_PREFIXES = ["AKIA", "ASIA", "AGPA", "AIDA", "AROA", "ANPA", "ANVA", "AIPA"]
# Every alternative starts with a literal (mostly a capital or a symbol), in a prefix tree.
CREDENTIAL = re.compile(
    _trie(
        [
            # PEM private keys, to their END line (or to the end of a cut text)
            (
                "-----BEGIN",
                r"[ A-Z0-9]*PRIVATE KEY(?: BLOCK)?-----"
                r"(?:[\s\S]*?-----END[ A-Z0-9]*-----|[\s\S]*)",
            ),
            # JWTs (and the JWS/JWE shapes that start with a base64url JSON header)
            (
                "J",
                r"(?<=eyJ)[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]+){0,2}"
                r"(?P<b2xjwt>)",
            ),
            # tenantry's own API keys and session tokens (and their shown prefixes, tnt_5L2jAb)
            *_prefixed(["tnt_", "tns_"], r"[A-Za-z0-9_-]{4,}"),
            # vendor tokens by their documented prefixes
            *_prefixed(_VENDOR_PREFIXES, rf"{_TOKEN_CHARS}{{8,}}"),
            *_prefixed(["AIza"], r"[A-Za-z0-9_-]{30,}"),
            *_prefixed(["ya29."], r"[A-Za-z0-9_.-]{20,}"),
            *_prefixed(["SG."], r"[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{16,}"),
            *_prefixed(["dapi"], r"[0-9a-f]{32,}"),
            *_prefixed(["sk-"], r"(?:proj-|ant-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}"),
            *_prefixed(_AWS_PREFIXES, r"[A-Z0-9]{16,}"),
            # Bearer/Basic/... credentials: the scheme stays, the credential goes
            *_prefixed(_SCHEMES, rf"\s+{_SCHEME_TOKEN}"),
            # the user-info of a URL: https://[REDACTED]@host
            ("://", r"[^/?#\s@]+(?=@)"),
        ]
    )
)
_SCHEME_HEAD = re.compile(r"[A-Za-z]+\s+")
# name=value, name: value, "name": "value" (the name decides, in ``_mask_pairs``); the value
# is only looked at, so the scan goes on inside it (url=https://host/x?token=...)
_PAIR = re.compile(
    r"(?<![A-Za-z0-9_.\-])(?P<name>[A-Za-z][A-Za-z0-9_.\-]{0,63}+)[\"']?[ \t]*[:=][ \t]*"
    r"(?=(?P<value>\"[^\"]{0,256}\"|'[^']{0,256}'|(?:(?:[Bb]earer|[Bb]asic|[Tt]oken|[Dd]igest)\s+)?"
    r"[^\s\"'&,;<>]{1,256}))"
)
_VALUE_REST = re.compile(r"[^\s\"'&,;<>]*")  # past a value's first 256 characters
_NUMBER = re.compile(r"[\"']?-?[0-9][0-9.,_]*[\"']?|true|false|True|False")

_CACHED_LEN = 256


def _replacement(found: str) -> str:
    if found.startswith("://"):
        return "://" + REDACTED
    if found[0] in "BbN":
        head = _SCHEME_HEAD.match(found)
        if head is not None and head.group(0).rstrip() in _SCHEMES:
            return head.group(0) + REDACTED
    return REDACTED


def _mask_tokens(text: str) -> str:
    if CREDENTIAL.search(text) is None:  # the usual case, without building an iterator
        return text
    parts = []
    pos = 0
    for m in CREDENTIAL.finditer(text):
        mark = m.lastgroup
        start = max(pos, m.start() - int(mark[1 : mark.index("x")])) if mark else m.start()
        parts += (text[pos:start], _replacement(text[start : m.end()]))
        pos = m.end()
    if not parts:
        return text
    parts.append(text[pos:])
    return "".join(parts)


@memoised()
def _name_verdict(name: str) -> int:
    if name.lower() in words.QUERY_WORDS:
        return words.NAMED
    return words.secret_words_verdict(words.key_words(name))


def _secret_pair(name: str, value: str) -> bool:
    if REDACTED in value:  # already masked by value
        return False
    verdict = _name_verdict(name)
    if verdict == words.MEASURE and _NUMBER.fullmatch(value):  # token_count=3, session_ttl: 600
        return False
    return bool(verdict)


def _mask_pairs(text: str) -> str:
    parts = []
    pos = 0
    for m in _PAIR.finditer(text):
        if m.start() < pos:  # inside a value already masked
            continue
        value = m.group("value")
        if _secret_pair(m.group("name"), value):
            quote = value[0] if value[0] in "\"'" else ""
            parts += (text[pos : m.end()], quote, REDACTED, quote)
            pos = m.end() + len(value)
            if not quote:
                pos = _VALUE_REST.match(text, pos).end()
    if not parts:
        return text
    parts.append(text[pos:])
    return "".join(parts)


def _hint_stems() -> list[str]:
    """Every secret word (``words.SECRET_WORDS``, the longer word of each of ``SECRET_PAIRS``,
    ``QUERY_WORDS``) less those that contain a shorter one: a text with none of them, in any
    case, has no secret ``name=value`` pair, so the pair pass is skipped."""
    stems = {w for w in words.SECRET_WORDS if w.isascii()}
    stems |= {a if len(a) > len(b) else b for a, b in words.SECRET_PAIRS}
    stems |= {w.split("-")[-1] for w in words.QUERY_WORDS}
    kept: list[str] = []
    for stem in sorted(stems, key=len):
        if not any(k in stem for k in kept):
            kept.append(stem)
    return kept


# A cheap gate for the pair pass, derived from the words (case-insensitive).
_PAIR_HINT = re.compile("|".join(re.escape(s) for s in _hint_stems()), re.IGNORECASE)


def _mask(text: str) -> str:
    out = _mask_tokens(text)
    if ("=" in out or ":" in out) and _PAIR_HINT.search(out) is not None:
        out = _mask_pairs(out)
    return out


@memoised(longest=_CACHED_LEN)
def masked(text: str) -> str:
    """``text`` with each credential replaced by ``"[REDACTED]"``, or ``""`` when it holds none
    (a masked text is never empty)."""
    out = _mask(text)
    return "" if out == text else out


def mask(text: str) -> str:
    """``text`` with every credential in it replaced by ``"[REDACTED]"`` (``text`` itself when
    it holds none)."""
    return masked(text) or text


def has_credential(text: str) -> bool:
    """True when ``text`` holds a credential."""
    return bool(masked(text))
