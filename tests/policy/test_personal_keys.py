"""Keys that name a person's handle, pay or a special category of personal data (GDPR art. 9)
drop their entry in opensource, whatever the value's shape (a handle that is also a safe token, a
number, a boolean); counts and flags about them stay (found by a fresh probe: ``{"handle":
"jdoe1984"}`` and ``{"salary": 125000}`` left before)."""

from __future__ import annotations

import pytest

from tenantry import TelemetryService
from tenantry.testing import InMemoryDestination

DROPPED = {
    "handle": "jdoe1984",
    "twitter_handle": "jack",
    "screen_name": "jack",
    "screenName": "jack",
    "salary": 125000,
    "annual_income": 90000,
    "hourly_wage": 31.5,
    "religion": "x",
    "ethnicity": "y",
    "diagnosis": "flu",
    "medication": "ibuprofen",
    "disability": "none",
    "sexuality": "z",
    "pregnant": True,
}
KEPT = {"handle_count": 3, "file_handle_count": 12, "disability_enabled": True}


@pytest.fixture(scope="module")
def sent(tmp_path_factory) -> dict:
    memory = InMemoryDestination()
    service = TelemetryService(
        edition="opensource",
        destinations=[memory],
        data_dir=tmp_path_factory.mktemp("keys"),
        secret="keys-secret-0123456789abcdef",
    )
    props = {**DROPPED, **KEPT}  # noqa: TNT003 - the personal keys under test
    service.track_sync("profile_updated", props, user_id="usr_1", developer_id="dev_abcde")
    assert service.flush(5.0)
    service.shutdown(5.0)
    [event] = memory.events
    return event.to_record()["properties"]


@pytest.mark.parametrize("key", sorted(DROPPED))
def test_the_entry_is_dropped(sent, key):
    assert key not in sent


def test_counts_and_flags_about_them_stay(sent):
    assert {k: sent.get(k) for k in KEPT} == KEPT
