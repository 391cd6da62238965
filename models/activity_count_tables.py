"""Counts for the funder report: activities suggested per day, and how many came to a past session.

Neither table refers to a member: a tally is a number per organisation and day (UK date), a headcount a number per
session, entered by a coordinator. Nothing here says who was suggested what, nor why.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.activity_tables import ORUK_ID_LENGTH
from models.base import Base


class ActivitySuggestionTally(Base):
    """How many activity suggestions the bot showed after check-ins on one UK day, for one organisation."""

    __tablename__ = "activity_suggestion_tallies"
    __table_args__ = (UniqueConstraint("organisation_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    day: Mapped[date] = mapped_column(Date)
    suggested: Mapped[int] = mapped_column(default=0)


class SessionAttendance(Base):
    """How many came to one past session of an activity, as its coordinator counted them (entered again: replaced)."""

    __tablename__ = "session_attendance"
    __table_args__ = (UniqueConstraint("organisation_id", "activity_id", "session_day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    activity_id: Mapped[str] = mapped_column(String(ORUK_ID_LENGTH))  # the Open Referral UK service id
    session_day: Mapped[date] = mapped_column(Date)  # the session's local date
    count: Mapped[int]
    recorded_at: Mapped[datetime]
