"""Counts for the funder report: a day's tally of suggestions shown, and coordinators' headcounts of past sessions.

Only numbers per organisation, day and session: nothing refers to a member.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from models.activity_count_tables import ActivitySuggestionTally, SessionAttendance
from models.database import dialect_of


class ActivityCounts:
    """Tallies of suggestions and headcounts of sessions, inside the caller's transaction."""

    def __init__(self, session: AsyncSession) -> None:
        """Work inside the given session."""
        self._session = session

    def _insert(self, table: type[ActivitySuggestionTally | SessionAttendance]) -> Any:
        dialect = dialect_of(self._session)
        return (pg_insert if dialect == "postgresql" else sqlite_insert)(table)

    async def count_suggestions(self, organisation_id: int, day: date, shown: int) -> None:
        """Add `shown` to the organisation's tally for a UK day (one row a day, safe beside other instances)."""
        if shown <= 0:
            return
        statement = self._insert(ActivitySuggestionTally).values(
            organisation_id=organisation_id, day=day, suggested=shown
        )
        statement = statement.on_conflict_do_update(
            index_elements=["organisation_id", "day"],
            set_={"suggested": ActivitySuggestionTally.suggested + statement.excluded.suggested},
        )
        await self._session.execute(statement)

    async def record_headcount(
        self, organisation_id: int, activity_id: str, session_day: date, count: int, now: datetime
    ) -> None:
        """Keep how many came to a session; a second entry for the same session replaces the first."""
        statement = self._insert(SessionAttendance).values(
            organisation_id=organisation_id,
            activity_id=activity_id,
            session_day=session_day,
            count=count,
            recorded_at=now,
        )
        statement = statement.on_conflict_do_update(
            index_elements=["organisation_id", "activity_id", "session_day"],
            set_={"count": statement.excluded.count, "recorded_at": statement.excluded.recorded_at},
        )
        await self._session.execute(statement)

    async def headcounts(self, organisation_id: int, activity_id: str, since: date) -> dict[date, int]:
        """The headcounts kept for an activity's sessions from a day on."""
        rows = await self._session.execute(
            select(SessionAttendance.session_day, SessionAttendance.count).where(
                SessionAttendance.organisation_id == organisation_id,
                SessionAttendance.activity_id == activity_id,
                SessionAttendance.session_day >= since,
            )
        )
        return {day: int(count) for day, count in rows.all()}

    async def suggested(self, organisation_id: int, first: date, last: date) -> int:
        """Suggestions shown on the UK days from `first` to `last`, both included."""
        total = await self._session.scalar(
            select(func.coalesce(func.sum(ActivitySuggestionTally.suggested), 0)).where(
                ActivitySuggestionTally.organisation_id == organisation_id,
                ActivitySuggestionTally.day >= first,
                ActivitySuggestionTally.day <= last,
            )
        )
        return int(total or 0)

    async def attended(self, organisation_id: int, first: date, last: date) -> int:
        """Headcounts of the sessions held on the local days from `first` to `last`, both included."""
        total = await self._session.scalar(
            select(func.coalesce(func.sum(SessionAttendance.count), 0)).where(
                SessionAttendance.organisation_id == organisation_id,
                SessionAttendance.session_day >= first,
                SessionAttendance.session_day <= last,
            )
        )
        return int(total or 0)
