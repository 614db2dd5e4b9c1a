"""Configuration: argument beats environment beats default; bad values name the variable."""

from __future__ import annotations

import ast
import dataclasses
import ipaddress
import os
import re
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from tenantry import TelemetryService
from tenantry.config import ENV_NAMES, OPTIONS, Settings, env_table_markdown, load_settings
from tenantry.errors import ConfigError

ROOT = Path(__file__).resolve().parent.parent


class TestSettings:
    def test_defaults(self):
        """With no environment, the contract's defaults apply."""
        s = load_settings()
        assert s.edition == "opensource" and s.destinations == ("local",) and s.active

    def test_seed_names_are_read(self, monkeypatch):
        """PAPR_EDITION and PAPR_TELEMETRY_URL, the seed guide's names, still work."""
        monkeypatch.setenv("PAPR_EDITION", "cloud")
        monkeypatch.setenv("PAPR_TELEMETRY_URL", "http://127.0.0.1:1")
        s = load_settings()
        assert s.edition == "cloud" and s.relay_url == "http://127.0.0.1:1"

    def test_argument_beats_environment(self, monkeypatch):
        """An explicit argument wins over TELEMETRY_EDITION."""
        monkeypatch.setenv("TELEMETRY_EDITION", "cloud")
        assert load_settings(edition="opensource").edition == "opensource"
        assert load_settings().edition == "cloud"

    @pytest.mark.parametrize(
        ("var", "value"),
        [
            ("TELEMETRY_EDITION", "enterprise"),
            ("TELEMETRY_PROVIDER", "amplitude,kafka"),
            ("TELEMETRY_RETENTION_DAYS", "-3"),
            ("TELEMETRY_QUEUE_SIZE", "lots"),
        ],
    )
    def test_bad_value_names_the_variable(self, monkeypatch, var, value):
        """A bad value fails at start-up with a ConfigError naming the variable."""
        monkeypatch.setenv(var, value)
        with pytest.raises(ConfigError, match=var):
            load_settings()

    @pytest.mark.parametrize(
        ("var", "value"),
        [
            ("TELEMETRY_ENABLED", "false"),
            ("TELEMETRY_ENABLED", "0"),
            ("TELEMETRY_ENABLED", "no"),
            ("DO_NOT_TRACK", "1"),
        ],
    )
    def test_opt_out(self, monkeypatch, var, value):
        """TELEMETRY_ENABLED=false/0/no and DO_NOT_TRACK=1 turn everything off."""
        monkeypatch.setenv(var, value)
        assert not load_settings().active

    def test_settings_default_data_dir_is_the_tests_own(self):
        """Settings() reads no environment, so its data dir is ./.tenantry: the clean-environment
        fixture gives each test a working directory of its own, and the secret a service makes
        from Settings() lands there, never in the checkout."""
        assert Path.cwd().resolve() != ROOT.resolve()
        svc = TelemetryService(Settings(destinations=("none",)))
        assert svc.flush(5.0)
        svc.shutdown(5.0)
        assert (Path.cwd() / ".tenantry" / "secret").stat().st_size == 32

    def test_trusted_proxies_are_parsed_once_into_networks(self, monkeypatch):
        """TENANTRY_TRUSTED_PROXIES becomes ipaddress networks in config (the server uses them
        as they are); a bad entry fails at start-up naming the variable."""
        monkeypatch.setenv("TENANTRY_TRUSTED_PROXIES", "10.0.0.1, 192.168.0.0/16")
        nets = load_settings().trusted_proxies
        assert nets == (ipaddress.ip_network("10.0.0.1"), ipaddress.ip_network("192.168.0.0/16"))
        assert load_settings().replace(trusted_proxies=nets).trusted_proxies == nets
        monkeypatch.setenv("TENANTRY_TRUSTED_PROXIES", "10.0.0.1, nope")
        with pytest.raises(ConfigError, match="^TENANTRY_TRUSTED_PROXIES: 'nope'"):
            load_settings()

    def test_provider_list(self, monkeypatch):
        """TELEMETRY_PROVIDER is a comma-separated list."""
        monkeypatch.setenv("TELEMETRY_PROVIDER", " amplitude , jsonl ")
        assert load_settings().destinations == ("amplitude", "jsonl")


