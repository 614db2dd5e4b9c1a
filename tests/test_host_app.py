"""tenantry[all] installs beside a host application's own, older pins, and the service works.

A fresh venv gets tests/host-app-pins.txt (a FastAPI/pydantic/SQLAlchemy/httpx/rich stack from
late 2024, the extras' lower bounds) plus a wheel of this checkout with every extra; pip must
resolve it without moving any pin, and the service's and the identity store's tests then pass
in that venv's interpreter (PostgreSQL included).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests._venvs import build_wheel, installed, new_venv

ROOT = Path(__file__).resolve().parent.parent
PINS = ROOT / "tests" / "host-app-pins.txt"
TEST_TOOLS = ["pytest", "pytest-asyncio", "pytest-timeout", "hypothesis", "psutil"]

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]


def _pins() -> dict[str, str]:
    pins = {}
    for line in PINS.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, version = line.split("==")
            pins[name.split("[")[0].lower()] = version
    return pins


SERVER_TESTS = ("test_api", "test_app", "test_analytics", "test_memories", "test_relay",
                "test_sessions", "test_usage", "test_limits", "test_slow_clients")  # fmt: skip
IDENTITY_TESTS = ("test_store", "test_sessions", "test_web", "test_enrichment",
                  "test_tracking_e2e")  # fmt: skip


def test_service_tests_pass_beside_older_host_pins(tmp_path):
    """pip resolves tenantry[all] with the host's pins unchanged; server and identity tests pass."""
    wheel = build_wheel(tmp_path / "wheel")
    python, _ = new_venv(tmp_path / "host", "-r", str(PINS), f"{wheel}[all]", *TEST_TOOLS)
    python = str(python)
    versions = installed(python)
    for name, version in _pins().items():
        assert versions.get(name) == version, f"{name}: pinned {version}, got {versions.get(name)}"
    assert subprocess.run([python, "-m", "pip", "check"], capture_output=True).returncode == 0
    tests = subprocess.run(
        [
            python,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-o",
            "addopts=",
            # what touches the host's stack: FastAPI/pydantic routes and models, SQLAlchemy
            # and Alembic, httpx, uvicorn's protocol classes (connection caps and timeouts);
            # the attack and throttling tests add tenantry's own logic only, run in the suite
            *[f"tests/server/{name}.py" for name in SERVER_TESTS],
            *[f"tests/identity/{name}.py" for name in IDENTITY_TESTS],
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=1200,
    )
    summary = (
        tests.stdout.strip().splitlines()[-1] if tests.stdout.strip() else tests.stderr[-2000:]
    )
    print(f"host-app venv: {summary}")
    assert tests.returncode == 0, tests.stdout[-5000:]
