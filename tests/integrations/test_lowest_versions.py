"""The integration tests pass on the lowest framework versions tenantry supports: Django 4.2,
Flask 2.3 (Werkzeug 2.3), Celery 5.3 (kombu 5.3), in a venv of their own built once per test
session, beside no extra of tenantry's (the integrations need only the core)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests._venvs import installed, new_venv

ROOT = Path(__file__).resolve().parents[2]
LOWEST = {"django": "4.2", "flask": "2.3", "werkzeug": "2.3", "celery": "5.3", "kombu": "5.3"}
TOOLS = ["pytest", "pytest-timeout", "uvicorn", "redis==5.*"]
CORE = ["orjson", "urllib3"]  # tenantry's own dependencies: tenantry itself comes from src/

pytestmark = pytest.mark.timeout(900)


def test_integrations_pass_on_the_lowest_versions(tmp_path_factory):
    """Every test in tests/integrations passes in a venv with the lowest supported Django,
    Flask and Celery (and nothing is skipped)."""
    root = tmp_path_factory.mktemp("lowest")
    python, _ = new_venv(
        root / "venv",
        "--no-compile",  # Django alone is ~2,700 modules: compile only what the tests import
        *(f"{name}=={v}.*" for name, v in LOWEST.items()),
        *TOOLS,
        *CORE,
    )
    versions = installed(python)
    for name, series in LOWEST.items():
        assert versions[name].startswith(series + "."), f"{name} {versions[name]}"
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    run = subprocess.run(
        [
            str(python),
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-o",
            "addopts=--strict-markers",
            "-W",
            "ignore::pytest.PytestConfigWarning",  # pytest-asyncio's options: not needed here
            "tests/integrations",
            "--ignore=tests/integrations/test_lowest_versions.py",
            "--basetemp",
            str(root / "tmp"),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    summary = run.stdout.strip().splitlines()[-1] if run.stdout.strip() else run.stderr[-2000:]
    print(f"lowest versions ({', '.join(f'{n} {versions[n]}' for n in LOWEST)}): {summary}")
    assert run.returncode == 0, run.stdout[-5000:] + run.stderr[-2000:]
    assert " passed" in summary and "skipped" not in summary and "failed" not in summary