# -- issue 14: only tenantry's own, documented names ----------------------------------------------

HOST_APP_NAMES = [
    "DATABASE_URL",
    "REDIS_URL",
    "DEBUG",
    "SECRET",
    "SECRET_KEY",
    "EDITION",
    "ENABLED",
    "PROVIDER",
    "PROVIDERS",
    "DATA_DIR",
    "ADMIN_TOKEN",
    "API_KEY",
    "HOST",
    "PORT",
    "URL",
    "CLICKHOUSE_URL",
    "RELAY_URL",
    "JSONL_PATH",
    "DURABLE",
    "RETENTION_DAYS",
    "QUEUE_SIZE",
    "STATUS_INTERVAL",
    "MIN_GROUP_SIZE",
    "SPOOL_MAX_BYTES",
    "TRUSTED_PROXIES",
    "ENV",
    "ENVIRONMENT",
    "LOG_LEVEL",
    "SERVER_URL",
    "AMPLITUDE_KEY",
    "POSTHOG_KEY",
    "database_url",
    "redis_url",
    "debug",
    "secret",
    "edition",
    "enabled",
    "providers",
    "data_dir",
    "admin_token",
    "api_key",
    "host",
    "durable",
    "amplitude_api_key",
    "posthog_host",
    "telemetry_edition",
    "Telemetry_Edition",
    "tenantry_data_dir",
    "telemetry_provider",
    "do_not_track",
    "Do_Not_Track",
    "telemetry_debug",
]
HOST_APP_VALUES = {
    "DATABASE_URL": "postgresql://app:pw@db/app",
    "REDIS_URL": "redis://cache:6379/0",
    "EDITION": "cloud",
    "edition": "cloud",
    "telemetry_edition": "cloud",
    "Telemetry_Edition": "cloud",
    "PROVIDER": "amplitude",
    "PROVIDERS": "amplitude,posthog",
    "providers": "posthog",
    "telemetry_provider": "posthog",
    "ENABLED": "false",
    "enabled": "0",
    "do_not_track": "1",
    "Do_Not_Track": "1",
    "DATA_DIR": "/srv/app",
    "data_dir": "/srv/app",
    "tenantry_data_dir": "/srv/app",
    "RETENTION_DAYS": "7",
    "QUEUE_SIZE": "3",
    "STATUS_INTERVAL": "0.1",
    "MIN_GROUP_SIZE": "1",
    "SPOOL_MAX_BYTES": "10",
    "HOST": "https://us.posthog.com",
    "posthog_host": "https://x.example",
}


