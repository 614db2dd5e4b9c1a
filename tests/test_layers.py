"""The import-linter contracts in pyproject.toml hold on the tree, and break on a wrong import."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"
CONTRACTS = {
    c["id"]: c["name"]
    for c in tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"][
        "contracts"
    ]
}


def lint_imports(cwd: Path, pythonpath: Path | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": "200"}  # no wrapped lines in the report
    if pythonpath is not None:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(pythonpath), env.get("PYTHONPATH")]))
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_tree_keeps_every_contract():
    """lint-imports passes on the tree as it is (the same check scripts/test.sh runs first)."""
    run = lint_imports(ROOT)
    assert run.returncode == 0, run.stdout + run.stderr
    for name in CONTRACTS.values():
        assert f"{name} KEPT" in run.stdout


@pytest.mark.parametrize(
    ("module", "wrong_import", "contract", "reported"),
    [
        (
            "policy/processors.py",
            "import tenantry.server.app",
            "layers",
            "tenantry.policy.processors -> tenantry.server.app",
        ),
        (
            "policy/processors.py",
            "import fastapi",
            "core-third-party",
            "tenantry.policy.processors -> fastapi",
        ),
        ("events.py", "import tenantry.pipeline", "layers", "tenantry.events -> tenantry.pipeline"),
        (
            "policy/pii.py",
            "from tenantry.policy import privacy",
            "policy-layers",
            "tenantry.policy.pii -> tenantry.policy.privacy",
        ),
        (
            "policy/words.py",
            "import tenantry.counters",
            "policy-leaves",
            "tenantry.policy.words -> tenantry.counters",
        ),
    ],
)
def test_a_wrong_import_breaks_its_contract(tmp_path, module, wrong_import, contract, reported):
    """A copy of the package with one wrong import fails lint-imports, naming contract and import."""
    shutil.copytree(ROOT / "src" / "tenantry", tmp_path / "tenantry")
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    with (tmp_path / "tenantry" / module).open("a") as f:
        f.write(f"\n{wrong_import}  # deliberately wrong\n")
    run = lint_imports(tmp_path, pythonpath=tmp_path)
    print(run.stdout)  # what a broken contract looks like (`pytest -s` shows it)
    assert run.returncode != 0
    assert f"{CONTRACTS[contract]} BROKEN" in run.stdout
    assert reported in run.stdout
