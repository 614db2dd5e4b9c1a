"""Leak vectors the first corpus (``leak_vectors``) does not hold: an independent reviewer's
attempts on the opensource rule, written after reading the rule and that corpus.

Each class is one idea an attacker (or a careless caller) would try: personal data in every
script and spelling, identifiers in every national shape, short encodings, locations, the call's
own IDs hashed, cut or split, numbers that are identifiers, keys that are data. Every class draws
from ``random.Random(<class name>)``: the same vectors on every run. ``corpus()`` yields every
vector that must not leak; ``limits()`` yields the vectors of the rule's documented limits
(README "Privacy", "What it cannot tell"), which the tests count but do not hold to zero.
"""

from __future__ import annotations

import base64
import codecs
import gzip
import hashlib
import random
import string
import zlib
from collections.abc import Callable, Iterator
from decimal import Decimal

from tests.policy.leak_vectors import DIGITS, LOWER, Vector, _num, _vectors, _word, place

UPPER = string.ascii_uppercase
B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
FIRST = ["Alice", "Bruno", "Chiara", "Dmitri", "Esther", "Farid", "Greta", "Hiroshi", "Ingrid",
         "Jamal", "Keiko", "Lars", "Marta", "Nkechi", "Oscar", "Priya", "Quentin", "Rosa",
         "Sven", "Tamar", "Umberto", "Vesna", "Wanjiru", "Xavier", "Yusuf", "Zofia"]  # fmt: skip
LAST = ["Okonkwo", "Lindqvist", "Moreau", "Kowalczyk", "Nakamura", "Haddad", "Brennan",
        "Castellanos", "Dubois", "Eriksen", "Ferreira", "Gallagher", "Horvath", "Iwasaki",
        "Jovanovic", "Kaminski", "Lombardi", "Mbeki", "Novak", "Oyelaran"]  # fmt: skip


def _first_last(rng: random.Random) -> tuple[str, str]:
    return rng.choice(FIRST), rng.choice(LAST)


# -- names in the shapes a token allows ------------------------------------------------------
def joined_names() -> list[Vector]:
    """Full names written as one token: capitalised words joined by a hyphen, an underscore, a
    dot or an apostrophe (double-barrelled names, transliterations, ``First.Last`` handles)."""
    rng = random.Random("joined_names")
    items = []
    for i in range(22):
        first, last = _first_last(rng)
        value = [f"{first}-{last}", f"{first}_{last}", f"{first}.{last}", f"O'{last}",
                 f"{first}-{rng.choice(FIRST)}", f"{last}-{rng.choice(LAST)}",
                 f"{first}_{last}_{rng.choice(LAST)}", f"D'{last}", f"{first}.{last}-Smith",
                 f"Mc{last}", f"{first}-{last}'s"][i % 11]  # fmt: skip
        frag = value.replace("'s", "")
        items.append((value, (frag,)))
    return _vectors("joined_names", items)


def spaced_names() -> list[Vector]:
    """Full names where the rule reads a few plain words: as an event name ("Alice Okonkwo"
    read like "Memory Created") and as a key."""
    rng = random.Random("spaced_names")
    out = []
    for i in range(20):
        first, last = _first_last(rng)
        name = [f"{first} {last}", f"{first} {rng.choice(FIRST)} {last}", f"{last} {first}",
                f"Dr {first} {last}", f"{first.lower()} {last.lower()}"][i % 5]  # fmt: skip
        if i % 2:
            out.append(Vector("spaced_names", {"type": "text"}, (name,), event=name))
        else:
            out.append(Vector("spaced_names", {name: 1, "ok": True}, (name,)))
    return out


