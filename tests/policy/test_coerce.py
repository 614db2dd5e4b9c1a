"""CoerceProperties alone, and whole chains on hostile input: never raise, always valid JSON,
the caller's objects never mutated."""

from __future__ import annotations

import copy
import enum
import math
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import orjson
import pytest

from tenantry.policy import shape
from tenantry.policy.coerce import DROP, CoerceProperties
from tests.policy.conftest import make_draft


class Color(enum.Enum):
    RED = "red"


class Level(enum.IntEnum):
    HIGH = 3


class BadRepr:
    def __repr__(self):
        raise RuntimeError("no repr for you")


class Opaque:
    def __repr__(self):
        return "Opaque(secret-ish)"


def _cyclic() -> dict:
    d: dict = {"a": 1}
    d["self"] = d
    lst: list = [1]
    lst.append(lst)
    d["list"] = lst
    return d


HOSTILE = {
    "set": {"b", "a"},
    "frozenset": frozenset({1, 2}),
    "tuple": (1, "two", 3.0),
    "bytes": b"\xffhello",
    "bytearray": bytearray(b"abc"),
    "datetime": datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
    "date": date(2026, 1, 2),
    "timedelta": timedelta(seconds=1.5),
    "decimal": Decimal("1.25"),
    "decimal_nan": Decimal("NaN"),
    "enum": Color.RED,
    "intenum": Level.HIGH,
    "uuid": uuid.UUID(int=5),
    "path": Path("/tmp/x"),
    "object": Opaque(),
    "bad_repr": BadRepr(),
    "nan": math.nan,
    "inf": -math.inf,
    "huge_int": 2**70,
    "giant_int": 10**5000,
    "generator": (i for i in range(3)),
    1: "int key",
    None: "none key",
    (1, 2): "tuple key",
    "nested": {"a": [{"b": {1, 2}}]},
}


@pytest.fixture
def cloud_coerce(counters):
    return CoerceProperties(counters, keep_objects=True)


@pytest.fixture
def oss_coerce(counters):
    return CoerceProperties(counters, keep_objects=False)


class TestCoerceProperties:
    def test_types_become_json(self, cloud_coerce):
        """Each awkward Python type gets its documented JSON form in cloud."""
        out = cloud_coerce({"properties": HOSTILE})["properties"]
        assert out["set"] == ["a", "b"] and out["frozenset"] == [1, 2]
        assert out["tuple"] == [1, "two", 3.0]
        assert out["bytes"] == "\ufffdhello" and out["bytearray"] == "abc"
        assert out["datetime"] == "2026-01-02T03:04:05+00:00" and out["date"] == "2026-01-02"
        assert out["timedelta"] == 1.5 and out["decimal"] == 1.25
        assert out["enum"] == "red" and out["intenum"] == 3 and type(out["intenum"]) is int
        assert out["uuid"] == str(uuid.UUID(int=5)) and out["path"] == "/tmp/x"
        assert out["object"] == "Opaque(secret-ish)" and out["bad_repr"] == "<BadRepr>"
        assert out["huge_int"] == str(2**70)
        assert "nan" not in out and "inf" not in out and "decimal_nan" not in out
        assert out["1"] == "int key" and out["null"] == "none key"
        assert out["nested"] == {"a": [{"b": [1, 2]}]}
        orjson.dumps(out)

    def test_opensource_drops_objects(self, oss_coerce, counters):
        """Opensource never sends a repr: objects, object keys and generators are dropped."""
        out = oss_coerce({"properties": HOSTILE})["properties"]
        for gone in ("object", "bad_repr", "generator", "giant_int", "(1, 2)"):
            assert gone not in out
        assert counters.get("dropped_objects") >= 4
        orjson.dumps(out)

    def test_cycles_dropped(self, cloud_coerce, counters):
        """Reference cycles are cut where they loop back, and counted."""
        out = cloud_coerce({"properties": _cyclic()})["properties"]
        assert out == {"a": 1, "list": [1]}
        assert counters.get("cycles") == 2

    def test_depth_capped(self, cloud_coerce, counters):
        """Nesting deeper than 8 containers is dropped, counted capped_depth."""
        deep: dict = {"leaf": 1}
        for _ in range(50):
            deep = {"d": deep}
        out = cloud_coerce({"properties": deep})["properties"]
        depth = 0
        while isinstance(out, dict) and "d" in out:
            out, depth = out["d"], depth + 1
        assert depth == 7 and counters.get("capped_depth") == 1

    def test_keys_and_items_capped(self, cloud_coerce, counters):
        """10,000 keys become 256; a 10,000-item list becomes 256 items."""
        props = {f"k{i}": i for i in range(10_000)}
        props_list = {"l": list(range(10_000))}
        assert len(cloud_coerce({"properties": props})["properties"]) == 256
        assert len(cloud_coerce({"properties": props_list})["properties"]["l"]) == 256
        assert counters.get("capped_keys") == 1 and counters.get("capped_items") == 1

    def test_long_string_cut(self, cloud_coerce, counters):
        """A 10 MB string is cut to 8 KB in cloud and counted."""
        out = cloud_coerce({"properties": {"s": "x" * 10_000_000}})["properties"]
        assert len(out["s"]) == 8192 and counters.get("truncated_strings") == 1

    def test_non_mapping_properties(self, cloud_coerce, counters):
        """Properties that are not a mapping become {} and are counted; None is just {}."""
        assert cloud_coerce({"properties": ["a"]})["properties"] == {}
        assert cloud_coerce({"properties": None})["properties"] == {}
        assert counters.get("invalid_properties") == 1

    def test_single_value_helper(self, oss_coerce):
        """coerce() gives DROP for what would be left out."""
        assert oss_coerce.coerce(object()) is DROP
        assert oss_coerce.coerce(math.nan) is DROP
        assert oss_coerce.coerce((1, 2)) == [1, 2]


