"""What a member chose about activities: their area and interests, and their answers to activity cards."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base


class ActivityPreference(Base):
    """A member's area (postcode district or neighbourhood name, normalised) and interests (taxonomy terms).

    `offered_at` is when Cairn once offered, after a check-in, to set an area (so it offers only once).
    """

    __tablename__ = "activity_preferences"

    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), primary_key=True)
    area: Mapped[str | None] = mapped_column(String(40), index=True)
    interests: Mapped[str] = mapped_column(String(400), default="")  # comma-separated taxonomy terms
    offered_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]


class ActivityResponse(Base):
    """A member's answer to an activity card: interested, going (optionally reminded) or not for me.

    `reminder_outbox_id` is the outbox row holding the reminder two hours before the session, so that a
    change of mind or a cancelled session withdraws it before it is sent.
    """

    __tablename__ = "activity_responses"
    __table_args__ = (UniqueConstraint("member_id", "activity_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    activity_id: Mapped[str] = mapped_column(String(64), index=True)  # the Open Referral UK service id
    response: Mapped[str] = mapped_column(String(16))  # interested | going | not_for_me
    occurrence_at: Mapped[datetime | None]  # the session a "going" is for
    remind: Mapped[bool] = mapped_column(default=False)
    reminder_outbox_id: Mapped[int | None] = mapped_column(
        ForeignKey("outbox.id", name="fk_activity_responses_reminder", ondelete="SET NULL")
    )
    updated_at: Mapped[datetime]