def person_keys() -> list[Vector]:
    """A person's name under a key that names a person's role or a part of a name, which the
    key's words must refuse even when the value is a single word."""
    rng = random.Random("person_keys")
    out = []
    keys = ["fname", "lname", "given_name", "family_name", "forename", "assignee", "reviewer",
            "approver", "requester", "employee", "patient_name", "spouse", "maiden_name",
            "invitee", "attendee", "recipient_name", "first", "last", "middle", "initials"]  # fmt: skip
    for i, key in enumerate(keys):
        first, last = _first_last(rng)
        value = first if i % 2 else last
        if key == "initials":
            value = f"{first[0]}{last[0]}{rng.choice(UPPER)}"
        props = {key: value} if i % 3 else {"ticket": {key: value, "n": 2}}
        out.append(Vector("person_keys", props, (value,)))
    return out


# -- other alphabets that NFKC or a reader turns into Latin ----------------------------------
def _math(text: str, base: int) -> str:
    """``text`` in a Mathematical Alphanumeric alphabet (bold, italic, script ...)."""
    out = []
    for ch in text:
        if "A" <= ch <= "Z":
            out.append(chr(base + ord(ch) - 65))
        elif "a" <= ch <= "z":
            out.append(chr(base + 26 + ord(ch) - 97))
        else:
            out.append(ch)
    return "".join(out)


def confusables() -> list[Vector]:
    """Latin names in look-alike letters: Cyrillic and Greek homoglyphs, mathematical bold,
    italic, fraktur and double-struck, full-width, circled, small capitals, super- and
    subscript digits of a phone number."""
    rng = random.Random("confusables")
    cyr = str.maketrans("aceopxyABCEHKMOPTX", "асеорхуАВСЕНКМОРТХ")
    grk = str.maketrans("ABEHIKMNOPTXYZo", "ΑΒΕΗΙΚΜΝΟΡΤΧΥΖο")
    small = str.maketrans("abcdefghijklmnoprstuvwyz", "ᴀʙᴄᴅᴇꜰɢʜɪᴊᴋʟᴍɴᴏᴘʀꜱᴛᴜᴠᴡʏᴢ")
    sup = str.maketrans(DIGITS, "⁰¹²³⁴⁵⁶⁷⁸⁹")
    sub = str.maketrans(DIGITS, "₀₁₂₃₄₅₆₇₈₉")
    items = []
    for i in range(22):
        first, last = _first_last(rng)
        name = f"{first}{last}"
        phone = f"{rng.randrange(201, 989)}{_num(rng, 7)}"
        forms = [name.translate(cyr), name.translate(grk), _math(name, 0x1D400),
                 _math(name, 0x1D434), _math(name, 0x1D56C), _math(name, 0x1D5A0),
                 "".join(chr(ord(c) + 0xFEE0) for c in name),
                 "".join(chr(0x24B6 + ord(c) - 65) if c.isupper() else chr(0x24D0 + ord(c) - 97)
                         for c in name),
                 name.lower().translate(small), phone.translate(sup), phone.translate(sub)]  # fmt: skip
        value = forms[i % len(forms)]
        frags = (phone,) if i % len(forms) >= 9 else (name, value)
        items.append((value, frags))
    return _vectors("confusables", items)


def rtl_and_emoji() -> list[Vector]:
    """Names and emails with right-to-left marks and overrides, isolates, emoji between the
    letters, emoji ZWJ sequences, variation selectors, and ASCII hidden as Unicode tag
    characters."""
    rng = random.Random("rtl_and_emoji")
    items = []
    for i in range(20):
        first, last = _first_last(rng)
        email = f"{first.lower()}.{last.lower()}@example.org"
        tagged = "".join(chr(0xE0000 + ord(c)) for c in f"{first}{last}")
        forms = [f"\u202e{last[::-1]}\u202c", f"\u2067{first}\u2069", f"{first}🎉{last}",
                 f"👩\u200d💻{first}", f"{first}\ufe0f{last}", f"🏳️{email}", f"\u200f{email}",
                 f"x{tagged}", f"{first}\u2764\ufe0f{last}", f"{email}\u202d",
                 f"מ{first}", f"{first}ـ{last}"]  # fmt: skip
        value = forms[i % len(forms)]
        frags = (f"{first}{last}",) if i % len(forms) == 7 else (last if i % 12 != 1 else first,)
        items.append((value, frags))
    return _vectors("rtl_and_emoji", items)


