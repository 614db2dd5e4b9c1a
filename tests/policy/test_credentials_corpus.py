"""The generated credential corpus through a real cloud ``TelemetryService`` (issue 19 item 3):
no secret part of any credential leaves, in any view of the shaped event; realistic texts without
credentials arrive whole."""

from __future__ import annotations

import base64
import binascii
import re

import orjson
import pytest

from tenantry import TelemetryService
from tenantry.events import Event
from tenantry.policy import credentials, normalize
from tenantry.testing import InMemoryDestination
from tests.policy.credential_corpus import encoded, vectors
from tests.policy.harmless_corpus import ERROR_MESSAGES, HARMLESS, HARMLESS_VALUES

WINDOW = 10  # a leak is any 10 consecutive characters of a secret part (all of a shorter one)
_RUN = re.compile(r"[A-Za-z0-9+/_-]{8,}={0,2}")


def _decodings(run: str) -> list[str]:
    """Every way ``run`` decodes (base64 in both alphabets, hex), readable or not: stricter
    than the scanner, which decodes only readable segments."""
    out = []
    body = run.rstrip("=")
    for altchars in (None, b"-_"):
        try:
            raw = base64.b64decode(body + "=" * (-len(body) % 4), altchars=altchars)
            out.append(raw.decode("utf-8", "replace"))
        except (binascii.Error, ValueError):
            pass
    if len(body) % 2 == 0 and re.fullmatch(r"[0-9A-Fa-f]+", body):
        out.append(bytes.fromhex(body).decode("utf-8", "replace"))
    return out


def every_view(text: str, depth: int = 0) -> set[str]:
    """``text``, its canonical and unescaped forms, and the same of every decoding of every
    base64 or hex run in them, three levels deep."""
    views = {text, normalize.canonical(text), normalize.unescaped(text)}
    if depth < 3:
        for view in list(views):
            for m in _RUN.finditer(view):
                for decoded in _decodings(m.group(0)):
                    views |= every_view(decoded, depth + 1)
    return views


def leaked(secret: str, views: set[str]) -> bool:
    size = min(WINDOW, len(secret))
    windows = {secret[i : i + size] for i in range(len(secret) - size + 1)}
    return any(w in v for v in views for w in windows)


def _wire(event: Event) -> str:
    """What leaves with the event and could carry caller data (not the uuid or the time)."""
    record = event.to_record()
    fields = ("event", "distinct_id", "properties", "developer_id", "end_user_id")
    return orjson.dumps({k: record[k] for k in fields}).decode()


def _service() -> tuple[TelemetryService, InMemoryDestination]:
    memory = InMemoryDestination()
    service = TelemetryService(
        destinations=[memory], edition="cloud", enabled=True, do_not_track=False
    )
    return service, memory


def _send(service: TelemetryService, n: int, call: dict) -> None:
    props = dict(call.get("properties", {}))
    props["n"] = n
    kind = call.get("kind", "track")
    event = call.get("event", "corpus_vector")
    ids = {"user_id": call.get("user_id"), "developer_id": call.get("developer_id", "dev_acme")}
    if kind == "error":
        service.track_error_sync(event, props, **ids)
    elif kind == "performance":
        service.track_performance_sync(event, call["ms"], props, **ids)
    else:
        service.track_sync(event, props, **ids)


def run_corpus(corpus: list) -> tuple[list, dict]:
    """Every vector of ``corpus`` tracked through one cloud service; ``(corpus, events by vector
    number)``."""
    service, memory = _service()
    for n, vector in enumerate(corpus):
        _send(service, n, vector.call)
    assert service.flush(10.0)
    service.shutdown(5.0)
    return corpus, {e.properties["n"]: e for e in memory.events}


@pytest.fixture(scope="module")
def corpus_run():
    return run_corpus(vectors())


def test_corpus_size(corpus_run):
    """The corpus holds at least 200 vectors across at least 60 formats, in every placement."""
    corpus, _ = corpus_run
    formats = {v.format for v in corpus}
    placements = {v.placement for v in corpus}
    print(f"\ncredential corpus: {len(corpus)} vectors, {len(formats)} formats, "
          f"{len(placements)} placements")  # fmt: skip
    assert len(corpus) >= 200 and len(formats) >= 60 and len(placements) >= 19


