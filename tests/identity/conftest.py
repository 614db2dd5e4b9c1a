"""Store tests run on both backends: a SQLite file in the test's tmp dir and a fresh PostgreSQL DB."""

from __future__ import annotations

import pytest

from tenantry.identity import IdentityStore


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'identity.db'}"
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def store(db_url):
    s = IdentityStore(db_url)
    yield s
    s.close()


@pytest.fixture
def developer(store):
    return store.create_developer("owner@example.com", country="DE")
