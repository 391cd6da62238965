"""The activities directory: Open Referral UK services of Cairn organisations, and cancelled sessions.

Listings are public data (nothing here refers to a member and nothing is encrypted). Lists of short values
(languages, interests, areas, accessibility) are JSON arrays.
"""

from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import JSON, Date, Float, ForeignKey, String, Text, Time, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import IDS_NEVER_REUSED, Base

ORUK_ID_LENGTH = 64
"""The longest Open Referral UK id Cairn keeps (real ids are 36-character UUIDs)."""


class ActivityRow(Base):
    """One listed activity: an Open Referral UK service belonging to a Cairn organisation."""

    __tablename__ = "activities"
    __table_args__ = IDS_NEVER_REUSED

    id: Mapped[int] = mapped_column(primary_key=True)
    oruk_id: Mapped[str] = mapped_column(String(ORUK_ID_LENGTH), unique=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    name: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(24), index=True)
    url: Mapped[str] = mapped_column(String(500), default="")
    email: Mapped[str] = mapped_column(String(200), default="")
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/London")
    minimum_age: Mapped[int | None]
    maximum_age: Mapped[int | None]
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    interests: Mapped[list[str]] = mapped_column(JSON, default=list)
    areas: Mapped[list[str]] = mapped_column(JSON, default=list)
    contact_name: Mapped[str] = mapped_column(String(200), default="")
    contact_phone: Mapped[str] = mapped_column(String(60), default="")
    contact_email: Mapped[str] = mapped_column(String(200), default="")
    updated_at: Mapped[datetime]


class ActivityScheduleRow(Base):
    """When an activity runs: one iCalendar-style recurrence or one-off event."""

    __tablename__ = "activity_schedules"

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activities.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    oruk_id: Mapped[str] = mapped_column(String(ORUK_ID_LENGTH))
    freq: Mapped[str | None] = mapped_column(String(8))
    interval: Mapped[int] = mapped_column(default=1)
    byday: Mapped[str] = mapped_column(Text, default="")
    bymonthday: Mapped[str] = mapped_column(Text, default="")
    dtstart: Mapped[date | None] = mapped_column(Date)
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    opens_at: Mapped[time | None] = mapped_column(Time)
    closes_at: Mapped[time | None] = mapped_column(Time)
    description: Mapped[str] = mapped_column(Text, default="")


class ActivityLocationRow(Base):
    """Where an activity happens."""

    __tablename__ = "activity_locations"

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activities.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    oruk_id: Mapped[str] = mapped_column(String(ORUK_ID_LENGTH))
    name: Mapped[str] = mapped_column(String(300), default="")
    address: Mapped[str] = mapped_column(String(500), default="")
    postcode: Mapped[str] = mapped_column(String(10), default="")
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    accessibility: Mapped[list[str]] = mapped_column(JSON, default=list)


class ActivityCostRow(Base):
    """What an activity costs."""

    __tablename__ = "activity_cost_options"

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activities.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    oruk_id: Mapped[str] = mapped_column(String(ORUK_ID_LENGTH))
    option: Mapped[str] = mapped_column(String(300), default="")
    amount: Mapped[float | None] = mapped_column(Float)
    amount_description: Mapped[str] = mapped_column(String(300), default="")


class ActivityCancellation(Base):
    """A session of an activity that will not happen, by the local date it would have been on."""

    __tablename__ = "activity_cancellations"
    __table_args__ = (UniqueConstraint("activity_id", "local_date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activities.id", ondelete="CASCADE"), index=True)
    local_date: Mapped[date] = mapped_column(Date)
    cancelled_at: Mapped[datetime]