# -- numbers that are identifiers -----------------------------------------------------------
_WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]


def phones_national() -> list[Vector]:
    """Phone numbers as countries write them (UK, France, Germany, India, Japan, Brazil,
    China, Russia, Australia, Mexico, Nigeria), as vanity numbers and spelt out in words."""
    rng = random.Random("phones_national")
    d = lambda n: "".join(rng.choice(DIGITS) for _ in range(n))  # noqa: E731
    items = []
    for i in range(24):
        kind = i % 12
        if kind < 10:
            value = [f"+44-20-{d(4)}-{d(4)}", f"07{d(3)}{d(6)}", f"06.{d(2)}.{d(2)}.{d(2)}.{d(2)}",
                     f"+49(0)30/{d(7)}", f"+91-9{d(4)}-{d(5)}", f"090-{d(4)}-{d(4)}",
                     f"(11)9{d(4)}-{d(4)}", f"+86-138-{d(4)}-{d(4)}", f"8(912)345-{d(2)}-{d(2)}",
                     f"+61-4{d(2)}-{d(3)}-{d(3)}"][kind]  # fmt: skip
            digits = "".join(ch for ch in value if ch.isdigit())
            items.append((value, (digits[-7:],)))
        else:
            number = f"{rng.randrange(2, 10)}{d(9)}"
            words = [_WORDS[int(c)] for c in number]
            value = "-".join(words) if kind == 10 else "".join(words)
            items.append((value, (value, "".join(words[-4:]))))
    return _vectors("phones_national", items)


def _luhn_digit(body: str) -> str:
    for c in DIGITS:
        total = 0
        for i, ch in enumerate(reversed(body + c)):
            v = int(ch) * (2 if i % 2 else 1)
            total += v - 9 if v > 9 else v
        if total % 10 == 0:
            return c
    raise AssertionError


def device_ids() -> list[Vector]:
    """Phone and SIM identifiers (IMEI, IMSI, ICCID, MEID, ESN), Apple and Android device
    serials and IDs, in their usual spellings."""
    rng = random.Random("device_ids")
    d = lambda n: "".join(rng.choice(DIGITS) for _ in range(n))  # noqa: E731
    hx = lambda n: "".join(rng.choice("0123456789ABCDEF") for _ in range(n))  # noqa: E731
    items = []
    for i in range(20):
        imei = "35" + d(12)
        imei += _luhn_digit(imei)
        value = [imei, f"{imei[:2]}-{imei[2:8]}-{imei[8:14]}-{imei[14]}", f"310150{d(9)}",
                 f"8901{d(15)}", f"A0{hx(12)}", f"{hx(8)}", f"C02{rng.choice(UPPER)}{d(2)}"
                 f"{''.join(rng.choice(UPPER + DIGITS) for _ in range(6))}", hx(16).lower(),
                 f"IMEI:{imei}", f"imsi-310150{d(9)}"][i % 10]  # fmt: skip
        frag = value[-7:].lower()
        items.append((value, (frag,)))
    return _vectors("device_ids", items)


