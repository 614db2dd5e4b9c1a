"""Root fixtures. Server fixtures live in tests/fixtures/ and are loaded as plugins."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tenantry.config import ENV_NAMES

_ROOT = Path(__file__).resolve().parent.parent
pytest_plugins = [
    "tests.fixtures.postgres",
    "tests.fixtures.clickhouse",
    "tests.fixtures.servers",
    "tests.fixtures.redis",
]

# The tests that need only the core install (`pip install tenantry` plus the `test` extra).
# scripts/test-core.sh runs exactly these, on each supported Python and at the lowest versions
# pyproject.toml admits (TENANTRY_CORE_ONLY=1 makes pytest collect nothing else).
CORE_PATHS = (
    "tests/policy",
    "tests/pipeline/test_sender.py",
    "tests/pipeline/test_inline.py",
    "tests/pipeline/test_spool.py",
    "tests/pipeline/test_worker.py",
    "tests/pipeline/test_shaping.py",
    "tests/pipeline/test_backlog.py",
    "tests/pipeline/test_intake.py",
    "tests/pipeline/test_suppression.py",
    "tests/test_retry.py",
    "tests/destinations/test_amplitude.py",
    "tests/destinations/test_posthog.py",
    "tests/destinations/test_relay.py",
    "tests/destinations/test_jsonl.py",
    "tests/destinations/test_conformance.py",
    "tests/destinations/test_http.py",
    "tests/destinations/test_sdk_parity.py",
    "tests/cli/test_status_cli.py",
    "tests/lint/test_rules.py",
    "tests/lint/test_lint_cli.py",
    "tests/test_api.py",
    "tests/test_config.py",
    "tests/test_service.py",
    "tests/test_testing.py",
    "tests/integrations/test_wsgi.py",  # the WSGI middleware needs nothing beyond the core
)


def pytest_ignore_collect(collection_path, config):  # noqa: ARG001 - pytest's signature
    """With TENANTRY_CORE_ONLY=1, collect only CORE_PATHS (and the directories leading to them)."""
    if os.environ.get("TENANTRY_CORE_ONLY") != "1":
        return None
    rel = collection_path.resolve().relative_to(_ROOT).as_posix()
    if any(rel == p or rel.startswith(p + "/") or p.startswith(rel + "/") for p in CORE_PATHS):
        return None
    return True


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch, tmp_path, tmp_path_factory):
    """Every test starts from a clean tenantry environment with its own data dir, and in a
    working directory of its own: ``Settings()`` reads no environment, so its default data dir
    (``./.tenantry``: the secret, the notice marker) lands there, never in the checkout."""
    for name in ENV_NAMES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TENANTRY_DATA_DIR", str(tmp_path / "tenantry-data"))
    monkeypatch.chdir(tmp_path_factory.mktemp("cwd"))
    yield