class TestOnlyOwnNames:
    def test_generic_host_app_names_leave_the_defaults(self, monkeypatch):
        """A few dozen names a host app might carry (any case) leave every setting at its default."""
        for name in HOST_APP_NAMES:
            monkeypatch.setenv(name, HOST_APP_VALUES.get(name, "1"))
        monkeypatch.delenv("TENANTRY_DATA_DIR")
        settings = load_settings()
        assert settings == Settings()
        assert all(source == "default" for source in settings.sources.values())

    def test_names_are_case_sensitive(self, monkeypatch):
        """Only TELEMETRY_EDITION as the README writes it sets the edition."""
        monkeypatch.setenv("Telemetry_Edition", "cloud")
        assert load_settings().edition == "opensource"
        monkeypatch.setenv("TELEMETRY_EDITION", "cloud")
        assert load_settings().edition == "cloud"

    def test_source_of_each_value(self, monkeypatch):
        """sources says whether a value came from an argument, which variable, or the default."""
        monkeypatch.setenv("PAPR_EDITION", "cloud")
        s = load_settings(destinations=("jsonl",))
        assert s.source("edition") == "PAPR_EDITION"
        assert s.source("destinations") == "argument"
        assert s.source("data_dir") == "TENANTRY_DATA_DIR"
        assert s.source("debug") == "default"

    def test_status_shows_where_values_came_from(self, monkeypatch):
        """get_status() reports edition, providers and data dir with their sources."""
        monkeypatch.setenv("TELEMETRY_EDITION", "cloud")
        svc = TelemetryService(destinations=("none",))
        try:
            sources = svc.get_status()["sources"]
        finally:
            svc.shutdown(timeout=2)
        assert sources["edition"] == {"value": "cloud", "source": "TELEMETRY_EDITION"}
        assert sources["destinations"] == {"value": ["none"], "source": "argument"}
        assert sources["data_dir"]["source"] == "TENANTRY_DATA_DIR"

    def test_settings_and_overrides_together_raise(self):
        """TelemetryService(settings, edition=...) raises TypeError instead of ignoring one."""
        with pytest.raises(TypeError, match="not both"):
            TelemetryService(Settings(destinations=("none",)), edition="cloud")

    def test_unknown_override_raises(self):
        """A misspelt keyword setting is a TypeError, not silently ignored."""
        with pytest.raises(TypeError, match="editon"):
            load_settings(editon="cloud")

    def test_secrets_are_not_shown(self, monkeypatch):
        """repr() and describe() never show a secret's value."""
        monkeypatch.setenv("TELEMETRY_SECRET", "hunter2-hunter2")
        s = load_settings(admin_token="t0ps3cret")
        assert "hunter2" not in repr(s) and "t0ps3cret" not in repr(s)
        assert s.describe("secret", "admin_token")["secret"]["value"] == "(set)"


class TestDocumentedNames:
    def test_readme_table_is_the_code_table(self):
        """The README's configuration table is exactly the one generated from config.OPTIONS."""
        readme = (ROOT / "README.md").read_text()
        start = readme.index("<!-- config-table -->") + len("<!-- config-table -->")
        end = readme.index("<!-- /config-table -->")
        assert readme[start:end].strip() == env_table_markdown()

    def test_contract_names_are_all_read(self):
        """Every variable in CONTRACT.md's environment table is one the code reads."""
        contract = ROOT.parent / "shared" / "CONTRACT.md"
        if not contract.exists():  # CI lays shared/ beside the clone; a bare clone has the README
            contract = ROOT / "README.md"
        text = contract.read_text().split("## Environment", 1)[-1].split("\n## ", 1)[0]
        names = set(re.findall(r"`([A-Z][A-Z0-9_]{3,})`", text))
        assert names and names <= set(ENV_NAMES), sorted(names - set(ENV_NAMES))

    def test_settings_fields_are_the_options(self):
        """Settings has one field per config.OPTIONS entry, in the same order, with the
        entry's default: a default changed in one place and not the other fails here."""
        fields = [f for f in dataclasses.fields(Settings) if f.name != "sources"]
        assert [f.name for f in fields] == [opt.field for opt in OPTIONS]
        for f, opt in zip(fields, OPTIONS, strict=True):
            assert f.default == opt.default, f.name
        assert Settings() == load_settings({})  # and both give the same settings

    def test_each_variable_name_is_written_once_in_code(self):
        """Outside config.py no string in src/ (docstrings aside) spells a variable's name:
        messages take it from config (env_name, config_error)."""
        pattern = re.compile(
            r"\b(" + "|".join(sorted(map(re.escape, ENV_NAMES), key=len, reverse=True)) + r")\b"
        )
        found = []
        for path in sorted((ROOT / "src" / "tenantry").rglob("*.py")):
            if path == ROOT / "src" / "tenantry" / "config.py":
                continue
            tree = ast.parse(path.read_text())
            docstrings = {
                id(node.body[0].value)
                for node in ast.walk(tree)
                if isinstance(
                    node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)
                )
                and node.body
                and isinstance(node.body[0], ast.Expr)
                and isinstance(node.body[0].value, ast.Constant)
            }
            for node in ast.walk(tree):
                if (
                    isinstance(node, ast.Constant)
                    and isinstance(node.value, str)
                    and id(node) not in docstrings
                    and pattern.search(node.value)
                ):
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
        assert not found

    def test_code_reads_no_undocumented_name_statically(self):
        """No module under src/ reads an environment variable by a name outside the table."""
        read = set()
        for path in (ROOT / "src" / "tenantry").rglob("*.py"):
            tree = ast.parse(path.read_text())
            for node in ast.walk(tree):
                if isinstance(node, ast.Call) and _is_env_read(node.func) and node.args:
                    arg = node.args[0]
                    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                        read.add((arg.value, path.name))
                if (
                    isinstance(node, ast.Subscript)
                    and _is_environ(node.value)
                    and isinstance(node.slice, ast.Constant)
                ):
                    read.add((node.slice.value, path.name))
        undocumented = {(n, f) for n, f in read if n not in ENV_NAMES}
        assert not undocumented

    def test_code_reads_no_undocumented_name_at_runtime(self, tmp_path):
        """Running the library and `tenantry status` with a recording environ: every variable
        tenantry's own code looks up is in the table."""
        script = tmp_path / "probe.py"
        script.write_text(PROBE)
        out = subprocess.run(
            [sys.executable, str(script)],
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, "TENANTRY_DATA_DIR": str(tmp_path / "d")},
        )
        assert out.returncode == 0, out.stderr
        looked_up = set(orjson.loads(out.stdout.splitlines()[-1]))
        assert looked_up, "the probe recorded nothing"
        assert looked_up <= set(ENV_NAMES), sorted(looked_up - set(ENV_NAMES))
        assert "TELEMETRY_EDITION" in looked_up


