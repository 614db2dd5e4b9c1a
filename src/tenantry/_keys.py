"""The formats of the credentials tenantry issues, in one core module: the identity store makes
them, and the privacy policy (``policy.credentials``) and its tests recognise them.

API keys are ``tnt_`` and session tokens ``tns_``, each followed by 256 random bits in URL-safe
base64 (43 characters).
"""

from __future__ import annotations

import secrets

KEY_PREFIX = "tnt_"
SESSION_PREFIX = "tns_"


def new_api_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)  # 256 random bits


def new_session_token() -> str:
    return SESSION_PREFIX + secrets.token_urlsafe(32)