def tax_and_passport_ids() -> list[Vector]:
    """Passport, tax and social numbers of many countries: German, French, British, Dutch,
    Irish, Swedish, Danish, Finnish, Polish, Canadian, Australian, Brazilian, Argentine,
    Chilean, South African, Nigerian, Turkish, Israeli, Singaporean, US EIN and ITIN."""
    rng = random.Random("tax_and_passport_ids")
    d = lambda n: "".join(rng.choice(DIGITS) for _ in range(n))  # noqa: E731
    up = lambda n: "".join(rng.choice("CFGHJKLMNPRTVWXYZ") for _ in range(n))  # noqa: E731
    values = [
        f"C{up(1)}{d(1)}{up(1)}{d(2)}{up(1)}{d(2)}",  # German passport
        f"{d(2)}{up(2)}{d(5)}",  # French passport
        f"{d(9)}GBR",  # British passport (MRZ)
        f"N{up(1)}{up(2)}{d(5)}",  # Dutch passport
        f"{d(7)}{up(1)}A",  # Irish PPS
        f"{d(6)}-{d(4)}",  # Swedish personnummer
        f"{d(6)}-{d(4)}",  # Danish CPR
        f"{d(6)}A{d(3)}{up(1)}",  # Finnish HETU
        f"{d(11)}",  # Polish PESEL
        f"{d(3)}-{d(3)}-{d(3)}",  # Canadian SIN
        f"{d(3)} {d(3)} {d(3)}",  # Australian TFN
        f"{d(2)}.{d(3)}.{d(3)}/{d(4)}-{d(2)}",  # Brazilian CNPJ
        f"{d(2)}-{d(8)}-{d(1)}",  # Argentine CUIT
        f"{d(2)}.{d(3)}.{d(3)}-K",  # Chilean RUT
        f"{d(13)}",  # South African ID
        f"{d(11)}",  # Nigerian NIN
        f"{d(11)}",  # Turkish TC Kimlik
        f"{d(9)}",  # Israeli Teudat Zehut
        f"S{d(7)}{up(1)}",  # Singapore NRIC
        f"{d(2)}-{d(7)}",  # US EIN
        f"9{d(2)}-7{d(1)}-{d(4)}",  # US ITIN
        f"{up(2)}{d(7)}",  # passport (two letters, seven digits)
    ]
    items = []
    for v in values:
        compact = "".join(ch for ch in v if ch.isalnum())
        items.append((v, (compact[-6:].lower(),)))
    return _vectors("tax_and_passport_ids", items)


def vehicle_and_bank_ids() -> list[Vector]:
    """Vehicle identification numbers (upper and lower case), bank routing numbers, sort codes
    with account numbers, BSB, IFSC, CLABE, BIC with a branch, account numbers."""
    rng = random.Random("vehicle_and_bank_ids")
    vin_chars = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"
    d = lambda n: "".join(rng.choice(DIGITS) for _ in range(n))  # noqa: E731
    items = []
    for i in range(20):
        vin = "1HG" + "".join(rng.choice(vin_chars) for _ in range(14))
        value = [vin, vin.lower(), f"0{d(8)}", f"{d(2)}-{d(2)}-{d(2)}-{d(8)}", f"{d(3)}-{d(3)}/{d(8)}",
                 f"SBIN0{d(6)}", d(18), f"DEUTDEFF{d(3)}", f"ACC-{d(10)}", f"{vin[:9]}_{vin[9:]}"][i % 10]  # fmt: skip
        items.append((value, (value[-6:].lower(),)))
    return _vectors("vehicle_and_bank_ids", items)


def crypto_wallets() -> list[Vector]:
    """Wallet addresses (Bitcoin legacy, SegWit and Taproot, Ethereum with and without 0x and
    checksum case, Litecoin, XRP, Solana, Tron, Dogecoin) and ENS and other wallet names."""
    rng = random.Random("crypto_wallets")
    b58 = lambda n: "".join(rng.choice(B58) for _ in range(n))  # noqa: E731
    bech = lambda n: "".join(rng.choice("qpzry9x8gf2tvdw0s3jn54khce6mua7l") for _ in range(n))  # noqa: E731
    hx = lambda n: "".join(rng.choice("0123456789abcdef") for _ in range(n))  # noqa: E731
    items = []
    for i in range(22):
        eth = hx(40)
        handle = _word(rng, 7)
        value = [f"1{b58(33)}", f"3{b58(33)}", f"bc1q{bech(38)}", f"bc1p{bech(58)}", f"0x{eth}",
                 eth, "0x" + "".join(c.upper() if rng.random() < 0.5 else c for c in eth),
                 f"ltc1q{bech(38)}", f"r{b58(33)}", b58(44), f"T{b58(33)}", f"D{b58(33)}",
                 f"{handle}.eth", f"{handle}.sol", f"{handle}.crypto", f"{handle}.nft",
                 f"{handle}.wallet", f"{handle}.bitcoin", f"{handle}.bnb", f"{handle}.dao",
                 f"{handle}.lens", f"{handle}.eth"][i]  # fmt: skip
        frag = handle if i >= 12 else value[-10:].lower()
        items.append((value, (frag,)))
    return _vectors("crypto_wallets", items)


