"""The seed guide's examples and summary table, as shaped by the policy chains."""

from __future__ import annotations

import hashlib
import hmac
import platform
import sys

import orjson

from tenantry import __version__
from tenantry.policy import shape
from tests.fixtures.seed_guide import RESULT_IN_AMPLITUDE
from tests.policy.conftest import ANON, SECRET, make_draft

CONTEXT = {
    "edition": "opensource",
    "os": platform.system(),
    "arch": platform.machine(),
    "version": __version__,
    "python_version": f"{sys.version_info.major}.{sys.version_info.minor}",
}


def pseudonym(identifier: str) -> str:
    return "anon_" + hmac.new(SECRET, identifier.encode(), hashlib.sha256).hexdigest()[:32]


class TestExample1:
    def test_result_in_amplitude(self, cloud):
        """Cloud: Example 1 gives exactly the guide's Amplitude user ID and properties."""
        event = shape(cloud, make_draft())
        assert event.event == "memory_created"
        assert event.distinct_id == "dev_abc123"
        assert event.properties == RESULT_IN_AMPLITUDE
        assert (event.developer_id, event.end_user_id) == ("dev_abc123", "user_1234")

    def test_result_in_posthog(self, oss):
        """Opensource: Example 1 gives a keyed pseudonym and anonymous properties only."""
        event = shape(oss, make_draft())
        assert event.distinct_id == pseudonym("user_1234")
        assert event.properties == {"type": "text", "has_metadata": True, **CONTEXT}
        assert event.developer_id is None and event.end_user_id is None
        wire = orjson.dumps(event.to_record())
        assert b"user_1234" not in wire and b"dev_abc123" not in wire


class TestSummaryTable:
    def test_cloud_api_key(self, cloud):
        """Cloud, API key: developer_id primary, end_user_id in properties."""
        event = shape(cloud, make_draft(user_id="usr_alice", developer_id="dev_a"))
        assert event.distinct_id == "dev_a" and event.properties["end_user_id"] == "usr_alice"

    def test_cloud_session_token(self, cloud):
        """Cloud, session token: the same ID for both, developer_id == end_user_id."""
        event = shape(cloud, make_draft(user_id="usr_dev1", developer_id="usr_dev1"))
        assert event.distinct_id == "usr_dev1"
        assert event.developer_id == event.end_user_id == "usr_dev1"
        assert event.properties["developer_id"] == event.properties["end_user_id"] == "usr_dev1"

    def test_cloud_external_user(self, cloud):
        """Cloud, external user: the resolved end user ID, developer primary, metadata kept."""
        props = {"type": "text", "external_user_id": "alice_from_dev_system"}
        event = shape(cloud, make_draft(user_id="usr_resolved", properties=props))
        assert event.distinct_id == "dev_abc123"
        assert event.properties["end_user_id"] == "usr_resolved"
        assert event.properties["external_user_id"] == "alice_from_dev_system"

    def test_oss_any_auth(self, oss):
        """Opensource: hash(user_id or developer_id), else the anonymous ID; never raw IDs."""
        both = shape(oss, make_draft(user_id="usr_1", developer_id="dev_1"))
        dev_only = shape(oss, make_draft(user_id=None, developer_id="dev_1"))
        none = shape(oss, make_draft(user_id=None, developer_id=None))
        assert both.distinct_id == pseudonym("usr_1")
        assert dev_only.distinct_id == pseudonym("dev_1")
        assert none.distinct_id == ANON


class TestBestPractices:
    def test_dont_include_pii_filtered_anyway(self, oss):
        """The guide's "don't include PII" properties are filtered in opensource."""
        props = {"user_email": "alice@example.com", "user_name": "Alice", "type": "text"}
        event = shape(oss, make_draft(properties=props))
        assert event.properties == {"type": "text", **CONTEXT}

    def test_dont_swap_the_ids(self, cloud, counters):
        """Swapped IDs are put right: the developer stays primary."""
        event = shape(cloud, make_draft(user_id="dev_abc123", developer_id="usr_1234"))
        assert event.distinct_id == "dev_abc123"
        assert event.properties["end_user_id"] == "usr_1234"
        assert counters.get("swapped_ids") == 1


class TestContractExamples:
    def test_track_error_both_editions(self, cloud, oss):
        """track_error("database_error", {"retry_count": 3}) shapes to error_occurred."""
        for chain in (cloud, oss):
            draft = make_draft(kind="error", event="database_error", properties={"retry_count": 3})
            event = shape(chain, draft)
            assert event.event == "error_occurred"
            assert event.properties["error_type"] == "database_error"
            assert event.properties["retry_count"] == 3

    def test_track_performance(self, cloud, oss):
        """track_performance("search_query", 150.5): exact in cloud, bucketed in opensource."""
        draft = dict(kind="performance", event="search_query", duration_ms=150.5,
                     properties={"result_count": 10})  # fmt: skip
        c = shape(cloud, make_draft(**draft))
        o = shape(oss, make_draft(**draft))
        assert c.event == o.event == "performance_metric"
        assert c.properties["duration_ms"] == 150.5 and "duration_bucket" not in c.properties
        assert o.properties["duration_bucket"] == "100-500ms" and "duration_ms" not in o.properties
        assert c.properties["operation"] == o.properties["operation"] == "search_query"

    def test_opensource_error_type_must_be_harmless(self, oss):
        """An error_type that is an email becomes "unknown" in opensource."""
        event = shape(oss, make_draft(kind="error", event="alice@example.com"))
        assert event.properties["error_type"] == "unknown"

    def test_caller_cannot_override_context(self, oss):
        """Caller-passed edition/os/version never override the added context."""
        props = {"edition": "cloud", "os": "Plan9", "version": "9.9.9", "arch": "z80"}
        event = shape(oss, make_draft(properties=props))
        assert event.properties == {**CONTEXT}
