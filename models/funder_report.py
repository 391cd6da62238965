"""Aggregates for the funder report over a date range: reach, engagement, wellbeing change and activities.

Every query is filtered by organisation and leaves staff out; only counts and sums come back.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from flows.funder_report import CHANGE_MEASURES, Change, ReportCounts
from flows.insight import MEASURES_BY_KEY
from flows.report_period import DateRange
from models.activity_counts import ActivityCounts
from models.insight import completed_checkins, keeping_checkins, observations, people
from models.member_activity_tables import ActivityResponse
from models.tables import Member


class ReportQueries:
    """The funder report's aggregates for one organisation."""

    def __init__(self, session: AsyncSession) -> None:
        """Work inside the given session."""
        self._session = session

    async def counts(self, organisation_id: int, period: DateRange) -> ReportCounts:
        """Gather every aggregate the report shows."""
        start, end = period.start, period.end
        members_at_end, new_members = await self._members(organisation_id, start, end)
        keeping = await self._count(
            select(func.count(Member.id)).where(
                people(organisation_id),
                Member.created_at < end,
                Member.id.in_(keeping_checkins(organisation_id, before=end)),
            )
        )
        engaged, checkins = (await self._session.execute(completed_checkins(organisation_id, start, end))).one()
        changes = {key: await self._change(organisation_id, key, start, end) for key in CHANGE_MEASURES}
        answers = await self._answers(organisation_id, start, end)
        tallies = ActivityCounts(self._session)
        return ReportCounts(
            members_at_end=members_at_end,
            new_members=new_members,
            keeping_checkins=keeping,
            engaged_members=int(engaged),
            checkins=int(checkins),
            changes=changes,
            interested_members=answers.get("interested", (0, 0))[0],
            interested_answers=answers.get("interested", (0, 0))[1],
            going_members=answers.get("going", (0, 0))[0],
            going_answers=answers.get("going", (0, 0))[1],
            suggested=await tallies.suggested(organisation_id, period.first, period.last),
            attended=await tallies.attended(organisation_id, period.first, period.last),
        )

    async def _count(self, query: object) -> int:
        return int(await self._session.scalar(query) or 0)  # type: ignore[call-overload]

    async def _members(self, organisation_id: int, start: datetime, end: datetime) -> tuple[int, int]:
        row = (
            await self._session.execute(
                select(
                    func.count(Member.id),
                    func.coalesce(func.sum(case((Member.created_at >= start, 1), else_=0)), 0),
                ).where(people(organisation_id), Member.created_at < end)
            )
        ).one()
        return int(row[0]), int(row[1])

    async def _change(self, organisation_id: int, key: str, start: datetime, end: datetime) -> Change:
        """Sum the first and last values of members measured twice or more in the range."""
        values = observations(self._session, organisation_id, MEASURES_BY_KEY[key], start, end)
        member = values.c.member_id
        ranked = select(
            member.label("member_id"),
            values.c.value.label("value"),
            func.row_number().over(partition_by=member, order_by=(values.c.at, values.c.id)).label("up"),
            func.row_number()
            .over(partition_by=member, order_by=(values.c.at.desc(), values.c.id.desc()))
            .label("down"),
            func.count().over(partition_by=member).label("measured"),
        ).subquery()
        row = (
            await self._session.execute(
                select(
                    func.count(func.distinct(ranked.c.member_id)),
                    func.sum(case((ranked.c.up == 1, ranked.c.value), else_=0.0)),
                    func.sum(case((ranked.c.down == 1, ranked.c.value), else_=0.0)),
                ).where(ranked.c.measured >= 2)
            )
        ).one()
        return Change(int(row[0] or 0), float(row[1] or 0), float(row[2] or 0))

    async def _answers(self, organisation_id: int, start: datetime, end: datetime) -> dict[str, tuple[int, int]]:
        """Count members and answers per kind of answer to activity cards given in the range (latest answers)."""
        rows = await self._session.execute(
            select(
                ActivityResponse.response,
                func.count(func.distinct(ActivityResponse.member_id)),
                func.count(ActivityResponse.id),
            )
            .join(Member, Member.id == ActivityResponse.member_id)
            .where(people(organisation_id), ActivityResponse.updated_at >= start, ActivityResponse.updated_at < end)
            .group_by(ActivityResponse.response)
        )
        return {response: (int(members), int(count)) for response, members, count in rows.all()}
