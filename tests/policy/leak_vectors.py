"""Generated leak vectors for the opensource edition: personal data in the shapes an attacker
(or a careless caller) would try, from deterministic seeds.

Each ``Vector`` is one ``track`` call (event name, properties, IDs, identity) and the fragments
of personal content that must not reach the shaped event in any spelling. ``corpus()`` returns
them all, class by class; every class draws from ``random.Random(<class name>)``, so the corpus
is the same on every run and every machine.
"""

from __future__ import annotations

import base64
import enum
import hashlib
import random
import string
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path, PurePosixPath, PureWindowsPath
from types import SimpleNamespace
from typing import Any
from urllib.parse import quote

INNOCENT_KEYS = ["x", "value", "data", "meta", "info", "v", "item", "field", "result", "label",
                 "tag", "kind", "status", "category", "detail", "source", "target", "ref"]  # fmt: skip
LOWER = string.ascii_lowercase
DIGITS = string.digits
BASE62 = string.ascii_letters + string.digits


@dataclass
class Vector:
    """One call and the personal fragments it carries (compared case-insensitively)."""

    kind: str
    properties: dict
    fragments: tuple[str, ...]
    event: Any = "memory_created"
    user_id: Any = "usr_corpus_base"
    developer_id: Any = "dev_corpus_base"
    identity: Any = None
    # also looked for among the event's digits (as is every fragment of 5 or more digits)
    digits: tuple[str, ...] = field(default=())


def _word(rng: random.Random, n: int = 6) -> str:
    return "".join(rng.choice(LOWER) for _ in range(n))


def _num(rng: random.Random, n: int) -> str:
    return str(rng.randrange(1, 10)) + "".join(rng.choice(DIGITS) for _ in range(n - 1))


def place(rng: random.Random, value: Any, i: int) -> dict:
    """``value`` in one of the places a property can hold it, chosen by ``i``: top level,
    nested, deeply nested, beside a harmless value, in a dict inside a dict inside a list."""
    key = rng.choice(INNOCENT_KEYS)
    form = i % 5
    if form == 0:
        return {key: value}
    if form == 1:
        return {"payload_info": {key: value, "ok": True}}
    if form == 2:
        return {"a": {"b": {"c": {"d": {key: value}}}}}
    if form == 3:
        return {"type": "text", key: value, "retries": 2}
    return {"steps": {"first": {key: value}}, "count": 3}


def _vectors(kind: str, items: list[tuple[Any, tuple[str, ...]]], **call: Any) -> list[Vector]:
    rng = random.Random(f"place:{kind}")
    return [
        Vector(kind, place(rng, value, i), frags, **call) for i, (value, frags) in enumerate(items)
    ]


# -- the call's own IDs ------------------------------------------------------------------------
def user_id_echo() -> list[Vector]:
    rng = random.Random("user_id_echo")
    out = []
    for i in range(14):
        uid = [f"usr_{_num(rng, 6)}", f"{_word(rng)}_from_dev_system", f"user-{_word(rng, 8)}",
               _num(rng, 7), f"{_word(rng, 5)}.{_word(rng, 5)}"][i % 5]  # fmt: skip
        value: Any = uid
        form = i % 7
        if form == 1:
            props = {uid: 1}
        elif form == 2:
            props = {"owner_ref": {"who": uid.upper()}}
        elif form == 3:
            props = {"label": f"signup_{uid}"}
        elif form == 4:
            value = base64.b64encode(uid.encode()).decode()
            props = {"x": value}
        elif form == 5:
            props = {"nested": {"deeper": {f"k_{uid}": True}}}
        else:
            props = {"x": int(uid) if uid.isdigit() else uid}
        if uid.isdigit() and i % 2:
            props = {"n": float(uid)}
        out.append(Vector("user_id_echo", props, (uid,), user_id=uid))
    return out


def developer_id_echo() -> list[Vector]:
    rng = random.Random("developer_id_echo")
    out = []
    for i in range(12):
        did = f"dev_{''.join(rng.choice('0123456789abcdef') for _ in range(12))}"
        props = [{"x": did}, {did: 2}, {"m": {"k": did}}, {"label": f"{did}:export"},
                 {"x": did.upper()}, {"t": did}][i % 6]  # fmt: skip
        out.append(Vector("developer_id_echo", props, (did,), developer_id=did, user_id=None))
    return out


def identity_ids() -> list[Vector]:
    """An identity object (the caller's, or tenantry's with extra attributes) replaces the
    IDs; the external user ID and API key it carries, and the raw IDs the caller passed, must
    not be echoed either."""
    rng = random.Random("identity_ids")
    out = []
    for i in range(12):
        external = f"{_word(rng)}_{_num(rng, 3)}_ext"
        api_key = "tnt_" + "".join(rng.choice(BASE62) for _ in range(32))
        raw_user = f"raw-{_word(rng, 7)}"
        ident = SimpleNamespace(
            developer_id=f"dev_{_word(rng, 10)}",
            end_user_id=f"usr_{_word(rng, 10)}",
            external_user_id=external,
            api_key=api_key,
        )
        secret = [external, api_key, raw_user, ident.end_user_id][i % 4]
        props = place(rng, secret if i % 3 else f"{secret}", i)
        out.append(Vector("identity_ids", props, (secret,), identity=ident, user_id=raw_user))
    return out


