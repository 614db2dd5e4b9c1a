"""Forgetting a person and retention: delete from the stores, file vendor deletion requests.

``forget(settings, developer=...)`` or ``forget(settings, end_user=...)``:
1. adds the ID to the suppression list first, so no new event of theirs is stored or sent;
2. deletes their events from the local store and from ClickHouse when configured: rows whose
   developer_id, end_user_id or distinct_id is the ID, or (opensource) its keyed pseudonym;
3. files deletion requests where a vendor key is configured: Amplitude's User Privacy API
   (``POST /api/2/deletions/users``, basic auth with the API key and ``AMPLITUDE_SECRET_KEY``)
   and PostHog's persons bulk delete (``POST /api/projects/@current/persons/bulk_delete/``,
   bearer ``POSTHOG_PERSONAL_API_KEY``, else the project key), with ``delete_events``.
Vendor outcomes are values in the report; only a bad request (no ID) raises. The calls go
through the core's small HTTP client (``tenantry._http``, urllib3), like the destinations.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from tenantry._http import HttpError, Response, basic_auth, post_json
from tenantry.config import Settings, env_name
from tenantry.errors import QueryError
from tenantry.pipeline.suppression import SuppressionList
from tenantry.store import apply_retention, open_store

__all__ = ["apply_retention", "forget"]

REQUESTER = "tenantry forget"
_AMPLITUDE_HOSTS = {  # ingestion host -> User Privacy API host
    "api2.amplitude.com": "https://amplitude.com",
    "api.amplitude.com": "https://amplitude.com",
    "api.eu.amplitude.com": "https://analytics.eu.amplitude.com",
}
_POSTHOG_HOSTS = {  # ingestion (or legacy app) host -> the host of PostHog's private API
    "us.i.posthog.com": "https://us.posthog.com",
    "eu.i.posthog.com": "https://eu.posthog.com",
    "app.posthog.com": "https://us.posthog.com",
}


def _origin(url: str, known: dict[str, str]) -> str:
    parts = urlsplit(url)
    return known.get(parts.hostname or "", f"{parts.scheme}://{parts.netloc}")


def _outcome(response: Response) -> str:
    if 200 <= response.status_code < 300:
        return "filed"
    return f"failed: http_{response.status_code} {response.text[:200].strip()}".strip()


def amplitude_deletion(settings: Settings, user_id: str, *, timeout: float = 10.0) -> str:
    secret = settings.amplitude_secret_key
    if not secret:
        return f"skipped: {env_name('amplitude_secret_key')} is not set"
    url = _origin(settings.amplitude_server_url, _AMPLITUDE_HOSTS) + "/api/2/deletions/users"
    body = {"user_ids": [user_id], "requester": REQUESTER, "ignore_invalid_ids": True}
    auth = basic_auth(settings.amplitude_api_key or "", secret)
    try:
        response = post_json(url, body, headers={"Authorization": auth}, timeout=timeout)
    except HttpError as exc:
        return f"failed: {type(exc).__name__} {exc}".strip()
    return _outcome(response)


def posthog_deletion(settings: Settings, distinct_ids: list[str], *, timeout: float = 10.0) -> str:
    key = settings.posthog_personal_api_key or settings.posthog_api_key
    url = (
        _origin(settings.posthog_host, _POSTHOG_HOSTS)
        + "/api/projects/@current/persons/bulk_delete/"
    )
    body = {"distinct_ids": distinct_ids, "delete_events": True}
    try:
        response = post_json(url, body, headers={"Authorization": f"Bearer {key}"}, timeout=timeout)
    except HttpError as exc:
        return f"failed: {type(exc).__name__} {exc}".strip()
    return _outcome(response)


def _pseudonym(settings: Settings, person: str) -> str | None:
    """``person``'s opensource pseudonym under this installation's secret, if it has one (the
    secret is never created here)."""
    from tenantry._installation import SECRET_FILE, load_or_create_secret

    if not settings.secret and not (settings.data_dir / SECRET_FILE).exists():
        return None
    try:
        from tenantry.policy.pseudonym import Pseudonymizer

        return Pseudonymizer(load_or_create_secret(settings.data_dir, settings.secret))(person)
    except (ImportError, OSError, ValueError):
        return None


def forget(
    settings: Settings,
    *,
    developer: str | None = None,
    end_user: str | None = None,
    timeout: float = 10.0,
) -> dict[str, Any]:
    """Delete one person's events everywhere we can; return what happened where."""
    if bool(developer) == bool(end_user):
        raise QueryError("give exactly one of --developer or --end-user")
    person = str(developer or end_user)
    SuppressionList(settings.data_dir).add(person)
    report: dict[str, Any] = {
        "id": person,
        "kind": "developer" if developer else "end_user",
        "suppressed": True,
        "deleted": {},
        "requests": {},
    }
    targets = [person]
    pseudonym = _pseudonym(settings, person)
    if pseudonym:  # opensource events carry the keyed pseudonym, not the ID
        targets.append(pseudonym)
    report["pseudonym_checked"] = pseudonym is not None
    distinct_ids = {person}
    backends = ["local"] + (["clickhouse"] if settings.clickhouse_url else [])
    for backend in backends:
        removed = 0
        with open_store(settings, backend) as store:
            for target in targets:
                n, ids = store.delete_person(target)
                removed += n
                distinct_ids |= ids
        report["deleted"][backend] = removed
    if settings.amplitude_api_key:
        report["requests"]["amplitude"] = (
            amplitude_deletion(settings, person, timeout=timeout)
            if developer
            else "skipped: Amplitude keys events by developer_id, not by end user"
        )
    if settings.posthog_api_key:
        report["requests"]["posthog"] = posthog_deletion(
            settings, sorted(distinct_ids), timeout=timeout
        )
    return report