ROBUSTNESS = {
    "sets": {"s": {1, 2, 3}},
    "bytes": {"b": b"\x00\xff"},
    "datetimes": {"t": datetime.now(UTC)},
    "objects": {"o": Opaque(), "bad": BadRepr()},
    "nan": {"n": math.nan, "i": math.inf},
    "cycle": _cyclic(),
    "10mb": {"s": "y" * 10_000_000},
    "10k_keys": {f"key{i}": i for i in range(10_000)},
    "deep": {"a": [[[[[[[[[[[[{"b": 1}]]]]]]]]]]]]},
    "not_a_mapping": 42,
    "mixed_keys": {1: 1, 2.5: 2, None: 3, Color.RED: 4, b"k": 5},
}


class TestRobustness:
    @pytest.mark.parametrize("name", sorted(ROBUSTNESS))
    @pytest.mark.parametrize("edition", ["cloud", "oss"])
    def test_hostile_properties_never_raise(self, request, edition, name):
        """Hostile properties give an Event that orjson serialises, in both editions."""
        chain = request.getfixturevalue(edition)
        event = shape(chain, make_draft(properties=ROBUSTNESS[name]))
        assert event is not None
        data = orjson.loads(orjson.dumps(event.to_record()))
        assert data["uuid"] == event.uuid
        assert len(orjson.dumps(event.properties)) < 3_000_000

    @pytest.mark.parametrize("edition", ["cloud", "oss"])
    def test_hostile_names_and_ids(self, request, edition, counters):
        """None names drop (counted); odd names and IDs never raise."""
        chain = request.getfixturevalue(edition)
        assert shape(chain, make_draft(event=None)) is None
        assert counters.snapshot()["drops"] == {"invalid_event_name": 1}
        for name, uid in [(b"\xff", object()), (3.5, 7), (Color.RED, b"usr"), (math.nan, None)]:
            event = shape(chain, make_draft(event=name, user_id=uid, developer_id=[1]))
            if event is not None:
                orjson.dumps(event.to_record())
        assert counters.snapshot()["drops"].get("shaping_error", 0) == 0

    @pytest.mark.parametrize("edition", ["cloud", "oss"])
    def test_caller_objects_never_mutated(self, request, edition):
        """Shaping leaves the caller's dict and every nested dict and list exactly as they were."""
        chain = request.getfixturevalue(edition)
        props = {
            "api_key": "k",
            "user_email": "a@b.co",
            "nested": {"password": "p", "tags": ["x", {"token": "t"}], "ok": 1},
            "type": "text",
            "edition": "mine",
        }
        before = copy.deepcopy(props)
        nested, tags = props["nested"], props["nested"]["tags"]
        for kind in ("track", "error", "performance"):
            shape(chain, make_draft(kind=kind, properties=props, duration_ms=5.0))
        assert props == before
        assert props["nested"] is nested and nested["tags"] is tags
