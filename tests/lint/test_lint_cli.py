"""`tenantry lint` on the command line: ruff-style lines, JSON, exit codes, --ignore. It is part
of the core install (argparse and ast only), so these run in the core-only venvs too."""

from __future__ import annotations

import orjson

from tenantry.cli import main

APP = """\
from tenantry import get_telemetry

telemetry = get_telemetry()


async def handler(end_user_id, developer_id):
    telemetry.track("memory_created", {"user_email": "a@b.c"}, user_id=end_user_id)
"""


def test_findings_are_ruff_style_lines_and_exit_1(tmp_path, capsys):
    """Each finding is one `path:line:col: CODE message` line on stdout, in file and line
    order, and the exit status is 1; a clean tree exits 0 with no output."""
    (tmp_path / "pkg").mkdir()
    app = tmp_path / "pkg" / "app.py"
    app.write_text(APP)
    (tmp_path / "pkg" / "clean.py").write_text("print('hello')\n")
    assert main(["lint", str(tmp_path / "pkg")]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(": ")[0] + ": " + line.split(": ")[1][:6] for line in lines] == [
        f"{app}:7:5: TNT001",
        f"{app}:7:5: TNT005",
        f"{app}:7:40: TNT003",
    ]
    assert main(["lint", str(tmp_path / "pkg" / "clean.py")]) == 0
    assert capsys.readouterr().out == ""


def test_json_and_ignore(tmp_path, capsys):
    """--format json prints one JSON list of {path, line, col, code, message}; --ignore drops
    the rules it names."""
    app = tmp_path / "app.py"
    app.write_text(APP)
    assert main(["lint", "--format", "json", "--ignore", "TNT005,tnt003", str(app)]) == 1
    [finding] = orjson.loads(capsys.readouterr().out)
    assert finding == {
        "path": str(app),
        "line": 7,
        "col": 5,
        "code": "TNT001",
        "message": "track() without developer_id: pass the developer's ID (the API key's owner) "
        "as well as user_id",
    }


def test_usage_errors_are_one_line_and_exit_2(tmp_path, capsys):
    """A missing path or an unknown rule is one line on stderr and exit status 2."""
    assert main(["lint", str(tmp_path / "missing.py")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "missing.py" in err
    assert main(["lint", "--ignore", "TNT999", str(tmp_path)]) == 2
    assert capsys.readouterr().err.strip().startswith("error: unknown rule TNT999")


def test_unreadable_files_are_tnt000(tmp_path, capsys):
    """A file that is not UTF-8, or has telemetry in it and does not parse, is reported as TNT000,
    and the others are still checked."""
    (tmp_path / "latin1.py").write_bytes(b"x = '\xe9'\n")
    (tmp_path / "broken.py").write_text("telemetry.track_sync(\n")
    (tmp_path / "app.py").write_text(APP)
    assert main(["lint", str(tmp_path)]) == 1
    codes = [line.split(": ")[1][:6] for line in capsys.readouterr().out.splitlines()]
    assert codes == ["TNT001", "TNT005", "TNT003", "TNT000", "TNT000"]
