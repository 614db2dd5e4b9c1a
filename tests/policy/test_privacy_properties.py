"""Property-based: identifying values never survive opensource shaping, at any depth, under
innocent or telling keys (phones also as tel:/sms:/sip: URIs, percent-encoded, or numbers);
credentials never survive cloud shaping, while the words around them do; the caller's objects
are never changed."""

from __future__ import annotations

import base64
import copy
import random
import string

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tenantry.config import Settings
from tenantry.counters import Counters
from tenantry.policy import build_chain, shape
from tests.policy.conftest import ANON, SECRET, make_draft

CHAIN = build_chain(
    Settings(edition="opensource"),
    secret=SECRET,
    anonymous_id=ANON,
    profile_lookup=None,
    counters=Counters(),
)

BASE62 = string.ascii_letters + string.digits
seeds = st.integers(min_value=0, max_value=2**64)


def _random(seed: int, alphabet: str, n: int) -> str:
    """Truly random text from ``seed`` (hypothesis shrinks the seed, not the randomness)."""
    return "".join(random.Random(seed).choices(alphabet, k=n))


def _luhn_complete(body: str) -> str:
    for check in "0123456789":
        digits = body + check
        total = 0
        for i, ch in enumerate(reversed(digits)):
            d = int(ch) * (2 if i % 2 else 1)
            total += d - 9 if d > 9 else d
        if total % 10 == 0:
            return digits
    raise AssertionError("unreachable")


