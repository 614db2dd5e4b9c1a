"""Property-based: the opensource rule is an allow-list. Random text of any script leaves only
as a safe token (``harmless.token_reason``), under a safe key, or not at all; random objects
never leave as text, whatever their ``__str__``, ``__repr__`` or bytes say."""

from __future__ import annotations

import enum
import random
import string
from dataclasses import dataclass
from pathlib import PurePosixPath, PureWindowsPath
from types import SimpleNamespace
from typing import Any

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tenantry.counters import Counters
from tenantry.policy import harmless, shape
from tests.policy.conftest import chain, make_draft

OSS = chain("opensource", Counters())
CONTEXT = {"edition", "os", "arch", "version", "python_version"}

# Text of any script (every Unicode category but surrogates), and text built to look like a
# token, so that both branches of the rule are taken.
any_text = st.text(max_size=80)
tokenish = st.text(alphabet=string.ascii_letters + string.digits + "._:+-/@ ", max_size=40)
texts = any_text | tokenish


def _strings(obj: Any, out: list[tuple[str, str]], where: str = "value") -> list:
    """Every (role, text) in a shaped properties dict: keys and string values, any depth."""
    if isinstance(obj, dict):
        for k, v in obj.items():
            out.append(("key", k))
            _strings(v, out)
    elif isinstance(obj, str):
        out.append((where, obj))
    return out


@st.composite
def placed(draw, leaf):
    """``leaf`` as a value, a key, or nested, beside a harmless property."""
    value = draw(leaf)
    form = draw(st.sampled_from(["value", "key", "nested", "deep_key"]))
    if form == "value":
        return {"x": value, "type": "text"}, value
    if form == "key":
        return {value: 1, "type": "text"}, value
    if form == "nested":
        return {"a": {"b": value}}, value
    return {"a": {value: {"c": True}}}, value


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(item=placed(texts))
def test_text_of_any_script_leaves_only_as_a_safe_token(item):
    """Every key and string value of a shaped event is a harmless name or token; the random
    text is among them only when it is one itself."""
    props, text = item
    event = shape(OSS, make_draft(properties=props))
    assert event is not None
    caller = {k: v for k, v in event.properties.items() if k not in CONTEXT}
    sent = _strings(caller, [])
    for role, s in sent:
        assert (harmless.name_reason if role == "key" else harmless.token_reason)(s) is None, s
    if harmless.name_reason(text) and harmless.token_reason(text) and len(text.strip()) >= 4:
        assert not any(text in s for _, s in sent), (text, sent)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=texts, kind=st.sampled_from(["track", "error", "performance"]))
def test_event_names_leave_only_as_safe_names(name, kind):
    """An event, error or operation name of any script arrives as itself only when it is a
    harmless name; otherwise as ``unknown`` (or the event is dropped: a blank name)."""
    event = shape(OSS, make_draft(kind=kind, event=name, duration_ms=1.0))
    if event is None:
        assert not name.strip()
        return
    sent = event.properties.get("error_type") or event.properties.get("operation") or event.event
    assert sent == "unknown" or (sent == name.strip() and harmless.name_reason(sent) is None)


# -- objects ------------------------------------------------------------------------------------
MARK = "objmark"  # what an object would say: itself a harmless token, so it would survive


def _talker(text: str) -> Any:
    class Talker:
        def __str__(self) -> str:
            return text

        def __repr__(self) -> str:
            return text

        def __format__(self, spec: str) -> str:
            return text

        def __hash__(self) -> int:
            return hash(text)

    return Talker()


def _shows(text: str) -> str:
    class Shows(str):
        def __str__(self) -> str:
            return text

    return Shows("heldmark")


@dataclass(frozen=True)
class Record:
    label: str


class Color(enum.Enum):
    RED = _talker(MARK + "enum")


def _objects(tag: str) -> list[Any]:
    text = MARK + tag
    return [
        _talker(text), _shows(text), text.encode(), bytearray(text.encode()),
        memoryview(text.encode()), PurePosixPath(text), PureWindowsPath(text), ValueError(text),
        SimpleNamespace(label=text), Record(text), Color.RED, _talker, type(text),
    ]  # fmt: skip


objects = st.builds(
    lambda i, tag: _objects(tag)[i],
    st.integers(0, 12),
    st.from_regex(r"[a-z]{3,8}", fullmatch=True),
)


@st.composite
def nested_objects(draw):
    obj = draw(objects)
    value: Any = obj
    for _ in range(draw(st.integers(0, 4))):
        wrap = draw(st.sampled_from(["dict", "list", "tuple", "key"]))
        if wrap == "dict":
            value = {"k": value, "ok": 1}
        elif wrap == "list":
            value = [value, "fine"]
        elif wrap == "tuple":
            value = (value,)
        elif getattr(type(value), "__hash__", None) is not None:
            try:
                value = {value: 1}
            except TypeError:
                value = {"k": value}
    return value


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value=nested_objects(), name_is_object=st.booleans())
def test_objects_never_leave_as_text(value, name_is_object):
    """No object's ``__str__``/``__repr__``, bytes, path, exception or enum-held object leaves
    an opensource installation as text, as a value, a key or an event name."""
    props = {"x": value, "type": "text"}
    event_name = _objects("name")[0] if name_is_object else "memory_created"
    event = shape(OSS, make_draft(properties=props, event=event_name))
    assert event is not None
    blob = orjson.dumps(event.to_record()).decode()
    assert MARK not in blob and "heldmark" not in blob, blob
    assert event.properties["type"] == "text"


def test_random_keys_are_no_tokens():
    """Random keys (base62 and URL-safe base64, 16 to 40 characters, from a fixed seed) are
    not harmless tokens: at least 99% of 2,000 are refused."""
    rng = random.Random("random-keys")
    alphabets = [string.ascii_letters + string.digits, string.ascii_letters + string.digits + "-_"]
    keys = [
        "".join(rng.choice(alphabets[i % 2]) for _ in range(rng.randrange(16, 41)))
        for i in range(2000)
    ]
    passed = [k for k in keys if harmless.token_reason(k) is None]
    assert len(passed) <= 20, passed[:10]