# -- names and addresses in other scripts ------------------------------------------------------
def _script_vectors(kind: str, texts: list[str]) -> list[Vector]:
    items = []
    for t in texts:
        chars = tuple(sorted({ch for ch in t if not ch.isascii() and not ch.isspace()}))
        items.append((t, (t, *chars)))
    return _vectors(kind, items)


def cjk() -> list[Vector]:
    return _script_vectors("cjk_names_addresses", [
        "王伟", "李娜", "张秀英", "刘洋", "陈静", "山田太郎", "佐藤花子", "たなかゆうこ", "スズキイチロウ",
        "김민수", "박지영", "北京市朝阳区建国路88号", "東京都新宿区西新宿2-8-1", "서울특별시강남구테헤란로152",
        "上海市浦东新区世纪大道100号", "大阪府大阪市北区梅田3-1-3",
    ])  # fmt: skip


def cyrillic() -> list[Vector]:
    return _script_vectors("cyrillic_names", [
        "Иван", "Петров", "Мария Иванова", "Сергей", "Ольга_Смирнова", "ул.Ленина,д.5",
        "Дмитрий", "Наталья", "Олександр", "Київ,вул.Хрещатик22", "Алексей.Кузнецов",
        "Екатерина",
    ])  # fmt: skip


def arabic() -> list[Vector]:
    return _script_vectors("arabic_names", [
        "محمد", "فاطمة", "أحمد_علي", "عبدالله", "نور", "شارع الملك فهد", "يوسف", "مريم",
        "خالد", "ليلى", "عمر", "الرياض١٢٣٤٥",
    ])  # fmt: skip


def devanagari() -> list[Vector]:
    return _script_vectors("devanagari_names", [
        "राहुल", "प्रिया", "अमित_शर्मा", "सुनीता", "विजय", "नई दिल्ली", "अनीता", "संजय",
        "दीपिका", "रवि", "मुंबई४००००१", "कविता",
    ])  # fmt: skip


def other_scripts() -> list[Vector]:
    return _script_vectors("other_scripts", [
        "Γιώργος", "Ελένη", "דוד", "שרה_כהן", "สมชาย", "มาลี", "Արամ", "გიორგი", "Ṭhāṇe",
        "Ομηρου12", "ירושלים", "กรุงเทพ",
    ])  # fmt: skip


def latin_diacritics() -> list[Vector]:
    names = ["José", "García", "Zoë", "Ångström", "Dvořák", "Müller", "François", "Łukasz",
             "Søren", "Ñúñez", "Çelik", "Renée"]  # fmt: skip
    items = []
    for n in names:
        folded = unicodedata.normalize("NFKD", n).encode("ascii", "ignore").decode()
        items.append((n, (n,) if len(folded) < 4 else (n, folded)))
    return _vectors("latin_diacritics", items)


# -- files and paths ---------------------------------------------------------------------------
def relative_paths() -> list[Vector]:
    rng = random.Random("relative_paths")
    items = []
    for fmt in ["docs/{w}.pdf", "{w}/notes.txt", "src/{w}/main.py", "{w}.pdf", "{W}_CV.docx",
                "IMG_{n}.HEIC", "{w}-budget.xlsx", "backup_{w}.tar.gz", "..\\{w}\\plan.txt",
                "{w}/", "./{w}", "{w}.key", "{w}.eml", "{w}/2024/report"]:  # fmt: skip
        w = _word(rng, 7)
        value = fmt.format(w=w, W=w.capitalize(), n=_num(rng, 4))
        frag = w if "{w}" in fmt or "{W}" in fmt else value
        items.append((value, (frag, value)))
    return _vectors("relative_paths", items)


def path_objects() -> list[Vector]:
    rng = random.Random("path_objects")
    out = []
    for i in range(12):
        w = _word(rng, 8)
        obj = [PurePosixPath(f"{w}.txt"), PureWindowsPath(f"C:/Users/{w}/x.doc"),
               Path(f"{w}/notes.md"), PurePosixPath(w)][i % 4]  # fmt: skip
        props = {"p": obj} if i % 3 else {obj: 1, "ok": True}
        if i % 5 == 4:
            props = {"list_of": {"deep": obj}}
        out.append(Vector("path_objects", props, (w,)))
    return out


# -- phones ------------------------------------------------------------------------------------
def _phone(rng: random.Random) -> tuple[str, str, str]:
    area, mid, last = (
        str(rng.randrange(201, 989)),
        _num(rng, 3),
        "".join(rng.choice(DIGITS) for _ in range(4)),
    )
    return area, mid, last


