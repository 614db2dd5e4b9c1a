"""Configuration: argument beats environment beats default; bad values name the variable."""

from __future__ import annotations

import pytest

from tenantry.config import load_settings
from tenantry.errors import ConfigError


class TestSettings:
    def test_defaults(self):
        """With no environment, the contract's defaults apply."""
        s = load_settings()
        assert s.edition == "opensource" and s.providers == ("local",) and s.active

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

    def test_provider_list(self, monkeypatch):
        """TELEMETRY_PROVIDER is a comma-separated list."""
        monkeypatch.setenv("TELEMETRY_PROVIDER", " amplitude , jsonl ")
        assert load_settings().providers == ("amplitude", "jsonl")
