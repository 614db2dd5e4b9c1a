"""The opensource rule, a positive model: a value leaves only when it is known to be harmless.

    token_reason("gpt-4o-mini")          -> None        (a short token: it may leave)
    token_reason("alice@example.com")    -> "email"     (the reason it may not)
    token_reason("北京市朝阳区")           -> "script"
    number_reason("value", 4155550100)   -> "digits"
    key_reason("user_email")             -> (NAMED, "personal_key")

What is harmless:
- a string that is a short token of a safe ASCII alphabet (letters, digits and ``. _ : + -``,
  at most ``MAX_TOKEN`` characters, perhaps after a ``$``, ``<`` or ``>``; ``/`` only in a
  MIME type or a ``product/1.2`` version;
  ``text``, ``eu-west-1``, ``gpt-4o-mini``, ``application/json``, ``1.2.3``, ``TimeoutError``,
  ISO dates) that no detector of ``pii`` flags (emails, phones and other digit runs, IPs, MAC
  addresses, IDs, plates, file names, domains, tokens, random strings, full names joined into
  one token, place codes) and that hides no encoded text (no base64, base32 or hex segment of
  it decodes to readable text: ``normalize.views``; no 6-11 character base64 decodes to a name;
  no punycode);
- a number that is not shaped like an identifier: numbers whose integral part has seven or more
  digits (phone, card, account and snowflake lengths; ``4155550100.25`` too) are refused,
  except up to 14 digits under a key that names a measure (``bytes``, ``created_at``);
- booleans and nulls.

Anything else is refused with a reason, which the filter counts: free text (``text``), any
other script (``script``), any other character (``shape``), what a detector named
(``email``, ``digits``, ...), an encoding (``encoded``). The checks read the text as given:
only ASCII can pass, so the canonical and unescaped views of a passing token are the token
itself, and its decoded views must be empty. Keys and event names follow the same model
(``name_reason``), and may also be a few plain words ("Memory Created").

The verdicts for strings and keys are memoised (``_memo.memoised``): telemetry repeats itself.
"""

from __future__ import annotations

import base64
import binascii
import re

from tenantry.policy import normalize, pii, words
from tenantry.policy._memo import memoised

__all__ = ["MAX_TOKEN", "key_reason", "name_reason", "number_reason", "token_reason"]

MAX_TOKEN = pii.MAX_SAFE_STRING  # longer strings are free text
# Letters, digits and . _ : + -, after a $ (PostHog's own names, "$lib") or a < or > (the
# duration buckets "<10ms", ">5s").
_TOKEN = re.compile(r"[$<>]?[A-Za-z0-9_][A-Za-z0-9._:+-]*\Z")
_MIME = re.compile(
    r"(?:application|audio|font|image|message|model|multipart|text|video)"
    r"/[A-Za-z0-9][A-Za-z0-9.+-]*\Z"
)
_PRODUCT = re.compile(r"[A-Za-z][A-Za-z0-9._-]*/v?\d+(?:\.\d+)+[A-Za-z0-9.+-]*\Z|[A-Z]{2,8}/\d\Z")
_PLAIN = re.compile(r"[A-Za-z]{1,11}\Z")  # letters only, too short to hide an encoding ...
# Base64 (either alphabet) without padding, too short for ``normalize`` to decode (6-11
# characters: a first name, a surname, a handle): refused when it decodes to a name-like run
# of letters, digits and ``. _ @ + -`` (a word of a token, "gpt-4o-mini" or "eu-west-1", does
# not: its bytes are not that).
_SHORT_BASE64 = re.compile(r"(?=[A-Za-z0-9_-]*[A-Z0-9])[A-Za-z0-9_-]{6,11}\Z")
_NAME_BYTES = re.compile(rb"[A-Za-z][A-Za-z0-9._@+ -]{3,}\Z")
_WORDS = re.compile(r"[A-Za-z][A-Za-z_-]*(?: [A-Za-z][A-Za-z_-]*){1,5}\Z")  # "Memory Created"
_SPACE = re.compile(r"\s")
# A number in scientific notation ("9.4886e+09": the first digits of a phone number).
_SCIENTIFIC = re.compile(r"[-+]?[0-9]+(?:\.[0-9]*)?[eE][-+]?[0-9]+\Z")