def phones_text() -> list[Vector]:
    rng = random.Random("phones_text")
    items = []
    for fmt in ["{a}_{m}_{l}", "{a}/{m}/{l}", "{a}-{m}-{l}x{e}", "+1{a}{m}{l};ext={e}",
                "call{a}{m}{l}now", "({a}){m}-{l}", "+1.{a}.{m}.{l}", "tel:+1{a}{m}{l}",
                "{a}.{m}.{l}", "+44{a}{m}{l}", "00_1_{a}_{m}_{l}", "{a}{m}{l}",
                "sms:{a}{m}{l}", "ph{a}-{m}-{l}"]:  # fmt: skip
        a, m, last = _phone(rng)
        items.append((fmt.format(a=a, m=m, l=last, e=_num(rng, 3)), (f"{m}{last}",)))
    return _vectors("phones_text", items)


def phones_numeric() -> list[Vector]:
    rng = random.Random("phones_numeric")
    out = []
    for i in range(14):
        a, m, last = _phone(rng)
        digits = f"{a}{m}{last}"
        n = int(("1" if i % 3 == 0 else "") + digits)
        form = i % 5
        props = [{"x": n}, {"x": float(n)}, {str(n): True}, {"nested": {"phone_like": -n}},
                 {f"{a}-{m}-{last}": 1}][form]  # fmt: skip
        out.append(Vector("phones_numeric", props, (f"{m}{last}",), digits=(f"{m}{last}",)))
    return out


# -- network -----------------------------------------------------------------------------------
def ipv4() -> list[Vector]:
    rng = random.Random("ipv4")
    items = []
    for i in range(14):
        o = [
            rng.randrange(100, 255),
            rng.randrange(16, 31),
            rng.randrange(100, 255),
            rng.randrange(100, 255),
        ]
        dotted = ".".join(map(str, o))
        forms = [dotted, "0x" + "".join(f"{x:02X}" for x in o), f"ip-{'-'.join(map(str, o))}.ec2.internal",
                 f"ip-{'-'.join(map(str, o))}", "_".join(map(str, o)), f"::ffff:{dotted}",
                 str(int.from_bytes(bytes(o), "big")), f"{dotted}:8443", f"[::ffff:{dotted}]",
                 f"host-{'-'.join(map(str, o))}", "".join(f"{x:02x}" for x in o),
                 f"{dotted}/24", f"{o[3]}.{o[2]}.{o[1]}.{o[0]}.in-addr.arpa", dotted]  # fmt: skip
        value = forms[i]
        frags = {"-".join(map(str, o)), "_".join(map(str, o)), dotted}
        if i in (1, 10):
            frags = {"".join(f"{x:02x}" for x in o)}
        elif i == 6:
            frags = {value}
        elif i == 12:
            frags = {f"{o[3]}.{o[2]}.{o[1]}.{o[0]}"}
        items.append((value, tuple(frags)))
    return _vectors("ipv4", items)


def ipv6() -> list[Vector]:
    rng = random.Random("ipv6")
    items = []
    for i in range(12):
        g = [f"{rng.randrange(0x1000, 0xFFFF):x}" for _ in range(8)]
        full = ":".join(g)
        forms = [full, f"2001:db8::{g[6]}:{g[7]}", f"fe80::{g[5]}:{g[6]}:{g[7]}%eth0",
                 f"[{full}]:443", full.upper(), f"2001:0db8:0000:0000:0000:{g[5]}:{g[6]}:{g[7]}",
                 f"::ffff:{g[6]}:{g[7]}", f"fe80--{g[6]}-{g[7]}.ipv6-literal.net",
                 f"{g[0]}:{g[1]}::{g[7]}", f"fe80::{g[6]}:{g[7]}%25en0", "-".join(g),
                 f"2001:db8:{g[2]}:{g[3]}::/64"]  # fmt: skip
        items.append((forms[i], (f"{g[6]}:{g[7]}" if i not in (7, 10) else f"{g[6]}-{g[7]}",)))
    return _vectors("ipv6", items)


def macs() -> list[Vector]:
    rng = random.Random("macs")
    items = []
    for i in range(12):
        b = [rng.randrange(16, 256) for _ in range(6)]
        hx = [f"{x:02x}" for x in b]
        forms = [":".join(hx), "-".join(hx).upper(), f"{hx[0]}{hx[1]}.{hx[2]}{hx[3]}.{hx[4]}{hx[5]}",
                 "".join(hx), "_".join(hx), ":".join(hx).upper(), f"mac-{''.join(hx)}",
                 "".join(hx).upper()]  # fmt: skip
        items.append((forms[i % len(forms)], ("".join(hx[2:]), ":".join(hx[2:]), "-".join(hx[2:]))))
    return _vectors("mac_addresses", items)


