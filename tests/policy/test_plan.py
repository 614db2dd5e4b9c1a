"""ApplyPlan: each violation kind is counted, each unplanned mode does what it says, enumerated
values are vouched for the opensource filter, and ``get_status()`` shows the counts. Plans are
dicts here (the core install reads JSON and dicts; YAML files: tests/test_plan.py)."""

from __future__ import annotations

import pytest

from tenantry import TelemetryService
from tenantry._plan import load_plan
from tenantry.counters import Counters
from tenantry.policy import shape
from tenantry.policy.plan import TABLE, ApplyPlan
from tenantry.testing import InMemoryDestination
from tests.policy.conftest import chain, make_draft

RULES = {
    "type": {"type": "string", "enum": ["text", "document", "image"], "required": True},
    "size_bytes": {"type": "integer", "min": 0, "max": 1000},
    "title": {"type": "string", "max_length": 8},
    "has_metadata": "boolean",
    "tags": {"type": "array", "enum": ["work", "home"]},
    "api_key": {"type": "string", "enum": ["sk_live_4eC39HqLyjWDarjtT1zdp7dc"]},
}


def plan(events: str = "warn", properties: str = "warn", **extra_events):
    return load_plan(
        {
            "unplanned": {"events": events, "properties": properties},
            "events": {
                "memory_created": {"properties": RULES},
                "error_occurred": {"properties": {"error_type": {"enum": ["database_error"]}}},
                **extra_events,
            },
        }
    )


def apply(p, props, counters, **fields):
    return ApplyPlan(p, counters)(make_draft(properties=props, **fields))


def table(counters: Counters) -> dict:
    return counters.table(TABLE)


class TestViolations:
    @pytest.mark.parametrize(
        ("props", "prop", "kind"),
        [
            ({"type": "text", "size_bytes": "12"}, "size_bytes", "wrong_type"),
            ({"type": "text", "has_metadata": 1}, "has_metadata", "wrong_type"),
            ({"type": "text", "size_bytes": True}, "size_bytes", "wrong_type"),
            ({"type": "video"}, "type", "not_in_enum"),
            ({"type": "text", "tags": ["work", "gym"]}, "tags", "not_in_enum"),
            ({"type": "text", "size_bytes": 1001}, "size_bytes", "out_of_range"),
            ({"type": "text", "size_bytes": -1}, "size_bytes", "out_of_range"),
            ({"type": "text", "title": "a" * 9}, "title", "too_long"),
            ({"size_bytes": 3}, "type", "missing_required"),
            ({"type": "text", "colour": "red"}, "colour", "unplanned_property"),
        ],
    )
    def test_each_kind_is_counted_by_event_and_property(self, counters, props, prop, kind):
        """Each violation kind counts once in plan_violations and once in its (event, property)
        row; nothing else is flagged."""
        assert apply(plan(), props, counters) is not None
        assert counters.get("plan_violations") == 1
        assert table(counters) == {("memory_created", prop, kind): 1}

    def test_valid_event_counts_nothing(self, counters):
        """An event that keeps every rule (an integral float for an integer too) counts nothing."""
        props = {"type": "image", "size_bytes": 1000.0, "title": "a" * 8, "has_metadata": False}
        draft = apply(plan(), props, counters)
        assert draft["properties"] == props and counters.get("plan_violations") == 0

    def test_unplanned_event(self, counters):
        """An event the plan does not list is one unplanned_event violation."""
        apply(plan(), {"q": 1}, counters, event="search_query")
        assert table(counters) == {("search_query", "(event)", "unplanned_event"): 1}

    def test_error_type_is_checked_under_the_sent_name(self, counters):
        """track_error is planned as error_occurred, its name checked against error_type."""
        p = plan()
        apply(p, {}, counters, kind="error", event="database_error")
        assert counters.get("plan_violations") == 0
        apply(p, {}, counters, kind="error", event="disk_full")
        assert table(counters) == {("error_occurred", "error_type", "not_in_enum"): 1}

    def test_names_that_are_data_are_redacted_in_the_table(self, counters):
        """A property key that is an email shows as (redacted): status shows names, not data."""
        apply(plan(), {"type": "text", "alice@example.com": 1}, counters)
        assert table(counters) == {("memory_created", "(redacted)", "unplanned_property"): 1}

    def test_table_is_bounded(self, counters):
        """A stream of new event names counts every violation but keeps at most 1001 rows."""
        apply_plan = ApplyPlan(plan(), counters)
        for i in range(1100):
            apply_plan(make_draft(event=f"event_{i}"))
        assert counters.get("plan_violations") == 1100
        rows = table(counters)
        assert len(rows) == 1001 and rows["(other)"] == 100


