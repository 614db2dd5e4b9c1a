"""The one exception tree of tenantry.

    TenantryError
    ├── ConfigError            bad configuration; names the variable (raised at start-up)
    ├── QueryError             a report query that cannot be answered as asked
    │   └── PrivacyRefused     a user-level query over opensource data
    ├── IdentityError          resolving who a request comes from failed
    │   ├── MissingCredentials
    │   ├── ConflictingCredentials
    │   ├── UnknownApiKey
    │   ├── RevokedApiKey
    │   ├── InvalidSession     unknown or expired session token
    │   ├── InvalidLogin       wrong email or password
    │   ├── NotFound           a developer / key / end user that does not exist
    │   ├── InvalidInput       a malformed email, external user ID, password or TTL (also a
    │   │                      ValueError)
    │   └── DuplicateDeveloper a developer with this email exists already (also a ValueError)
    └── StoreError             an event store could not be opened or queried

Delivery problems are never exceptions: destinations return ``Result`` values
(``tenantry.destinations.base``). ``track()`` never raises at all. The exceptions carry no HTTP
status: the HTTP layer maps them (``tenantry.identity.web.http_status``, the server's error
handlers).
"""

from __future__ import annotations


class TenantryError(Exception):
    """Base of every error tenantry raises on purpose."""


class ConfigError(TenantryError, ValueError):
    """A configuration value is invalid. The message names the environment variable."""


class QueryError(TenantryError, ValueError):
    """A report query cannot be answered as asked (unknown name, missing --developer, bad date)."""


class PrivacyRefused(QueryError):
    """A user-level query was asked of opensource (anonymous) data."""


class IdentityError(TenantryError):
    """Who a request comes from could not be established. Messages never echo a credential."""


class MissingCredentials(IdentityError):
    pass


class ConflictingCredentials(IdentityError):
    pass


class UnknownApiKey(IdentityError):
    pass


class RevokedApiKey(IdentityError):
    pass


class InvalidSession(IdentityError):
    pass


class InvalidLogin(IdentityError):
    pass


class NotFound(IdentityError):
    pass


class InvalidInput(IdentityError, ValueError):
    """A malformed email, external user ID, password or TTL. Never contains a credential."""


class DuplicateDeveloper(IdentityError, ValueError):
    """A developer with this email (compared case-insensitively) already exists."""


class StoreError(TenantryError):
    """An event store could not be opened, written or queried."""
