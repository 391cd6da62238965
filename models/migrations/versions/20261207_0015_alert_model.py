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
down_revision: str | None = "0013"
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


def downgrade() -> None:
    """Undo this revision."""
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        for column in ("case_ref", "nobody_told_at", "answered_at", "raised_again_at", "waiting_since"):
            batch_op.drop_column(column)
