"""Text as the privacy rules must see it: one spelling, escapes undone, encodings decoded.

A detector that reads only the text as given loses to the first respelling: ``alice＠example.com``
(a full-width ``@``), ``tnt_5L2j\u200bAb...`` (a zero-width space inside a key),
``alice%2540example.com`` (percent-encoded twice), ``{\\"password\\": \\"...\\"}`` (escaped JSON),
``YWxpY2VAZXhhbXBsZS5jb20=`` (base64). Every rule therefore runs on the *views* of a text:

    canonical(text)   NFKC (full-width and small-form letters and signs become ASCII), and every
                      invisible character removed (zero-width, bidi controls, soft hyphen, BOM, ...)
    unescaped(text)   percent-decoding, JSON string escapes and HTML character references undone,
                      repeatedly, until the text stops changing (at most ``ROUNDS`` times)
    views(text)       the canonical text, its unescaped form when that differs, and the views of
                      every base64 or hex segment that decodes to readable UTF-8 text

Pure functions of their argument, no state, never raise (``views`` of any ``str`` is a non-empty
tuple whose first item is ``canonical(text)``). A leaf module: it imports nothing of tenantry's.
"""

from __future__ import annotations

import base64
import binascii
import html
import re
import unicodedata
from urllib.parse import unquote

__all__ = ["ROUNDS", "canonical", "decoded_segments", "unescaped", "views"]

ROUNDS = 4  # unescaping rounds: a value encoded four times over is still read
MAX_SEGMENTS = 4  # encoded segments decoded per text (the first ones)
MAX_DEPTH = 2  # a decoded segment's own segments are decoded too, this deep
MIN_BASE64 = 12  # shorter runs are words, not encodings (12 base64 chars = 9 bytes)
MIN_HEX = 16  # 8 bytes
MAX_DECODED = 4096  # characters of a segment that are decoded

# Characters that render as nothing: format characters (Unicode category Cf: zero-width spaces
# and joiners, bidi embeddings/overrides/isolates, word joiner, invisible operators, BOM,
# interlinear annotations, tags), plus the invisible fillers and joiners outside Cf (combining
# grapheme joiner, Hangul fillers, Mongolian vowel separator, Khmer inherent vowels).
_INVISIBLE = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e"
    "\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff0-\ufffb\u0600-\u0605\u06dd\u070f"
    "\u0890\u0891\u08e2\U000110bd\U000110cd\U0001bca0-\U0001bca3\U0001d173-\U0001d17a"
    "\U000e0000-\U000e0fff]"
)
_JSON_ESCAPE = re.compile(r'\\(?:u([0-9A-Fa-f]{4})|(["\\/bfnrt]))')
_JSON_SIMPLE = {
    '"': '"',
    "\\": "\\",
    "/": "/",
    "b": "\b",
    "f": "\f",
    "n": "\n",
    "r": "\r",
    "t": "\t",
}
_BASE64_RUN = re.compile(rf"[A-Za-z0-9+/_-]{{{MIN_BASE64},}}={{0,2}}")
_ESCAPES = re.compile(r"[%\\&]")
_HEX_RUN = re.compile(rf"(?:[0-9A-Fa-f]{{2}}){{{MIN_HEX // 2},}}")
MIN_BASE32 = 16  # 10 bytes
# Base32 (RFC 4648: capitals and 2-7, padded to eight) as a run of its own.
_BASE32_RUN = re.compile(rf"(?<![A-Za-z0-9])[A-Z2-7]{{{MIN_BASE32},}}={{0,6}}(?![A-Za-z0-9])")


def canonical(text: str) -> str:
    """``text`` in NFKC with every invisible character removed; ASCII text is returned as is."""
    if text.isascii():
        return text
    return _INVISIBLE.sub("", unicodedata.normalize("NFKC", text))


def _json_char(m: re.Match[str]) -> str:
    code = m.group(1)
    if code is None:
        return _JSON_SIMPLE[m.group(2)]
    return chr(int(code, 16))


