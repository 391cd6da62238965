"""The declarative base and column types shared by every table."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import DateTime, MetaData
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncAttrs
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always returned timezone-aware (SQLite forgets the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Refuse naive times and store UTC."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: pass an aware UTC time")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Return an aware UTC time."""
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(AsyncAttrs, DeclarativeBase):
    """Base class of every table."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UtcDateTime}  # noqa: RUF012 (SQLAlchemy reads it as a class attribute)


IDS_NEVER_REUSED = {"sqlite_autoincrement": True}
"""Table options for a table whose ids are pointed at (by audit events, other rows, buttons in old messages):
SQLite's AUTOINCREMENT, so an id freed by an erasure is never given to a new row, which would inherit the old
one's audit trail. PostgreSQL's serial sequences never hand an id out twice already. Migration 0014 added it."""

ENCRYPTED = {"encrypted": True}
"""Column `info` marking ciphertext columns, so key rotation and export find them all."""

NULL_ON_ERASE = {"erase": "nullify"}
"""Foreign-key `info` for a member referenced in a secondary role (a volunteer who claimed someone else's
alert): erasing that member clears the reference and keeps the row, which belongs to someone else."""

HIDDEN_FROM_EXPORT = {"export": False}
"""Column `info` for a value about someone else in a member's row (the volunteer's chat an alert was sent to):
erased with the row, never shown in the member's export."""