# -- encodings too short or too odd for the decoder --------------------------------------------
def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def short_encodings() -> list[Vector]:
    """Names, handles and phone numbers in encodings a token alphabet allows: URL-safe base64
    without padding (6-11 characters), gzip and zlib compressed then base64url, punycode, and
    the standard alphabet without padding."""
    rng = random.Random("short_encodings")
    items = []
    for i in range(24):
        first, last = _first_last(rng)
        email = f"{first.lower()}.{last.lower()}@example.net"
        phone = f"{rng.randrange(201, 989)}{_num(rng, 7)}"
        kind = i % 8
        if kind == 0:
            value = _b64url(first.encode())
        elif kind == 1:
            value = _b64url(last.encode())
        elif kind == 2:
            value = _b64url(f"{first[0]}{last}".lower().encode())
        elif kind == 3:
            value = _b64url(gzip.compress(email.encode(), mtime=0))
        elif kind == 4:
            value = _b64url(zlib.compress(email.encode()))
        elif kind == 5:
            uni = rng.choice(["Müller", "Jürgen", "Ségolène", "Łukasz", "Øyvind", "Núñez"])
            value = uni.encode("punycode").decode()
            value = f"xn--{value}"
        elif kind == 6:
            value = base64.b64encode(phone.encode()).decode().rstrip("=")
        else:
            value = _b64url(f"{first}{last[:3]}".encode())
        items.append((value, (value,)))
    return _vectors("short_encodings", items)


def serialised_values() -> list[Vector]:
    """Personal data inside a string that holds another format: JSON, JSON inside YAML inside
    a string, a query string, a cookie, CSV, TOML, XML, a data URI, a Python repr, rot13 of an
    email, an email reversed."""
    rng = random.Random("serialised_values")
    items = []
    for i in range(22):
        first, last = _first_last(rng)
        email = f"{first.lower()}.{last.lower()}@example.com"
        value = [f'{{"email": "{email}"}}', f"user:\n  name: {first} {last}\n",
                 f'payload: \'{{"n": "{first} {last}"}}\'', f"name={first}&mail={email}",
                 f"sid=1; name={first}{last}", f"{first},{last},{email}",
                 f'name = "{first} {last}"', f"<user>{first} {last}</user>",
                 "data:text/plain;base64," + base64.b64encode(email.encode()).decode(),
                 f"User(name={first!r}, last={last!r})", codecs.encode(email, "rot13"),
                 email[::-1], f'["{first}", "{last}"]', f"{{name: {first}_{last}}}",
                 f"{first}|{last}", f"{first};{last}", f"{first}/{last}", f"{first}\\{last}",
                 f"{first}~{last}", f"{first}#{last}", f"{first}*{last}", f"{first}={last}"][i]  # fmt: skip
        frags = (last,)
        if i == 10:
            frags = (codecs.encode(last.lower(), "rot13"),)
        elif i == 11:
            frags = (last.lower()[::-1],)
        items.append((value, frags))
    return _vectors("serialised_values", items)


# -- places ------------------------------------------------------------------------------------
_GEOHASH = "0123456789bcdefghjkmnpqrstuvwxyz"
_PLUS = "23456789CFGHJMPQRVWX"
_W3W = ["filled", "count", "soap", "index", "home", "raft", "ladder", "pretty", "golf", "drum",
        "mostly", "heavy", "staple", "rocket", "window", "lamp", "crisp", "dwell"]  # fmt: skip


