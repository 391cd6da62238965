"""activity tallies: suggestions shown per organisation and day, and headcounts of past sessions (no member data)

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30 15:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.base

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "activity_suggestion_tallies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("suggested", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_activity_suggestion_tallies_organisation_id_organisations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_activity_suggestion_tallies")),
        sa.UniqueConstraint("organisation_id", "day", name=op.f("uq_activity_suggestion_tallies_organisation_id")),
    )
    with op.batch_alter_table("activity_suggestion_tallies", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_activity_suggestion_tallies_organisation_id"), ["organisation_id"], unique=False
        )
    op.create_table(
        "session_attendance",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("activity_id", sa.String(length=64), nullable=False),
        sa.Column("session_day", sa.Date(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("recorded_at", models.base.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisations.id"], name=op.f("fk_session_attendance_organisation_id_organisations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_session_attendance")),
        sa.UniqueConstraint(
            "organisation_id", "activity_id", "session_day", name=op.f("uq_session_attendance_organisation_id")
        ),
    )
    with op.batch_alter_table("session_attendance", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_session_attendance_organisation_id"), ["organisation_id"], unique=False)


def downgrade() -> None:
    """Undo this revision."""
    with op.batch_alter_table("session_attendance", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_session_attendance_organisation_id"))
    op.drop_table("session_attendance")
    with op.batch_alter_table("activity_suggestion_tallies", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_activity_suggestion_tallies_organisation_id"))
    op.drop_table("activity_suggestion_tallies")
