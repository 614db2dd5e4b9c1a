"""Shared builders for the policy tests: literal drafts and both editions' chains."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from tenantry.config import Settings
from tenantry.counters import Counters
from tenantry.policy import Chain, build_chain

SECRET = b"policy-test-secret-0123456789abcdef"
ANON = "anon_0123456789abcdef0123456789abcdef"
PROFILE = {"email": "developer@company.com", "country": "US"}
_uuids = itertools.count()


def make_draft(**fields: Any) -> dict[str, Any]:
    """The worker's draft for the seed guide's Example 1, with ``fields`` replacing defaults."""
    draft = {
        "kind": "track",
        "event": "memory_created",
        "properties": {"type": "text", "has_metadata": True},
        "user_id": "user_1234",
        "developer_id": "dev_abc123",
        "timestamp": 1_764_000_000.0,
        "uuid": f"00000000-0000-4000-8000-{next(_uuids):012d}",
        "duration_ms": None,
    }
    draft.update(fields)
    return draft


def profile_lookup(developer_id: str) -> dict[str, str] | None:
    return dict(PROFILE) if developer_id == "dev_abc123" else None


@pytest.fixture
def counters() -> Counters:
    return Counters()


@pytest.fixture
def cloud(counters: Counters) -> Chain:
    return build_chain(
        Settings(edition="cloud"),
        secret=b"",
        anonymous_id=ANON,
        profile_lookup=profile_lookup,
        counters=counters,
    )


@pytest.fixture
def oss(counters: Counters) -> Chain:
    return build_chain(
        Settings(edition="opensource"),
        secret=SECRET,
        anonymous_id=ANON,
        profile_lookup=None,
        counters=counters,
    )


@pytest.fixture
def relayed(counters: Counters) -> Chain:
    return build_chain(
        Settings(edition="cloud"),  # the relay's own edition does not matter
        secret=SECRET,
        anonymous_id=ANON,
        profile_lookup=profile_lookup,
        counters=counters,
        relayed=True,
    )
