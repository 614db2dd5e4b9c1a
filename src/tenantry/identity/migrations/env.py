"""Alembic environment for the identity schema.

tenantry runs it programmatically (``tenantry.identity._migrate.upgrade``) with an open connection
in ``config.attributes["connection"]``; with a URL in ``sqlalchemy.url`` it also works from the
``alembic`` command line.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from tenantry.identity._schema import metadata

config = context.config
connection = config.attributes.get("connection")

if connection is not None:
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
else:  # pragma: no cover - alembic CLI use
    engine = create_engine(config.get_main_option("sqlalchemy.url"))
    with engine.begin() as conn:
        context.configure(connection=conn, target_metadata=metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
