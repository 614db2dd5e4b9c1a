"""The suppression list: forgotten IDs, shared by every process through one file."""

from __future__ import annotations

import time

import pytest

from tenantry.pipeline import suppression
from tenantry.pipeline.suppression import SuppressionList


class TestSuppressionList:
    def test_add_then_contains(self, tmp_path):
        """An added ID is contained at once; others and non-strings are not."""
        s = SuppressionList(tmp_path)
        s.add("usr_1")
        assert s.contains("usr_1") and "usr_1" in s
        assert not s.contains("usr_2") and not s.contains(None) and not s.contains(1)
        assert (tmp_path / suppression.FILENAME).stat().st_mode & 0o777 == 0o600

    def test_other_instance_sees_additions(self, tmp_path):
        """A second list on the same directory (another process) picks up the file change."""
        reader = SuppressionList(tmp_path)
        assert not reader.contains("dev_9")
        SuppressionList(tmp_path).add("dev_9")
        time.sleep(suppression.CHECK_INTERVAL + 0.02)
        assert reader.contains("dev_9") and len(reader) == 1

    def test_rejects_multiline_ids(self, tmp_path):
        """An ID with a newline cannot corrupt the one-ID-a-line file."""
        with pytest.raises(ValueError):
            SuppressionList(tmp_path).add("a\nb")
