"""Credentials found by their value, wherever they sit: alone, inside a URL, inside a message.

    mask("invalid key tnt_5L2j...")        -> "invalid key [REDACTED]"
    mask("https://bob:pw@db.internal/x")    -> "https://[REDACTED]@db.internal/x"
    mask("GET /v1?token=abc123&page=2")     -> "GET /v1?token=[REDACTED]&page=2"
    has_credential("Bearer eyJhbGciOi...")  -> True

What counts as a credential, checked in this order on each view of the text:

1. a known format (``credential_formats``: 178 shapes from gitleaks, detect-secrets, trufflehog,
   the vendors' docs and the password-hash formats, and 22 prefixes of a key cut short: tenantry's ``tnt_``/``tns_`` keys, cloud, source control, CI,
   registry, chat, payment, email, observability and AI providers' tokens, webhook URLs, chat
   bot tokens, JWTs, PEM and PuTTY private keys, ``Bearer``/``Basic``/... credentials, the
   user-info of a URL, password hashes, ``code=`` and ``key=`` in a URL's query);
2. the value after a secret name (``credential_pairs``, ``credential_commands``: ``password=...``, ``"api_key": "..."``,
   headers, flags, XML, SQL, prose; the names judged by ``tenantry.policy.words``), and the
   user-info before a host without a scheme (``deploy:pw@git.example.com:team/app.git``);
   a wallet's recovery phrase, 12 or more words of BIP-39's list in a row (``mnemonic``);
3. the last resort: a token of 20+ characters that mixes upper case, lower case and digits the
   way random keys do (``randomness.looks_random``), whatever its name.

The views (``tenantry.policy.normalize``): the text in NFKC without invisible characters (a key
split by a zero-width space is whole again), the text with percent, JSON and HTML escapes undone
(repeatedly), and the base64 and hex segments decoded. Only the credential is replaced by
``[REDACTED]``; the rest of the text stays, as read in the view where the credential showed:

- found in the plain text: the text in NFKC (without invisible characters), the credential
  masked (``"invalid key [REDACTED]"``);
- found only once escapes are undone: the text with its escapes undone, the credential masked
  (``"q=token%3Dabc"`` -> ``"q=token=[REDACTED]"``);
- found only inside a base64 or hex segment: that whole segment becomes ``[REDACTED]``.

A text with no credential is returned unchanged (``masked`` returns None). ``has_known_credential``
leaves out the last resort: IDs (``user_id``, ``developer_id``) are judged by it, so a random ID
(a Firebase UID, a nanoid) stays an ID while a key passed as an ID does not.

Not caught: a short password in prose without a verb (``"password hunter2"``), a credential of
no known shape under an innocent name that is short or not random-looking (``"x": "hunter2"``),
a hex string with no secret word before it (kept: git SHAs, trace IDs and digests look the same),
and anything encoded more than ``normalize.ROUNDS`` times or nested more than two encodings deep.

``masked`` is memoised for strings up to ``_CACHED_LEN`` characters (``_memo.memoised``):
telemetry repeats. Why not a scanner library: detect-secrets 1.5 (Yelp), run per value with its
default plugins, took 104-411 us per line on this machine (a value of this module: 0.7-16 us),
reports secrets without their place in the text, and of 7 credentials in 10 lines tried found 2
(missed ``?token=``, an AWS secret in prose, ``deploy:pw@host``, Vault, Telegram); gitleaks and
trufflehog are Go programs, not libraries to call per value.
"""

from __future__ import annotations

import re

from tenantry.policy import credential_commands, mnemonic, normalize
from tenantry.policy._memo import memoised
from tenantry.policy._trie import trie
from tenantry.policy.credential_formats import FORMATS, Format
from tenantry.policy.credential_pairs import HINT, REDACTED, hint_text, mask_pairs, redact_spans
from tenantry.policy.randomness import MIN_LENGTH, looks_random

__all__ = [
    "FORMATS",
    "REDACTED",
    "has_credential",
    "has_known_credential",
    "looks_random",
    "mask",
    "masked",
]

_CACHED_LEN = 256
_MAX_SEGMENTS = 8  # base64/hex segments decoded per text
_MAX_DEPTH = 2  # a decoded segment's own segments are read too, this deep


# -- the known formats, one regex ------------------------------------------------------------


