"""``tenantry developers|keys|sessions``: manage the identity store (SQLite or PostgreSQL).

Raw API keys and session tokens are printed once, at creation; only their hashes are kept.
Passwords are read from a hidden prompt (``--password``) or stdin (``--password-stdin``), never
from argv.
"""

from __future__ import annotations

import sys
from typing import Any

import typer

from tenantry.cli._output import print_json

developers_app = typer.Typer(
    name="developers",
    help="Developers (API key owners).\n\nExample: tenantry developers create --email dev@example.com",
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)
keys_app = typer.Typer(
    name="keys",
    help="API keys: create (shown once), list, revoke.\n\nExample: tenantry keys create dev_123",
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)
sessions_app = typer.Typer(
    name="sessions",
    help="Session tokens: create (shown once), revoke.\n\n"
    "Example: tenantry sessions create dev_123 --json",
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)

JSON_OPTION = typer.Option(False, "--json", help="Print one JSON document on stdout.")


def register(app: typer.Typer) -> None:
    app.add_typer(developers_app)
    app.add_typer(keys_app)
    app.add_typer(sessions_app)


def _store():
    from tenantry.config import load_settings
    from tenantry.identity import IdentityStore

    return IdentityStore.open(load_settings())


def _when(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _key_doc(key) -> dict[str, Any]:
    return {
        "id": key.id,
        "developer_id": key.developer_id,
        "prefix": key.prefix,
        "created_at": _when(key.created_at),
        "revoked_at": _when(key.revoked_at),
        "last_used_at": _when(key.last_used_at),
    }


def _read_password(prompt: bool, from_stdin: bool) -> str | None:
    from tenantry.cli import fail

    if prompt and from_stdin:
        raise fail("use --password or --password-stdin, not both")
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    elif prompt:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True, err=True)
    else:
        return None
    if not password:
        raise fail("the password is empty")
    return password


@developers_app.command(
    "create",
    help="Create a developer and a first API key (the key is shown once).\n\n"
    "Example: tenantry developers create --email dev@example.com --country US --json",
)
def developers_create(
    email: str = typer.Option(..., "--email", help="Login email (unique, case-insensitive)."),
    country: str | None = typer.Option(None, "--country", help="Country, e.g. US."),
    password: bool = typer.Option(
        False, "--password", help="Ask for a login password at a hidden prompt."
    ),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="Read the login password from the first line of stdin."
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    secret = _read_password(password, password_stdin)
    with _store() as store:
        dev = store.create_developer(email, country=country, password=secret)
        key, raw = store.create_api_key(dev.id)
    if as_json:
        print_json(
            {
                "developer_id": dev.id,
                "email": dev.email,
                "country": dev.country,
                "created_at": _when(dev.created_at),
                "has_password": secret is not None,
                "api_key": raw,
                "api_key_id": key.id,
                "api_key_prefix": key.prefix,
            }
        )
        return
    typer.echo(f"developer_id: {dev.id}")
    typer.echo(f"api_key:      {raw}")
    typer.echo(f"api_key_id:   {key.id}")
    typer.echo(
        "The API key is shown once; only its hash is stored. Keep it somewhere safe.", err=True
    )


@developers_app.command(
    "show", help="Show a developer and their API keys.\n\nExample: tenantry developers show dev_123"
)
def developers_show(
    developer_id: str = typer.Argument(..., help="A dev_ ID."),
    as_json: bool = JSON_OPTION,
) -> None:
    from tenantry.errors import NotFound

    with _store() as store:
        dev = store.get_developer(developer_id)
        if dev is None:
            raise NotFound(f"no developer {developer_id}")
        keys = store.list_api_keys(developer_id)
    doc = {
        "developer_id": dev.id,
        "email": dev.email,
        "country": dev.country,
        "created_at": _when(dev.created_at),
        "api_keys": [_key_doc(k) for k in keys],
    }
    if as_json:
        print_json(doc)
        return
    typer.echo(
        f"developer_id: {dev.id}\nemail:        {dev.email}\ncountry:      {dev.country or '-'}"
    )
    for k in keys:
        state = f"revoked {k.revoked_at:%Y-%m-%d}" if k.revoked_at else "active"
        typer.echo(f"  {k.id}  {k.prefix}...  {state}")


@keys_app.command(
    "create",
    help="Create an API key for a developer (shown once).\n\nExample: tenantry keys create dev_123",
)
def keys_create(
    developer_id: str = typer.Argument(..., help="The developer (dev_ ID) who owns the key."),
    as_json: bool = JSON_OPTION,
) -> None:
    with _store() as store:
        key, raw = store.create_api_key(developer_id)
    if as_json:
        print_json({**_key_doc(key), "api_key": raw})
        return
    typer.echo(f"api_key:    {raw}")
    typer.echo(f"api_key_id: {key.id}")
    typer.echo("The API key is shown once; only its hash is stored.", err=True)


@keys_app.command(
    "list",
    help="List a developer's API keys (prefixes only).\n\nExample: tenantry keys list dev_123 --json",
)
def keys_list(
    developer_id: str = typer.Argument(..., help="A dev_ ID."),
    as_json: bool = JSON_OPTION,
) -> None:
    with _store() as store:
        keys = store.list_api_keys(developer_id)
    if as_json:
        print_json({"developer_id": developer_id, "api_keys": [_key_doc(k) for k in keys]})
        return
    for k in keys:
        state = f"revoked {k.revoked_at:%Y-%m-%d}" if k.revoked_at else "active"
        typer.echo(f"{k.id}  {k.prefix}...  {state}")


@keys_app.command(
    "revoke",
    help="Revoke an API key. Running servers stop accepting it within 30 seconds.\n\n"
    "Example: tenantry keys revoke key_123",
)
def keys_revoke(
    key_id: str = typer.Argument(..., help="The key_ ID printed at creation."),
    as_json: bool = JSON_OPTION,
) -> None:
    with _store() as store:
        store.revoke_api_key(key_id)
        key = store.get_api_key(key_id)
    if as_json:
        print_json(_key_doc(key))
        return
    typer.echo(f"revoked {key_id}")


@sessions_app.command(
    "create",
    help="Create a session token for a developer (operators; shown once).\n\n"
    "Example: tenantry sessions create dev_123 --ttl 3600 --json",
)
def sessions_create(
    developer_id: str = typer.Argument(..., help="A dev_ ID."),
    ttl: float = typer.Option(86400.0, "--ttl", help="Lifetime in seconds."),
    as_json: bool = JSON_OPTION,
) -> None:
    with _store() as store:
        session = store.create_session(developer_id, ttl=ttl)
    if as_json:
        print_json(
            {
                "session_id": session.id,
                "developer_id": session.developer_id,
                "session_token": session.token,
                "expires_at": _when(session.expires_at),
            }
        )
        return
    typer.echo(f"session_id:    {session.id}")
    typer.echo(f"session_token: {session.token}")
    typer.echo(f"expires_at:    {_when(session.expires_at)}")


@sessions_app.command(
    "revoke",
    help="Revoke a session by its ID (and the dashboard logins made from it). Running servers "
    "stop accepting it within 30 seconds.\n\nExample: tenantry sessions revoke ses_123",
)
def sessions_revoke(
    session_id: str = typer.Argument(..., help="The ses_ ID printed at creation or login."),
    as_json: bool = JSON_OPTION,
) -> None:
    with _store() as store:
        store.revoke_session_id(session_id)
    if as_json:
        print_json({"session_id": session_id, "revoked": True})
        return
    typer.echo(f"revoked {session_id}")
