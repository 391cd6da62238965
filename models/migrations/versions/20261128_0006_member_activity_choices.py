"""member activity choices: area, interests, answers to activity cards

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28 03:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.base

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "activity_preferences",
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("area", sa.String(length=40), nullable=True),
        sa.Column("interests", sa.String(length=400), nullable=False),
        sa.Column("offered_at", models.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("updated_at", models.base.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], name=op.f("fk_activity_preferences_member_id_members")),
        sa.PrimaryKeyConstraint("member_id", name=op.f("pk_activity_preferences")),
    )
    with op.batch_alter_table("activity_preferences", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_activity_preferences_area"), ["area"], unique=False)
    op.create_table(
        "activity_responses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("activity_id", sa.String(length=64), nullable=False),
        sa.Column("response", sa.String(length=16), nullable=False),
        sa.Column("occurrence_at", models.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("remind", sa.Boolean(), nullable=False),
        sa.Column("reminder_outbox_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", models.base.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], name=op.f("fk_activity_responses_member_id_members")),
        sa.ForeignKeyConstraint(
            ["reminder_outbox_id"], ["outbox.id"], name="fk_activity_responses_reminder", ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_activity_responses")),
        sa.UniqueConstraint("member_id", "activity_id", name=op.f("uq_activity_responses_member_id")),
    )
    with op.batch_alter_table("activity_responses", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_activity_responses_activity_id"), ["activity_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_activity_responses_member_id"), ["member_id"], unique=False)


def downgrade() -> None:
    """Undo this revision."""
    op.drop_table("activity_responses")
    op.drop_table("activity_preferences")