names = st.from_regex(r"[a-z]{3,10}", fullmatch=True)
emails = st.emails().filter(lambda e: len(e) >= 6)
phones = st.builds(
    lambda cc, area, num, fmt: fmt.format(cc=cc, area=area, a=num // 10000, b=num % 10000),
    st.integers(1, 99),
    st.integers(200, 999),
    st.integers(2_000_000, 9_999_999),
    st.sampled_from(["+{cc}{area}{a}{b}", "({area}){a}-{b:04d}", "{area}-{a}-{b:04d}",
                     "{area}.{a}.{b:04d}", "+{cc} {area} {a} {b}", "{area}{a}{b:04d}"]),
)  # fmt: skip
ipv4 = st.ip_addresses(v=4).map(str).filter(lambda s: s.count("0") < 4)
ipv6 = st.ip_addresses(v=6).map(str).filter(lambda s: len(s) > 6)
cards = st.builds(
    lambda prefix, seed, sep: sep.join(
        (lambda n: [n[i : i + 4] for i in range(0, 16, 4)])(
            _luhn_complete(prefix + _random(seed, string.digits, 15 - len(prefix)))
        )
    ),
    st.sampled_from(["4", "51", "55", "6011"]),
    seeds,
    st.sampled_from(["", "-", " "]),
)
CARD_INTS = cards.map(lambda c: int(c.replace("-", "").replace(" ", "")))
ssns = st.builds(lambda a, b, c: f"{a:03d}-{b:02d}-{c:04d}", st.integers(100, 899),
                 st.integers(10, 99), st.integers(1000, 9999))  # fmt: skip
ibans = st.builds(lambda cc, seed: f"{cc}{_random(seed, string.digits, 20)}",
                  st.sampled_from(["DE", "FR", "GB", "NL", "ES"]), seeds)  # fmt: skip
jwts = st.builds(
    lambda seed: (
        "eyJhbGciOiJIUzI1NiJ9."
        + base64.urlsafe_b64encode(random.Random(seed).randbytes(24)).decode().rstrip("=")
        + "."
        + _random(seed + 1, BASE62, 43)
    ),
    seeds,
)
tokens = st.builds(
    lambda prefix, seed, n: prefix + _random(seed, BASE62, n),
    st.sampled_from(["sk_live_", "sk_test_", "ghp_", "xoxb-", "AKIA", "glpat-", ""]),
    seeds,
    st.integers(20, 40),
).map(lambda t: t if not t.startswith("AKIA") else t.upper())
hexes = st.builds(lambda seed, n: _random(seed, "0123456789abcdef", n), seeds, st.integers(16, 64))
uuids = st.uuids().map(str) | st.uuids().map(lambda u: u.hex)
prefixed_ids = st.builds(lambda p, seed: p + _random(seed, BASE62, 12) + "7",
                         st.sampled_from(["usr_", "dev_", "user_", "cus_"]), seeds)  # fmt: skip
paths = st.builds(
    lambda name, fmt: fmt.format(name=name),
    names,
    st.sampled_from(["/home/{name}/notes.txt", "C:\\Users\\{name}\\Desktop", "~/{name}.key",
                     "./{name}/x", "../{name}", "/var/lib/{name}", "\\\\server\\{name}"]),
)  # fmt: skip
urls = st.builds(lambda host, path: f"https://{host}.example.com/{path}", names, names)
free_text = st.lists(names, min_size=2, max_size=8).map(" ".join) | st.text(
    min_size=65, max_size=200
)

# Issue 11 item 2: phones and emails in other forms.
phone_digits = st.builds(lambda cc, area, num: f"{cc}{area}{num}", st.sampled_from(["", "1", "44", "49"]),
                         st.integers(200, 999), st.integers(2_000_000, 9_999_999))  # fmt: skip
contact_uris = (
    st.builds(
        lambda scheme, who, upper: (scheme.upper() if upper else scheme) + ":" + who,
        st.sampled_from(["tel", "sms", "smsto", "callto", "facetime", "whatsapp", "sip", "mailto"]),
        phones.filter(lambda p: " " not in p) | phone_digits.map(lambda d: "+" + d) | emails,
        st.booleans(),
    )
    | phone_digits.map(lambda d: "tel:%2B" + d)
    | emails.map(lambda e: e.replace("@", "%40"))
)
phone_numbers = phone_digits.map(int) | phone_digits.map(lambda d: float(int(d)))

SENSITIVE = st.one_of(
    emails, phones, ipv4, ipv6, cards, ssns, ibans, jwts, tokens, hexes, uuids, prefixed_ids,
    paths, urls, free_text, contact_uris,
)  # fmt: skip
# Names and keys may be a few plain words ("Memory Created"): words-only text is no leak there.
SENSITIVE_NAMES = st.one_of(
    emails, phones, ipv4, ipv6, cards, ssns, ibans, jwts, tokens, hexes, uuids, prefixed_ids,
    paths, urls, st.text(min_size=65, max_size=200),
)  # fmt: skip
INNOCENT_KEYS = st.sampled_from(["type", "x", "data", "meta", "value", "a", "info", "k1"])
TELLING_KEYS = st.sampled_from(["user_email", "ipAddress", "filePath", "note", "owner", "url"])
KEYS = INNOCENT_KEYS | TELLING_KEYS


@st.composite
def nested(draw, leaves, pick=lambda leaf: leaf):
    """A leaf (``pick(leaf)``) buried under 0-6 levels of dicts, lists and tuples, beside
    innocent values: ``(value, top-level key, leaf)``."""
    leaf = draw(leaves)
    value = pick(leaf)
    for _ in range(draw(st.integers(0, 6))):
        wrap = draw(st.sampled_from(["dict", "list", "tuple"]))
        if wrap == "dict":
            value = {draw(KEYS): value, "ok": draw(st.integers() | st.booleans())}
        elif wrap == "list":
            value = ["fine", value]
        else:
            value = (value, 1)
    return value, draw(KEYS), leaf


def _wire(event) -> bytes:
    return orjson.dumps({"event": event.event, "properties": event.properties})


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    item=nested(SENSITIVE | CARD_INTS | phone_numbers),
    name=st.sampled_from(["track", "error", "performance"]),
)
def test_identifying_values_never_survive(item, name):
    """No generated email, phone (also as a tel:/sms:/sip: URI, percent-encoded, or a number),
    IP, card, IBAN, SSN, JWT, token, ID, path, URL or free text appears in an opensource event,
    however deep and under whatever key."""
    value, key, leaf = item
    props = {key: value, "type": "text"}
    before = copy.deepcopy(props)
    event = shape(CHAIN, make_draft(kind=name, properties=props, duration_ms=3.0))
    assert event is not None
    wire = _wire(event)
    if isinstance(leaf, float):
        leaf = int(leaf)
    leaf = leaf if isinstance(leaf, str) else str(leaf)
    assert leaf.encode() not in wire, (leaf, wire)
    assert orjson.dumps(leaf)[1:-1] not in wire
    assert props == before


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(secret=SENSITIVE_NAMES, kind=st.sampled_from(["track", "error", "performance"]))
def test_identifying_event_names_never_survive(secret, kind):
    """An identifying value used as the event, error or operation name never leaves."""
    event = shape(CHAIN, make_draft(kind=kind, event=secret, duration_ms=1.0))
    assert event is None or secret.strip().encode() not in _wire(event)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(secret=SENSITIVE_NAMES)
def test_identifying_keys_never_survive(secret):
    """An identifying value used as a property key never leaves."""
    event = shape(CHAIN, make_draft(properties={secret: 1, "nested": {secret: 2}}))
    assert orjson.dumps(secret)[1:-1] not in _wire(event)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(user_id=st.text(min_size=1, max_size=40).filter(str.strip), dev=prefixed_ids)
def test_raw_ids_never_survive(user_id, dev):
    """Neither raw ID appears anywhere in the opensource event record."""
    event = shape(CHAIN, make_draft(user_id=user_id, developer_id=dev))
    record = event.to_record()
    assert record["distinct_id"].startswith("anon_") and len(record["distinct_id"]) == 37
    assert record["developer_id"] is None and record["end_user_id"] is None
    assert dev.encode() not in orjson.dumps(record)


