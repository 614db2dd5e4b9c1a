"""Loading a tracking plan (tenantry._plan through config): YAML and JSON files and dicts load
to the same rules; a bad plan fails at start-up with one ConfigError naming the variable or
argument, the file, the line (YAML) and the place."""

from __future__ import annotations

import sys

import pytest

from tenantry import TelemetryService
from tenantry._plan import load_plan
from tenantry.config import load_settings
from tenantry.errors import ConfigError

YAML = """\
# the README's example
unplanned:
  events: warn
  properties: drop
events:
  memory_created:
    description: a memory was stored
    properties:
      type: {type: string, enum: [text, document, image], required: true}
      size_bytes: {type: integer, min: 0, max: 10000000}
      title: {type: string, max_length: 80}
      has_metadata: boolean
      tags: {type: array, enum: [work, home], max_length: 10}
      score: {type: [number, "null"]}
  search_query:
"""
JSON = """{
  "unplanned": {"events": "warn", "properties": "drop"},
  "events": {
    "memory_created": {"description": "a memory was stored", "properties": {
      "type": {"type": "string", "enum": ["text", "document", "image"], "required": true},
      "size_bytes": {"type": "integer", "min": 0, "max": 10000000},
      "title": {"type": "string", "max_length": 80},
      "has_metadata": {"type": "boolean"},
      "tags": {"type": "array", "enum": ["work", "home"], "max_length": 10},
      "score": {"type": ["number", "null"]}
    }},
    "search_query": null
  }
}
"""


def test_yaml_json_and_dict_are_the_same_plan(tmp_path):
    """The same plan as YAML, JSON and a dict loads to identical rules and modes."""
    (tmp_path / "plan.yaml").write_text(YAML)
    (tmp_path / "plan.json").write_text(JSON)
    plans = [load_plan(tmp_path / "plan.yaml"), load_plan(str(tmp_path / "plan.json"))]
    plans.append(load_plan(plans[1].to_dict()))
    dumped = [p.to_dict() for p in plans]
    assert dumped[0] == dumped[1] == dumped[2]
    rules = plans[0].events["memory_created"]
    assert rules.required == ("type",) and rules.properties["size_bytes"].maximum == 10_000_000
    assert plans[0].unplanned_properties == "drop" and plans[0].source.endswith("plan.yaml")
    assert plans[0].events["search_query"].properties == {}


def test_environment_and_argument(tmp_path, monkeypatch):
    """TELEMETRY_PLAN loads the file; plan= (path or dict) beats it; both show in status."""
    (tmp_path / "plan.yaml").write_text(YAML)
    monkeypatch.setenv("TELEMETRY_PLAN", str(tmp_path / "plan.yaml"))
    settings = load_settings()
    assert set(settings.plan.events) == {"memory_created", "search_query"}
    assert settings.source("plan") == "TELEMETRY_PLAN"
    assert settings.describe("plan")["plan"]["value"] == str(tmp_path / "plan.yaml")
    telemetry = TelemetryService(destinations="none", plan={"events": {"x": None}})
    try:
        assert set(telemetry.settings.plan.events) == {"x"}
        assert telemetry.get_status()["plan"]["file"] == "(argument)"
    finally:
        telemetry.shutdown(1.0)


