"""broadcasts: coordinators' news, one delivery row per recipient, members Telegram cannot reach

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28 05:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.base

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "broadcasts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("author_member_id", sa.Integer(), nullable=True),
        sa.Column("text_encrypted", sa.LargeBinary(), nullable=False),
        sa.Column("activity_id", sa.String(length=64), nullable=True),
        sa.Column("card", sa.Text(), nullable=True),
        sa.Column("audience", sa.String(length=1000), nullable=False),
        sa.Column("recipients", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", models.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("started_at", models.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("finished_at", models.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("progress_message_id", sa.BigInteger(), nullable=True),
        sa.Column("progress_at", models.base.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["author_member_id"], ["members.id"], name="fk_broadcasts_author"),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisations.id"], name=op.f("fk_broadcasts_organisation_id_organisations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_broadcasts")),
    )
    with op.batch_alter_table("broadcasts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_broadcasts_organisation_id"), ["organisation_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_broadcasts_status"), ["status"], unique=False)
    op.create_table(
        "broadcast_deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("broadcast_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", models.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("sent_at", models.base.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["broadcast_id"], ["broadcasts.id"], name="fk_broadcast_deliveries_broadcast"),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], name=op.f("fk_broadcast_deliveries_member_id_members")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_broadcast_deliveries")),
        sa.UniqueConstraint("broadcast_id", "member_id", name=op.f("uq_broadcast_deliveries_broadcast_id")),
    )
    with op.batch_alter_table("broadcast_deliveries", schema=None) as batch_op:
        batch_op.create_index("ix_broadcast_deliveries_due", ["status", "next_attempt_at", "id"], unique=False)
        batch_op.create_index(batch_op.f("ix_broadcast_deliveries_member_id"), ["member_id"], unique=False)
    op.create_table(
        "unreachable_members",
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=24), nullable=False),
        sa.Column("since", models.base.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], name=op.f("fk_unreachable_members_member_id_members")),
        sa.PrimaryKeyConstraint("member_id", name=op.f("pk_unreachable_members")),
    )


def downgrade() -> None:
    """Undo this revision."""
    op.drop_table("unreachable_members")
    op.drop_table("broadcast_deliveries")
    op.drop_table("broadcasts")