def _prefix_items(formats: tuple[Format, ...]) -> tuple[list[tuple[str, str]], dict]:
    """``(literal, tail regex)`` items for ``trie``, and per marker group the format's ``(back,
    keep, before, name)``. The match starts at the prefix's first capital, digit-free symbol
    (``tnt_`` at ``_``, ``eyJ`` at ``J``), which ordinary text seldom has, so the engine skips
    most positions in C; the tail checks the letters before it (a fixed-width look-behind), that
    the prefix starts a word (unless ``glued``), then the body. Tails after the same literal are
    grouped by the letter before it (one cheap look-behind per group: ``_`` is common in text,
    ``t_``, ``p_`` ... tell 78 prefixes apart). The empty marker group at the end names the
    format; ``back`` says how far before the literal the match starts."""
    groups: dict[tuple[str, str], list[str]] = {}
    meta = {}
    for f in formats:
        before = None
        if f.before is not None:
            before = (re.compile(f"[{f.before[0]}]"), f.before[1])
        for p in f.prefixes:
            back = next((i for i, ch in enumerate(p) if not (ch.islower() or ch.isdigit())), 0)
            whole = re.escape(p)
            if back:
                look = rf"(?<=(?<![A-Za-z0-9]){whole})" if not f.glued else rf"(?<={whole})"
            else:
                look = "" if f.glued else rf"(?<![A-Za-z0-9]{whole})"
            group = f"g{len(meta)}"
            meta[group] = (back, len(p) if f.keep else 0, before, f.name)
            key = (p[back:], p[back - 1] if back else "")
            groups.setdefault(key, []).append(rf"{look}(?:{f.body})(?P<{group}>)")
    items = []
    for (literal, previous), tails in groups.items():
        if previous:
            check = re.escape(previous + literal)
            items.append((literal, rf"(?<={check})(?:{'|'.join(tails)})"))
        else:
            items += [(literal, tail) for tail in tails]
    return items, meta


_ITEMS, _META = _prefix_items(FORMATS)
CREDENTIAL = re.compile(trie(_ITEMS))

# user:password@host without a scheme (a scheme's ``://`` user-info is a format): scp-style git
# remotes, proxies, DSNs cut short. The "user" may not be a URI scheme (mailto:bob@x.com).
_USERINFO = re.compile(
    r"(?<![\w.%+:/@-])(?P<user>[\w.%+-]{1,64}):(?P<pw>[^\s@/:\"'<>]{1,128})"
    r"@(?=[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)"
)
_NOT_USERS = frozenset({"mailto", "sip", "sips", "xmpp", "im", "tel", "sms", "acct", "ldap"})


def _mask_formats(text: str) -> str:
    if CREDENTIAL.search(text) is None:  # the usual case, without building an iterator
        return text
    parts = []
    pos = 0
    for m in CREDENTIAL.finditer(text):
        back, keep, before, _name = _META[m.lastgroup]
        start = m.start() - back
        if before is not None:
            char, most = before
            low = max(pos, start - most)
            while start > low and char.match(text, start - 1):
                start -= 1
        start = max(start, pos)
        end = m.end()
        if keep:
            kept = start + keep
            while kept < end and text[kept] in " \t":
                kept += 1
            parts += (text[pos:kept], REDACTED)
        else:
            parts += (text[pos:start], REDACTED)
        pos = end
    if not parts:
        return text
    parts.append(text[pos:])
    return "".join(parts)


def format_names(text: str) -> list[str]:
    """The names of the known formats found in ``text`` (for tests and ``tenantry`` tools)."""
    return [_META[m.lastgroup][3] for m in CREDENTIAL.finditer(normalize.canonical(text))]


def _mask_userinfo(text: str) -> str:
    def sub(m: re.Match[str]) -> str:
        if m.group("user").lower() in _NOT_USERS or REDACTED in m.group(0):
            return m.group(0)
        return REDACTED + "@"

    return _USERINFO.sub(sub, text)


# -- runs of token characters: random-looking ones, encoded ones ------------------------------

# A run of base64 (either alphabet) characters, 12+ long: a candidate for the last resort (20+)
# and for decoding (base64, or hex inside it).
_RUN = re.compile(rf"(?<![A-Za-z0-9+/_-])[A-Za-z0-9+/_-]{{{normalize.MIN_BASE64},}}={{0,2}}")


