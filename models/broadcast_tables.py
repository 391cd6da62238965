"""Broadcasts: a coordinator's news (organisation data) and one delivery row per member it goes to (member data).

A delivery moves pending -> sending (leased, committed before the request) -> sent (Telegram confirmed). A lease
that expires without a confirmation becomes "uncertain" and is never sent again: for news, a duplicate is worse
than a rare miss. Other ends: failed, unreachable (the member blocked the bot), skipped (no longer in the audience).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import ENCRYPTED, HIDDEN_FROM_EXPORT, IDS_NEVER_REUSED, NULL_ON_ERASE, Base


class Broadcast(Base):
    """One piece of news from a coordinator; the text they wrote is encrypted, the activity card is public."""

    __tablename__ = "broadcasts"
    __table_args__ = (UniqueConstraint("organisation_id", "request_key"), IDS_NEVER_REUSED)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    author_member_id: Mapped[int | None] = mapped_column(
        ForeignKey("members.id", name="fk_broadcasts_author"), info=NULL_ON_ERASE | HIDDEN_FROM_EXPORT
    )
    text_encrypted: Mapped[bytes] = mapped_column(LargeBinary, info=ENCRYPTED)
    activity_id: Mapped[str | None] = mapped_column(String(64))  # an Open Referral UK service id
    card: Mapped[str | None] = mapped_column(Text)  # the activity card as shown, JSON (public listing data)
    audience: Mapped[str] = mapped_column(String(1000), default="{}")  # the filter, JSON: area and interests
    recipients: Mapped[int] = mapped_column(default=0)
    status: Mapped[str] = mapped_column(String(16), default="queued", index=True)  # queued, sending, done
    created_at: Mapped[datetime]
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    progress_message_id: Mapped[int | None] = mapped_column(BigInteger)
    progress_at: Mapped[datetime | None]
    request_key: Mapped[str | None] = mapped_column(String(64))  # the dashboard form's key: a second Send is a no-op


class BroadcastDelivery(Base):
    """One member's copy of a broadcast, written in the same transaction as the coordinator's "Send"."""

    __tablename__ = "broadcast_deliveries"
    __table_args__ = (
        UniqueConstraint("broadcast_id", "member_id"),
        Index("ix_broadcast_deliveries_due", "status", "next_attempt_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    broadcast_id: Mapped[int] = mapped_column(ForeignKey("broadcasts.id", name="fk_broadcast_deliveries_broadcast"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime]  # when pending: when to try; when sending: when the lease runs out
    sent_at: Mapped[datetime | None]


class UnreachableMember(Base):
    """A member Telegram refuses to deliver to (they blocked the bot, or the chat is gone).

    Nothing Cairn starts is sent to them until they write to the bot again (jobs such as broadcasts skip them).
    """

    __tablename__ = "unreachable_members"

    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), primary_key=True)
    reason: Mapped[str] = mapped_column(String(24))  # blocked | chat_not_found
    since: Mapped[datetime]