PHONE_LENGTH = 10**6  # integral numbers of seven or more digits are shaped like identifiers
LONGEST_MEASURE = 10**14  # ... a measure keeps up to 14 digits (epoch milliseconds)


@memoised(longest=MAX_TOKEN)
def token_reason(text: str) -> str | None:
    """None when ``text`` is a harmless token (see the module's docstring), else why not."""
    if not text or (_PLAIN.match(text) and (len(text) < 6 or _one_case(text))):
        return None  # ... when it is in one case, or a capital and lower case ("Text")
    if len(text) > MAX_TOKEN:
        return "text"
    if not text.isascii():
        return "script"
    if not (_TOKEN.match(text) or _MIME.match(text) or _PRODUCT.match(text)):
        return "text" if _SPACE.search(text) else "shape"
    kind = pii.detect(text)
    if kind is not None:
        return kind
    if _SCIENTIFIC.match(text) and abs(float(text)) >= PHONE_LENGTH:
        return "digits"
    if len(normalize.views(text)) > 1:  # a base64 or hex segment that reads as text
        return "encoded"
    if _SHORT_BASE64.match(text) and _decodes_to_a_name(text):
        return "encoded"
    return None


def _one_case(text: str) -> bool:
    return text.islower() or text.isupper() or (text[0].isupper() and text[1:].islower())


def _decodes_to_a_name(text: str) -> bool:
    """``text`` is base64 (either alphabet, padding left out) of a name-like run of bytes."""
    if len(text) % 4 == 1:
        return False
    try:
        raw = base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=True)
    except (binascii.Error, ValueError):
        return False
    return _NAME_BYTES.match(raw) is not None


@memoised(longest=MAX_TOKEN)
def name_reason(name: str) -> str | None:
    """``token_reason`` for a key or an event name, which may also be a few plain words of
    letters ("Memory Created", "Memory Type") that do not spell out an address, of which one
    names an action, a measure or a kind and at most one is outside that vocabulary
    (``words.reads_as_an_event``: "Alice Okonkwo" and "Alice Okonkwo signed up" are
    refused)."""
    reason = token_reason(name)
    if (
        reason == "text"
        and _WORDS.match(name)
        and pii.detect(name.replace(" ", "_")) is None
        and words.reads_as_an_event(words.key_words(name))
    ):
        return None
    return reason


@memoised()
def key_reason(key: str) -> tuple[int, str] | None:
    """None for a harmless key; else ``(verdict, reason)``: ``(NAMED, <token reason>)`` when the
    key is itself data (an email, an ID, a phone number), ``(NAMED | MEASURE, "secret_key")``
    when its words name a secret, ``(NAMED | MEASURE, "personal_key")`` when they name personal
    data or an identifier. Under a ``MEASURE`` verdict a number or a bool stays (``words.keeps``:
    ``token_count=3``, ``has_email=True``)."""
    reason = name_reason(key)
    if reason is not None:
        return words.NAMED, reason
    kw = words.key_words(key)
    verdict = words.secret_words_verdict(kw)
    if verdict:
        return verdict, "secret_key"
    verdict = words.pii_words_verdict(kw)
    if verdict:
        return verdict, "personal_key"
    return None


def number_reason(key: str, value: int | float) -> str | None:
    """None when ``value`` (an int or a finite float, not a bool) under ``key`` is no identifier;
    ``"digits"`` for a number whose integral part has 7-14 digits under a key that names no
    measure (a phone number, an account; ``4155550100.25`` too), ``"long_number"`` for 15
    digits or more (cards, snowflake IDs)."""
    magnitude = -value if value < 0 else value
    if type(value) is float and not value.is_integer():
        # 4155550100.25 holds a phone number: its integral part is judged as an integer
        magnitude = float(int(magnitude))
    if magnitude < PHONE_LENGTH:
        return None
    if magnitude >= LONGEST_MEASURE:
        return "long_number"
    return None if pii.is_measure_key(key) else "digits"
