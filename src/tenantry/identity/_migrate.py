"""Run the shipped Alembic migrations on an engine, safely when several processes start at once.

PostgreSQL: a transaction-scoped advisory lock serialises concurrent upgrades (DDL is
transactional there). SQLite: ``BEGIN IMMEDIATE`` takes the write lock before alembic looks at
the schema, so a second process waits and then finds it up to date.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, text

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
_PG_LOCK_KEY = 0x7E4A_17D1  # arbitrary, stable: "tenantry identity migrations"


def upgrade(engine: Engine) -> None:
    """Bring the identity schema to the newest revision."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        elif conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
        conn.commit()