def _is_environ(node) -> bool:
    """``os.environ`` (not a WSGI ``environ``, which ``tenantry.wsgi`` reads by CGI names)."""
    return (
        isinstance(node, ast.Attribute)
        and node.attr == "environ"
        and isinstance(node.value, ast.Name)
        and node.value.id == "os"
    )


def _is_env_read(func) -> bool:
    if isinstance(func, ast.Attribute) and func.attr == "getenv":
        return True
    return (
        isinstance(func, ast.Attribute) and func.attr in ("get", "pop") and _is_environ(func.value)
    )


PROBE = r"""
import os, sys, traceback, orjson
looked = set()
class Recording(type(os.environ)):
    def _note(self, key):
        frame = sys._getframe(2)
        while frame is not None:
            name = frame.f_globals.get("__name__", "")
            if name.startswith("tenantry"):
                looked.add(key); return
            if name.startswith(("os", "importlib", "_collections_abc", "collections", "typing")) or not name:
                frame = frame.f_back; continue
            return
    def __getitem__(self, key):
        self._note(key); return super().__getitem__(key)
    def __contains__(self, key):
        self._note(key); return super().__contains__(key)
env = os.environ
os.environ = Recording(env._data, env.encodekey, env.decodekey, env.encodevalue, env.decodevalue)
import tenantry
from tenantry.cli import main
t = tenantry.TelemetryService(destinations=("jsonl",))
t.track_sync("probe", {"n": 1}, developer_id="dev_1")
t.flush(5); t.shutdown(5)
c = tenantry.TelemetryService(edition="cloud", destinations=("none",))
c.track_sync("probe", {"n": 1}, developer_id="dev_1"); c.shutdown(5)
import io, contextlib
with contextlib.redirect_stdout(io.StringIO()):
    main(["status", "--json"])
print(orjson.dumps(sorted(looked)).decode())
"""