def locations() -> list[Vector]:
    """Precise places in compact codes: geohashes (8-12 characters), plus codes (full and
    short), Maidenhead grid squares, and postal codes the digit rule does not see (UK and
    Canadian in lower case, Dutch, Polish)."""
    rng = random.Random("locations")
    items = []
    for i in range(26):
        kind = i % 9
        if kind == 0:
            value = "".join(rng.choice(_GEOHASH) for _ in range(rng.randrange(8, 13)))
            while not any(c.isdigit() for c in value) or sum(c.isalpha() for c in value) < 2:
                value = "".join(rng.choice(_GEOHASH) for _ in range(9))
        elif kind == 1:
            value = "".join(rng.choice(_PLUS) for _ in range(6)) + "+" + rng.choice(_PLUS) * 2
        elif kind == 2:
            value = "".join(rng.choice(_PLUS) for _ in range(8)) + "+" + rng.choice(_PLUS) * 2
        elif kind == 3:
            value = (
                "".join(rng.choice(_PLUS) for _ in range(4))
                + "+"
                + "".join(rng.choice(_PLUS) for _ in range(2))
            )
        elif kind == 4:
            value = f"{rng.choice(['sw', 'ec', 'n', 'se', 'w'])}{rng.randrange(1, 10)}" \
                    f"{rng.choice(LOWER)}{rng.randrange(1, 10)}{rng.choice('abdefghjlnpqrstuwxyz')}" \
                    f"{rng.choice('abdefghjlnpqrstuwxyz')}"  # fmt: skip
        elif kind == 5:
            value = f"{rng.choice('abceghjklmnprstvxy')}{rng.randrange(10)}{rng.choice('abceghjklmnprstvwxyz')}" \
                    f"{rng.randrange(10)}{rng.choice('abceghjklmnprstvwxyz')}{rng.randrange(10)}"  # fmt: skip
        elif kind == 6:
            value = f"{rng.randrange(1000, 9999)}{rng.choice('BCEGHJKLMNPRTVWXZ')}{rng.choice('BCEGHJKLMNPRTVWXZ')}"
        elif kind == 7:
            value = f"{rng.randrange(10, 99)}-{rng.randrange(100, 999)}"
        else:
            value = f"{rng.choice('ABCDEFGHIJKLMNOPQR')}{rng.choice('ABCDEFGHIJKLMNOPQR')}" \
                    f"{rng.randrange(10)}{rng.randrange(10)}{rng.choice('abcdefghijklmnopqrstuvwx')}" \
                    f"{rng.choice('abcdefghijklmnopqrstuvwx')}{rng.randrange(10)}{rng.randrange(10)}"  # fmt: skip
        items.append((value, (value,)))
    return _vectors("locations", items)


