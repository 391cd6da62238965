"""ids never reused on SQLite: AUTOINCREMENT for every table whose ids are pointed at

Without AUTOINCREMENT, SQLite gives a new row the highest id in use plus one: after an erasure removed the highest
member (or alert), the next one got its id, and the audit trail's old events read as the new person's. Each table
is rebuilt with AUTOINCREMENT (batch mode copies the rows, ids included), and its counter starts above every id
the audit trail still names, so ids erased before this migration are not handed out again either.

PostgreSQL: nothing to do. Its serial sequences never hand an id out twice, rows deleted or not.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 23:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("organisations", "members", "checkins", "alerts", "outbox", "relay_sessions", "activities", "broadcasts")
"""Parents first: each is pointed at by audit events, by other rows, or by buttons in messages already sent."""

NAMED_BY_AUDIT = {
    "organisations": ("SELECT max(object_id) FROM audit_events WHERE object_type = 'organisation'",),
    "members": (
        "SELECT max(object_id) FROM audit_events WHERE object_type = 'member'",
        "SELECT max(actor_member_id) FROM audit_events",
    ),
    "alerts": ("SELECT max(object_id) FROM audit_events WHERE object_type = 'alert'",),
    "relay_sessions": ("SELECT max(object_id) FROM audit_events WHERE object_type = 'relay'",),
    "activities": ("SELECT max(object_id) FROM audit_events WHERE object_type = 'activity'",),
}


def upgrade() -> None:
    """Apply this revision."""
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    if bind.exec_driver_sql("PRAGMA foreign_keys").scalar():
        # Rebuilding a table drops the old one; with foreign keys on, that drop deletes (and cascades to) every row
        # that points at it. models.migrate.upgrade_to_head turns them off for the migration and checks after.
        raise RuntimeError("migration 0014 must run with SQLite's foreign keys off (use `python -m bot migrate`)")
    for table in TABLES:
        with op.batch_alter_table(table, recreate="always", table_kwargs={"sqlite_autoincrement": True}):
            pass
    for table, queries in NAMED_BY_AUDIT.items():
        named = [bind.exec_driver_sql(query).scalar() for query in queries]
        highest = max([value for value in named if value is not None], default=None)
        if highest is not None:
            _counter_at_least(bind, table, int(highest))


def _counter_at_least(bind: sa.engine.Connection, table: str, value: int) -> None:
    """Raise SQLite's AUTOINCREMENT counter of `table` to `value` (the next id is above it)."""
    current = bind.exec_driver_sql("SELECT seq FROM sqlite_sequence WHERE name = ?", (table,)).scalar()
    if current is None:
        bind.exec_driver_sql("INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)", (table, value))
    elif current < value:
        bind.exec_driver_sql("UPDATE sqlite_sequence SET seq = ? WHERE name = ?", (value, table))


def downgrade() -> None:
    """Undo this revision (ids may be reused again on SQLite)."""
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    for table in reversed(TABLES):
        with op.batch_alter_table(table, recreate="always", table_kwargs={"sqlite_autoincrement": False}):
            pass