@pytest.mark.parametrize(
    ("text", "needles"),
    [
        (  # a type name that is Python's, not JSON's
            "events:\n  x:\n    properties:\n      y: {type: str}\n",
            ["line 4", "events.x.properties.y.type", "unknown type 'str'", "string, integer"],
        ),
        (  # YAML's yes/no are booleans
            "events:\n  x:\n    properties:\n      y: {type: string, enum: [yes, no]}\n",
            ["line 4", "events.x.properties.y.enum", "True is not string", "quote them"],
        ),
        (  # JSON Schema's spelling
            "events:\n  x:\n    properties:\n      y:\n        type: string\n        maxLength: 3\n",
            ["line 6", "events.x.properties.y.maxLength", "unknown key", "max_length"],
        ),
        ("events:\n  x:\n  x:\n", ["line 3", "events.x", "duplicate key"]),
        ("events: [a\n", ["line 2", "not valid YAML"]),
        ("unplanned: block\nevents: {}\n", ["line 1", "unplanned", "drop, keep, warn"]),
        (
            "events:\n  x:\n    properties:\n      y: {type: integer, min: 5, max: 1}\n",
            ["line 4", "min 5 is above max 1"],
        ),
        (
            "events:\n  x:\n    properties:\n      y: {type: string, min: 1}\n",
            ["line 4", "y.min", "applies to integers and numbers"],
        ),
        ("event:\n  x:\n", ["line 1", "event", "unknown key; known: events"]),
    ],
)
def test_bad_yaml_plan_names_variable_file_line_and_place(tmp_path, monkeypatch, text, needles):
    """A bad YAML plan is one ConfigError line: TELEMETRY_PLAN, the file, the line, the place."""
    path = tmp_path / "plan.yaml"
    path.write_text(text)
    monkeypatch.setenv("TELEMETRY_PLAN", str(path))
    with pytest.raises(ConfigError) as info:
        load_settings()
    message = str(info.value)
    assert message.startswith(f"TELEMETRY_PLAN: {path}") and "\n" not in message
    for needle in needles:
        assert needle in message


@pytest.mark.parametrize(
    ("plan", "needles"),
    [
        ({"events": {"x": {"properties": {"y": {"type": "strng"}}}}}, ["events.x.properties.y"]),
        ({"events": {"x": {"properties": {"y": {"enum": []}}}}}, ["enum", "non-empty list"]),
        ({"events": {"x": {"properties": {"y": {"max_length": -1}}}}}, ["max_length", ">= 0"]),
        ({"events": {"x": {"properties": {"y": {"required": "yes"}}}}}, ["required"]),
        ({"events": ["x"]}, ["events", "mapping"]),
        ("missing.json", ["missing.json", "cannot read"]),
    ],
)
def test_bad_plan_argument_names_the_argument(tmp_path, monkeypatch, plan, needles):
    """TelemetryService(plan=...) with a bad plan raises a ConfigError naming ``plan``."""
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError) as info:
        TelemetryService(destinations="none", plan=plan)
    assert str(info.value).startswith("plan: ")
    for needle in needles:
        assert needle in str(info.value)


def test_bad_json_names_the_line(tmp_path):
    """A JSON syntax error names the file and its line."""
    path = tmp_path / "plan.json"
    path.write_text('{\n  "events": {\n    "x": nope\n  }\n}\n')
    with pytest.raises(ConfigError, match=r"^plan: .*plan\.json, line 3: not valid JSON"):
        load_settings(plan=str(path))


def test_yaml_without_pyyaml_names_the_extra(tmp_path, monkeypatch):
    """Without PyYAML a YAML plan fails with one line naming the extra (and JSON as the way
    around it); a JSON plan still loads."""
    (tmp_path / "plan.yaml").write_text(YAML)
    (tmp_path / "plan.json").write_text(JSON)
    monkeypatch.setitem(sys.modules, "yaml", None)  # what `import yaml` sees when it is absent
    with pytest.raises(ConfigError) as info:
        load_settings(plan=str(tmp_path / "plan.yaml"))
    assert "pip install 'tenantry[yaml]'" in str(info.value) and "JSON" in str(info.value)
    assert load_settings(plan=str(tmp_path / "plan.json")).plan is not None


def test_readme_example_loads():
    """The README's tracking-plan example is a valid plan with the modes it describes."""
    from pathlib import Path

    import yaml

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    section = readme.split("## Tracking plans", 1)[1]
    example = section.split("```yaml\n", 1)[1].split("```", 1)[0]
    plan = load_plan(yaml.safe_load(example))
    assert (plan.unplanned_events, plan.unplanned_properties) == ("warn", "drop")
    assert plan.events["memory_created"].properties["tags"].violation(["work", "gym"])