# -- the call's own IDs, transformed -------------------------------------------------------------
def call_ids_transformed() -> list[Vector]:
    """The call's own user or developer ID, hashed (MD5, SHA-1, SHA-256; whole, upper case,
    truncated to 6-10 hex digits), cut (a prefix, a suffix, the middle), split across two
    keys, reversed, or as the number inside it."""
    rng = random.Random("call_ids_transformed")
    out = []
    for i in range(26):
        body = "".join(rng.choice(LOWER + DIGITS) for _ in range(12))
        uid = f"u_{body}" if i % 3 else f"{_word(rng, 5)}.{_word(rng, 6)}{rng.randrange(10, 99)}"
        digest = [hashlib.md5, hashlib.sha1, hashlib.sha256][i % 3](uid.encode()).hexdigest()
        kind = i % 13
        if kind == 0:
            props, frags = {"x": digest}, (digest[:12],)
        elif kind == 1:
            props, frags = {"x": digest.upper()}, (digest[:12],)
        elif kind == 2:
            props, frags = {"x": digest[:8]}, (digest[:8],)
        elif kind == 3:
            props, frags = {"x": digest[:6]}, (digest[:6],)
        elif kind == 4:
            props, frags = {"x": digest[-10:]}, (digest[-10:],)
        elif kind == 5:
            props, frags = {"x": uid[:8]}, (uid[:8],)
        elif kind == 6:
            props, frags = {"x": uid[-7:]}, (uid[-7:],)
        elif kind == 7:
            props, frags = {"x": uid[2:9]}, (uid[2:9],)
        elif kind == 8:
            props, frags = {"a": uid[:6], "b": uid[6:]}, (uid[:6], uid[6:])
        elif kind == 9:
            props, frags = {"x": uid[::-1]}, (uid[::-1],)
        elif kind == 10:
            props, frags = {uid[-6:]: True}, (uid[-6:],)
        elif kind == 11:
            props, frags = {"x": hashlib.md5(uid.upper().encode()).hexdigest()[:8]}, ()
            frags = (props["x"],)
        else:
            props, frags = {"x": uid.upper()[1:-1]}, (uid[1:-1],)
        if i % 4 == 3:
            out.append(Vector("call_ids_transformed", props, frags, developer_id=uid, user_id=None))
        else:
            out.append(Vector("call_ids_transformed", props, frags, user_id=uid))
    numeric = [f"{rng.randrange(1, 10)}{_num(rng, 8)}" for _ in range(4)]
    for i, uid in enumerate(numeric):
        props = [{"x": int(uid[:6])}, {"x": int(uid[-6:])}, {"x": f"#{uid[:7]}"},
                 {"x": float(uid[2:8])}][i]  # fmt: skip
        frag = uid[:6] if i in (0, 2) else uid[-6:] if i == 1 else uid[2:8]
        out.append(Vector("call_ids_transformed", props, (frag,), user_id=uid, digits=(frag,)))
    return out


def identifier_numbers() -> list[Vector]:
    """Numbers that are identifiers in the shapes Python hands over: floats with a fraction,
    negative floats, Decimals, int subclasses, numeric strings with thin and apostrophe
    separators and in scientific notation, numbers as dict keys."""
    rng = random.Random("identifier_numbers")

    class Account(int):
        def __repr__(self) -> str:
            return "Account(...)"

    out = []
    for i in range(20):
        phone = f"{rng.randrange(201, 989)}{_num(rng, 7)}"
        n = int(phone)
        value = [n + 0.25, -(n + 0.5), Decimal(phone), Decimal(phone + ".75"), Account(n),
                 f"{n:.4e}", f"{phone[:3]}'{phone[3:6]}'{phone[6:]}", f"{n:,}".replace(",", " "),
                 f"{n:_}", float(phone[:9] + ".5")][i % 10]  # fmt: skip
        frag = phone[-7:] if i % 10 not in (5, 9) else phone[:5]
        props = place(rng, value, i) if i % 4 else {str(value): 1}
        out.append(Vector("identifier_numbers", props, (), digits=(frag,)))
    return out


def emails_run_together() -> list[Vector]:
    """Emails spelt without an ``@`` and without separators around "at" and "dot"
    (``aliceATexampleDOTcom``, ``aliceatexampledotcom``), with a plus tag, or with the domain
    cut."""
    rng = random.Random("emails_run_together")
    items = []
    for i in range(20):
        local = f"{_word(rng, 5)}{rng.choice(['', '.', '_'])}{_word(rng, 4)}"
        dom = _word(rng, 7)
        tld = rng.choice(["com", "net", "org", "de", "io", "co"])
        value = [f"{local}AT{dom}DOT{tld}", f"{local}at{dom}dot{tld}", f"{local}At{dom}Dot{tld}",
                 f"{local}_AT_{dom}", f"{local}-at-{dom}", f"{local}+news_at_{dom}",
                 f"{local}AT{dom}.{tld}", f"{local}.at.{dom}", f"{local}{{at}}{dom}",
                 f"{local}@"][i % 10]  # fmt: skip
        items.append((value, (f"{local}at{dom}" if i % 10 == 1 else dom,)))
    return _vectors("emails_run_together", items)


CLASSES: tuple[Callable[[], list[Vector]], ...] = (
    joined_names, spaced_names, person_keys, confusables, rtl_and_emoji, phones_national,
    device_ids, tax_and_passport_ids, vehicle_and_bank_ids, crypto_wallets, short_encodings,
    serialised_values, locations, call_ids_transformed, identifier_numbers, emails_run_together,
)  # fmt: skip