# -- email -------------------------------------------------------------------------------------
def _email(rng: random.Random) -> tuple[str, str, str]:
    local = f"{_word(rng, 5)}.{_word(rng, 4)}"
    domain = f"{_word(rng, 7)}.com"
    return local, domain, f"{local}@{domain}"


def emails_spelled() -> list[Vector]:
    rng = random.Random("emails_spelled")
    items = []
    for fmt in ["{l}@{d}", "{l}(at){d}", "{l} [at] {d}", "{l}_at_{dd}_dot_com", "{l}＠{d}",
                "{l}﹫{d}", "{L}@{D}", "{l}@{d}?subject=x", "mailto:{l}@{d}", "<{l}@{d}>",
                "{l} at {dd} dot com", "{l}%40{d}", "{l}@{dd}", "{l}＠{dd}．com"]:  # fmt: skip
        local, domain, _ = _email(rng)
        value = fmt.format(l=local, d=domain, L=local.upper(), D=domain.upper(), dd=domain[:-4])
        items.append((value, (local, domain[:-4])))
    return _vectors("emails_spelled", items)


def emails_encoded() -> list[Vector]:
    rng = random.Random("emails_encoded")
    items = []
    for i in range(14):
        local, domain, email = _email(rng)
        raw = email.encode()
        forms = [base64.b64encode(raw).decode(), base64.urlsafe_b64encode(raw).decode().rstrip("="),
                 raw.hex(), raw.hex().upper(), quote(quote(email, safe=""), safe=""),
                 email.replace("@", "\\u0040"), email.replace("@", "&#64;"),
                 email.replace("@", "&commat;"), email.replace("@", "=40"),
                 base64.b64encode(base64.b64encode(raw)).decode(), "".join(f"%{b:02x}" for b in raw),
                 base64.b32encode(raw).decode(), email[::-1], f"b64:{base64.b64encode(raw).decode()}"]  # fmt: skip
        frags = (local, domain[:-4]) if i != 12 else (email[::-1],)
        if i == 11:  # base32 is no view of ours: the encoded text itself must not leave
            frags = (forms[11][:16],)
        items.append((forms[i], frags))
    return _vectors("emails_encoded", items)


# -- objects that would be turned into text --------------------------------------------------
def _holder(email: str) -> Any:
    """An object whose ``str`` and ``repr`` show ``email``."""

    class Holder:
        def __str__(self) -> str:
            return email

        def __repr__(self) -> str:
            return f"Holder({email!r})"

        def __hash__(self) -> int:
            return 1

    return Holder()


def _shown(shown: str, held: str) -> str:
    """A ``str`` subclass holding ``held`` that shows ``shown``."""

    class Tagged(str):
        def __str__(self) -> str:
            return shown

    return Tagged(held)


def _object(i: int, local: str, email: str) -> Any:
    """The ``i``-th way to hand over an email inside an object."""
    who = enum.Enum("Who", {"ALICE": email})
    box = enum.Enum("Box", {"ONE": _holder(email)})
    makers: list[Callable[[], Any]] = [
        lambda: _holder(email), email.encode, lambda: bytearray(email.encode()),
        lambda: memoryview(email.encode()), lambda: _shown(email, "plain"), lambda: who.ALICE,
        lambda: box.ONE, lambda: ValueError(email), lambda: SimpleNamespace(email=email),
        lambda: {email, "x"}, lambda: (email,), lambda: frozenset([email]),
        lambda: _shown(email, local), lambda: {"k": _holder(email)},
    ]  # fmt: skip
    return makers[i]()


def objects() -> list[Vector]:
    rng = random.Random("objects")
    out = []
    for i in range(14):
        local, domain, email = _email(rng)
        value = _object(i, local, email)
        props = {"v": value} if i % 4 else {"nested": {"obj": value}}
        out.append(Vector("objects", props, (local, domain[:-4])))
    for i in range(3):  # objects as keys
        local, domain, email = _email(rng)
        key = [_holder(email), email.encode(), PurePosixPath(email)][i]
        out.append(Vector("objects", {key: 1, "ok": True}, (local, domain[:-4])))
    return out


# -- secrets -----------------------------------------------------------------------------------
def credential_keys() -> list[Vector]:
    rng = random.Random("credential_keys")
    items = []
    for key in ["pass", "pw", "passwort", "mfa_code", "otp", "pin", "contraseña", "contrasena",
                "mot_de_passe", "kennwort", "Passwort", "db_pw", "userPass", "PIN",
                "verification_code", "senha", "wachtwoord", "passcode"]:  # fmt: skip
        secret = "".join(rng.choice(BASE62) for _ in range(4)) + _num(rng, 2) + _word(rng, 3)
        items.append(({key: secret}, (secret,)))
    out = []
    for i, (props, frags) in enumerate(items):
        out.append(Vector("credential_keys", props if i % 2 else {"login": props}, frags))
    return out


