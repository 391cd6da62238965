"""Members' activity choices: area and interests, and answers to activity cards (with their reminders)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Text, cast, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from models.activity_tables import ActivityRow
from models.member_activity_tables import ActivityPreference, ActivityResponse
from models.tables import Member


@dataclass(frozen=True)
class PreferenceRow:
    """A member's area and interests as plain values."""

    area: str | None
    interests: tuple[str, ...]
    offered: bool


@dataclass(frozen=True)
class ResponseRow:
    """A member's answer to one activity."""

    activity_id: str
    response: str
    occurrence_at: datetime | None
    remind: bool
    reminder_outbox_id: int | None


@dataclass(frozen=True)
class GoingMember:
    """Someone who said they'd go to a session, with where to tell them and their pending reminder."""

    member_id: int
    chat_id: int
    reminder_outbox_id: int | None
    occurrence_at: datetime | None = None


class ActivityChoices:
    """Area, interests and answers; written only when the member presses a button."""

    def __init__(self, session: AsyncSession) -> None:
        """Work inside the given session."""
        self._session = session

    async def preference(self, member_id: int) -> PreferenceRow | None:
        """Return the member's area and interests, if they ever set them (or were offered to)."""
        row = await self._session.get(ActivityPreference, member_id)
        if row is None:
            return None
        interests = tuple(term for term in row.interests.split(",") if term)
        return PreferenceRow(row.area, interests, row.offered_at is not None)

    async def save_preference(
        self, member_id: int, area: str | None, interests: tuple[str, ...], now: datetime
    ) -> None:
        """Set the member's area and interests."""
        row = await self._session.get(ActivityPreference, member_id)
        if row is None:
            row = ActivityPreference(member_id=member_id, updated_at=now)
            self._session.add(row)
        row.area = area
        row.interests = ",".join(dict.fromkeys(interests))[:400]
        row.updated_at = now
        await self._session.flush()

    async def mark_offered(self, member_id: int, now: datetime) -> None:
        """Remember that setting an area was offered once after a check-in."""
        row = await self._session.get(ActivityPreference, member_id)
        if row is None:
            self._session.add(ActivityPreference(member_id=member_id, interests="", offered_at=now, updated_at=now))
        elif row.offered_at is None:
            row.offered_at = now
        await self._session.flush()

    async def responses(self, member_id: int) -> list[ResponseRow]:
        """Return every answer the member gave."""
        rows = await self._session.scalars(select(ActivityResponse).where(ActivityResponse.member_id == member_id))
        return [_response(row) for row in rows.all()]

    async def respond(
        self, member_id: int, activity_id: str, response: str, occurrence_at: datetime | None, now: datetime
    ) -> int | None:
        """Record an answer (replacing any earlier one); return the earlier answer's pending reminder, if any."""
        row = await self._row(member_id, activity_id)
        previous = None
        if row is None:
            row = ActivityResponse(member_id=member_id, activity_id=activity_id, updated_at=now)
            self._session.add(row)
        else:
            previous = row.reminder_outbox_id
        row.response = response
        row.occurrence_at = occurrence_at
        row.remind = False
        row.reminder_outbox_id = None
        row.updated_at = now
        await self._session.flush()
        return previous

    async def set_reminder(self, member_id: int, activity_id: str, outbox_id: int | None, now: datetime) -> int | None:
        """Attach (or clear) the reminder of a "going" answer; return the one it replaces, if any."""
        row = await self._row(member_id, activity_id)
        if row is None:
            return None
        previous = row.reminder_outbox_id
        row.remind = outbox_id is not None
        row.reminder_outbox_id = outbox_id
        row.updated_at = now
        await self._session.flush()
        return previous

    async def going_to(self, activity_id: str, occurrence_at: datetime) -> list[GoingMember]:
        """Return who said they'd go to one session of an activity."""
        return await self._going(activity_id, ActivityResponse.occurrence_at == occurrence_at)

    async def going_after(self, activity_id: str, after: datetime) -> list[GoingMember]:
        """Return who said they'd go to a session of an activity that starts after a moment."""
        return await self._going(activity_id, ActivityResponse.occurrence_at > after)

    async def _going(self, activity_id: str, when: ColumnElement[bool]) -> list[GoingMember]:
        rows = await self._session.execute(
            select(
                ActivityResponse.member_id,
                Member.chat_id,
                ActivityResponse.reminder_outbox_id,
                ActivityResponse.occurrence_at,
            )
            .join(Member, Member.id == ActivityResponse.member_id)
            .where(ActivityResponse.activity_id == activity_id, ActivityResponse.response == "going", when)
            .order_by(ActivityResponse.member_id)
        )
        return [GoingMember(*row) for row in rows.all()]

    async def pending_reminders(self, member_id: int) -> list[int]:
        """Return the outbox rows of the member's reminders not yet sent (to withdraw them on /stop)."""
        rows = await self._session.scalars(
            select(ActivityResponse.reminder_outbox_id).where(
                ActivityResponse.member_id == member_id, ActivityResponse.reminder_outbox_id.is_not(None)
            )
        )
        return [outbox_id for outbox_id in rows.all() if outbox_id is not None]

    async def forget_reminder(self, member_id: int, activity_id: str) -> None:
        """Clear a reminder link once the reminder is withdrawn."""
        await self._session.execute(
            update(ActivityResponse)
            .where(ActivityResponse.member_id == member_id, ActivityResponse.activity_id == activity_id)
            .values(remind=False, reminder_outbox_id=None)
        )

    async def activity_ids_near(self, organisation_id: int, area: str, most: int | None = None) -> list[str]:
        """Return the ids of an organisation's active activities listed for an area or for everywhere (at most
        `most`: those for the area first, then those for everywhere, each oldest first).

        The area is chosen in SQL (the JSON list's text holds the area as a quoted string, or is empty), so a
        member's event never reads the rest of the directory; the exact test is made again here.
        """
        text = cast(ActivityRow.areas, Text)
        everywhere = or_(ActivityRow.areas.is_(None), text == "[]")
        quoted = json.dumps(area).replace("!", "!!").replace("%", "!%").replace("_", "!_")
        query = (
            select(ActivityRow.oruk_id, ActivityRow.areas)
            .where(ActivityRow.organisation_id == organisation_id, ActivityRow.status == "active")
            .where(or_(everywhere, text.like(f"%{quoted}%", escape="!")))
            .order_by(everywhere, ActivityRow.id)
        )
        if most is not None:
            query = query.limit(most)
        rows = await self._session.execute(query)
        return [oruk_id for oruk_id, areas in rows.all() if not areas or area in areas]

    async def _row(self, member_id: int, activity_id: str) -> ActivityResponse | None:
        return await self._session.scalar(
            select(ActivityResponse).where(
                ActivityResponse.member_id == member_id, ActivityResponse.activity_id == activity_id
            )
        )


def _response(row: ActivityResponse) -> ResponseRow:
    return ResponseRow(row.activity_id, row.response, row.occurrence_at, row.remind, row.reminder_outbox_id)