# -- the documented limits ---------------------------------------------------------------------
def single_words_and_handles() -> list[Vector]:
    """A single word or a lower-case handle under a key that names nothing personal: a first
    name, a surname, ``first.last``, ``first_last``, leetspeak, rot13 or reversed, a wallet
    name under ``.x`` (``2.x`` is a version): any short token of letters may be one."""
    rng = random.Random("single_words_and_handles")
    items = []
    for i in range(20):
        first, last = _first_last(rng)
        value = [first, last.lower(), f"{first.lower()}.{last.lower()}", f"{first.lower()}_{last.lower()}",
                 first.lower().translate(str.maketrans("aeio", "4310")), codecs.encode(last.lower(), "rot13"),
                 last.lower()[::-1], f"{first.lower()}{rng.randrange(10, 99)}", f"{first[0]}{last}".lower(),
                 f"{last}-{first}".lower(), f"{first.lower()}.x"][i % 11]  # fmt: skip
        items.append((value, (value,)))
    return _vectors("limit:single_words_and_handles", items)


def short_numbers_and_codes() -> list[Vector]:
    """Numbers below seven digits and short codes: a ZIP code as an int, a house number, a
    latitude as a bare float, a phone split over three keys, a base58 or base36 number of a
    few characters, a short random ID."""
    rng = random.Random("short_numbers_and_codes")
    out = []
    for i in range(10):
        phone = f"{rng.randrange(201, 989)}{_num(rng, 7)}"
        zipcode = int(_num(rng, 5))
        props = [{"x": zipcode}, {"x": round(rng.uniform(-60, 60), 6)},
                 {"a": int(phone[:3]), "b": int(phone[3:6]), "c": int(phone[6:])},
                 {"x": "".join(rng.choice(B58) for _ in range(7))},
                 {"x": base36(int(phone))}, {"x": "".join(rng.choice(LOWER + DIGITS) for _ in range(9))},
                 {"x": f"{rng.randrange(1, 999)}"}, {"x": zipcode + 0.0},
                 {"x": float(f"0.{phone}")}, {"x": f"{rng.randrange(10, 99)}-{rng.randrange(10, 99)}-{rng.randrange(10, 99)}"}][i]  # fmt: skip
        frags = tuple(str(v) for v in props.values())
        out.append(Vector("limit:short_numbers_and_codes", props, frags))
    return out


def base36(n: int) -> str:
    chars = DIGITS + LOWER
    out = ""
    while n:
        n, r = divmod(n, 36)
        out = chars[r] + out
    return out or "0"


def dotted_words_and_short_geohashes() -> list[Vector]:
    """What3words addresses (three plain words and two dots: logger, module and metric names
    have that shape, ``sqlalchemy.engine.base``, ``http.server.duration``) and geohashes of
    seven characters (``utf8mb4`` has that shape): refusing them would refuse whole families
    of harmless values (measured: README "Privacy")."""
    rng = random.Random("dotted_words_and_short_geohashes")
    items = []
    for i in range(10):
        if i % 2:
            value = ".".join(rng.sample(_W3W, 3))
        else:
            value = "".join(rng.choice(_GEOHASH) for _ in range(5)) + rng.choice(DIGITS) * 2
        items.append((value, (value,)))
    return _vectors("limit:dotted_words_and_short_geohashes", items)


LIMIT_CLASSES: tuple[Callable[[], list[Vector]], ...] = (
    single_words_and_handles, short_numbers_and_codes, dotted_words_and_short_geohashes,
)  # fmt: skip


def corpus() -> Iterator[Vector]:
    """Every vector that must not leak, class by class."""
    for make in CLASSES:
        yield from make()


def limits() -> Iterator[Vector]:
    """The vectors of the documented limits (counted, not held to zero)."""
    for make in LIMIT_CLASSES:
        yield from make()
