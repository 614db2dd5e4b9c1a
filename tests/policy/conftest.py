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


def chain(edition: str, counters: Counters, *, relayed: bool = False) -> Chain:
    """The edition's chain with the test secret, anonymous ID and profile look-up (a cloud
    chain needs no secret and an opensource one uses no profile look-up)."""
    return build_chain(
        Settings(edition=edition),
        secret=SECRET,
        anonymous_id=ANON,
        profile_lookup=profile_lookup,
        counters=counters,
        relayed=relayed,
    )


@pytest.fixture
def cloud(counters: Counters) -> Chain:
    return chain("cloud", counters)


@pytest.fixture
def oss(counters: Counters) -> Chain:
    return chain("opensource", counters)


@pytest.fixture
def relayed(counters: Counters) -> Chain:
    return chain("cloud", counters, relayed=True)  # the relay's own edition does not matter
