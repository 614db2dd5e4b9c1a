"""The generated leak corpus (``leak_vectors``) through a real opensource service: no vector's
personal content reaches a shaped event, in any spelling, and the status counts the removals
by reason without showing a value."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter

import orjson
import pytest

from tenantry import TelemetryService
from tenantry.policy import normalize
from tenantry.testing import InMemoryDestination
from tests.policy.leak_vectors import CLASSES, Vector, corpus

VECTORS = list(corpus())


def _digits(text: str) -> str:
    """Every decimal digit of ``text``, in any script, as ASCII."""
    out = []
    for ch in text:
        d = unicodedata.decimal(ch, None)
        if d is not None:
            out.append(str(d))
    return "".join(out)


def leaks(vector: Vector, record: dict) -> list[str]:
    """The fragments of ``vector`` found in the shaped event ``record``: in any view of its
    whole serialised form (keys and values; NFKC, invisible characters removed, escapes
    undone, base64/hex segments decoded), case-insensitively; digit fragments also among the
    digits of its name and properties, whatever the script or the separators."""
    blob = orjson.dumps(record).decode()
    texts = {blob.lower(), *(v.lower() for v in normalize.views(blob))}
    found = [f for f in vector.fragments if f and any(f.lower() in t for t in texts)]
    digits = _digits(orjson.dumps([record["event"], record["properties"]]).decode())
    numeric = {*vector.digits, *(f for f in vector.fragments if f.isdigit() and len(f) >= 5)}
    found += [d for d in numeric if d and d in digits]
    return found


def track_all(vectors: list, data_dir) -> tuple[dict[int, dict], dict]:
    """Every vector tracked through one opensource service: ``{case: event record}`` (the case
    is the vector's place in ``vectors``) and the service's status afterwards."""
    memory = InMemoryDestination()
    service = TelemetryService(
        edition="opensource",
        destinations=[memory],
        data_dir=data_dir,
        secret="corpus-secret-0123456789abcdef",
    )
    try:
        for case, v in enumerate(vectors):
            service.track_sync(
                v.event,
                {**v.properties, "case": case},
                user_id=v.user_id,
                developer_id=v.developer_id,
                identity=v.identity,
            )
        assert service.flush(timeout=20.0)
        status = service.get_status()
    finally:
        service.shutdown(timeout=5.0)
    records = {}
    for event in memory.events:
        record = event.to_record()
        records[record["properties"].pop("case")] = record
    return records, status


@pytest.fixture(scope="module")
def shaped(tmp_path_factory) -> tuple[dict[int, dict], dict]:
    return track_all(VECTORS, tmp_path_factory.mktemp("corpus"))


def test_corpus_is_wide():
    """The corpus has at least 300 vectors in at least 20 classes, each class 10 or more."""
    per_class = Counter(v.kind for v in VECTORS)
    assert len(VECTORS) >= 300 and len(per_class) >= 20 == min(20, len(CLASSES))
    assert min(per_class.values()) >= 10, per_class


def test_no_vector_leaks(shaped):
    """Every vector arrives as one event, and no part of its personal content is in it."""
    records, _ = shaped
    assert sorted(records) == list(range(len(VECTORS)))
    found = []
    for case, v in enumerate(VECTORS):
        hits = leaks(v, records[case])
        if hits:
            found.append((v.kind, hits, records[case]["event"], records[case]["properties"]))
    assert not found, f"{len(found)} leaks: {found[:15]}"


def test_status_counts_reasons_never_values(shaped):
    """The status counts removals under ``pii_removed:<reason>`` (emails, digits, scripts,
    the call's IDs, objects...) and holds none of the corpus's personal fragments."""
    _, status = shaped
    counters = status["counters"]
    reasons = {k.split(":", 1)[1] for k in counters if k.startswith("pii_removed:")}
    assert {"email", "digits", "script", "call_id", "personal_key", "secret_key"} <= reasons
    assert counters["pii_removed"] == sum(
        n for k, n in counters.items() if k.startswith("pii_removed:")
    )
    assert counters["dropped_objects"] > 0
    blob = orjson.dumps(status).decode().lower()
    for v in VECTORS:
        for f in v.fragments:
            if len(f) >= 6 and not re.fullmatch(r"[a-z_]+", f.lower()):
                assert f.lower() not in blob, (v.kind, f)


def test_leak_check_sees_every_spelling():
    """The leak check itself finds a fragment that arrives respelt: upper case, percent- or
    JSON-escaped, base64-encoded, in full-width digits, or spread over separators."""
    v = Vector("probe", {}, ("alice.k7q",), digits=("4155550123",))
    for value in ["ALICE.K7Q@x", "alice.k7q%40x", "YWxpY2UuazdxQGV4YW1wbGUuY29t",
                  "\\u0061lice.k7q", "４１５-555-0123", "+1 (415) 555_0123"]:  # fmt: skip
        record = {"event": "e", "properties": {"x": value}, "uuid": "u"}
        assert leaks(v, record), value
    assert not leaks(v, {"event": "e", "properties": {"x": "text"}, "uuid": "u"})