def secret_tokens() -> list[Vector]:
    rng = random.Random("secret_tokens")
    items = []
    for prefix in ["sk_live_", "ghp_", "xoxb-1234-", "glpat-", "tnt_", "tns_", "AKIA", "hf_",
                   "sk-proj-", "npm_", "", "", "SG.", "AIza"]:  # fmt: skip
        body = "".join(rng.choice(BASE62) for _ in range(24))
        if prefix == "AKIA":
            body = body.upper()[:16]
        token = prefix + body
        items.append((token, (body,)))
    return _vectors("secret_tokens", items)


def jwts() -> list[Vector]:
    rng = random.Random("jwts")
    items = []
    for i in range(12):
        sub = f"{_word(rng)}@{_word(rng)}.com"
        header = base64.urlsafe_b64encode(b'{"alg":"HS256","typ":"JWT"}').decode().rstrip("=")
        payload = (
            base64.urlsafe_b64encode(f'{{"sub":"{sub}","n":{i}}}'.encode()).decode().rstrip("=")
        )
        sig = "".join(rng.choice(BASE62 + "-_") for _ in range(43))
        token = f"{header}.{payload}.{sig}"
        value = [token, f"Bearer {token}", f"{header}.{payload}.", token + "#x"][i % 4]
        items.append((value, (payload[:24], sub.split("@")[0])))
    return _vectors("jwts", items)


# -- identifiers -------------------------------------------------------------------------------
def machine_ids() -> list[Vector]:
    rng = random.Random("machine_ids")
    items = []
    for i in range(16):
        h = "".join(rng.choice("0123456789abcdef") for _ in range(32))
        uuid = f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:]}"
        crock = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
        forms = [uuid, uuid.upper(), h, "{" + uuid + "}", "urn:uuid:" + uuid,
                 "01" + "".join(rng.choice(crock) for _ in range(24)),
                 _num(rng, 19), _num(rng, 18), h[:24],
                 "".join(rng.choice(BASE62) for _ in range(27)),
                 "".join(rng.choice(BASE62 + "_-") for _ in range(21)),
                 "c" + "".join(rng.choice(LOWER + DIGITS) for _ in range(24)),
                 "cus_" + "".join(rng.choice(BASE62) for _ in range(14)),
                 int(_num(rng, 19)), uuid.replace("-", "_"), f"session-{h[:20]}"]  # fmt: skip
        value = forms[i]
        text = str(value)
        frag = text.strip("{}").removeprefix("urn:uuid:")[-12:].lower()
        items.append((value, (frag,)))
    return _vectors("uuids_ulids_snowflakes", items)


def machine_names() -> list[Vector]:
    """Host, instance and resource names that identify a machine or an account."""
    rng = random.Random("machine_names")
    up = lambda n: "".join(rng.choice(string.ascii_uppercase + DIGITS) for _ in range(n))  # noqa: E731
    hx = lambda n: "".join(rng.choice("0123456789abcdef") for _ in range(n))  # noqa: E731
    items = []
    for fmt in ["DESKTOP-{U}", "LAPTOP-{U}", "WIN-{U}", "{w}-mbp.local", "{w}.corp.internal",
                "i-{h17}", "vol-{h17}", "sg-{h17}", "ami-{h17}",
                "arn:aws:iam::{n12}:user/{w}", "web-{h9}-{w5}", "{w}-pc.lan"]:  # fmt: skip
        w = _word(rng, 7)
        value = fmt.format(U=up(7), w=w, w5=_word(rng, 5), h17=hx(17), h9=hx(9), n12=_num(rng, 12))
        frag = value.split("-", 1)[-1] if value[0].isupper() else value
        if "{w}" in fmt:
            frag = w
        elif "{n12}" in fmt:
            frag = value.split("::")[1][:12]
        items.append((value, (frag.lower(),)))
    return _vectors("machine_names", items)


def hashed_pii() -> list[Vector]:
    rng = random.Random("hashed_pii")
    items = []
    for i in range(12):
        _, _, email = _email(rng)
        digest = [hashlib.sha256, hashlib.md5, hashlib.sha1][i % 3](email.encode())
        value = [digest.hexdigest(), digest.hexdigest().upper(),
                 base64.b64encode(digest.digest()).decode(), "sha256:" + digest.hexdigest()][i % 4]  # fmt: skip
        items.append((value, (value[-16:].lower() if i % 4 != 2 else value[:16],)))
    return _vectors("hashed_pii", items)


def ibans() -> list[Vector]:
    rng = random.Random("ibans")
    items = []
    for cc, n in [("DE", 18), ("FR", 23), ("GB", 18), ("NL", 14), ("ES", 20), ("IT", 23),
                  ("CH", 17), ("BE", 12), ("PL", 24), ("AT", 16), ("SE", 20), ("DK", 14)]:  # fmt: skip
        body = "".join(rng.choice(DIGITS) for _ in range(n))
        if cc in ("GB", "NL"):
            body = "".join(rng.choice(string.ascii_uppercase) for _ in range(4)) + body[4:]
        iban = f"{cc}{rng.randrange(10, 99)}{body}"
        form = rng.randrange(4)
        value = [iban, " ".join(iban[i : i + 4] for i in range(0, len(iban), 4)), iban.lower(),
                 "-".join(iban[i : i + 4] for i in range(0, len(iban), 4))][form]  # fmt: skip
        items.append((value, (body[-8:],)))
    return _vectors("ibans", items)


