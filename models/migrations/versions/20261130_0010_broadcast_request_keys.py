"""broadcast request keys: the dashboard's Send form carries a key, so a second press makes no second broadcast

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("broadcasts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("request_key", sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(
            batch_op.f("uq_broadcasts_organisation_id"), ["organisation_id", "request_key"]
        )


def downgrade() -> None:
    """Undo this revision."""
    with op.batch_alter_table("broadcasts", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_broadcasts_organisation_id"), type_="unique")
        batch_op.drop_column("request_key")
