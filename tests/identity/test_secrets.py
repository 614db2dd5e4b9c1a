"""Secrets at rest: raw API keys, session tokens and passwords appear in no table, file or log."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, select, table, text

from tenantry.errors import IdentityError
from tenantry.identity import IdentityStore
from tenantry.identity._engine import normalize_url

PASSWORD = "Tr0ub4dor&3-unique-password"


def _dump_all_rows(url: str) -> str:
    """Every row of every table, as text (what pg_dump --data-only would show)."""
    engine = create_engine(normalize_url(url))
    out = []
    with engine.connect() as conn:
        for name in inspect(conn).get_table_names():
            cols = [c["name"] for c in inspect(conn).get_columns(name)]
            rows = conn.execute(select(*[text(c) for c in cols]).select_from(table(name))).all()
            out.extend(repr(tuple(r)) for r in rows)
    engine.dispose()
    return "\n".join(out)


def test_no_secret_at_rest_or_in_logs(db_url, tmp_path, caplog):
    """After keys, sessions and a password login, no raw secret is in the DB, its files or the logs."""
    caplog.set_level(logging.DEBUG)
    logging.getLogger("sqlalchemy.engine").setLevel(logging.INFO)  # SQL and parameters too
    try:
        store = IdentityStore(db_url)
        dev = store.create_developer("secret@example.com", password=PASSWORD)
        key, raw_key = store.create_api_key(dev.id)
        session = store.login("secret@example.com", PASSWORD)
        operator = store.create_session(dev.id)
        store.resolve(api_key=raw_key, external_user_id="alice")
        store.resolve(session_token=session.token)
        store.revoke_api_key(key.id)
        for bad in ({"api_key": raw_key}, {"api_key": raw_key + "x"}):
            with pytest.raises(IdentityError) as err:
                store.resolve(**bad)
            assert raw_key not in str(err.value)
        store.close()
    finally:
        logging.getLogger("sqlalchemy.engine").setLevel(logging.WARNING)

    secrets = [raw_key, raw_key[10:], session.token, operator.token, PASSWORD]
    dumped = _dump_all_rows(db_url)
    assert key.prefix in dumped and "secret@example.com" in dumped  # the dump is real
    assert "sha256" not in dumped and "$argon2id$" in dumped
    for secret in secrets:
        assert secret not in dumped
        assert secret not in caplog.text
    assert "key_" in caplog.text  # logging was captured
    if db_url.startswith("sqlite"):
        path = Path(db_url.removeprefix("sqlite:///"))
        files = list(path.parent.glob(path.name + "*"))
        assert path in files
        blob = b"".join(f.read_bytes() for f in files)
        assert b"secret@example.com" in blob
        for secret in secrets:
            assert secret.encode() not in blob