def test_no_credential_leaves_cloud(corpus_run):
    """No secret part of any corpus credential appears in any view (canonical, unescaped,
    base64/hex decoded, three levels) of the cloud event it was tracked in; every vector's event
    arrives (the credential is masked, never the event dropped)."""
    corpus, by_n = corpus_run
    leaks = []
    for n, vector in enumerate(corpus):
        event = by_n.get(n)
        assert event is not None, (vector.format, vector.placement)
        views = every_view(_wire(event))
        for secret in vector.secrets:
            if leaked(secret, views):
                leaks.append((vector.format, vector.placement, secret[:16], _wire(event)[:300]))
    print(f"\nleaks: {len(leaks)} of {len(corpus)} vectors")
    assert leaks == []


def test_the_rest_of_the_text_stays(corpus_run):
    """The words around a credential in an error message arrive: the text is masked, not
    dropped."""
    corpus, by_n = corpus_run
    messages = [(n, v) for n, v in enumerate(corpus) if v.placement == "message"]
    assert len(messages) >= 10
    for n, _vector in messages:
        error = by_n[n].properties["error"]
        assert error.startswith("request failed: ") and error.endswith("(attempt 2 of 5)")
        assert "[REDACTED]" in error


def test_harmless_texts_arrive_whole():
    """At least 100 realistic error messages and harmless values without a credential (stack
    lines, SQL and HTTP errors, URLs, UUIDs, git SHAs and digests in context) arrive in cloud
    exactly as sent, as property values and as error names."""
    assert len(ERROR_MESSAGES) >= 100 and len(HARMLESS_VALUES) >= 20
    service, memory = _service()
    for n, text in enumerate(HARMLESS):
        service.track_sync("harmless", {"n": n, "error": text, "nested": {"v": [text]}},
                           developer_id="dev_acme")  # fmt: skip
        service.track_error_sync(text[:200], {"n": -1 - n}, developer_id="dev_acme")
    assert service.flush(10.0)
    service.shutdown(5.0)
    events = {e.properties["n"]: e for e in memory.events}
    changed = []
    for n, text in enumerate(HARMLESS):
        props = events[n].properties
        if props["error"] != text or props["nested"] != {"v": [text]}:
            changed.append((text, props["error"]))
        if events[-1 - n].properties["error_type"] != text[:200].strip():
            changed.append((text, events[-1 - n].properties["error_type"]))
    kept = 1 - len({t for t, _ in changed}) / len(HARMLESS)
    print(f"\nharmless texts kept whole: {kept:.1%} of {len(HARMLESS)}")
    assert changed == []


def _raw(call: dict) -> str:
    """Everything a vector hands to ``track``, as text (bytes decoded, objects by repr)."""

    def text(v):
        if isinstance(v, dict):
            return {str(text(k)): text(x) for k, x in v.items()}
        if isinstance(v, list):
            return [text(x) for x in v]
        if isinstance(v, bytes):
            return v.decode()
        return v if isinstance(v, str | int | float | bool) or v is None else repr(v)

    return orjson.dumps(text(call)).decode()


def test_the_leak_check_sees_every_secret_before_shaping():
    """Each vector's secret parts are found by the same leak check in the raw call, before any
    shaping: the check reads every placement (encodings included), so 0 leaks means masked."""
    missed = [
        (v.format, v.placement)
        for v in vectors()
        if not all(leaked(s, every_view(_raw(v.call))) for s in v.secrets)
    ]
    assert missed == []


def test_encodings_combined_never_leak():
    """Every corpus credential wrapped in one or two encodings at random (percent, base64 in
    both alphabets, hex, JSON string or object, HTML entities, zero-width spaces, full-width
    letters, a message, a URL's query value: 1,000+ texts) is masked so that no view shows it."""
    cases = encoded()
    leaks = [
        (cred.format, names)
        for cred, text, names in cases
        if any(leaked(s, every_view(credentials.mask(text))) for s in cred.secrets)
    ]
    print(f"\nencoded credentials: {len(cases)}, leaks: {len(leaks)}")
    assert len(cases) >= 1000 and leaks == []
