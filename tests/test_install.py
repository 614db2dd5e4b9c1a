"""The core install, as a new user gets it: `pip install tenantry` into a fresh venv, no extras.

The venv is built once per module from a wheel of this checkout, with the pins of
constraints.txt, and every check runs in that venv's own interpreter or console script.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import orjson
import pytest

from tests._venvs import build_wheel, installed, new_venv

ROOT = Path(__file__).resolve().parent.parent
MAX_DISTRIBUTIONS = 8
HEAVY = {
    "fastapi",
    "starlette",
    "uvicorn",
    "sqlalchemy",
    "alembic",
    "psycopg",
    "psycopg-binary",
    "duckdb",
    "pyarrow",
    "clickhouse-driver",
    "plotly",
    "pydantic",
    "pydantic-settings",
    "httpx",
    "typer",
    "rich",
    "redis",
    "argon2-cffi",
    "jinja2",
}
PACKAGING = {"pip", "setuptools", "wheel"}

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def core_venv(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("core-install")
    wheel = build_wheel(base / "wheel")
    new_venv(base / "venv", "-c", str(ROOT / "constraints.txt"), str(wheel), timeout=300)
    return base / "venv"


def run(env_dir: Path, *args: str, cwd: Path, env: dict | None = None, stdin: str | None = None):
    base_env = {"PATH": f"{env_dir / 'bin'}:/usr/bin:/bin", "HOME": str(cwd)}
    return subprocess.run(
        list(args),
        cwd=cwd,
        env={**base_env, **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
        input=stdin,
    )


def test_at_most_eight_distributions_and_nothing_heavy(core_venv, tmp_path):
    """The core install is at most 8 distributions, tenantry included, and no web framework,
    ORM, database driver, columnar engine, plotting library or CLI framework."""
    names = set(installed(core_venv / "bin" / "python")) - PACKAGING
    print(f"core install: {len(names)} distributions: {sorted(names)}")
    assert "tenantry" in names
    assert len(names) <= MAX_DISTRIBUTIONS, sorted(names)
    assert not names & HEAVY, sorted(names & HEAVY)


def test_import_loads_only_the_core(core_venv, tmp_path):
    """`import tenantry` and a TelemetryService load nothing outside the stdlib, orjson and
    urllib3 (and urllib3 only once an HTTP destination is built)."""
    code = (
        "import sys, tenantry\n"
        "t = tenantry.TelemetryService(destinations=('none',)); t.shutdown(2)\n"
        "mods = {m.split('.')[0] for m in sys.modules} - set(sys.stdlib_module_names)\n"
        "print(sorted(mods))\n"
    )
    out = run(core_venv, "python", "-c", code, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    loaded = set(eval(out.stdout.strip()))  # noqa: S307 - our own printed list
    assert loaded <= {"tenantry", "orjson", "__main__", "_distutils_hack"}, loaded


@pytest.mark.parametrize("edition", ["cloud", "opensource"])
def test_both_editions_to_jsonl(core_venv, tmp_path, edition):
    """Both editions shape and write the contract's jsonl lines in the core install."""
    path = tmp_path / "events.jsonl"
    code = (
        "import tenantry\n"
        "t = tenantry.get_telemetry()\n"
        "t.track_sync('memory_created', {'type': 'text', 'email': 'alice@example.com'},"
        " user_id='usr_alice', developer_id='dev_a')\n"
        "assert t.flush(10), t.get_status()\n"
    )
    out = run(
        core_venv,
        "python",
        "-c",
        code,
        cwd=tmp_path,
        env={
            "TELEMETRY_EDITION": edition,
            "TELEMETRY_PROVIDER": "jsonl",
            "TELEMETRY_JSONL_PATH": str(path),
            "TENANTRY_DATA_DIR": str(tmp_path / "data"),
        },
    )
    assert out.returncode == 0, out.stderr
    [line] = path.read_text().splitlines()
    event = orjson.loads(line)
    assert event["event"] == "memory_created" and event["edition"] == edition
    if edition == "cloud":
        assert event["distinct_id"] == "dev_a"
        assert event["properties"]["end_user_id"] == "usr_alice"
    else:
        assert event["distinct_id"] not in ("dev_a", "usr_alice")
        assert "alice" not in line and "dev_a" not in line


def test_status_works(core_venv, tmp_path):
    """`tenantry status` (and --json) runs in the core install and names the edition's source."""
    out = run(
        core_venv,
        "tenantry",
        "status",
        "--json",
        cwd=tmp_path,
        env={"TELEMETRY_EDITION": "cloud", "TENANTRY_DATA_DIR": str(tmp_path / "d")},
    )
    assert out.returncode == 0, out.stderr
    doc = orjson.loads(out.stdout)
    assert doc["edition"] == "cloud"
    assert doc["sources"]["edition"]["source"] == "TELEMETRY_EDITION"
    human = run(core_venv, "tenantry", "status", cwd=tmp_path)
    assert human.returncode == 0 and "never collected" in human.stdout


def test_lint_works(core_venv, tmp_path):
    """`tenantry lint` runs in the core install (ast only): a finding line and exit 1."""
    app = tmp_path / "app.py"
    app.write_text(
        "from tenantry import get_telemetry\n"
        'get_telemetry().track_sync("e", {"email": e}, user_id=u)  # noqa: TNT003\n'
    )
    out = run(core_venv, "tenantry", "lint", str(app), cwd=tmp_path)
    assert out.returncode == 1, out.stderr
    assert out.stdout.startswith(f"{app}:2:1: TNT001 track_sync() without developer_id")
    assert len(out.stdout.splitlines()) == 1


@pytest.mark.parametrize(
    ("command", "extra"),
    [
        ("serve", "server"),
        ("demo", "server"),
        ("report", "store"),
        ("developers", "identity"),
        ("keys", "identity"),
        ("forget", "store"),
        ("migrate", "migrate"),
    ],
)
def test_command_needing_an_extra_says_which(core_venv, tmp_path, command, extra):
    """A command whose extra is missing fails with one line naming the extra to install."""
    out = run(core_venv, "tenantry", command, "--help", cwd=tmp_path)
    assert out.returncode != 0
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, out.stderr
    assert (
        f"tenantry {command} needs the {extra} extra: pip install 'tenantry[{extra}]'" in lines[0]
    )
    assert "Traceback" not in out.stderr


def test_default_local_provider_keeps_events_for_the_store(core_venv, tmp_path):
    """With the default provider (local) and no store extra, events are kept on disk, a warning
    says once what to install, and the store (extra) later loads every one of them."""
    data = tmp_path / "data"
    code = (
        "import tenantry\n"
        "t = tenantry.get_telemetry()\n"
        "for i in range(50): t.track_sync('imported', {'n': i}, developer_id='dev_a')\n"
        "assert t.flush(10), t.get_status()\n"
    )
    out = run(core_venv, "python", "-c", code, cwd=tmp_path, env={"TENANTRY_DATA_DIR": str(data)})
    assert out.returncode == 0, out.stderr
    assert out.stderr.count("pip install 'tenantry[store]'") == 1, out.stderr
    pending = list((data / "events" / "pending").glob("*.jsonl"))
    assert pending and sum(len(p.read_text().splitlines()) for p in pending) == 50
    # this test process has the store extra: opening the store loads them
    from tenantry.config import load_settings
    from tenantry.store import open_store
    from tenantry.store.queries import run_query

    store = open_store(load_settings(data_dir=data))
    rows = run_query(store, "event-counts")["rows"]
    assert rows == [{"event": "imported", "count": 50}]
    assert not list((data / "events" / "pending").glob("*.jsonl"))
