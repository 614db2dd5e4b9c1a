"""Fresh venvs for the install tests: a wheel of this checkout, pip, and what got installed."""

from __future__ import annotations

import re
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def build_wheel(dest: Path) -> Path:
    """A wheel of this checkout (what `pip install tenantry` installs), built into ``dest``."""
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(dest), str(ROOT)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    return next(dest.glob("tenantry-*.whl"))


def new_venv(path: Path, *requirements: str, timeout: float = 900) -> tuple[Path, str]:
    """A new venv at ``path`` with ``requirements`` pip-installed; (its python, pip's stderr).
    Raises AssertionError with pip's message when the install fails."""
    venv.create(path, with_pip=True)
    python = path / "bin" / "python"
    out = subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", *requirements],
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    return python, out.stderr


def installed(python: Path) -> dict[str, str]:
    """``{distribution name (normalised as PEP 503 does: lower case, runs of ``-_.`` as one
    ``-``): version}`` in the venv of ``python``."""
    listed = subprocess.run(
        [str(python), "-m", "pip", "list", "--format=freeze", "--disable-pip-version-check"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return {
        re.sub(r"[-_.]+", "-", n).lower(): v
        for n, v in (line.split("==", 1) for line in listed.splitlines() if "==" in line)
    }