def cards() -> list[Vector]:
    rng = random.Random("cards")

    def luhn(body: str) -> str:
        for c in DIGITS:
            total = 0
            for i, ch in enumerate(reversed(body + c)):
                d = int(ch) * (2 if i % 2 else 1)
                total += d - 9 if d > 9 else d
            if total % 10 == 0:
                return body + c
        raise AssertionError

    items = []
    for i in range(12):
        number = luhn(rng.choice(["4", "51", "37", "6011"]) + _num(rng, 12))
        groups = [number[j : j + 4] for j in range(0, len(number), 4)]
        value = [number, " ".join(groups), "-".join(groups), int(number), float(int(number)),
                 "card" + number, ".".join(groups), number[:6] + "_" + number[6:]][i % 8]  # fmt: skip
        items.append((value, (number[-10:],)))
    return _vectors("credit_cards", items)


def national_ids() -> list[Vector]:
    rng = random.Random("national_ids")
    d = lambda n: "".join(rng.choice(DIGITS) for _ in range(n))  # noqa: E731
    up = lambda n: "".join(rng.choice(string.ascii_uppercase) for _ in range(n))  # noqa: E731
    values = [
        f"{d(3)}-{d(2)}-{d(4)}",  # US SSN
        d(9),  # US SSN without dashes
        f"{up(2)}{d(6)}{rng.choice('ABCD')}",  # UK National Insurance
        d(11),  # German Steuer-ID
        f"{rng.choice('12')} {d(2)} {d(2)} {d(2)} {d(3)} {d(3)} {d(2)}",  # French INSEE
        f"{d(4)} {d(4)} {d(4)}",  # Indian Aadhaar
        f"{up(5)}{d(4)}{up(1)}",  # Indian PAN
        f"{d(8)}{up(1)}",  # Spanish DNI
        f"X{d(7)}{up(1)}",  # Spanish NIE
        f"{d(3)}.{d(3)}.{d(3)}-{d(2)}",  # Brazilian CPF
        f"{up(4)}{d(6)}{up(6)}{d(2)}",  # Mexican CURP
        f"{up(6)}{d(2)}{up(1)}{d(2)}{up(1)}{d(3)}{up(1)}",  # Italian codice fiscale
        f"{d(6)}{d(8)}{rng.choice('0123456789X')}" + d(3),  # Chinese resident ID (18)
        f"{d(6)}-{d(7)}",  # Korean RRN
        f"{d(3)} {d(3)} {d(3)}",  # Canadian SIN
        f"{d(4)}{d(4)}{d(4)}",  # Japanese My Number
        f"{up(1)}{d(8)}",  # passport number
        f"{d(3)}.{d(4)}.{d(4)}.{d(2)}",  # Swiss AHV
    ]
    items = []
    for v in values:
        compact = "".join(ch for ch in v if ch.isalnum())
        items.append((v, (compact[-7:].lower(),)))
    return _vectors("national_ids", items)


