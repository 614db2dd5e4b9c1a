"""`tenantry migrate`'s decisions on small modules: where developer_id comes from, what is left
as it was and why, the rules that can be disabled, and what stays byte for byte."""

from __future__ import annotations

import textwrap

import pytest

from tenantry.migrate import MigrationError, migrate_source
from tenantry.migrate.plan import TODO_DEVELOPER


def migrated(source: str, **kw) -> str:
    outcome = migrate_source(textwrap.dedent(source), **kw)
    compile(outcome.source, "<migrated>", "exec")
    return outcome.source


def developer_arg(source: str) -> str:
    """The developer_id argument of the one track_sync call in the migrated source."""
    out = migrated(source)
    start = out.index("developer_id=") + len("developer_id=")
    depth, end = 0, start
    while depth or out[end] not in ",)\n":
        depth += {"(": 1, "[": 1, ")": -1, "]": -1}.get(out[end], 0)
        end += 1
    return out[start:end].strip()


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (  # a parameter
            """
            import posthog
            def f(end_user_id, developer_id):
                posthog.capture("e", distinct_id=end_user_id)
            """,
            "developer_id",
        ),
        (  # a variable assigned before the call; the seed guide's developer_user_id
            """
            import posthog
            def f(request):
                developer_user_id = lookup(request.api_key)
                posthog.capture("e", distinct_id=request.user_id)
            """,
            "developer_user_id",
        ),
        (  # an attribute chain the function reads before the call
            """
            import posthog
            def f(request):
                save(owner=request.state.developer_id)
                posthog.capture("e", distinct_id=request.state.end_user_id)
            """,
            "request.state.developer_id",
        ),
        (  # the seed guide: "extract developer_id from user_info or extra_properties"
            """
            import posthog
            def f(user_info, uid):
                log(user_info["developer_id"])
                posthog.capture("e", distinct_id=uid)
            """,
            'user_info["developer_id"]',
        ),
        (
            """
            import posthog
            def f(extra_properties, uid):
                log(extra_properties.get("developer_id"))
                posthog.capture("e", distinct_id=uid)
            """,
            'extra_properties.get("developer_id")',
        ),
        (  # a self attribute the class assigns
            """
            import posthog
            class Jobs:
                def __init__(self, tenant_id):
                    self.tenant_id = tenant_id
                def done(self, uid):
                    posthog.capture("job_done", distinct_id=uid)
            """,
            "self.tenant_id",
        ),
        (  # the event's own properties name it
            """
            import posthog
            def f(uid, dev):
                posthog.capture("e", distinct_id=uid, properties={"developer_id": dev})
            """,
            "dev",
        ),
        (  # a name assigned only after the call is not bound at the call
            """
            import posthog
            def f(uid):
                posthog.capture("e", distinct_id=uid)
                developer_id = lookup(uid)
            """,
            "None",
        ),
        (  # two equally obvious candidates: not obvious
            """
            import posthog
            def f(auth, request, uid):
                check(auth.developer_id, request.developer_id)
                posthog.capture("e", distinct_id=uid)
            """,
            "None",
        ),
        (  # nothing named like a developer's ID
            """
            import posthog
            def f(user):
                posthog.capture("e", distinct_id=user.id)
            """,
            "None",
        ),
    ],
)
def test_developer_id_comes_from_the_scope_when_obvious(source, expected):
    """developer_id is the obvious developer ID in scope (parameter, earlier variable, attribute
    or key read before the call, self attribute, the event's own properties), else None with a
    TODO."""
    assert developer_arg(source) == expected
    if expected == "None":
        assert TODO_DEVELOPER in migrated(source)