def _unescape_once(text: str) -> str:
    if "%" in text:
        text = unquote(text, errors="replace")
    if "\\" in text:
        text = _JSON_ESCAPE.sub(_json_char, text)
        # a \ud83d\ude00 pair decoded one half at a time: join the halves into the character
        text = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    if "&" in text and ";" in text:
        text = html.unescape(text)
    return text


def unescaped(text: str) -> str:
    """``text`` with percent-encoding, JSON string escapes and HTML character references undone,
    again and again until nothing changes (at most ``ROUNDS`` rounds), then ``canonical``: a
    full-width ``%`` or an escaped zero-width space is undone too."""
    out = canonical(text)
    for _ in range(ROUNDS):
        if "%" not in out and "\\" not in out and "&" not in out:
            break
        nxt = canonical(_unescape_once(out))
        if nxt == out:
            break
        out = nxt
    return out


def _readable(raw: bytes) -> str | None:
    """``raw`` as text when it is UTF-8 that a person could read (printable, whitespace, or
    invisible: a zero-width space hides nothing from a reader, only from a detector)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if len(text) < 4:
        return None
    seen = _INVISIBLE.sub("", text)
    printable = sum(1 for ch in seen if ch.isprintable() or ch in "\t\n\r")
    printable += len(text) - len(seen)
    return text if printable >= 0.9 * len(text) and "\x00" not in text else None


def _from_base64(run: str) -> str | None:
    body = run.rstrip("=")
    if len(body) % 4 == 1:  # no base64 text has this length
        return None
    padded = body + "=" * (-len(body) % 4)
    altchars = b"-_" if ("-" in body or "_" in body) else None
    if altchars is not None and ("+" in body or "/" in body):
        return None  # both alphabets at once: not base64
    try:
        return _readable(base64.b64decode(padded, altchars=altchars, validate=True))
    except (binascii.Error, ValueError):
        return None


def decoded_segments(text: str) -> list[str]:
    """The readable UTF-8 texts hidden in ``text``'s base64 (standard or URL-safe alphabet,
    ``MIN_BASE64`` characters or more), hex (``MIN_HEX`` digits or more) and base32
    (``MIN_BASE32`` capitals and digits or more) runs: at most
    ``MAX_SEGMENTS`` of them, each from at most ``MAX_DECODED`` characters."""
    found: list[str] = []
    for pattern, decode in (
        (_HEX_RUN, _from_hex),
        (_BASE64_RUN, _from_base64),
        (_BASE32_RUN, _from_base32),
    ):
        for m in pattern.finditer(text):
            decoded = decode(m.group(0)[:MAX_DECODED])
            if decoded is not None and decoded not in found:
                found.append(decoded)
                if len(found) >= MAX_SEGMENTS:
                    return found
    return found


def _from_base32(run: str) -> str | None:
    body = run.rstrip("=")
    if len(body) % 8 in (1, 3, 6):  # no base32 text has these lengths
        return None
    try:
        return _readable(base64.b32decode(body + "=" * (-len(body) % 8)))
    except (binascii.Error, ValueError):
        return None


def _from_hex(run: str) -> str | None:
    return _readable(bytes.fromhex(run[: len(run) // 2 * 2]))


def views(text: str, _depth: int = 0) -> tuple[str, ...]:
    """Every way the rules must read ``text``: ``canonical(text)``, ``unescaped(text)`` when it
    differs, and the views of each decoded segment (``decoded_segments``, ``MAX_DEPTH`` deep),
    without repeats, in that order."""
    if len(text) < MIN_BASE64 and text.isascii() and not _ESCAPES.search(text):
        return (text,)  # the usual short token: nothing to undo, too short to decode
    first = canonical(text)
    out = [first]
    plain = unescaped(first)
    if plain != first:
        out.append(plain)
    if _depth < MAX_DEPTH:
        for seen in tuple(out):
            for segment in decoded_segments(seen):
                for v in views(segment, _depth + 1):
                    if v not in out:
                        out.append(v)
    return tuple(out)
