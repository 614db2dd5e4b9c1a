"""`tenantry migrate` on the command line: --diff, writing, failures listed, rules, exit codes."""

from __future__ import annotations

import shutil

from tenantry.cli import main
from tests.migrate.test_cases import CASES

GOOD = "posthog_module"


def _tree(tmp_path):
    (tmp_path / "pkg").mkdir()
    shutil.copy(CASES / f"{GOOD}.before", tmp_path / "pkg" / "billing.py")
    (tmp_path / "pkg" / "broken.py").write_text("import posthog\nposthog.capture(\n")
    (tmp_path / "pkg" / "plain.py").write_text("def add(a, b):\n    return a + b\n")
    return tmp_path / "pkg"


def test_diff_changes_nothing_and_exits_1_then_the_run_writes_and_a_second_diff_is_clean(
    tmp_path, capsys
):
    """--diff prints a unified diff on stdout, writes nothing and exits 1; the run then writes
    the expected module, lists the file that does not parse and goes on (exit 1); after it,
    --diff on the migrated file prints nothing and exits 0."""
    pkg = _tree(tmp_path)
    billing = pkg / "billing.py"
    before = billing.read_text()
    assert main(["migrate", "--diff", str(pkg)]) == 1
    out, err = capsys.readouterr()
    name = str(billing).lstrip("/")
    assert out.startswith(f"--- a/{name}\n+++ b/{name}\n")
    assert "+from tenantry import get_telemetry" in out and "-    posthog.identify(" in out
    assert billing.read_text() == before
    assert f"{pkg / 'broken.py'}: failed, left as it was: cannot parse" in err

    assert main(["migrate", str(pkg)]) == 1  # broken.py failed
    out, err = capsys.readouterr()
    assert out == ""
    assert billing.read_text() == (CASES / f"{GOOD}.after").read_text()
    assert (pkg / "broken.py").read_text() == "import posthog\nposthog.capture(\n"
    assert f"{billing}:34: TODO(tenantry) pass the developer's ID" in err
    assert f"{billing}:54: TM000 posthog alias() left as it was: no tenantry equivalent" in err
    assert err.strip().endswith("1 failed (3 files read)")

    assert main(["migrate", "--diff", str(billing)]) == 0
    out, err = capsys.readouterr()
    assert out == "" and "0 files would change" in err


def test_disable_and_usage_errors(tmp_path, capsys):
    """--disable TM003,TM004 leaves PostHog's calls; an unknown rule or a missing path is one
    line on stderr and exit 2."""
    pkg = _tree(tmp_path)
    (pkg / "broken.py").unlink()
    assert main(["migrate", "--disable", "TM003,TM004", "--disable", "TM008", str(pkg)]) == 0
    migrated = (pkg / "billing.py").read_text()
    assert "posthog.capture(" in migrated and "posthog.identify(" in migrated
    assert "tenantry migrate:" not in migrated
    capsys.readouterr()
    assert main(["migrate", "--disable", "TM042", str(pkg)]) == 2
    err = capsys.readouterr().err.strip()
    assert err == "error: unknown rule TM042; rules: " + ", ".join(f"TM00{i}" for i in range(1, 9))
    assert main(["migrate", str(tmp_path / "nowhere")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "nowhere" in err


def test_many_files_run_in_a_process_pool(tmp_path, capsys):
    """With more files than the pool threshold, the run uses worker processes and gives the
    same result for each file as a single migrate_source call."""
    from tenantry.lint import PARALLEL_FROM

    for i in range(PARALLEL_FROM):
        (tmp_path / f"m{i:03}.py").write_text(f"X = {i}\n")
    shutil.copy(CASES / "shop.before", tmp_path / "shop.py")
    assert main(["migrate", "--jobs", "2", str(tmp_path)]) == 0
    assert (tmp_path / "shop.py").read_text() == (CASES / "shop.after").read_text()
    assert (tmp_path / "m007.py").read_text() == "X = 7\n"
    assert f"({PARALLEL_FROM + 1} files read)" in capsys.readouterr().err


def test_a_byte_order_mark_is_kept(tmp_path, capsys):
    """A UTF-8 file with a byte order mark is migrated (the mark is not code) and written back
    with it, the vendor import it no longer uses gone; lint reads it the same way."""
    app = tmp_path / "app.py"
    app.write_bytes(b'\xef\xbb\xbfimport posthog\nposthog.capture("e", distinct_id=u)\n')
    assert main(["lint", str(app)]) == 1
    assert f"{app}:2:1: TNT004" in capsys.readouterr().out
    assert main(["migrate", "--disable", "TM008", str(app)]) == 0
    assert app.read_bytes() == (
        b"\xef\xbb\xbffrom tenantry import get_telemetry\n"  # posthog's import: unused now
        b'get_telemetry().track_sync("e", user_id=u, developer_id=None)'
        b"  # TODO(tenantry): pass the developer's ID (the API key's owner)\n"
    )
