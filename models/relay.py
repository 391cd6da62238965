"""Relay sessions between a volunteer and a member; transcripts only with the member's "also my answers"."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from models.crypto import DataCipher
from models.tables import Member, RelayLine, RelaySession


@dataclass(frozen=True)
class RelayRow:
    """A relay session and both sides' chats."""

    id: int
    alert_id: int
    member_id: int
    member_chat_id: int
    volunteer_member_id: int | None
    volunteer_chat_id: int | None
    status: str
    keep_transcript: bool


class RelayRepository:
    """Relay sessions and their transcripts."""

    def __init__(self, session: AsyncSession, cipher: DataCipher) -> None:
        """Work inside the given session."""
        self._session = session
        self._cipher = cipher

    async def open(self, alert_id: int, member_id: int, volunteer_member_id: int, keep: bool, now: datetime) -> int:
        """Start a session in the "asked" state (the member has not said yes yet)."""
        row = RelaySession(
            alert_id=alert_id,
            member_id=member_id,
            volunteer_member_id=volunteer_member_id,
            keep_transcript=keep,
            opened_at=now,
        )
        self._session.add(row)
        await self._session.flush()
        return row.id

    async def get(self, session_id: int) -> RelayRow | None:
        """Return a session with both chats."""
        volunteer = Member.__table__.alias("volunteer")
        row = (
            await self._session.execute(
                select(RelaySession, Member.chat_id, volunteer.c.chat_id)
                .join(Member, Member.id == RelaySession.member_id)
                .outerjoin(volunteer, volunteer.c.id == RelaySession.volunteer_member_id)
                .where(RelaySession.id == session_id)
            )
        ).first()
        if row is None:
            return None
        relay, member_chat, volunteer_chat = row
        return RelayRow(
            relay.id,
            relay.alert_id,
            relay.member_id,
            member_chat,
            relay.volunteer_member_id,
            volunteer_chat,
            relay.status,
            relay.keep_transcript,
        )

    async def open_for_volunteer(self, volunteer_member_id: int) -> list[int]:
        """The ids of a person's relayed chats that are asked or open."""
        rows = await self._session.scalars(
            select(RelaySession.id).where(
                RelaySession.volunteer_member_id == volunteer_member_id, RelaySession.status != "closed"
            )
        )
        return list(rows.all())

    async def open_for_member(self, member_id: int) -> list[int]:
        """The ids of a member's relayed chats that are asked or open."""
        rows = await self._session.scalars(
            select(RelaySession.id).where(RelaySession.member_id == member_id, RelaySession.status != "closed")
        )
        return list(rows.all())

    async def open_for_alert(self, alert_id: int) -> list[int]:
        """The ids of an alert's relayed chats that are asked or open."""
        rows = await self._session.scalars(
            select(RelaySession.id).where(RelaySession.alert_id == alert_id, RelaySession.status != "closed")
        )
        return list(rows.all())

    async def stop_transcripts_of(self, member_id: int) -> None:
        """The member no longer shares their answers: their chats keep no more transcript lines."""
        await self._session.execute(
            update(RelaySession)
            .where(RelaySession.member_id == member_id, RelaySession.status != "closed")
            .values(keep_transcript=False)
        )

    async def set_status(self, session_id: int, status: str, now: datetime) -> None:
        """Move a session to open or closed."""
        values: dict[str, object] = {"status": status}
        if status == "closed":
            values["closed_at"] = now
        await self._session.execute(update(RelaySession).where(RelaySession.id == session_id).values(**values))

    async def keep_line(self, session_id: int, from_member: bool, text: str, now: datetime) -> None:
        """Keep one line of the transcript, encrypted."""
        self._session.add(
            RelayLine(
                session_id=session_id, from_member=from_member, text_encrypted=self._cipher.encrypt(text), sent_at=now
            )
        )
        await self._session.flush()
