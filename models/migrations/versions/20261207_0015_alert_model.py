"""alert model: first-raised time kept, raised again, waiting since, the holder's last answer, a case reference

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 23:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.base

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("waiting_since", models.base.UtcDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("raised_again_at", models.base.UtcDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("answered_at", models.base.UtcDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("nobody_told_at", models.base.UtcDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("case_ref", sa.String(length=8), nullable=True))
    # Claims held before this revision get a fresh window rather than all going back to the coordinators at once.
    op.execute(sa.text("UPDATE alerts SET answered_at = CURRENT_TIMESTAMP WHERE status = 'claimed'"))
    # One organisation per person: a second role (from before the rule) is dropped, keeping the first one granted.
    op.execute(sa.text("DELETE FROM staff_roles WHERE id NOT IN (SELECT MIN(id) FROM staff_roles GROUP BY member_id)"))
    with op.batch_alter_table("staff_roles", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_staff_roles_member_id"))
        batch_op.create_index(batch_op.f("ix_staff_roles_member_id"), ["member_id"], unique=True)


def downgrade() -> None:
    """Undo this revision."""
    with op.batch_alter_table("staff_roles", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_staff_roles_member_id"))
        batch_op.create_index(batch_op.f("ix_staff_roles_member_id"), ["member_id"], unique=False)
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        for column in ("case_ref", "nobody_told_at", "answered_at", "raised_again_at", "waiting_since"):
            batch_op.drop_column(column)
