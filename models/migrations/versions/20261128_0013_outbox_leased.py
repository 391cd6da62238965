"""outbox leased: say when a message is held by a sender, so a restart can hand back what a dead process held

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-28 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("leased", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    """Undo this revision."""
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("leased")
