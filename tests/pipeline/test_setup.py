"""The worker's setup (tenantry.pipeline.setup): the first-run notice only for destinations the
registry says send off the machine, a destination that cannot be built counted while the others
work, and what a full memory budget does when TELEMETRY_WHEN_FULL is not set."""

from __future__ import annotations

import pytest

from tenantry._installation import NOTICE_FILE
from tenantry.config import DESTINATION_KINDS, load_settings
from tenantry.counters import Counters
from tenantry.pipeline.setup import prepare, when_full_for
from tenantry.testing import InMemoryDestination


def built(settings, destinations):
    counters = Counters()
    _, _, out = prepare(settings, counters, destinations=destinations, profile_lookup=None)
    for d in out:
        d.shutdown(1.0)
    return out, counters


class TestNotice:
    @pytest.mark.parametrize("name", ["posthog", "jsonl", "local", "none"])
    def test_the_notice_follows_the_registry(self, name, tmp_path):
        """Opensource shows the notice (and leaves its marker) for a destination registered as
        off the machine, and for no other."""
        settings = load_settings(
            data_dir=tmp_path, posthog_api_key="k", jsonl_path=tmp_path / "e.jsonl"
        )
        built(settings, [name])
        assert (tmp_path / NOTICE_FILE).exists() == DESTINATION_KINDS[name].off_machine

    def test_an_instance_outside_the_registry_shows_no_notice(self, tmp_path):
        """The tests' in-memory destination is not a registered name: no notice."""
        built(load_settings(data_dir=tmp_path), [InMemoryDestination()])
        assert not (tmp_path / NOTICE_FILE).exists()


class TestDestinations:
    def test_one_that_cannot_be_built_is_counted_and_the_others_work(self, tmp_path):
        """relay without TELEMETRY_RELAY_URL cannot be built: counted destination_errors:relay,
        and the in-memory destination beside it is built."""
        memory = InMemoryDestination()
        out, counters = built(load_settings(data_dir=tmp_path), ["relay", memory])
        assert out == [memory]
        assert counters.get("destination_errors:relay") == 1


class TestWhenFull:
    def test_overflow_when_the_data_dir_is_writable_else_drop(self, tmp_path):
        """Unset TELEMETRY_WHEN_FULL is overflow with a writable data dir and drop with one
        that cannot be created (under a file); a value set is kept as it is."""
        assert when_full_for(load_settings(data_dir=tmp_path / "data")) == "overflow"
        (tmp_path / "file").write_text("x")
        assert when_full_for(load_settings(data_dir=tmp_path / "file" / "data")) == "drop"
        assert when_full_for(load_settings(data_dir=tmp_path, when_full="block")) == "block"
