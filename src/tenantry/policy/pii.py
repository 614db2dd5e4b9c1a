"""Detectors: which keys name secrets or measures, which values look identifying.

Keys are matched on their *words* (snake_case, camelCase, kebab-case, dots and spaces are split),
never on substrings: ``keyboard_layout`` and ``monkey_count`` are innocent, ``userEmail`` and
``filePath`` are not. ``detect(value)`` names what a short value looks like (an email in any
spelling, a URL or path, a token, an IP or MAC address, a phone or other run of digits, spelt
out too, a UUID, ULID or prefixed ID, a host or wallet name, a plate or ID code, a file name, a
random string, a full name joined into one token, a place code: geohash, plus code, grid square,
postal code), by a few regexes and programmatic checks (Luhn, entropy, digit runs). It is one half of the
opensource rule: ``harmless`` first admits only short tokens of a safe alphabet, then asks
``detect`` which of those are still personal.

The key verdicts are memoised (``_memo.memoised``); ``harmless`` memoises the value verdicts.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from urllib.parse import unquote

from tenantry.policy import credentials, words
from tenantry.policy._memo import memoised

key_words = words.key_words  # re-exported: the detectors' callers split keys the same way

# -- keys (their words: ``tenantry.policy.words``) ----------------------------------------------

# Verdicts for keys: 0 innocent; 1 secret (personal); 2 secret (personal) unless the value is a
# number or a bool.


@memoised()
def secret_key_verdict(key: str) -> int:
    """0: not a secret; 1: the key's words name a secret (``api_key``, ``sessionToken``,
    ``Cookie``, ``auth``, ``x-api-key``) or the key itself holds a credential; 2: names a
    secret as a flag or a measure (``token_count``, ``has_password``, ``session_duration_ms``):
    kept when its value is a number or a bool; 3 (``words.WEAK``): names one only when the
    value looks like a key (``SENTRY_KEY``, ``datadog_app``)."""
    kw = words.key_words(key)
    verdict = words.secret_words_verdict(kw)
    if verdict == words.NAMED:
        return verdict
    if len(key) > 3 and credentials.has_credential(key):
        return words.NAMED  # ... also when its words read as a measure ("...&code_verifier=x9n")
    if verdict:
        return verdict
    return words.WEAK if words.is_weak_secret_words(kw) else words.INNOCENT


def is_secret_key(key: str) -> bool:
    """True when the key names a secret, as it is or as a measure (``NAMED``, ``MEASURE``: a
    vendor's ``*_KEY``, ``WEAK``, names one only by its value)."""
    return secret_key_verdict(key) in (words.NAMED, words.MEASURE)


@memoised()
def is_measure_key(key: str) -> bool:
    """True when the key names a count, a size, a duration or a time (``bytes``, ``count``,
    ``duration_ms``, ``created_at``, ``max_items``), so a long integer under it is a measure."""
    return words.is_measure_words(words.key_words(key))


# -- values ------------------------------------------------------------------------------------

MAX_SAFE_STRING = 64  # longer strings are free text in opensource
# Short and letters only: never identifying, too short to be an encoding (normalize.MIN_BASE64).
_FAST_SAFE = re.compile(r"(?!Mc[A-Z])[A-Za-z]{1,11}\Z")
_ISO_DATE = re.compile(
    r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?(?:Z|[+-]\d{2}:?\d{2})?\Z"
)
_PATTERNS = {  # order matters: the first kind that matches at the earliest position is named
    "email": r"[^@\s]+@[^@\s]+"
    # written out: alice(at)example.com, alice_at_example_dot_com, alice [at] example [dot] com
    r"|(?i:[a-z0-9]+[\s_.(\[{-]+at[\s_.)\]}-]+[a-z0-9-]+"
    r"(?:(?:[\s_.(\[{-]+dot[\s_.)\]}-]+|\.)[a-z]{2,})+)",
    "url": r"\A[A-Za-z][A-Za-z0-9+.-]*://|\A(?:www\.|mailto:|file:)",
    "path": r"\A(?:/|~|\.{1,2}[/\\]|[A-Za-z]:[\\/]|\\\\)|\\|/[^/]*/",
    "jwt": r"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.",
    "vendor_token": (
        r"(?:\b|_)(?:sk|pk|rk)_(?:live|test)_|\A(?:gh[pousr]_|github_pat_|glpat-|xox[abposr]-"
        r"|AIza|hf_|npm_|shpat_|sq0atp-|tn[ts]_)|\A(?:AKIA|ASIA)[A-Z0-9]{12,}"
    ),
    # dotted, or with dashes or underscores (ip-10-0-0-1.ec2.internal, 10_0_0_1)
    "ipv4": r"(?<!\d)\d{1,3}(?P<ip_sep>[._-])\d{1,3}(?P=ip_sep)\d{1,3}(?P=ip_sep)\d{1,3}(?!\d)",
    "hex_number": r"(?<![A-Za-z0-9])0[xX][0-9A-Fa-f]{6,}",
    "ssn": r"\A\d{3}-\d{2}-\d{4}\Z",
    "iban": r"\A[A-Za-z]{2}\d{2}[A-Za-z0-9]{11,30}\Z",
    "phone": r"\A\+?(?=(?:\D*\d){7})[\d().\- #]{7,}\Z",  # seven digits or more: 1.26.18 is none
    "mac": (
        r"(?<![0-9A-Fa-f])[0-9A-Fa-f]{2}(?P<mac_sep>[:_-])[0-9A-Fa-f]{2}"
        r"(?:(?P=mac_sep)[0-9A-Fa-f]{2}){4}(?![0-9A-Fa-f])"
        r"|(?<![0-9A-Fa-f])[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}(?![0-9A-Fa-f])"
    ),
    "ipv6": r"\A\[?[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?:%\w+)?\]?(?::\d+)?\Z",
    "uuid": r"[0-9A-Fa-f]{8}-?[0-9A-Fa-f]{4}-?[0-9A-Fa-f]{4}-?[0-9A-Fa-f]{4}-?[0-9A-Fa-f]{12}",
    "hex": r"[0-9A-Fa-f]{16,}",
    # usr_1234, cus_NffrFeUfNV2Hib: two digits or more, or a digit in mixed case (us-central1
    # is a region)
    "prefixed_id": (
        r"\A[A-Za-z]{2,12}[_-](?=(?:[A-Za-z]*\d){2}|(?=[A-Za-z0-9]*\d)(?=[a-z0-9]*[A-Z])"
        r"(?=[A-Z0-9]*[a-z]))[A-Za-z0-9]{4,}\Z"
    ),
    "ulid": r"\A[0-7][0-9A-HJKMNP-TV-Za-hjkmnp-tv-z]{25}\Z",
}
# ``scheme:rest`` without ``//``; a scheme that names a way to reach someone (or a place) is
# personal whatever follows it; any other one is judged by what it carries.
_URI_SCHEME = re.compile(r"\A([A-Za-z][A-Za-z0-9+.-]{1,31}):(?!//)(.*)\Z", re.S)
CONTACT_SCHEMES = frozenset(
    {
        "tel", "sms", "smsto", "mms", "mmsto", "mailto", "callto", "facetime", "facetime-audio",
        "sip", "sips", "xmpp", "im", "skype", "whatsapp", "tg", "signal", "viber", "fax",
        "modem", "geo", "maps", "imessage", "wtai", "ldap", "ldaps",
    }
)  # fmt: skip
_SENSITIVE = re.compile("|".join(f"(?P<{name}>{pat})" for name, pat in _PATTERNS.items()))
# Dates inside a value (gpt-4o-2024-08-06, claude-3-5-sonnet-20241022) are no identifier: they
# are taken out before the digits are counted.
_DATE_PART = re.compile(
    r"(?<!\d)(?:19|20)\d\d(?P<sep>[-_.]?)(?:0[1-9]|1[0-2])(?P=sep)(?:0[1-9]|[12]\d|3[01])(?!\d)"
)
# Seven or more digits in a row, single separators allowed between them: a phone number
# (415_555_0100, 415/555/0100, +1-415-555-0100x12), an account, card or snowflake number.
_DIGIT_RUN = re.compile(r"\d(?:[-._/()+:x]?\d){6,}")
_ALNUM_RUN = re.compile(r"[A-Za-z0-9]+")
MAX_SEGMENT_DIGITS = 4  # a run of letters and digits with more is an ID (QQ123456C, 94107)
# Capitals and digits in three or more alternating groups: a licence plate (AB12CDE, 7ABC123,
# AB-123-CD, KA-01-AB-1234), not a product name (H100, RTX4090, SHA256, UTF-8).
_PLATE = re.compile(
    r"\A(?=(?:[A-Z0-9]-?){5,10}\Z)(?:[A-Z]+-?[0-9]+-?[A-Z]|[0-9]+-?[A-Z]+-?[0-9])"
    r"|\A[A-Z]{1,3}-[A-Z]{1,2}-?[0-9]{1,4}[EH]?\Z"  # German: district, letters, digits
)
# Eight or more capitals and digits in one run, at least three of each: an ID card, tax or
# passport number (ABCDE1234F, GODE561231HDFRRN09), not a name (SECP256K1 is lower case).
_ID_CODE = re.compile(
    r"(?<![A-Za-z0-9])(?=[A-Z0-9]{8,}(?![A-Za-z0-9]))(?=(?:[A-Z]*[0-9]){3})(?=(?:[0-9]*[A-Z]){3})"
)
# Hex digits with letters and digits both, eight or more (an address or a key written in hex,
# fb156dd5, 247b-f053-edb5-826f-...; a seven-digit commit hash stays), alone or in groups.
_HEX_GROUPS = re.compile(r"[0-9A-Fa-f]+(?:[-_:.][0-9A-Fa-f]+)*\Z")
_MIXED_HEX = re.compile(r"(?=[0-9A-Fa-f]*[0-9])(?=[0-9A-Fa-f]*[A-Fa-f])[0-9A-Fa-f]{8,}")
_SEPARATORS = re.compile(r"[-_:.]")
# A host name: labels and a top-level domain, every country's or a common generic one.
_HOST = re.compile(r"\A(?:[A-Za-z0-9-]+\.)+([A-Za-z]{2,11})\Z")
TOP_LEVEL_DOMAINS = frozenset(
    (  # noqa: SIM905
        # generic, the common ones, and the names of internal networks
        "com org net io dev ai app co edu gov mil int info biz me name pro xyz site online store "
        "shop tech blog cloud top club live space website email world today life digital link "
        "click page art design studio agency media news one plus tv cc ws fm ly gg "
        "local internal lan localhost localdomain home corp intranet "
        # the names wallets go by (ENS, Solana, Unstoppable Domains, Lens, ...)
        "eth sol crypto nft wallet bnb dao lens bitcoin blockchain zil coin klever polygon "
        # every country's (ISO 3166 two-letter codes in the root zone)
        "ac ad ae af ag al am ao aq ar as at au aw ax az ba bb bd be bf bg bh bi bj bm bn bo br bs "
        "bt bw by bz ca cd cf cg ch ci ck cl cm cn cr cu cv cw cx cy cz de dj dk dm do dz ec ee eg "
        "er es et eu fi fj fk fo fr ga gd ge gf gh gi gl gm gn gp gq gr gs gt gu gw gy hk hm hn hr "
        "ht hu id ie il im in iq ir is it je jm jo jp ke kg kh ki km kn kp kr kw ky kz la lb lc li "
        "lk lr ls lt lu lv ma mc md mg mh mk ml mm mn mo mp mq mr ms mt mu mv mw mx my mz na nc "
        "ne nf ng ni nl no np nr nu nz om pa pe pf pg ph pk pl pm pn pr ps pt pw py qa re ro rs ru "
        "rw sa sb sc sd se sg sh si sk sl sm sn so sr ss st sv sx sy sz tc td tf tg th tj tk tl tm "
        "tn to tr tt tw tz ua ug uk us uy uz va vc ve vg vi vn vu wf ye yt za zm zw"
    ).split()
)
# A file's name: the documented extensions of documents, media, archives, code, data and keys.
_FILE = re.compile(
    r"[^.]\.(?:pdf|docx?|xlsx?|pptx?|od[tsp]|rtf|txt|md|csv|tsv|json|ya?ml|xml|html?|ini|cfg"
    r"|conf|toml|env|log|bak|tmp|sql|db|sqlite3?|jpe?g|png|gif|bmp|tiff?|webp|heic|svg|ico|mp[34]"
    r"|m4a|wav|flac|ogg|mov|avi|mkv|webm|zip|tar|gz|tgz|bz2|xz|7z|rar|py|ipynb|js|ts|tsx|jsx|java"
    r"|kt|c|h|cpp|hpp|cs|go|rs|rb|php|sh|bat|ps1|pem|key|crt|cer|p12|pfx|pub|eml|msg|ics|vcf|apk"
    r"|exe|dmg|iso|bin|dat|parquet|avro|pkl|pt|gguf|onnx|safetensors)\Z",
    re.IGNORECASE,
)
_WHITESPACE = re.compile(r"\s")
# Two or more capitalised words joined into one token (``Alice-Okonkwo``, ``Priya.Lombardi``,
# ``Yusuf_Kowalczyk``), or a name with the prefix Mc: a person's full name unless one of the
# words names an action or a kind (``Memory_Created``, ``Content-Type``: ``words``).
_JOINED_NAME = re.compile(r"\A(?:[A-Z][a-z]+[-_.])+[A-Z][a-z]+\Z|\AMc[A-Z][a-z]{2,}\Z")
_JOINED_SPLIT = re.compile(r"[-_.]")
# Five or more digits spelt out (``four-one-five-five-five...``, ``fivefivefive...``).
_NUMBER_WORDS = re.compile(
    r"(?i)(?:(?:zero|one|two|three|four|five|six|seven|eight|nine|oh|nil)[-_.]?){5,}"
)
# Places in compact codes: geohashes (eight or more characters of their alphabet with two digits,
# or nine or more with one: 40 m or finer; seven would refuse "utf8mb4"), plus codes (full and
# short), Maidenhead grid squares (six or eight characters), and the postal
# codes whose digits are too few for the digit rule: British and Canadian (any case), Dutch
# (four digits and two capitals that are no unit) and Polish (NN-NNN).
_PLACES = re.compile(
    r"(?P<geohash>\A(?=(?:[0-9]*[b-hjkmnp-z]){3})(?:(?=(?:[b-hjkmnp-z]*[0-9]){2})"
    r"[0-9b-hjkmnp-z]{8,12}|(?=[b-hjkmnp-z]*[0-9])[0-9b-hjkmnp-z]{9,12})\Z)"
    r"|(?P<plus_code>(?i:[2-9CFGHJMPQRVWX]{4,8}\+[2-9CFGHJMPQRVWX]{2,3}))"
    r"|(?P<grid_square>\A[A-R]{2}[0-9]{2}[a-x]{2}(?:[0-9]{2})?\Z)"
    r"|(?P<postal_code>(?i:\A[a-z]{1,2}[0-9][a-z0-9]?[-_]?[0-9][a-z]{2}\Z"
    r"|\A[a-z][0-9][a-z][-_]?[0-9][a-z][0-9]\Z)"
    r"|\A[1-9][0-9]{3}(?!KB|MB|GB|TB|PB|MS|HZ|PX|DP|PT|EM|FPS|SS|SA|SD)[A-Z]{2}\Z"
    r"|\A[0-9]{2}-[0-9]{3}\Z)"
)
# An email written without an @ and without separators around "at" and "dot"
# (``aliceATexampleDOTcom``, ``aliceatexampledotcom``), or with a capitalised "AT" between
# separators (``alice_AT_example``), or "at" before a last part that is no time unit
# (``alice-at-example``; ``created_at_ms`` and ``updated_at_desc`` stay).
_RUN_EMAIL = re.compile(
    r"[A-Za-z0-9](?:AT|At)[A-Za-z0-9-]+(?:DOT|Dot)[A-Za-z]{2,}\Z"
    r"|(?i:[a-z0-9]at[a-z0-9-]{2,}dot(?:com|net|org|edu|gov|io|co|de|uk|fr|es|it|nl|ru|cn|jp|in|br|au|ca|ch|se|pl|info|biz|me|dev)\Z)"
    r"|[a-z0-9][._+-](?:AT|At)[._-][A-Za-z0-9]"
    r"|[a-z0-9][._+-]at[._-](?P<last>[a-z0-9-]{3,})\Z"
)
_NOT_DOMAINS = frozenset({"desc", "asc", "utc", "epoch", "local", "iso", "unix", "time", "date",
                          "secs", "seconds", "millis", "nanos", "micros", "start", "end"})  # fmt: skip
_DIGITS = re.compile(r"\d")


def luhn_ok(digits: str) -> bool:
    """The Luhn checksum of a string of digits (card numbers)."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def shannon_entropy(s: str) -> float:
    """Bits per character."""
    n = len(s)
    return -sum(c / n * math.log2(c / n) for c in Counter(s).values())


def looks_random(s: str) -> bool:
    """A token-like string, not words and numbers (``claude-3-5-sonnet-20241022``,
    ``ConnectionResetError``, ``v1.2.3-rc.1+build.5`` are not): 10 or more letters and digits
    that break into short pieces the way random keys do (``Zk8qLm3RtY7vNp2W``: ``Zk 8 q Lm 3
    Rt ...``), or that switch case or between letters and digits at least every third
    character (``dQw4w9WgXcQ``), or one unbroken run of 16 or more that mixes letters with
    digits, or lower with upper case in a random proportion (30-70% capitals); with nearly as
    much entropy per character as its length allows (3 bits from 12 characters on)."""
    runs = _ALNUM_RUN.findall(s)
    total = sum(map(len, runs))
    if total < 10 or shannon_entropy(s) < min(3.0, 0.85 * math.log2(len(s))):
        return False
    pieces = most = 0
    for run in runs:
        n = len(words.key_words(run))
        pieces += n
        most = max(most, n)
        if len(run) >= 16 and _mixed(run):
            return True
        if len(run) >= 10 and _switches(run) >= 0.3 * (len(run) - 1):
            return True
    return most >= 4 and total / pieces < 2.5


def _switches(run: str) -> int:
    """How often ``run`` turns from lower to upper case or between letters and digits: about
    every other character in a random key, once a word in camelCase (``getUserById``)."""
    n = 0
    prev_lower = prev_digit = prev_alpha = False
    for ch in run:
        digit = ch.isdigit()
        if (prev_lower and ch.isupper()) or (prev_alpha and digit) or (prev_digit and not digit):
            n += 1
        prev_lower, prev_digit, prev_alpha = ch.islower(), digit, not digit
    return n


def _mixed(run: str) -> bool:
    upper = lower = digit = 0
    for ch in run:
        if ch.isdigit():
            digit += 1
        elif ch.isupper():
            upper += 1
        else:
            lower += 1
    letters = upper + lower
    if digit and letters:
        return True
    return bool(lower) and 0.3 <= upper / letters <= 0.7


def detect(value: str) -> str | None:
    """The kind of personal or secret data ``value`` looks like (``"email"``, ``"free_text"``,
    ``"card"``, ...), or None when it is a harmless short identifier-like string."""
    if _FAST_SAFE.match(value):
        return None
    if len(value) > MAX_SAFE_STRING:
        return "free_text"
    if _WHITESPACE.search(value):
        return "free_text"
    if _ISO_DATE.match(value):
        return None
    if "%" in value:  # alice%40example.com, tel:%2B1415...
        decoded = unquote(value)
        if decoded != value:
            kind = detect(decoded)
            if kind is not None:
                return kind
    scheme = _URI_SCHEME.match(value)
    if scheme is not None:  # tel:+1415..., sms:..., geo:..., urn:uuid:...: what they carry
        if scheme.group(1).lower() in CONTACT_SCHEMES:
            return "contact_uri"
        rest = scheme.group(2)
        kind = detect(rest) if rest else None
        if kind is not None:
            return kind
    m = _SENSITIVE.search(value)
    if m is not None:
        return m.lastgroup
    if credentials.has_credential(
        value
    ):  # tnt_..., token=..., Basic:... (no whitespace, <= 64 chars)
        return "credential"
    digits = "".join(_DIGITS.findall(value))
    if len(digits) >= 12 and luhn_ok(digits):
        return "card"
    if looks_random(value):
        return "high_entropy"
    return shaped(value)


def _shaped_more(value: str) -> str | None:
    """The shapes of personal data that are letters as much as digits: a full name joined into
    one token, digits spelt out, a place code, an email run together, punycode (a name in
    another script); else None."""
    if "--" in value and value.lower().startswith("xn--"):
        return "encoded"
    if _NUMBER_WORDS.search(value):
        return "digits"
    place = _PLACES.search(value)
    if place is not None:
        return place.lastgroup
    email = _RUN_EMAIL.search(value)
    if email is not None and (email.group("last") or "") not in _NOT_DOMAINS:
        return "email"
    if _JOINED_NAME.match(value):
        parts = [p.lower() for p in _JOINED_SPLIT.split(value)]
        if not words.names_an_action(parts):
            return "name"
    return None


def shaped(value: str) -> str | None:
    """The kind of identifier a short value is shaped like, by its digits and its form:
    ``"digits"`` (seven or more digits in a row, or more than ``MAX_SEGMENT_DIGITS`` in one run
    of letters and digits, dates left out), ``"hex"``, ``"domain"`` (a host name),
    ``"plate"``, ``"id_code"`` or ``"file_name"``; else None."""
    undated = _DATE_PART.sub("_", value) if _DIGITS.search(value) else value
    if _DIGIT_RUN.search(undated):
        return "digits"
    for run in _ALNUM_RUN.findall(undated):
        if len(run) > MAX_SEGMENT_DIGITS and sum(ch.isdigit() for ch in run) > MAX_SEGMENT_DIGITS:
            return "digits"
    if _HEX_GROUPS.match(value) and _MIXED_HEX.fullmatch(_SEPARATORS.sub("", value)):
        return "hex"
    kind = _shaped_more(value)
    if kind is not None:
        return kind
    host = _HOST.match(value)
    if host is not None and host.group(1).lower() in TOP_LEVEL_DOMAINS:
        return "domain"
    if _PLATE.match(value):
        return "plate"
    if _ID_CODE.search(value):
        return "id_code"
    if _FILE.search(value):
        return "file_name"
    return None
