"""Identity: developers, API keys, session tokens and end users (external user IDs).

store = IdentityStore.open(load_settings())
dev = store.create_developer("dev@example.com", country="US")
key, raw = store.create_api_key(dev.id)          # raw key shown once, stored hashed
who = store.resolve(api_key=raw, external_user_id="alice")
# Identity(developer_id="dev_...", end_user_id="usr_...", via="api_key")
"""

from __future__ import annotations

from tenantry.errors import DuplicateDeveloper, InvalidInput
from tenantry.identity._schema import ApiKey, Developer, Identity, Session
from tenantry.identity.store import IdentityStore

__all__ = [
    "ApiKey",
    "Developer",
    "DuplicateDeveloper",
    "Identity",
    "IdentityStore",
    "InvalidInput",
    "Session",
]
