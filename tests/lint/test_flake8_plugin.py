"""`tenantry lint` as a flake8 plugin: the `flake8.extension` entry point `TNT` (how projects
that run flake8, or ruff with `lint.external = ["TNT"]`, get the rules)."""

from __future__ import annotations

import subprocess
import sys

from tests.lint.test_lint_cli import APP


def test_flake8_runs_the_rules_and_honours_noqa(tmp_path):
    """`flake8 --select TNT` reports the same findings as `tenantry lint` through the installed
    entry point, and flake8's own `# noqa: TNT003` handling silences that one."""
    app = tmp_path / "app.py"
    app.write_text(
        APP
        + '    telemetry.track_sync("e", {"email": e}, developer_id=developer_id)  # noqa: TNT003\n'
    )
    run = subprocess.run(
        [sys.executable, "-m", "flake8", "--select", "TNT", str(app)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 1, run.stderr
    found = sorted(
        line.split(": ", 1)[1][:6] + "@" + line.split(":")[1] for line in run.stdout.splitlines()
    )
    assert found == ["TNT001@7", "TNT003@7", "TNT005@7"]
