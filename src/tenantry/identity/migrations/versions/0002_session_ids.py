"""Session IDs (for ``tenantry sessions revoke SESSION_ID``) and server-side dashboard sessions.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("sessions") as batch:
        batch.add_column(sa.Column("id", sa.String(40)))
    # Sessions created before this revision get an ID derived from their hash (not the token).
    op.execute("UPDATE sessions SET id = 'ses_' || substr(token_hash, 1, 24) WHERE id IS NULL")
    op.create_index("ix_sessions_id", "sessions", ["id"], unique=True)
    op.create_table(
        "dashboard_sessions",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("id", sa.String(40), nullable=False, unique=True),
        sa.Column(
            "developer_id",
            sa.String(40),
            sa.ForeignKey("developers.id", ondelete="CASCADE"),
        ),
        sa.Column("session_id", sa.String(40)),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("expires_at", _TS, nullable=False),
    )
    op.create_index("ix_dashboard_sessions_session_id", "dashboard_sessions", ["session_id"])


def downgrade() -> None:
    op.drop_table("dashboard_sessions")
    op.drop_index("ix_sessions_id", "sessions")
    with op.batch_alter_table("sessions") as batch:
        batch.drop_column("id")