class TestModes:
    def test_unplanned_event_drop(self, counters):
        """events: drop drops the event, counted as the drop reason unplanned_event."""
        assert apply(plan(events="drop"), {}, counters, event="search_query") is None
        assert counters.snapshot()["drops"] == {"unplanned_event": 1}

    @pytest.mark.parametrize("mode", ["warn", "keep"])
    def test_unplanned_event_passes(self, counters, mode):
        """events: warn passes the event counted; keep passes it uncounted."""
        assert apply(plan(events=mode), {"q": 1}, counters, event="search_query") is not None
        assert counters.get("plan_violations") == (1 if mode == "warn" else 0)
        assert counters.get("dropped") == 0

    def test_warn_logs_once(self, counters, caplog):
        """warn logs each (event, property, kind) once, naming it, never the value."""
        apply_plan = ApplyPlan(plan(), counters)
        for _ in range(3):
            apply_plan(make_draft(properties={"type": "text", "colour": "red"}))
        lines = [r.getMessage() for r in caplog.records if "tracking plan" in r.getMessage()]
        assert len(lines) == 1 and "memory_created.colour" in lines[0] and "red" not in lines[0]

    def test_properties_drop(self, counters):
        """properties: drop removes unplanned properties and values that break their rule; the
        rest stay."""
        props = {"type": "video", "size_bytes": 5, "colour": "red", "title": "a" * 9}
        draft = apply(plan(properties="drop"), props, counters)
        assert draft["properties"] == {"size_bytes": 5}
        assert counters.get("plan_dropped_properties") == 3

    @pytest.mark.parametrize("mode", ["warn", "keep"])
    def test_properties_pass(self, counters, mode):
        """properties: warn/keep pass everything; a broken rule counts in both, an unplanned
        property only in warn."""
        props = {"type": "video", "colour": "red"}
        draft = apply(plan(properties=mode), dict(props), counters)
        assert draft["properties"] == props
        expected = {("memory_created", "type", "not_in_enum"): 1}
        if mode == "warn":
            expected[("memory_created", "colour", "unplanned_property")] = 1
        assert table(counters) == expected


class TestVouching:
    def test_enumerated_values_are_vouched(self, counters):
        """Keys whose value the plan enumerates are vouched (an array: every item); free text
        and numbers without enum are not."""
        props = {"type": "text", "tags": ["work", "home"], "title": "notes", "size_bytes": 3}
        draft = apply(plan(), props, counters)
        assert draft["vouched"] == {"type", "tags"}

    def test_secret_keys_and_broken_values_are_never_vouched(self, counters):
        """An enumerated value under a secret-named key, or a value outside the enum, is not
        vouched."""
        props = {"type": "video", "api_key": "sk_live_4eC39HqLyjWDarjtT1zdp7dc"}
        draft = apply(plan(), props, counters)
        assert "vouched" not in draft

    def test_opensource_passes_an_enumerated_value(self, counters):
        """Opensource: a value the plan enumerates arrives although the personal-data filter
        alone drops it (depends on the privacy filter honouring draft["vouched"])."""
        value = "Quarterly Planning Notes For The Team"
        p = load_plan(
            {"events": {"memory_created": {"properties": {"template": {"enum": [value]}}}}}
        )
        without = shape(chain("opensource", Counters()), make_draft(properties={"template": value}))
        assert "template" not in without.properties  # the filter's own verdict: free text
        event = shape(
            _chain_with(p, counters), make_draft(properties={"template": value, "note": value})
        )
        assert event.properties.get("template") == value
        assert "note" not in event.properties  # not planned: the filter's verdict stands

    def test_opensource_refuses_planned_free_text(self, counters):
        """Opensource: a planned string property without enum is filtered as usual."""
        p = load_plan({"events": {"memory_created": {"properties": {"title": "string"}}}})
        event = shape(
            _chain_with(p, counters),
            make_draft(properties={"title": "Call Alice Smith at alice@example.com"}),
        )
        assert "title" not in event.properties
        assert counters.get("plan_violations") == 0


def _chain_with(p, counters):
    from tenantry.config import Settings
    from tenantry.policy import build_chain
    from tests.policy.conftest import ANON, SECRET

    return build_chain(
        Settings(edition="opensource"),
        secret=SECRET,
        anonymous_id=ANON,
        profile_lookup=None,
        counters=counters,
        plan=p,
    )


class TestStatus:
    def test_get_status_plan_section(self):
        """TelemetryService(plan=dict) applies the plan and get_status()["plan"] shows the file,
        modes and the violations by event and property; without a plan it is None."""
        dest = InMemoryDestination()
        spec = {
            "unplanned": {"properties": "drop"},
            "events": {"memory_created": {"properties": RULES}},
        }
        telemetry = TelemetryService(destinations=[dest], edition="cloud", plan=spec)
        try:
            telemetry.track_sync("memory_created", {"type": "video", "x": 1}, developer_id="dev_1")
            telemetry.track_sync("search_query", {}, developer_id="dev_1")
            assert telemetry.flush(5.0)
            status = telemetry.get_status()["plan"]
        finally:
            telemetry.shutdown(5.0)
        assert status["file"] == "(argument)" and status["events"] == 1
        assert status["unplanned"] == {"events": "warn", "properties": "drop"}
        assert status["violations"] == 3 and status["dropped_properties"] == 2
        assert status["by_event"] == {
            "memory_created": {"type": {"not_in_enum": 1}, "x": {"unplanned_property": 1}},
            "search_query": {"(event)": {"unplanned_event": 1}},
        }
        assert [e.properties.get("type") for e in dest.events] == [None, None]
        plain = TelemetryService(destinations=[InMemoryDestination()])
        try:
            assert plain.get_status()["plan"] is None
        finally:
            plain.shutdown(1.0)
