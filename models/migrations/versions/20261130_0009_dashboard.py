"""dashboard: single-use login links and sessions (hashes only)

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.base

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "dashboard_login_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("created_at", models.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", models.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("used_at", models.base.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], name="fk_dashboard_tokens_member"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dashboard_login_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_dashboard_login_tokens_token_hash")),
    )
    with op.batch_alter_table("dashboard_login_tokens", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_dashboard_login_tokens_member_id"), ["member_id"], unique=False)
    op.create_table(
        "dashboard_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_hash", sa.String(length=64), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("created_at", models.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", models.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", models.base.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], name="fk_dashboard_sessions_member"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dashboard_sessions")),
        sa.UniqueConstraint("session_hash", name=op.f("uq_dashboard_sessions_session_hash")),
    )
    with op.batch_alter_table("dashboard_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_dashboard_sessions_member_id"), ["member_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_dashboard_sessions_expires_at"), ["expires_at"], unique=False)


def downgrade() -> None:
    """Undo this revision."""
    with op.batch_alter_table("dashboard_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dashboard_sessions_expires_at"))
        batch_op.drop_index(batch_op.f("ix_dashboard_sessions_member_id"))
    op.drop_table("dashboard_sessions")
    with op.batch_alter_table("dashboard_login_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dashboard_login_tokens_member_id"))
    op.drop_table("dashboard_login_tokens")
