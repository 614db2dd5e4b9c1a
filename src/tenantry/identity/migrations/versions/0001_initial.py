"""Initial identity schema: developers, api_keys, sessions, end_users.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "developers",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("email_normalized", sa.String(320), nullable=False, unique=True),
        sa.Column("country", sa.String(64)),
        sa.Column("password_hash", sa.String(255)),
        sa.Column("created_at", _TS, nullable=False),
    )
    for name, key_columns in (
        ("api_keys", [sa.Column("id", sa.String(40), primary_key=True)]),
        ("sessions", [sa.Column("token_hash", sa.String(64), primary_key=True)]),
        ("end_users", [sa.Column("id", sa.String(40), primary_key=True)]),
    ):
        columns = [
            *key_columns,
            sa.Column(
                "developer_id",
                sa.String(40),
                sa.ForeignKey("developers.id", ondelete="CASCADE"),
                nullable=False,
            ),
        ]
        if name == "api_keys":
            columns += [
                sa.Column("prefix", sa.String(16), nullable=False),
                sa.Column("key_hash", sa.String(64), nullable=False, unique=True),
                sa.Column("created_at", _TS, nullable=False),
                sa.Column("revoked_at", _TS),
                sa.Column("last_used_at", _TS),
            ]
        elif name == "sessions":
            columns += [
                sa.Column("created_at", _TS, nullable=False),
                sa.Column("expires_at", _TS, nullable=False),
            ]
        else:
            columns += [
                sa.Column("external_id", sa.String(512), nullable=False),
                sa.Column("created_at", _TS, nullable=False),
                sa.UniqueConstraint(
                    "developer_id", "external_id", name="uq_end_users_developer_external"
                ),
            ]
        op.create_table(name, *columns)
    op.create_index("ix_api_keys_developer_id", "api_keys", ["developer_id"])
    op.create_index("ix_sessions_developer_id", "sessions", ["developer_id"])


def downgrade() -> None:
    for name in ("end_users", "sessions", "api_keys", "developers"):
        op.drop_table(name)