# -- cloud: credentials by value (issue 11 item 1) ------------------------------------------------

CLOUD = build_chain(
    Settings(edition="cloud"),
    secret=b"",
    anonymous_id=ANON,
    profile_lookup=None,
    counters=Counters(),
)
URLSAFE = BASE62 + "-_"
B64 = BASE62 + "+/"


def _with_digit(s: str) -> str:
    return s[:-1] + "7"


tenantry_tokens = st.builds(
    lambda p, seed: p + _random(seed, URLSAFE, 43), st.sampled_from(["tnt_", "tns_"]), seeds
)
vendor_tokens = st.builds(
    lambda prefix, seed, n: prefix + _with_digit(_random(seed, BASE62, n)),
    st.sampled_from(["sk_live_", "sk_test_", "rk_live_", "whsec_", "ghp_", "gho_", "github_pat_",
                     "xoxb-", "xoxp-", "glpat-", "hf_", "npm_", "pypi-", "sk-", "sk-proj-",
                     "sk-ant-api03-", "AIza", "phx_", "shpat_", "dop_v1_"]),
    seeds,
    st.integers(32, 48),
) | st.builds(lambda p, seed: p + _random(seed, string.ascii_uppercase + string.digits, 16),
              st.sampled_from(["AKIA", "ASIA"]), seeds)  # fmt: skip
values = st.builds(
    lambda seed, n: _with_digit(_random(seed, BASE62, n)), seeds, st.integers(10, 24)
)


@st.composite
def credentials(draw):
    """``(text, secret parts)``: a credential in one of its forms; the parts must all go."""
    form = draw(st.sampled_from(["alone", "bearer", "basic", "userinfo", "query", "pair", "json",
                                 "header", "pem"]))  # fmt: skip
    token = draw(tenantry_tokens | vendor_tokens | jwts)
    value = draw(values)
    host = draw(names)
    if form == "alone":
        return token, [token]
    if form == "bearer":
        return f"{draw(st.sampled_from(['Bearer', 'bearer', 'BEARER']))} {token}", [token]
    if form == "basic":
        cred = base64.b64encode(f"{host}:{value}".encode()).decode()
        return f"Basic {cred}", [cred]
    if form == "userinfo":
        return f"https://{host}:{value}@{host}.example.com/v1", [value]
    name = draw(st.sampled_from(["token", "access_token", "api_key", "apiKey", "auth",
                                 "password", "client_secret", "sig", "X-Amz-Signature",
                                 "session_id", "creds", "x-api-key"]))  # fmt: skip
    if form == "query":
        return f"https://{host}.example.com/v1?{name}={value}&page=2", [value]
    if form == "pair":
        sep = draw(st.sampled_from(["=", ": ", " = ", ":"]))
        return f"{name}{sep}{value}", [value]
    if form == "json":
        return f'{{"{name}": "{value}", "ok": 1}}', [value]
    if form == "header":
        header = draw(st.sampled_from(["Authorization", "Proxy-Authorization", "X-Api-Key"]))
        return f"{header}: {token}", [token]
    body = [_random(draw(seeds), B64, 64) for _ in range(3)]
    pem = "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(body) + "\n-----END RSA PRIVATE KEY-----"
    return pem, body


words = st.lists(names, min_size=0, max_size=4).map(" ".join)


@st.composite
def messages(draw):
    """``(text, secret parts, words that must stay)``: a credential inside a message."""
    text, parts = draw(credentials())
    before, after = draw(words), draw(words)
    return " ".join(w for w in (before, text, after) if w), parts, (before + " " + after).split()


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    item=nested(messages(), pick=lambda m: m[0]),
    kind=st.sampled_from(["track", "error", "performance"]),
)
def test_credentials_never_survive_cloud(item, kind):
    """No generated credential (tenantry key or session, vendor token, JWT, Bearer/Basic, URL
    user-info, token parameter, secret pair, JSON password, auth header, PEM block) appears in a
    cloud event, however deep and under an innocent key; the words around it stay."""
    value, key, (text, parts, kept) = item
    props = {key: value}
    before = copy.deepcopy(props)
    event = shape(CLOUD, make_draft(kind=kind, properties=props, duration_ms=3.0))
    wire = _wire(event)
    for part in parts:
        assert part.encode() not in wire, (part, wire)
    for word in kept:
        assert word.encode() in wire, (word, wire)
    assert props == before


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(item=messages(), kind=st.sampled_from(["track", "error", "performance"]))
def test_credentials_in_cloud_event_names_never_survive(item, kind):
    """A credential inside an event, error or operation name never leaves in cloud."""
    text, parts, _ = item
    event = shape(CLOUD, make_draft(kind=kind, event=text, duration_ms=1.0))
    wire = _wire(event)
    for part in parts:
        assert part.encode() not in wire
