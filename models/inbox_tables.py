"""The inbox: updates Telegram delivered (webhook or polling), kept until handled (payloads hold text: encrypted)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import ENCRYPTED, Base


class InboxUpdate(Base):
    """One update stored (answered 200, or fetched and not yet confirmed) and not yet handled; deleted once handled.

    `sender_key` is a hash of the member (or chat) the update belongs to, so one member's updates are handled
    one at a time and in update_id order, whichever instance handles them. No foreign key: a row outlives
    nothing, and an update may come from someone who is not a member yet.
    """

    __tablename__ = "inbox"
    __table_args__ = (Index("ix_inbox_sender_key_update_id", "sender_key", "update_id"),)

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    sender_key: Mapped[str] = mapped_column(String(40))
    payload_encrypted: Mapped[bytes] = mapped_column(LargeBinary, info=ENCRYPTED)
    received_at: Mapped[datetime]
    leased_until: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(default=0)
    reply_encrypted: Mapped[bytes | None] = mapped_column(LargeBinary, info=ENCRYPTED, default=None)
    """The reply, kept in the transaction that committed the update's effects, until the update is finished: a
    process that dies before Telegram confirmed the reply leaves it here for the next claimer to send."""
