"""tenantry[all] installs beside a host application's own, older pins, and the service works.

A fresh venv gets tests/host-app-pins.txt (a FastAPI/pydantic/SQLAlchemy/httpx/rich stack from
late 2024, the extras' lower bounds) plus a wheel of this checkout with every extra; pip must
resolve it without moving any pin, and the service's and the identity store's tests then pass
in that venv's interpreter (PostgreSQL included).
"""

from __future__ import annotations

import subprocess
import sys
import venv
from pathlib import Path

import pytest

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


def test_service_tests_pass_beside_older_host_pins(tmp_path):
    """pip resolves tenantry[all] with the host's pins unchanged; server and identity tests pass."""
    wheels = tmp_path / "wheel"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(wheels), str(ROOT)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    wheel = next(wheels.glob("tenantry-*.whl"))
    env_dir = tmp_path / "host"
    venv.create(env_dir, with_pip=True)
    python = str(env_dir / "bin" / "python")
    install = subprocess.run(
        [
            python,
            "-m",
            "pip",
            "install",
            "-q",
            "--disable-pip-version-check",
            "-r",
            str(PINS),
            f"{wheel}[all]",
            *TEST_TOOLS,
        ],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert install.returncode == 0, install.stderr[-3000:]
    listed = subprocess.run(
        [python, "-m", "pip", "list", "--format=freeze", "--disable-pip-version-check"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    installed = {
        n.lower(): v for n, v in (line.split("==") for line in listed.splitlines() if "==" in line)
    }
    for name, version in _pins().items():
        assert installed.get(name) == version, (
            f"{name}: pinned {version}, got {installed.get(name)}"
        )
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
            "tests/server",
            "tests/identity",
            # these two need the dev tools (schemathesis, playwright), not a host app's stack
            "--ignore=tests/server/test_openapi.py",
            "--ignore=tests/server/test_dashboard.py",
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
