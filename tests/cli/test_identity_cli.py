"""``tenantry developers|keys|sessions`` through ``tenantry.cli.main``."""

from __future__ import annotations

import io
import json

from tenantry.cli import main
from tenantry.config import load_settings
from tenantry.identity import IdentityStore


def _json(capsys) -> dict:
    out = capsys.readouterr().out
    return json.loads(out)


def test_create_developer_json_and_use_the_key(capsys):
    """developers create --json prints one JSON document whose api_key resolves to the developer."""
    assert (
        main(["developers", "create", "--email", "cli@example.com", "--country", "US", "--json"])
        == 0
    )
    doc = _json(capsys)
    assert doc["developer_id"].startswith("dev_") and doc["api_key"].startswith("tnt_")
    with IdentityStore.open(load_settings()) as store:
        assert store.resolve(api_key=doc["api_key"]).developer_id == doc["developer_id"]
        assert store.get_developer(doc["developer_id"]).country == "US"


def test_text_output_and_duplicate_email(capsys):
    """The text form prints developer_id and api_key; a duplicate email is one error line, exit != 0."""
    assert main(["developers", "create", "--email", "dup@example.com"]) == 0
    out = capsys.readouterr().out
    assert "developer_id: dev_" in out and "api_key:      tnt_" in out
    assert main(["developers", "create", "--email", "DUP@example.com"]) != 0
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1


def test_password_from_stdin_allows_login(capsys, monkeypatch):
    """--password-stdin reads the password from stdin (never argv) and login then works."""
    monkeypatch.setattr("sys.stdin", io.StringIO("s3cret-from-stdin\n"))
    assert (
        main(["developers", "create", "--email", "pw@example.com", "--password-stdin", "--json"])
        == 0
    )
    doc = _json(capsys)
    assert doc["has_password"] is True
    with IdentityStore.open(load_settings()) as store:
        assert (
            store.login("pw@example.com", "s3cret-from-stdin").developer_id == doc["developer_id"]
        )


def test_keys_create_revoke_and_sessions(capsys):
    """keys create gives a working key, keys revoke stops it, sessions create gives a session."""
    assert main(["developers", "create", "--email", "k@example.com", "--json"]) == 0
    dev_id = _json(capsys)["developer_id"]
    assert main(["keys", "create", dev_id, "--json"]) == 0
    key = _json(capsys)
    assert main(["keys", "revoke", key["id"]]) == 0
    assert key["id"] in capsys.readouterr().out
    assert main(["keys", "list", dev_id, "--json"]) == 0
    listed = _json(capsys)["api_keys"]
    assert [k["revoked_at"] is not None for k in listed] == [False, True]
    assert all("api_key" not in k for k in listed)
    assert main(["sessions", "create", dev_id, "--ttl", "60", "--json"]) == 0
    session = _json(capsys)
    with IdentityStore.open(load_settings()) as store:
        assert store.resolve(session_token=session["session_token"]).end_user_id == dev_id


def test_errors_are_one_line(capsys):
    """Unknown developer / key IDs and a missing --email are one error line and a non-zero exit."""
    for argv in (
        ["keys", "create", "dev_nope"],
        ["keys", "revoke", "key_nope"],
        ["developers", "create"],
    ):
        assert main(argv) != 0
        captured = capsys.readouterr()
        assert captured.err.startswith("error: ") and captured.err.count("\n") == 1, captured.err
        assert captured.out == ""


def test_help_ends_with_example(capsys):
    """Each identity command's help ends with an example."""
    for argv in (
        ["developers", "create", "-h"],
        ["keys", "create", "-h"],
        ["keys", "revoke", "-h"],
        ["sessions", "create", "-h"],
    ):
        assert main(argv) == 0
        out = capsys.readouterr().out
        assert "Example: tenantry" in out


def test_password_prompt_is_hidden_and_confirmed():
    """--password asks twice at a hidden prompt; the password never appears in the output."""
    from typer.testing import CliRunner

    from tenantry.cli import app

    result = CliRunner().invoke(
        app,
        ["developers", "create", "--email", "prompt@example.com", "--password", "--json"],
        input="hidden-pw-123\nhidden-pw-123\n",
    )
    assert result.exit_code == 0, result.output
    assert "hidden-pw-123" not in result.output
    with IdentityStore.open(load_settings()) as store:
        assert store.login("prompt@example.com", "hidden-pw-123").developer_id.startswith("dev_")


def test_sessions_revoke(capsys):
    """sessions create prints a session_id; sessions revoke SESSION_ID stops the token at once;
    an unknown ID is one error line and a non-zero exit."""
    assert main(["developers", "create", "--email", "rev@example.com", "--json"]) == 0
    dev = _json(capsys)["developer_id"]
    assert main(["sessions", "create", dev, "--json"]) == 0
    doc = _json(capsys)
    assert doc["session_id"].startswith("ses_") and doc["session_token"] not in doc["session_id"]
    assert main(["sessions", "revoke", doc["session_id"]]) == 0
    assert capsys.readouterr().out.strip() == f"revoked {doc['session_id']}"
    with IdentityStore.open(load_settings(), cache_ttl=0) as store:
        try:
            store.resolve(session_token=doc["session_token"])
            raise AssertionError("a revoked session still resolves")
        except Exception as exc:
            assert type(exc).__name__ == "InvalidSession"
    assert main(["sessions", "revoke", doc["session_id"]]) != 0
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1
