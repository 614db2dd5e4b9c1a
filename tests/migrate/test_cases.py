"""`tenantry migrate` on real-world shapes: each case's `.before` migrates to exactly its `.after`.

The cases (tests/migrate/cases/) are modules written the way the vendors' docs and public
projects write them: amplitude-analytics (a service class, the seed guide's wrapper, an event
built in a variable, Identify objects), posthog-python (module functions with the calls before
and since 6.0, a Posthog client, import aliases, decorators), segment-analytics-python and its
predecessor analytics-python (Flask routes, Celery tasks, a backfill client), async FastAPI
routes, and code that only looks like analytics.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tenantry.lint import lint_source
from tenantry.migrate import migrate_source

CASES = Path(__file__).parent / "cases"
NAMES = sorted(p.stem for p in CASES.glob("*.before"))


def _read(name: str, suffix: str) -> str:
    return (CASES / f"{name}.{suffix}").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", NAMES)
def test_case_migrates_to_its_expected_output(name):
    """The migrated module equals the expected one byte for byte, compiles, and a second run
    changes nothing."""
    outcome = migrate_source(_read(name, "before"))
    expected = _read(name, "after")
    assert outcome.source == expected
    compile(outcome.source, f"{name}.after", "exec")
    again = migrate_source(outcome.source)
    assert not again.changed and again.source == expected


def test_the_cases_hold_at_least_forty_vendor_call_sites_and_every_one_left_is_listed():
    """The cases hold >= 40 vendor event calls (what lint's TNT004 reports) across the three
    SDKs; after migration the only ones lint still reports are those the run listed as left,
    each with its reason, on the same line."""
    before_sites, vendors = 0, set()
    for name in NAMES:
        findings = [f for f in lint_source(_read(name, "before")) if f.code == "TNT004"]
        before_sites += len(findings)
        vendors |= {f.message.split()[1] for f in findings}
        outcome = migrate_source(_read(name, "before"))
        left = {n.line for n in outcome.notes if n.kind == "left" and n.code != "TM007"}
        still = {f.line for f in lint_source(outcome.source) if f.code == "TNT004"}
        assert still == left, name
    assert before_sites >= 40
    assert vendors == {"amplitude", "posthog", "segment"}


def test_lookalikes_are_left_alone():
    """A module with its own `analytics` module, a `Tracker.track`, a `posthog_stats` module and
    an audio `segment` is not changed, and lint reports no vendor call in it."""
    source = _read("lookalikes", "before")
    assert not migrate_source(source).changed
    assert not [f for f in lint_source(source) if f.code == "TNT004"]