def test_a_vendor_id_named_like_the_developer_becomes_developer_id():
    """When the vendor's ID is the developer's (by name, or bound from developer_id first, as
    in the seed guide's Amplitude code) it is passed as developer_id, with no user_id."""
    out = migrated(
        """
        import posthog
        def f(developer_id, props):
            tracking_user_id = developer_id
            posthog.capture("e", distinct_id=tracking_user_id, properties=props)
            posthog.capture("e", distinct_id=developer_id)
        """
    )
    assert 'track_sync("e", props, developer_id=tracking_user_id)' in out
    assert 'track_sync("e", developer_id=developer_id)' in out
    assert "user_id=" not in out


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        ('import posthog\nx = posthog.capture("e", distinct_id="u")\n', "its result is used"),
        ('import posthog\nposthog.capture("e", *args)\n', "unpacked arguments"),
        ('import posthog\nposthog.capture("e", distinct_id="u", groups={"c": "1"})\n', "groups="),
        ('import posthog\nposthog.alias("a", "b")\n', "no tenantry equivalent"),
        (
            "from amplitude import Amplitude, Identify, EventOptions\n"
            'c = Amplitude("k")\n'
            'c.identify(Identify().add("logins", 1), EventOptions(user_id="dev_1"))\n',
            "Identify.add()",
        ),
        (
            "from amplitude import Amplitude, BaseEvent\n"
            'c = Amplitude("k")\n'
            "def f(uid):\n"
            '    event = BaseEvent(event_type="e", user_id=uid)\n'
            "    c.track(event)\n"
            "    return event\n",
            "event is used elsewhere",
        ),
        (
            "from amplitude import Amplitude, BaseEvent\n"
            'c = Amplitude("k")\n'
            "def f(uid):\n"
            '    event = BaseEvent(event_type="e", user_id=uid)\n'
            '    uid = "someone else"\n'
            "    c.track(event)\n",
            "a name the event reads changes",
        ),
    ],
)
def test_calls_without_a_safe_rewrite_are_left_and_listed(source, reason):
    """A call whose result is used, with unpacked or untranslatable arguments, or whose event
    object is shared or read later, is left byte for byte and listed with the reason."""
    outcome = migrate_source(source)
    left = [n for n in outcome.notes if n.kind == "left"]
    assert len(left) == 1 and reason in left[0].text
    rewritten = [n for n in outcome.notes if n.kind == "migrated" and n.code != "TM008"]
    assert not rewritten
    body = [line for line in source.splitlines() if "=" not in line or "(" in line]
    assert all(line in outcome.source for line in body)


def test_disabled_rules_leave_their_calls():
    """--disable TM003 leaves posthog's capture and still rewrites Segment's track; TM008 off
    adds no comment; the vendor's flush stays, with tenantry's after it (TM007)."""
    source = textwrap.dedent(
        """
        import posthog
        import segment.analytics as analytics
        analytics.write_key = "k"
        def f(uid, developer_id):
            posthog.capture("a", distinct_id=uid)
            analytics.track(uid, "b")
            posthog.flush()
        """
    )
    out = migrate_source(source, disabled=["TM003", "TM008"]).source
    assert 'posthog.capture("a", distinct_id=uid)' in out
    assert 'get_telemetry().track_sync("b", user_id=uid, developer_id=developer_id)' in out
    assert "    posthog.flush()\n    get_telemetry().flush()\n" in out
    assert "tenantry migrate:" not in out
    all_on = migrate_source(source).source
    assert "posthog.capture" not in all_on and "tenantry migrate:" in all_on
    no_flush = migrate_source(source, disabled=["TM007"]).source
    assert "get_telemetry().flush()" not in no_flush


def test_awaits_follow_the_new_call():
    """In async def a sync vendor call becomes `await telemetry.track(...)`; an awaited async
    wrapper's identify (tenantry's is sync) loses its await; in a sync function nested in an
    async one the call becomes track_sync."""
    out = migrated(
        """
        import posthog
        class Wrapper:
            async def run(self, uid, developer_id):
                posthog.capture("a", distinct_id=uid)
                await self.posthog_client.identify(developer_id, {"plan": "pro"})
                def later():
                    posthog.capture("b", distinct_id=uid)
                return later
        """
    )
    assert 'await get_telemetry().track("a", user_id=uid, developer_id=developer_id)' in out
    assert 'get_telemetry().identify(developer_id, {"plan": "pro"})' in out
    assert "await get_telemetry().identify" not in out
    assert 'get_telemetry().track_sync("b", user_id=uid, developer_id=developer_id)' in out


def test_everything_else_stays_byte_for_byte():
    """CRLF line ends, a BOM-free UTF-8 module with non-ASCII text before the call on its line,
    tabs, and the lines around the call are kept exactly."""
    source = (
        "import posthog\r\n"
        "\r\n"
        "def f(uid, developer_id):\r\n"
        "\tnote = 'héllo wörld'  # ünïcode\r\n"
        '\tx = 1; posthog.capture("e", distinct_id=uid)\r\n'
        "\treturn note\r\n"
    )
    out = migrate_source(source).source
    lines = out.split("\r\n")
    assert "\n" not in out.replace("\r\n", "")
    assert "\tnote = 'héllo wörld'  # ünïcode" in lines
    assert (
        '\tx = 1; get_telemetry().track_sync("e", user_id=uid, developer_id=developer_id)' in lines
    )
    assert lines[-2:] == ["\treturn note", ""]
    compile(out, "<crlf>", "exec")


def test_a_module_that_does_not_parse_is_an_error():
    """A syntax error is a MigrationError naming it (the run lists the file and goes on)."""
    with pytest.raises(MigrationError, match="cannot parse"):
        migrate_source("import posthog\nposthog.capture(\n")