# The first character of each 4-character group of base64-encoded text is one of I-Z, a-f when
# the group's first byte is printable ASCII (0x20-0x7f), one of 0-9, g-v, +, / when it is part of
# a longer UTF-8 sequence (full-width letters, other scripts; - and _ in base64url).
_NOT_ASCII_HEADS = str.maketrans("", "", "IJKLMNOPQRSTUVWXYZabcdef")
_NOT_TEXT_HEADS = str.maketrans("", "", "IJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuv0123456789+/-_")
_DIGITS = re.compile("[0-9]")
_HEX = re.compile("[0-9A-Fa-f]+")
_BASE32 = re.compile("[A-Z2-7]+={0,6}")


def _may_encode_text(run: str) -> bool:
    """A cheap look before decoding: may ``run`` be base64 of text (three quarters of its groups
    start like printable ASCII; or, mixing cases and digits as base64 does, like UTF-8 text) or
    hex? Words and identifiers are not decoded."""
    heads = run[::4]
    if len(heads.translate(_NOT_ASCII_HEADS)) <= len(heads) // 4:
        return True
    if run.isupper() and _BASE32.fullmatch(run) is not None:
        return True  # base32 (RFC 4648): capitals and 2-7
    if _DIGITS.search(run) is None:
        return False
    if _HEX.fullmatch(run) is not None:
        return True  # hex of UTF-8 text has no cheap tell (digests, SHAs: decoded, unreadable)
    mixed = not run.islower() and not run.isupper()
    return mixed and len(heads.translate(_NOT_TEXT_HEADS)) <= len(heads) // 4


def _mask_runs(text: str, random: bool, depth: int) -> str:
    """Each run that looks random (with ``random``), or that decodes (``normalize``: base64 or
    hex, readable UTF-8) to text holding a credential, becomes ``[REDACTED]`` as a whole."""
    found = []
    decoded_runs = 0
    for m in _RUN.finditer(text):
        run = m.group(0)
        if random and len(run) >= MIN_LENGTH and looks_random(run):
            found.append(m.span())
        elif depth < _MAX_DEPTH and decoded_runs < _MAX_SEGMENTS and _may_encode_text(run):
            decoded = normalize.decoded_segments(run)
            decoded_runs += bool(decoded)
            if any(_masked(d, random, depth + 1) is not None for d in decoded):
                found.append(m.span())
    return redact_spans(text, found)


# -- one view, then all of them ----------------------------------------------------------------


def _mask_view(text: str, random: bool, depth: int) -> str:
    # a recovery phrase first: a list word such as "pass" or "token" would otherwise mask the
    # word after it as a pair and cut the phrase into runs too short to tell
    out = redact_spans(text, mnemonic.spans(text))
    out = _mask_formats(out)
    if HINT.search(hint_text(out)) is not None:
        out = mask_pairs(out)
    if "@" in out and ":" in out:
        out = _mask_userinfo(out)
    if out.count(":") >= 4:
        out = redact_spans(out, credential_commands.pgpass_spans(out))
    if len(out) >= normalize.MIN_BASE64 and _RUN.search(out) is not None:
        out = _mask_runs(out, random, depth)
    return out


def _masked(text: str, random: bool, depth: int = 0) -> str | None:
    plain = normalize.canonical(text)
    out = _mask_view(plain, random, depth)
    if "%" in plain or "\\" in plain or "&" in plain:
        # Read the unescaped text whole (not the masked one: a credential cut by an escape,
        # ``GOCSPX-a1&#95;b2``, is masked only in part above).
        unescaped = normalize.unescaped(plain)
        if unescaped != plain:
            again = _mask_view(unescaped, random, depth)
            if again != unescaped:
                out = again
    return None if out == plain else out


@memoised(longest=_CACHED_LEN)
def masked(text: str) -> str | None:
    """``text`` with each credential replaced by ``"[REDACTED]"``, or None when it holds none
    (see the module's docstring for what "the rest of the text" is)."""
    return _masked(text, True)


def mask(text: str) -> str:
    """``text`` with every credential in it replaced by ``"[REDACTED]"`` (``text`` itself when
    it holds none)."""
    return masked(text) or text


def has_credential(text: str) -> bool:
    """True when ``text`` holds a credential, in any of its views."""
    return masked(text) is not None


@memoised(longest=_CACHED_LEN)
def has_known_credential(text: str) -> bool:
    """True when ``text`` holds a credential of a known format or after a secret name: every
    rule but the last resort (random-looking tokens). For IDs, which may be random."""
    return _masked(text, False) is not None
