"""inbox reply: the reply kept with a handled update until it is finished (a crash before it is sent re-sends it)

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("inbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reply_encrypted", sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    """Undo this revision."""
    with op.batch_alter_table("inbox", schema=None) as batch_op:
        batch_op.drop_column("reply_encrypted")
