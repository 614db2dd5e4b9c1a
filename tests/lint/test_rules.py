"""`tenantry lint`'s rules, each with cases it must report and cases it must not; `# noqa`; the
key words of TNT003 read from the privacy rules; and tenantry's own code, its first user."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tenantry.lint import lint_paths, lint_source
from tenantry.policy import words

ROOT = Path(__file__).resolve().parents[2]
HEAD = "from tenantry import get_telemetry\ntelemetry = get_telemetry()\n"


def codes(body: str, head: str = HEAD) -> list[str]:
    return [f.code for f in lint_source(head + textwrap.dedent(body))]


CASES = {
    "TNT001": (
        [  # reported
            'telemetry.track_sync("e", {}, user_id=uid)',
            'get_telemetry().track_sync("e", user_id=uid, developer_id=None)',
            'async def f(uid):\n    await telemetry.track("e", {}, uid)',
            'telemetry.track_error_sync("db", {"retries": 3}, user_id=uid)',
        ],
        [  # not reported
            'telemetry.track_sync("e", {}, user_id=uid, developer_id=dev)',
            'telemetry.track_sync("e", {}, uid, dev)',
            'telemetry.track_performance_sync("q", 1.5, {}, uid, dev)',
            'telemetry.track_sync("e", **kwargs)',
            'telemetry.track_sync("e", identity=ident)',
            'tracker.track_sync("e", {}, user_id=uid)',  # not a tenantry service
        ],
    ),
    "TNT002": (
        [
            'telemetry.track_sync("e", user_id=developer_user_id, developer_id=end_user_id)',
            'telemetry.track_sync("e", user_id="dev_abc123", developer_id=dev)',
            'telemetry.track_sync("e", user_id=uid, developer_id="usr_1234")',
            "def f(developer_id, end_user_id):\n"
            "    who = developer_id\n"
            '    telemetry.track_sync("e", user_id=who, developer_id=end_user_id)',
        ],
        [
            'telemetry.track_sync("e", user_id=end_user_id, developer_id=developer_user_id)',
            'telemetry.track_sync("e", user_id=user_id, developer_id=user_id)',  # session token
            'telemetry.track_sync("e", user_id="usr_1", developer_id="dev_1")',
            'telemetry.track_sync("e", user_id=a, developer_id=b)',
        ],
    ),
    "TNT003": (
        [
            'telemetry.track_sync("e", {"user_email": e}, user_id=u, developer_id=d)',
            'telemetry.track_sync("e", {"apiKey": k}, user_id=u, developer_id=d)',
            'telemetry.track_sync("e", {"meta": {"ip": ip}}, user_id=u, developer_id=d)',
            'telemetry.track_sync("e", dict(password=p), user_id=u, developer_id=d)',
            'telemetry.track_sync("e", {"token_count": "many"}, user_id=u, developer_id=d)',
            'telemetry.register({"hostname": h})',
            "def f(u, d):\n"
            '    props = {"full_name": n}\n'
            '    telemetry.track_sync("e", props, user_id=u, developer_id=d)',
        ],
        [
            'telemetry.track_sync("e", {"type": "text", "has_metadata": True}, developer_id=d)',
            'telemetry.track_sync("e", {"has_email": True, "token_count": 3}, developer_id=d)',
            'telemetry.track_sync("e", {"keyboard_layout": "fr"}, developer_id=d)',
            'telemetry.identify(d, {"email": e, "plan": "pro"})',  # a developer's profile
        ],
    ),
    "TNT004": (
        [
            'import posthog\nposthog.capture("e", distinct_id=u)',
            'import posthog as ph\nph.capture(u, "e", {})',
            'from amplitude import Amplitude as A, BaseEvent\nc = A("k")\nc.track(BaseEvent("e"))',
            'import segment.analytics as analytics\nanalytics.identify(u, {"plan": p})',
            'from segment.analytics import Client\nc = Client("k")\nc.group(u, "acme")',
            'amplitude_client.track(user_id=u, event_type="e", event_properties={})',
            "class S:\n"
            '    ph = __import__("posthog").Posthog("k")\n'
            "    def f(self, u):\n"
            '        self.posthog.capture("e", distinct_id=u)',
        ],
        [
            'import posthog\nposthog.feature_enabled("flag", u)',
            "import posthog\nposthog.flush()",
            'from myapp import analytics\nanalytics.track(u, "e")',
            'segment.track("intro")',
        ],
    ),
    "TNT005": (
        [
            'async def f(u, d):\n    telemetry.track("e", {}, user_id=u, developer_id=d)',
            'def f(u, d):\n    telemetry.track("e", {}, user_id=u, developer_id=d)',
            'async def f(u, d):\n    get_telemetry().track_error("x", {}, u, d)',
        ],
        [
            'async def f(u, d):\n    await telemetry.track("e", {}, user_id=u, developer_id=d)',
            'def f(u, d):\n    telemetry.track_sync("e", {}, user_id=u, developer_id=d)',
            'async def f(u, d):\n    asyncio.create_task(telemetry.track("e", {}, u, d))',
        ],
    ),
    "TNT006": (
        [
            'if telemetry.track_sync("login", {}, user_id=u, developer_id=d):\n    allow()',
            'async def f(u, d):\n    if not await telemetry.track("e", {}, u, d):\n        deny()',
            'ok = telemetry.track_sync("e", {}, u, d) or fallback()',
            'assert telemetry.identify(d, {"plan": "pro"})',
        ],
        [
            'telemetry.track_sync("e", {}, user_id=u, developer_id=d)',
            "if not telemetry.flush(timeout=2.0):\n    log()",  # flush() answers a question
        ],
    ),
}


@pytest.mark.parametrize(
    ("rule", "body", "reported"),
    [(rule, body, True) for rule, (yes, _) in CASES.items() for body in yes]
    + [(rule, body, False) for rule, (_, no) in CASES.items() for body in no],
)
def test_rule(rule, body, reported):
    """Each rule reports what the seed guide's DO/DON'T list forbids and nothing else."""
    assert (rule in codes(body)) is reported, codes(body)


def test_output_positions_and_noqa():
    """Findings carry the call's (or the property key's) line and 1-based column; `# noqa:
    TNT003` silences that rule on its line only, a bare `# noqa` every rule."""
    source = HEAD + (
        'telemetry.track_sync("e", {"email": e}, user_id=u)\n'
        'telemetry.track_sync("e", {"email": e}, user_id=u)  # noqa: TNT003 - the filter test\n'
        'telemetry.track_sync("e", {"email": e}, user_id=u)  # noqa\n'
    )
    found = [(f.line, f.col, f.code) for f in lint_source(source, "app.py")]
    assert found == [(3, 1, "TNT001"), (3, 28, "TNT003"), (4, 1, "TNT001")]
    assert str(lint_source(source, "app.py")[0]).startswith("app.py:3:1: TNT001 track_sync() ")


def test_syntax_errors_are_tnt000_and_files_without_telemetry_words_are_not_parsed():
    """A module with telemetry in it that does not parse is one TNT000 finding at the error's
    position; a module without a single telemetry or vendor word is not even parsed."""
    [finding] = lint_source("telemetry.track_sync(\n", "bad.py")
    assert (finding.code, finding.line) == ("TNT000", 1) and "cannot parse" in finding.message
    assert lint_source("def f(:\n", "unrelated.py") == []


def test_every_privacy_word_is_judged_as_the_privacy_rules_judge_it():
    """For each word the privacy rules use to name a secret or personal data, TNT003 reports a
    property of that name exactly when the privacy rules' own verdict names it (every ASCII
    word does); an innocent key is not reported."""
    every = sorted(words.SECRET_WORDS | words.PII_WORDS)
    reported = 0
    for word in every:
        body = f'telemetry.track_sync("e", {{"{word}": x}}, user_id=u, developer_id=d)'
        split = words.key_words(word)
        named = words.NAMED in (words.secret_words_verdict(split), words.pii_words_verdict(split))
        assert ("TNT003" in codes(body)) is named, word
        reported += named
        assert named or not word.isascii(), word
    assert reported > 100
    assert "TNT003" not in codes('telemetry.track_sync("e", {"plan": x}, developer_id=d)')


def test_tnt003_reads_its_words_from_the_privacy_module(monkeypatch):
    """One source of truth: a word added to tenantry.policy.words.PII_WORDS (or a pair to
    SECRET_PAIRS) is reported by lint with no change to lint itself."""
    body = 'telemetry.track_sync("e", {"flavour": x, "wifi_code": y}, developer_id=d)'
    assert "TNT003" not in codes(body)
    monkeypatch.setattr(words, "PII_WORDS", words.PII_WORDS | {"flavour"})
    monkeypatch.setattr(words, "SECRET_PAIRS", words.SECRET_PAIRS | {("wifi", "code")})
    found = [f.message for f in lint_source(HEAD + body) if f.code == "TNT003"]
    assert len(found) == 2 and "'flavour'" in found[0] and "'wifi_code'" in found[1]
    assert "names a secret" in found[1]


def test_tenantrys_own_source_and_tests_have_no_findings():
    """tenantry is its own first user: src/ and tests/ lint clean (deliberate cases carry a
    `# noqa: TNT00x` with the reason)."""
    found = lint_paths([ROOT / "src", ROOT / "tests"], jobs=1)
    assert found == [], "\n".join(map(str, found))


def test_calls_in_lambdas_and_comprehensions_are_checked():
    """A telemetry or vendor call inside a lambda or a comprehension is still checked (its
    result is a value there, so migrate leaves it and TNT005 does not apply)."""
    found = codes(
        "import posthog\n"
        'later = lambda u: telemetry.track_sync("e", {"email": u.email}, user_id=u.id)\n'
        '[posthog.capture("e", distinct_id=u) for u in users]\n'
    )
    assert sorted(found) == ["TNT001", "TNT003", "TNT004"]