def plates() -> list[Vector]:
    rng = random.Random("plates")
    up = lambda n: "".join(rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ") for _ in range(n))  # noqa: E731
    d = lambda n: "".join(rng.choice(DIGITS) for _ in range(n))  # noqa: E731
    values = [f"{up(2)}{d(2)} {up(3)}", f"{up(2)}{d(2)}{up(3)}", f"{d(1)}{up(3)}{d(3)}",
              f"{up(2)}-{d(3)}-{up(2)}", f"{up(1)}-{up(2)} {d(4)}", f"{up(2)}-{d(2)}-{up(2)}-{d(4)}",
              f"{d(2)}-{up(3)}-{d(1)}", f"{up(3)} {d(4)}", f"{up(1)}{d(3)}{up(3)}",
              f"{d(3)}-{up(2)}-{d(2)}", f"{up(2)}{d(3)}{up(2)}", f"{up(3)}-{d(2)}{up(2)}"]  # fmt: skip
    items = [(v, (v.replace(" ", "").replace("-", "").lower(), v.lower())) for v in values]
    return _vectors("licence_plates", items)


# -- places ------------------------------------------------------------------------------------
def coordinates() -> list[Vector]:
    rng = random.Random("coordinates")
    out = []
    for i in range(14):
        lat = round(rng.uniform(-60, 60), 6)
        lng = round(rng.uniform(-170, 170), 6)
        la, ln = f"{lat:.6f}", f"{lng:.6f}"
        props = [{"x": f"{la},{ln}"}, {"x": f"{la} {ln}"}, {"x": f"geo:{la},{ln}"},
                 {"lat": lat, "lng": lng}, {"latitude": lat, "longitude": lng},
                 {"coords": [lat, lng]}, {"where": {"lat": lat, "lon": lng}},
                 {"location": {"x": lat, "y": lng}}, {"gps": f"{la},{ln}"},
                 {"x": f"({la}, {ln})"}, {"x": f"lat={la}&lng={ln}"}, {"x": la},
                 {"geo": {"a": lat}}, {"x": f"{la};{ln}"}][i]  # fmt: skip
        out.append(Vector("coordinates", props, (la, ln)))
    return out


def birth_dates() -> list[Vector]:
    rng = random.Random("birth_dates")
    out = []
    keys = ["dob", "birthdate", "birthday", "date_of_birth", "born", "birth_date", "dateOfBirth",
            "DOB", "user_dob", "geburtsdatum", "fecha_de_nacimiento", "date_naissance",
            "dob_ts", "birthYear"]  # fmt: skip
    for i, key in enumerate(keys):
        day = date(rng.randrange(1940, 2010), rng.randrange(1, 13), rng.randrange(1, 29))
        value = [day.isoformat(), day, datetime(day.year, day.month, day.day, 0, 0),
                 day.strftime("%d/%m/%Y"), int(day.strftime("%Y%m%d")), day.strftime("%d.%m.%Y"),
                 day.strftime("%B %d, %Y")][i % 7]  # fmt: skip
        if key == "dob_ts":
            value = int(datetime(day.year, day.month, day.day).timestamp())
        if key == "birthYear":
            value = day.year
        props = {key: value} if i % 2 else {"profile": {key: value}}
        frag = day.strftime("%Y%m%d")
        frags = (day.isoformat(), day.strftime("%d/%m/%Y"), day.strftime("%d.%m.%Y"))
        if key == "birthYear":
            frags, frag = (f'"{key}"',), ""
        if key == "dob_ts":
            frags, frag = (str(value),), str(value)
        out.append(Vector("birth_dates", props, frags, digits=(frag,) if frag else ()))
    return out


def street_addresses() -> list[Vector]:
    rng = random.Random("street_addresses")
    streets = ["Baker", "Amphitheatre", "Hauptstrasse", "Downing", "Alcala", "Privet", "Elm",
               "Rue de Rivoli", "Kurfuerstendamm", "Via Roma", "Queen", "Maple"]  # fmt: skip
    out = []
    for i, street in enumerate(streets):
        n = rng.randrange(2, 400)
        zipcode = _num(rng, 5)
        word = street.split()[-1]
        value = [f"{n} {street} Street", f"{street} {n}, {zipcode} Berlin", f"{n}{street}St",
                 f"{n}_{street}_Street", f"{n} {street} Ave, Apt 4B", zipcode, f"{street}-{n}",
                 f"{n}, {street}, {zipcode}"][i % 8]  # fmt: skip
        props = [{"x": value}, {"street": value}, {"address": {"line1": value}},
                 {"shipping": {"addr": value}}][i % 4]  # fmt: skip
        frags = (f"{n}{word}".lower() if i % 8 == 2 else f"{n} {street}", zipcode)
        if i % 8 in (3, 6):
            frags = (value,)
        out.append(Vector("street_addresses", props, frags))
    return out


def urls() -> list[Vector]:
    rng = random.Random("urls")
    items = []
    for fmt in ["https://{h}.com/u/{w}", "http://{h}.io/{w}?q=1", "www.{h}.com/{w}",
                "{h}.com/{w}", "ftp://{h}.org/{w}.zip", "s3://{h}/{w}/x", "myapp://user/{w}",
                "//{h}.net/{w}", "https://{h}.com/#/{w}", "gs://{h}/{w}",
                "https://{w}.{h}.dev", "HTTPS://{H}.COM/{W}"]:  # fmt: skip
        h, w = _word(rng, 8), _word(rng, 9)
        items.append((fmt.format(h=h, w=w, H=h.upper(), W=w.upper()), (w,)))
    return _vectors("urls", items)


# -- text, names, keys, event names, deep nesting -----------------------------------------------
def free_text() -> list[Vector]:
    rng = random.Random("free_text")
    items = []
    for i in range(12):
        first, last = _word(rng, 6).capitalize(), _word(rng, 8).capitalize()
        value = [f"{first} {last}", f"Please call {first} at home", f"{first} {last} <x@y.z>",
                 f"Dear {first}, your order shipped", f"{first}'s notes", f"{last}, {first}",
                 f"ticket from {first} {last}", f"{first}\n{last}", f"{first}\t{last}",
                 f"{first} {last} " * 20, f"prompt: summarise {first} {last}'s file",
                 f"{first.lower()} {last.lower()}"][i]  # fmt: skip
        items.append((value, (last,)))
    return _vectors("free_text", items)


def event_names() -> list[Vector]:
    rng = random.Random("event_names")
    out = []
    for i in range(14):
        local, domain, email = _email(rng)
        phone = f"{rng.randrange(201, 989)}{_num(rng, 7)}"
        uid = f"usr_{_num(rng, 8)}"
        name, frags = [
            (email, (local,)), (phone, (phone,)), (uid, (uid,)), (f"signup_{uid}", (uid,)),
            ("王伟注册", ("王伟",)), (f"/home/{local}/x", (local,)), (f"{local} signed up", (local,)),
            (int(phone), (phone,)), (email.encode(), (local,)), (PurePosixPath(local), (local,)),
            (f"user {local} at {domain[:-4]} dot com", (local,)), (f"{phone}_call", (phone,)),
            (f"order_{_num(rng, 9)}", ()), (f"{email}_login", (local,)),
        ][i]  # fmt: skip
        if i == 12:
            frags = (name.split("_")[1],)
        out.append(Vector("event_names", {"type": "text"}, frags, event=name, user_id=uid))
    return out


def data_keys() -> list[Vector]:
    rng = random.Random("data_keys")
    out = []
    for i in range(14):
        local, domain, email = _email(rng)
        phone = f"{rng.randrange(201, 989)}{_num(rng, 7)}"
        key, frags = [
            (email, (local,)), (phone, (phone,)), (f"+1-{phone}", (phone[-7:],)),
            (f"192.{rng.randrange(100, 255)}.{rng.randrange(100, 255)}.77", ("77",)),
            (f"{_num(rng, 8)}-aaaa-4bbb-8ccc-{_num(rng, 12)}", ()), ("山田太郎", ("山田",)),
            (f"/Users/{local}", (local,)), (f"{local}＠{domain}", (local,)),
            (f"usr_{_num(rng, 9)}", ()), (f"{local}.{domain}", (local,)),
            (f"{local} {domain}", (local,)), (base64.b64encode(email.encode()).decode(), (local,)),
            (f"{phone}.0", (phone,)), (f"tel:{phone}", (phone,)),
        ][i]  # fmt: skip
        if not frags or frags == ("77",):
            frags = (key,)
        props = {key: 1, "ok": True} if i % 2 else {"by_person": {key: {"n": 1}}}
        out.append(Vector("data_keys", props, frags))
    return out


def nested_containers() -> list[Vector]:
    rng = random.Random("nested_containers")
    out = []
    for i in range(12):
        local, domain, email = _email(rng)
        inner: Any = email
        for depth in range(4 + i % 4):
            inner = [{"k": inner}, ({"t": inner},), {frozenset([1]): inner}, {"l": [inner]}][
                (depth + i) % 4
            ]
        props = {"root": inner} if i % 2 else {"a": {"b": inner}, "type": "text"}
        out.append(Vector("nested_containers", props, (local,)))
    return out


def invisible_and_lookalike() -> list[Vector]:
    rng = random.Random("invisible_and_lookalike")
    items = []
    for i in range(12):
        local, domain, email = _email(rng)
        phone = f"{rng.randrange(201, 989)}{_num(rng, 7)}"
        forms = [email.replace("@", "\u200b@\u200b"), local[:3] + "\u200d" + local[3:] + "@" + domain,
                 "\u202e" + email[::-1], phone.translate(str.maketrans(DIGITS, "０１２３４５６７８９")),
                 phone.translate(str.maketrans(DIGITS, "٠١٢٣٤٥٦٧٨٩")),
                 phone.translate(str.maketrans(DIGITS, "०१२३४५६७८९")),
                 email.replace("a", "а"), email.replace("@", "\ufe6b"),
                 "\u2066" + email + "\u2069", email.replace(".", "\u2024"),
                 local + "\u00ad@" + domain, "ｔｅｌ:" + phone]  # fmt: skip
        frags = (local,) if i not in (3, 4, 5, 11) else (phone,)
        if i == 2:
            frags = (local[::-1],)
        if i == 6:
            frags = (local.replace("a", "а"),) if "a" in local else (local,)
        items.append((forms[i], frags))
    return _vectors("invisible_and_lookalike", items)


CLASSES: tuple[Callable[[], list[Vector]], ...] = (
    user_id_echo, developer_id_echo, identity_ids, cjk, cyrillic, arabic, devanagari,
    other_scripts, latin_diacritics, relative_paths, path_objects, phones_text, phones_numeric,
    ipv4, ipv6, macs, emails_spelled, emails_encoded, objects, credential_keys, secret_tokens,
    jwts, machine_ids, machine_names, hashed_pii, ibans, cards, national_ids, plates, coordinates,
    birth_dates, street_addresses, urls, free_text, event_names, data_keys,
    nested_containers, invisible_and_lookalike,
)  # fmt: skip


def corpus() -> Iterator[Vector]:
    """Every vector of every class, in a fixed order."""
    for make in CLASSES:
        yield from make()
