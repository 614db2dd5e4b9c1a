"""The seed guide's Example 1 as tests of every layer use it: the call, the developer's profile
and what the guide says the cloud event carries ("Result in Amplitude")."""

from __future__ import annotations

from typing import Any

#: the identity store's profile of the example's developer (a ``profile_lookup`` mapping)
PROFILES = {"dev_abc123": {"email": "developer@company.com", "country": "US"}}

#: Example 1's cloud event properties: the call's own, the two IDs and the developer's profile
CLOUD_PROPERTIES = {
    "end_user_id": "user_1234",
    "developer_id": "dev_abc123",
    "type": "text",
    "has_metadata": True,
    "email": "developer@company.com",
    "country": "US",
}


async def track_example_1(service: Any) -> None:
    """Example 1's call: a memory created by end user user_1234 of developer dev_abc123."""
    await service.track(
        "memory_created",
        {"type": "text", "has_metadata": True},
        user_id="user_1234",
        developer_id="dev_abc123",
    )
