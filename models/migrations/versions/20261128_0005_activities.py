"""activities directory (Open Referral UK services, schedules, locations, costs, cancelled sessions)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _child(name: str, *columns: sa.schema.SchemaItem) -> None:
    op.create_table(
        name,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("activity_id", sa.Integer(), nullable=False),
        *columns,
        sa.ForeignKeyConstraint(
            ["activity_id"], ["activities.id"], name=op.f(f"fk_{name}_activity_id_activities"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{name}")),
    )
    with op.batch_alter_table(name, schema=None) as batch_op:
        batch_op.create_index(batch_op.f(f"ix_{name}_activity_id"), ["activity_id"], unique=False)


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "activities",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("oruk_id", sa.String(length=64), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("url", sa.String(length=500), nullable=False),
        sa.Column("email", sa.String(length=200), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("minimum_age", sa.Integer(), nullable=True),
        sa.Column("maximum_age", sa.Integer(), nullable=True),
        sa.Column("languages", sa.JSON(), nullable=False),
        sa.Column("interests", sa.JSON(), nullable=False),
        sa.Column("areas", sa.JSON(), nullable=False),
        sa.Column("contact_name", sa.String(length=200), nullable=False),
        sa.Column("contact_phone", sa.String(length=60), nullable=False),
        sa.Column("contact_email", sa.String(length=200), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisations.id"], name=op.f("fk_activities_organisation_id_organisations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_activities")),
        sa.UniqueConstraint("oruk_id", name=op.f("uq_activities_oruk_id")),
    )
    with op.batch_alter_table("activities", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_activities_organisation_id"), ["organisation_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_activities_status"), ["status"], unique=False)

    _child(
        "activity_schedules",
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("oruk_id", sa.String(length=64), nullable=False),
        sa.Column("freq", sa.String(length=8), nullable=True),
        sa.Column("interval", sa.Integer(), nullable=False),
        sa.Column("byday", sa.Text(), nullable=False),
        sa.Column("bymonthday", sa.Text(), nullable=False),
        sa.Column("dtstart", sa.Date(), nullable=True),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("opens_at", sa.Time(), nullable=True),
        sa.Column("closes_at", sa.Time(), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
    )
    _child(
        "activity_locations",
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("oruk_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("address", sa.String(length=500), nullable=False),
        sa.Column("postcode", sa.String(length=10), nullable=False),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("accessibility", sa.JSON(), nullable=False),
    )
    _child(
        "activity_cost_options",
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("oruk_id", sa.String(length=64), nullable=False),
        sa.Column("option", sa.String(length=300), nullable=False),
        sa.Column("amount", sa.Float(), nullable=True),
        sa.Column("amount_description", sa.String(length=300), nullable=False),
    )
    _child(
        "activity_cancellations",
        sa.Column("local_date", sa.Date(), nullable=False),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("activity_id", "local_date", name=op.f("uq_activity_cancellations_activity_id")),
    )


def downgrade() -> None:
    """Undo this revision."""
    for name in ("activity_cancellations", "activity_cost_options", "activity_locations", "activity_schedules"):
        with op.batch_alter_table(name, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f"ix_{name}_activity_id"))
        op.drop_table(name)
    with op.batch_alter_table("activities", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_activities_status"))
        batch_op.drop_index(batch_op.f("ix_activities_organisation_id"))
    op.drop_table("activities")
